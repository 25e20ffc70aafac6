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
    description:
      'Create a new task on the shared board. Use it to record work for yourself or another agent: give a clear ' +
      'title, your own name as created_by, and assigned_to for the agent who should do it (or queue_name for a team ' +
      'queue). Pass parent_task_id to create it as a subtask, blocked_by_task_ids when it must wait for other tasks. ' +
      'Returns the created task with its id.',
    input: writeInputs.createTask,
    output: taskShape,
    resultDoc: 'The created task.',
    errors: ['NOT_FOUND', 'DEPENDENCY_CYCLE', 'FORBIDDEN'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['created_by'],
    run: async (board, args) => ({ structured: { ...(await board.createTask(args)) } }),
  }),

  defineTool({
    name: 'update_task',
    title: 'Update task',
    description:
      'Change fields of an existing task: status (idle, working, complete), title, description, assignee, priority, ' +
      'tags, parent, queue or blocker. Only the fields you pass change. Mark your work done with status "complete"; ' +
      'pass blocked_by_task_ids: [] to unblock. Setting working takes a lease like claim_next_task; a blocked task ' +
      'cannot be set working or complete (BLOCKED). Pass the lease_id of your claim to fence the write (LEASE_LOST if ' +
      'the task was reclaimed since); without it the write is unfenced. To hand a task over with a note, prefer move_task.',
    input: writeInputs.updateTask,
    output: taskShape,
    resultDoc: 'The task after the change.',
    errors: ['NOT_FOUND', 'CYCLE', 'DEPENDENCY_CYCLE', 'BLOCKED', 'LEASE_LOST', 'CONFLICT', 'FORBIDDEN'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    identity: ['updated_by'],
    identityDefaults: ['updated_by'],
    run: async (board, args) => ({ structured: { ...(await board.updateTask(args)) } }),
  }),

  defineTool({
    name: 'get_task',
    title: 'Get task',
    description:
      'Read one task with everything attached to it: description, comments (the hand-off history), links and whether ' +
      'it is currently blocked. Use it before starting work on a task you claimed or were handed.',
    input: schemas.taskId,
    output: taskDetailShape,
    resultDoc: 'The task with `comments`, `links`, `is_currently_blocked` and `subtask_count`.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.getTask(args)) } }),
  }),

  defineTool({
    name: 'delete_task',
    title: 'Delete task',
    description:
      'Delete a task for good, with its comments, links and subtasks. This cannot be undone: to take a finished ' +
      'task off the board but keep its record, use archive_task instead.',
    input: writeInputs.deleteTask,
    output: deleteShape,
    resultDoc: '`{ success: true, id, message }`.',
    errors: ['NOT_FOUND'],
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
    description:
      'Archive a task: it leaves queues, lists and claims but keeps its record, comments and links (list_tasks with ' +
      'include_archived shows it). Use it to tidy up finished work.',
    input: writeInputs.archiveTask,
    output: taskShape,
    resultDoc: 'The archived task (`archived_at` set). Archiving an archived task changes nothing.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.archiveTask(args)) } }),
  }),

  defineTool({
    name: 'list_tasks',
    title: 'List tasks',
    description:
      'List tasks with filters: assignee, status (one value or several), excluded statuses, queue, parent task, ' +
      'without subtasks, with archived ones. Results are paged (limit, default 100, at most 1000; offset); `total` ' +
      'tells how many match. Descriptions are left out unless include_description is true. To see only your own ' +
      'open work, get_my_queue is simpler.',
    input: schemas.listTasks,
    output: z.looseObject(pageFields),
    resultDoc: '`{ count, total, limit, offset, tasks }`.',
    errors: [],
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
    name: 'get_my_queue',
    title: 'Get my queue',
    description:
      'List the open (idle or working), unarchived tasks assigned to an agent, highest priority first, then oldest. ' +
      'Call it with your own name to see what is waiting for you; then signup_for_task claims the next one.',
    input: schemas.getMyQueue,
    output: z.looseObject({
      agent: z.string().describe('The agent'),
      count: z.number().int().describe('Open tasks'),
      tasks: z.array(taskShape).describe('Open tasks, highest priority first'),
    }),
    resultDoc: '`{ agent, count, tasks }`.',
    errors: ['FORBIDDEN'],
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
    description:
      'Claim your next task: atomically picks your highest-priority, oldest ready task (idle, neither archived, ' +
      'dead-lettered nor blocked), marks it working under a lease and returns it (lease_id, lease_expires_at). ' +
      'Exactly one agent wins each task however many claim at once. When nothing can be claimed the answer says so ' +
      '(not an error). claim_next_task does the same and can also take unassigned work from a team queue.',
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
    description:
      'Hand a task to another agent with a comment, in one step: checks that current_agent is the assignee, sets the ' +
      'task idle for the new agent, records the previous assignee and adds your hand-off comment. Use it when your ' +
      'part is done and someone else continues; say in the comment what was done and what is left.',
    input: writeInputs.moveTask,
    output: taskShape,
    resultDoc: 'The task after the hand-off (assigned to `new_agent`, idle).',
    errors: ['NOT_FOUND', 'NOT_ASSIGNEE', 'CONFLICT', 'LEASE_LOST', 'FORBIDDEN'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['current_agent'],
    run: async (board, args) => ({ structured: { ...(await board.moveTask(args)) } }),
  }),
];
