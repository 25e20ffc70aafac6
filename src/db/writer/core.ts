import type { ChangeSet } from '../../domain/types.js';
import type { Connection } from '../connection.js';
import type { BatchStats, CoordinationCounts } from '../protocol.js';
import { WriterClock } from './clock.js';
import { GroupCommitter, type WriteReply } from './group-commit.js';
import { createWriteGate } from './gate.js';
import { createWriteHandlers } from './handlers.js';
import { ReaperSchedule } from './reaper.js';

export type AnsweredReply = WriteReply & { id: number };

export interface WriterCoreSink {
  /** Once per batch, after COMMIT: the answers to callers' requests and the batch's stats. */
  replies(replies: AnsweredReply[], stats: BatchStats): void;
  /** Changes the writer made by itself (the lease reaper), after they committed. */
  event(changes: ChangeSet, counts: Partial<CoordinationCounts>): void;
  /** Fault injection: called inside the open transaction; must not return. */
  crash?(): never;
}

export interface WriterCoreOptions {
  enableHistory: boolean;
  batchMax: number;
  leaseSeconds: number;
  maxAttempts: number;
  idempotencyTtlSeconds: number;
}

/**
 * What the writer thread and the inline writer share: the handlers over the writer's clock, the group committer,
 * and the lease reaper's schedule, wired so that a reap commits like any write and its changes reach listeners.
 */
export function createWriterCore(db: Connection, options: WriterCoreOptions, sink: WriterCoreSink) {
  const clock = new WriterClock();
  // Every command passes the gate (idempotency keys, ownership) around its handler.
  const handlers = createWriteGate(
    db,
    createWriteHandlers(db, {
      enableHistory: options.enableHistory,
      leaseSeconds: options.leaseSeconds,
      maxAttempts: options.maxAttempts,
      clock,
    }),
    { idempotencyTtlSeconds: options.idempotencyTtlSeconds, now: () => clock.now() },
  );
  const committer: GroupCommitter = new GroupCommitter(db, handlers, options.batchMax, {
    replies(replies, stats) {
      const answered: AnsweredReply[] = [];
      let reaped: { more: boolean } | undefined;
      for (const r of replies) {
        if (r.reaped) reaped = r.reaped;
        if (r.id !== null) answered.push(r as AnsweredReply);
        else if (r.ok && r.changes.tasks.length > 0) sink.event(r.changes, r.counts);
      }
      sink.replies(answered, stats);
      // The batch's new leases, taken even when a reap ran so that the next batch starts from none.
      const earliestLease = handlers.takeEarliestLease();
      if (reaped) reaper.afterReap(reaped.more);
      else reaper.afterBatch(earliestLease);
    },
    ...(sink.crash ? { crash: sink.crash } : {}),
  });
  const reaper = new ReaperSchedule(
    clock,
    () => handlers.nextLeaseExpiry(),
    () => committer.enqueue({ kind: 'reap', id: null }),
  );
  reaper.afterBatch();

  return {
    committer,
    /**
     * Fault injection (tests): moves the clock, then reaps at once; the reap's reply answers request `id` with
     * the clock's new time, carrying what the reap changed.
     */
    moveClock(id: number, move: { setMs?: number | undefined; advanceMs?: number | undefined }): void {
      const ms = clock.move(move);
      committer.enqueue({ kind: 'reap', id, value: ms });
    },
    /** Stops the reaper's timer (shutdown); queued writes still run on `committer.drain()`. */
    stop(): void {
      reaper.stop();
    },
  };
}
