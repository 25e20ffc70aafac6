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
      text: nothing,
    };
  }
  const message =
    task.lease_id === null
      ? `Task #${task.id} claimed and set to working status`
      : `Task #${task.id} claimed and set to working status; lease ${task.lease_id} until ${task.lease_expires_at}`;
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
    description:
      'Take the next piece of work: atomically assigns to you and claims the best ready task (highest priority, then ' +
      'oldest) among tasks assigned to you and, with queue_name, unassigned tasks in that team queue — or exactly the ' +
      'task_id you name. The task becomes working under a lease: keep the returned lease_id, call heartbeat_task ' +
      'before lease_expires_at, and pass lease_id on your updates. If the lease runs out the task goes back to idle for ' +
      'someone else. Exactly one agent wins each task however many claim at once. Nothing ready: claimed is false.',
    input: writeInputs.claimNextTask,
    output: claimShape,
    resultDoc:
      '`{ claimed, task, lease_id, lease_expires_at, message }`; `claimed: false` with `task: null` when nothing is ready.',
    errors: ['NOT_FOUND', 'CONFLICT', 'BLOCKED', 'FORBIDDEN'],
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
    description:
      'Tell the board you are still working on a task you claimed: extends your lease by its length (or by ' +
      'lease_seconds) from now. Call it well before lease_expires_at, e.g. every third of the lease. Fails with ' +
      'LEASE_LOST when the lease ran out or the task was reclaimed: then stop working on it.',
    input: writeInputs.heartbeatTask,
    output: taskShape,
    resultDoc: 'The task with its new `lease_expires_at`.',
    errors: ['NOT_FOUND', 'LEASE_LOST', 'FORBIDDEN'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    identity: ['agent_name'],
    run: async (board, args) => ({ structured: { ...(await board.heartbeatTask(args)) } }),
  }),

  defineTool({
    name: 'release_task',
    title: 'Release claim',
    description:
      'Give a task you claimed back at once: it returns to idle (still assigned to you, so you or your queue can ' +
      'claim it again) and its lease ends. Say why in reason; it is added as a comment. Use it when you cannot finish ' +
      'the task, instead of letting the lease run out.',
    input: writeInputs.releaseTask,
    output: taskShape,
    resultDoc: 'The task, idle, without a lease.',
    errors: ['NOT_FOUND', 'LEASE_LOST', 'FORBIDDEN'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['agent_name'],
    run: async (board, args) => ({ structured: { ...(await board.releaseTask(args)) } }),
  }),

  defineTool({
    name: 'requeue_task',
    title: 'Requeue task',
    description:
      'Make a dead-lettered task (one whose leases ran out TINYTASK_MAX_ATTEMPTS times) claimable again: clears ' +
      'dead_lettered_at, ends any lease and sets it idle. With reset_attempts it also gets a full set of tries. Read ' +
      'its comments first: the reaper noted each expiry.',
    input: writeInputs.requeueTask,
    output: taskShape,
    resultDoc: 'The task, idle and not dead-lettered.',
    errors: ['NOT_FOUND', 'CONFLICT', 'FORBIDDEN'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    identity: ['requeued_by'],
    identityDefaults: ['requeued_by'],
    run: async (board, args) => ({ structured: { ...(await board.requeueTask(args)) } }),
  }),

  defineTool({
    name: 'list_ready_tasks',
    title: 'List ready tasks',
    description:
      'List the tasks that can be started now — idle, not archived, not dead-lettered, every blocker complete — best ' +
      'first (priority, then age). With agent_name and queue_name: exactly what claim_next_task would pick from. ' +
      'Paged by cursor: pass next_cursor back for more.',
    input: schemas.listReadyTasks,
    output: z.looseObject({
      count: z.number().int().describe('Tasks on this page'),
      tasks: z.array(taskShape).describe('Ready tasks, best first'),
      next_cursor: z.string().nullable().describe('Cursor of the next page, or null on the last'),
    }),
    resultDoc: '`{ count, tasks, next_cursor }`.',
    errors: [],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const page = await board.listReadyTasks(args);
      return { structured: { count: page.tasks.length, tasks: page.tasks, next_cursor: page.next_cursor } };
    },
  }),
];
