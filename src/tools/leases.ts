import { z } from 'zod';
import { schemas } from '../domain/schemas.js';
import type { Task } from '../domain/types.js';
import { taskShape } from './shapes.js';
import { writeInputs } from '../core/write-inputs.js';
import { defineTool, type ToolAnswer, type ToolDef } from './types.js';

const claimShape = z.looseObject({
  claimed: z.boolean().describe('Whether a task was claimed'),
  task: taskShape
    .nullable()
    .describe('The claimed task (now working, with lease_id and lease_expires_at), or null'),
  lease_id: z
    .string()
    .nullable()
    .describe('The lease to present on heartbeat_task and fenced writes, or null'),
  lease_expires_at: z.string().nullable().describe('When the lease runs out (ISO 8601, UTC), or null'),
  message: z.string().describe('What happened'),
});

function claimAnswer(task: Task | null, nothing: string): ToolAnswer {
  if (task === null) {
    return {
      structured: { claimed: false, task: null, lease_id: null, lease_expires_at: null, message: nothing },
    };
  }
  const message =
    task.lease_id === null
      ? `Task #${task.id} claimed and set to working status`
      : `Task #${task.id} claimed and set to working status; heartbeat before ${task.lease_expires_at}`;
  return {
    structured: {
      claimed: true,
      task,
      lease_id: task.lease_id,
      lease_expires_at: task.lease_expires_at,
      message,
    },
  };
}

/** Pull claims, leases and the ready list: the coordination tools of a fleet. */
export const leaseTools: ToolDef[] = [
  defineTool({
    name: 'claim_next_task',
    title: 'Claim next ready task',
    description: 'Claim your best ready task under a lease; heartbeat_task before it expires.',
    input: writeInputs.claimNextTask,
    output: claimShape,
    resultDoc:
      '`{ claimed, task, lease_id, lease_expires_at, message }`; `claimed: false` with `task: null` when nothing is ready.',
    errors: ['NOT_FOUND', 'CONFLICT', 'BLOCKED', 'FORBIDDEN'],
    toolsets: ['worker'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['agent_name'],
    run: async (board, args) =>
      claimAnswer(
        await board.claimNextTask(args),
        args.task_id !== undefined
          ? `Task #${args.task_id} could not be claimed`
          : `No ready task for agent ${args.agent_name}${args.queue_name ? ` in queue ${args.queue_name}` : ''}`,
      ),
  }),

  defineTool({
    name: 'heartbeat_task',
    title: 'Extend lease',
    description: 'Extend your lease. LEASE_LOST: someone else has the task now; stop.',
    input: writeInputs.heartbeatTask,
    output: taskShape,
    resultDoc: 'The task with its new `lease_expires_at`.',
    errors: ['NOT_FOUND', 'LEASE_LOST', 'FORBIDDEN'],
    toolsets: ['worker'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    identity: ['agent_name'],
    run: async (board, args) => ({ structured: { ...(await board.heartbeatTask(args)) } }),
  }),

  defineTool({
    name: 'release_task',
    title: 'Release claim',
    description: 'Give a claimed task back (idle); reason becomes a comment.',
    input: writeInputs.releaseTask,
    output: taskShape,
    resultDoc: 'The task, idle, without a lease.',
    errors: ['NOT_FOUND', 'LEASE_LOST', 'FORBIDDEN'],
    toolsets: ['worker'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['agent_name'],
    run: async (board, args) => ({ structured: { ...(await board.releaseTask(args)) } }),
  }),

  defineTool({
    name: 'requeue_task',
    title: 'Requeue task',
    description: 'Make a dead-lettered task claimable again.',
    input: writeInputs.requeueTask,
    output: taskShape,
    resultDoc: 'The task, idle and not dead-lettered.',
    errors: ['NOT_FOUND', 'CONFLICT', 'FORBIDDEN'],
    toolsets: ['planner'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    identity: ['requeued_by'],
    identityDefaults: ['requeued_by'],
    run: async (board, args) => ({ structured: { ...(await board.requeueTask(args)) } }),
  }),

  defineTool({
    name: 'list_ready_tasks',
    title: 'List ready tasks',
    description: 'Tasks that can start now, best first.',
    input: schemas.listReadyTasks,
    output: z.looseObject({
      count: z.number().int().describe('Tasks on this page'),
      tasks: z.array(taskShape).describe('Ready tasks, best first'),
      next_cursor: z.string().nullable().describe('Cursor of the next page, or null on the last'),
    }),
    resultDoc: '`{ count, tasks, next_cursor }`.',
    errors: [],
    toolsets: ['planner'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const page = await board.listReadyTasks(args);
      return { structured: { count: page.tasks.length, tasks: page.tasks, next_cursor: page.next_cursor } };
    },
  }),
];
