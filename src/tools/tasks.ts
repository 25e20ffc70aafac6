import { z } from 'zod';
import { schemas } from '../domain/schemas.js';
import { deleteShape, pageFields, taskDetailShape, taskShape } from './shapes.js';
import { writeInputs } from '../core/write-inputs.js';
import { defineTool, type ToolDef } from './types.js';

/** Task tools: create, read, change, list, claim and hand off tasks. */
export const taskTools: ToolDef[] = [
  defineTool({
    name: 'create_task',
    title: 'Create task',
    description: 'Create a task for an agent (assigned_to) or a team (queue_name); returns it.',
    input: writeInputs.createTask,
    output: taskShape,
    resultDoc: 'The created task.',
    errors: ['NOT_FOUND', 'DEPENDENCY_CYCLE', 'FORBIDDEN'],
    toolsets: ['planner'],
    hidden: ['blocked_by_task_id'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['created_by'],
    run: async (board, args) => ({ structured: { ...(await board.createTask(args)) } }),
  }),

  defineTool({
    name: 'update_task',
    title: 'Update task',
    description: 'Change the fields given; status "complete" finishes your work.',
    input: writeInputs.updateTask,
    output: taskShape,
    resultDoc: 'The task after the change.',
    errors: ['NOT_FOUND', 'CYCLE', 'DEPENDENCY_CYCLE', 'BLOCKED', 'LEASE_LOST', 'CONFLICT', 'FORBIDDEN'],
    toolsets: ['worker', 'planner'],
    aliases: { task_id: 'id' },
    hidden: ['blocked_by_task_id'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    identity: ['updated_by'],
    identityDefaults: ['updated_by'],
    run: async (board, args) => ({ structured: { ...(await board.updateTask(args)) } }),
  }),

  defineTool({
    name: 'get_task',
    title: 'Get task',
    description: 'A task with its comments (hand-off notes), links and blockers.',
    input: schemas.taskId,
    output: taskDetailShape,
    resultDoc: 'The task with `comments`, `links`, `is_currently_blocked` and `subtask_count`.',
    errors: ['NOT_FOUND'],
    toolsets: ['worker', 'planner'],
    aliases: { task_id: 'id' },
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.getTask(args)) } }),
  }),

  defineTool({
    name: 'delete_task',
    title: 'Delete task',
    description: 'Delete a task with its subtasks, comments and links.',
    input: writeInputs.deleteTask,
    output: deleteShape,
    resultDoc: '`{ success: true, id, message }`.',
    errors: ['NOT_FOUND'],
    toolsets: [],
    aliases: { task_id: 'id' },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    run: async (board, args) => {
      const result = await board.deleteTask(args);
      return {
        structured: { success: true, id: result.id, message: `Task ${result.id} deleted successfully` },
      };
    },
  }),

  defineTool({
    name: 'archive_task',
    title: 'Archive task',
    description: 'Hide a finished task from lists, keeping it.',
    input: writeInputs.archiveTask,
    output: taskShape,
    resultDoc: 'The archived task (`archived_at` set). Archiving an archived task changes nothing.',
    errors: ['NOT_FOUND'],
    toolsets: ['planner'],
    aliases: { task_id: 'id' },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.archiveTask(args)) } }),
  }),

  defineTool({
    name: 'list_tasks',
    title: 'List tasks',
    description: 'List tasks by filters, sorted and paged.',
    input: schemas.listTasks,
    output: z.looseObject(pageFields),
    resultDoc: '`{ count, total, limit, offset, tasks }`.',
    errors: [],
    toolsets: ['planner'],
    hidden: ['exclude_status', 'parent_task_id', 'exclude_subtasks'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const page = await board.listTasks(args);
      return {
        structured: {
          count: page.tasks.length,
          total: page.total,
          limit: page.limit,
          offset: page.offset,
          tasks: page.tasks,
        },
      };
    },
  }),

  defineTool({
    name: 'search_tasks',
    title: 'Search tasks',
    description: 'Find tasks by words in title, description or comments; best first, with snippets.',
    input: schemas.searchTasks,
    output: z.looseObject({
      count: z.number().int(),
      tasks: z.array(taskShape.omit({ description: true }).extend({ snippet: z.string() })),
      next_cursor: z.string().nullable(),
    }),
    resultDoc:
      '`{ count, tasks, next_cursor }`: tasks without descriptions, each with a `snippet` (matched words in `**bold**`); ' +
      '`next_cursor` is null on the last page. Archived tasks only with include_archived; deleted tasks never.',
    errors: [],
    toolsets: ['planner'],
    hidden: ['include_archived'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const page = await board.searchTasks(args);
      return { structured: { count: page.tasks.length, tasks: page.tasks, next_cursor: page.next_cursor } };
    },
  }),

  defineTool({
    name: 'get_my_queue',
    title: 'Get my queue',
    description: 'Your open tasks, highest priority first.',
    input: schemas.getMyQueue,
    output: z.looseObject({
      agent: z.string().describe('The agent'),
      count: z.number().int().describe('Open tasks'),
      tasks: z.array(taskShape).describe('Open tasks, highest priority first'),
    }),
    resultDoc: '`{ agent, count, tasks }`.',
    errors: ['FORBIDDEN'],
    toolsets: ['worker'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    identity: ['agent_name'],
    run: async (board, args) => {
      const tasks = await board.getMyQueue(args);
      return { structured: { agent: args.agent_name, count: tasks.length, tasks } };
    },
  }),

  defineTool({
    name: 'signup_for_task',
    title: 'Claim next task',
    description: "Claim your top idle unblocked task (TinyTask's claim; see claim_next_task).",
    input: writeInputs.signupForTask,
    output: z.looseObject({
      claimed: z.boolean().describe('Whether a task was claimed'),
      task: taskShape.nullable().describe('The claimed task (now working), or null'),
      message: z.string().describe('What happened'),
    }),
    resultDoc:
      '`{ claimed, task, message }`. The text block keeps TinyTask’s wording: `Task #<id> claimed and set to working ' +
      'status` followed by the task JSON, or `No idle tasks available in queue for agent: <name>`.',
    errors: ['FORBIDDEN'],
    toolsets: ['worker'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['agent_name'],
    run: async (board, args) => {
      const task = await board.signupForTask(args);
      if (task === null) {
        const message = `No idle tasks available in queue for agent: ${args.agent_name}`;
        return { structured: { claimed: false, task: null, message }, text: message };
      }
      const message = `Task #${task.id} claimed and set to working status`;
      return {
        structured: { claimed: true, task, message },
        text: `${message}\n\n${JSON.stringify(task, null, 2)}`,
      };
    },
  }),

  defineTool({
    name: 'move_task',
    title: 'Hand off task',
    description: 'Hand your task to another agent, with a comment for them.',
    input: writeInputs.moveTask,
    output: taskShape,
    resultDoc: 'The task after the hand-off (assigned to `new_agent`, idle).',
    errors: ['NOT_FOUND', 'NOT_ASSIGNEE', 'CONFLICT', 'LEASE_LOST', 'FORBIDDEN'],
    toolsets: ['worker', 'planner'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['current_agent'],
    run: async (board, args) => ({ structured: { ...(await board.moveTask(args)) } }),
  }),
];
