import { z } from 'zod';
import { schemas } from '../domain/schemas.js';
import { pageFields, queueStatsShape, queueSummaryShape, taskShape } from './shapes.js';
import { writeInputs } from '../core/write-inputs.js';
import { defineTool, type ToolDef } from './types.js';

/** Queue tools: team queues (dev, product, qa, ...) that group tasks independently of who is assigned. */
export const queueTools: ToolDef[] = [
  defineTool({
    name: 'list_queues',
    title: 'List queues',
    description: 'Team queues with task counts.',
    input: schemas.listQueues,
    output: z.looseObject({
      count: z.number().int().describe('Queues'),
      queues: z.array(queueSummaryShape).describe('The queues with their counts'),
    }),
    resultDoc: '`{ count, queues: [{ queue_name, total, idle, working, complete }] }`.',
    errors: [],
    toolsets: ['planner'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const queues = await board.listQueues(args);
      return { structured: { count: queues.length, queues } };
    },
  }),

  defineTool({
    name: 'get_queue_stats',
    title: 'Queue statistics',
    description: "A queue's tasks by status and assignee, and unassigned idle tasks.",
    input: schemas.queueName,
    output: queueStatsShape,
    resultDoc: '`{ queue_name, total, by_status, by_assignee, unassigned }`.',
    errors: [],
    toolsets: ['planner'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.getQueueStats(args)) } }),
  }),

  defineTool({
    name: 'add_task_to_queue',
    title: 'Add task to queue',
    description: 'Put a task in a team queue.',
    input: writeInputs.addTaskToQueue,
    output: taskShape,
    resultDoc: 'The task with its new `queue_name`.',
    errors: ['NOT_FOUND'],
    toolsets: ['planner'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.addTaskToQueue(args)) } }),
  }),

  defineTool({
    name: 'remove_task_from_queue',
    title: 'Remove task from queue',
    description: 'Take a task out of its queue.',
    input: writeInputs.removeTaskFromQueue,
    output: taskShape,
    resultDoc: 'The task with `queue_name: null`.',
    errors: ['NOT_FOUND'],
    toolsets: ['planner'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.removeTaskFromQueue(args)) } }),
  }),

  defineTool({
    name: 'move_task_to_queue',
    title: 'Move task to queue',
    description: 'Move a task to another queue; assignee kept.',
    input: writeInputs.moveTaskToQueue,
    output: taskShape,
    resultDoc: 'The task with its new `queue_name`.',
    errors: ['NOT_FOUND'],
    toolsets: ['planner'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.moveTaskToQueue(args)) } }),
  }),

  defineTool({
    name: 'get_queue_tasks',
    title: 'Get queue tasks',
    description: "List a queue's tasks, paged; list_tasks with queue_name takes every filter.",
    input: schemas.getQueueTasks,
    output: z.looseObject({ queue_name: z.string().describe('The queue'), ...pageFields }),
    resultDoc: '`{ queue_name, count, total, limit, offset, tasks }`.',
    errors: [],
    toolsets: ['planner'],
    hidden: [
      'created_by',
      'tags',
      'sort',
      'assigned_to',
      'status',
      'include_description',
      'exclude_status',
      'parent_task_id',
      'exclude_subtasks',
      'include_archived',
      'overdue',
    ],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const page = await board.getQueueTasks(args);
      return {
        structured: {
          queue_name: args.queue_name,
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
    name: 'clear_queue',
    title: 'Clear queue',
    description: 'Take every task out of a queue.',
    input: writeInputs.clearQueue,
    output: z.looseObject({
      queue_name: z.string().describe('The queue'),
      tasks_cleared: z.number().int().describe('Tasks taken out of the queue'),
      task_ids: z.array(z.number().int()).describe('Their ids'),
    }),
    resultDoc: '`{ queue_name, tasks_cleared, task_ids }`.',
    errors: [],
    toolsets: [],
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    run: async (board, args) => {
      const result = await board.clearQueue(args);
      return {
        structured: {
          queue_name: result.queue_name,
          tasks_cleared: result.cleared,
          task_ids: result.task_ids,
        },
      };
    },
  }),
];
