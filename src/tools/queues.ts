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
    description:
      'List every queue that holds unarchived tasks, with its task counts by status. Use it to discover which team ' +
      'queues exist before adding tasks to one or reading its tasks.',
    input: schemas.listQueues,
    output: z.looseObject({
      count: z.number().int().describe('Queues'),
      queues: z.array(queueSummaryShape).describe('The queues with their counts'),
    }),
    resultDoc: '`{ count, queues: [{ queue_name, total, idle, working, complete }] }`.',
    errors: [],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const queues = await board.listQueues(args);
      return { structured: { count: queues.length, queues } };
    },
  }),

  defineTool({
    name: 'get_queue_stats',
    title: 'Queue statistics',
    description:
      'Statistics of one queue: tasks by status, by assignee, and idle tasks nobody is assigned to. Use it to ' +
      'balance work across a team or spot a backlog.',
    input: schemas.queueName,
    output: queueStatsShape,
    resultDoc: '`{ queue_name, total, by_status, by_assignee, unassigned }`.',
    errors: [],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.getQueueStats(args)) } }),
  }),

  defineTool({
    name: 'add_task_to_queue',
    title: 'Add task to queue',
    description:
      'Put a task in a team queue (dev, product, qa, ...), replacing the queue it was in, so the team sees it in ' +
      'get_queue_tasks and get_queue_stats.',
    input: writeInputs.addTaskToQueue,
    output: taskShape,
    resultDoc: 'The task with its new `queue_name`.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.addTaskToQueue(args)) } }),
  }),

  defineTool({
    name: 'remove_task_from_queue',
    title: 'Remove task from queue',
    description:
      'Take a task out of its team queue, e.g. when no team should pick it up any more. The task itself and its ' +
      'assignee are kept.',
    input: writeInputs.removeTaskFromQueue,
    output: taskShape,
    resultDoc: 'The task with `queue_name: null`.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.removeTaskFromQueue(args)) } }),
  }),

  defineTool({
    name: 'move_task_to_queue',
    title: 'Move task to queue',
    description:
      'Move a task to another team queue, e.g. from dev to qa when development is done. The assignee is unchanged; ' +
      'use move_task to hand it to a specific agent.',
    input: writeInputs.moveTaskToQueue,
    output: taskShape,
    resultDoc: 'The task with its new `queue_name`.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.moveTaskToQueue(args)) } }),
  }),

  defineTool({
    name: 'get_queue_tasks',
    title: 'Get queue tasks',
    description:
      'List the tasks of one queue, with the same filters and paging as list_tasks (assignee, status, excluded ' +
      'statuses, parent, without subtasks, with archived, limit, offset). Use it to pick up unassigned team work.',
    input: schemas.getQueueTasks,
    output: z.looseObject({ queue_name: z.string().describe('The queue'), ...pageFields }),
    resultDoc: '`{ queue_name, count, total, limit, offset, tasks }`.',
    errors: [],
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
    description:
      'Take every unarchived task out of a queue (their queue_name becomes null). Deletes nothing, but the queue ' +
      'grouping is lost; use it when a queue is retired.',
    input: writeInputs.clearQueue,
    output: z.looseObject({
      queue_name: z.string().describe('The queue'),
      tasks_cleared: z.number().int().describe('Tasks taken out of the queue'),
      task_ids: z.array(z.number().int()).describe('Their ids'),
    }),
    resultDoc: '`{ queue_name, tasks_cleared, task_ids }`.',
    errors: [],
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
