import { z } from 'zod';
import { LIMITS, schemas } from '../domain/schemas.js';
import { taskShape } from './shapes.js';
import { defineTool, type ToolDef } from './types.js';

/** While a wait is held, a progress notification goes out this often (when the client asked for progress). */
export const WAIT_PROGRESS_INTERVAL_MS = 5_000;

/** Waiting for work instead of polling for it. */
export const waitTools: ToolDef[] = [
  defineTool({
    name: 'wait_for_task',
    title: 'Wait for a task',
    description:
      'Wait for work instead of polling: answers with a task ready for you (claim: true claims it), or null at timeout.',
    input: schemas.waitForTask,
    output: z.looseObject({
      task: taskShape.nullable().describe('The ready task (claimed when claimed is true), or null'),
      claimed: z.boolean().describe('Whether the task was claimed for you'),
      lease_id: z
        .string()
        .nullable()
        .describe('The lease of your claim (pass it on writes and to heartbeat_task), or null'),
      lease_expires_at: z
        .string()
        .nullable()
        .describe('When the lease runs out unless you heartbeat (ISO 8601, UTC), or null'),
      outcome: z
        .enum(['ready', 'claimed', 'timeout', 'cancelled', 'shutdown'])
        .describe(
          'Why the wait ended: ready/claimed (a task), timeout (nothing in time: wait again), shutdown (the server is stopping)',
        ),
      waited_ms: z.number().int().describe('How long the server waited, in milliseconds'),
    }),
    resultDoc:
      '`{ task, claimed, lease_id, lease_expires_at, outcome, waited_ms }`: `outcome` is `ready` or `claimed` (with ' +
      'the lease) with a task, `timeout` with ' +
      '`task: null` when nothing became ready in time, `shutdown` when the server is stopping.',
    errors: ['FORBIDDEN', 'OVERLOADED'],
    toolsets: ['worker'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['agent_name'],
    identityDefaults: ['agent_name'],
    run: async (board, args, ctx) => {
      const totalSeconds = args.timeout_seconds ?? LIMITS.waitSecondsDefault;
      const started = Date.now();
      const progress = ctx.progress;
      const note = (): void =>
        progress?.(
          Math.min(totalSeconds, Math.floor((Date.now() - started) / 1000)),
          totalSeconds,
          `waiting for a ready task for ${args.agent_name}${args.queue_name ? ` or queue ${args.queue_name}` : ''}`,
        );
      let ticker: NodeJS.Timeout | undefined;
      if (progress) {
        note();
        ticker = setInterval(note, WAIT_PROGRESS_INTERVAL_MS);
      }
      try {
        const result = await board.waitForTask(args, { signal: ctx.signal });
        const lease = result.claimed ? result.task : null;
        return {
          structured: {
            ...result,
            lease_id: lease?.lease_id ?? null,
            lease_expires_at: lease?.lease_expires_at ?? null,
          },
        };
      } finally {
        clearInterval(ticker);
      }
    },
  }),
];
