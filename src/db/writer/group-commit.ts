import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { toPlainError, type PlainError } from '../../domain/errors.js';
import type { ChangeSet } from '../../domain/types.js';
import { BUSY_TIMEOUT_MS, JOURNAL_SIZE_LIMIT_BYTES, type Connection } from '../connection.js';
import type { BatchStats, CoordinationCounts, WriteCommand } from '../protocol.js';
import { isStorageFailure, storageUnavailable, storageUnavailableBecause } from '../storage.js';
import type { WriteHandlers } from './handlers.js';
import { StorageState } from './storage-state.js';

/**
 * A write from a caller, the lease reaper (answered to `id` when a caller asked for it, e.g. after moving the
 * test clock; otherwise its reply has a null id and reports changes only), or fault injection.
 */
export type QueuedItem =
  | { kind: 'write'; id: number; command: WriteCommand }
  | { kind: 'reap'; id: number | null; value?: unknown }
  | { kind: 'crash' };

export type WriteReply =
  | {
      id: number | null;
      ok: true;
      value: unknown;
      changes: ChangeSet;
      counts: Partial<CoordinationCounts>;
      /** Answered from the command's idempotency key; nothing was written. */
      replayed?: true;
      /** Set on the reply of a reap: whether expired leases were left for the next run. */
      reaped?: { more: boolean };
    }
  | { id: number | null; ok: false; error: PlainError; reaped?: { more: boolean } };

export interface GroupCommitSink {
  /** Called once per batch, after COMMIT (or after the batch failed as a whole), with every write's reply. */
  replies(replies: WriteReply[], stats: BatchStats): void;
  /** Called when a `crash` item is reached, inside the open transaction. Must not return (fault injection). */
  crash?(): never;
}

/**
 * Group commit: writes queue up; a flush (on setImmediate, so everything that arrived in the same turn of the
 * event loop shares it) takes up to `batchMax` of them and runs them in ONE `BEGIN IMMEDIATE` transaction,
 * each inside its own SAVEPOINT so that a failing command rolls back alone. Callers are answered only after
 * COMMIT: an acknowledged write is durable (in WAL, synchronous=NORMAL) and visible to every later read.
 */
export class GroupCommitter {
  private readonly queue: QueuedItem[] = [];
  private scheduled = false;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;
  private readonly totalChanges;
  /**
   * Why the storage refused the last batch or checkpoint (disk full, read-only file system, I/O error), until a
   * write lands again. While failed, `verifyWritable` proves writability with a real commit instead of trusting an
   * empty one.
   */
  private readonly storage: StorageState;

  constructor(
    private readonly db: Connection,
    private readonly handlers: WriteHandlers,
    private readonly batchMax: number,
    private readonly sink: GroupCommitSink,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT cmd');
    this.release = db.prepare('RELEASE cmd');
    this.rollbackTo = db.prepare('ROLLBACK TO cmd');
    this.totalChanges = db.prepare('SELECT total_changes()').pluck();
    this.storage = new StorageState(db.name);
  }

  /** Null while writes can be stored; otherwise what went wrong with the last attempt. */
  get storageError(): string | null {
    return this.storage.error;
  }

  /**
   * The storage refused something outside a batch (a checkpoint: the WAL cannot be copied back into the database
   * file). Anything else is ignored here.
   */
  noteStorageFailure(err: unknown): void {
    if (isStorageFailure(err)) this.storage.failed(err);
  }

  /**
   * The health check: takes the write lock in an empty transaction. After a storage failure it commits a real
   * (content-neutral) change instead — rewriting `user_version` with its own value dirties the header page — so
   * readiness comes back by itself as soon as a write can be stored again, and stays failed while none can. A full
   * disk also needs free space again (see StorageState): a one-page commit fits in WAL space left by the failed
   * write. Throws STORAGE_UNAVAILABLE while the storage still refuses writes.
   */
  verifyWritable(): void {
    if (this.storage.error === null) {
      this.begin.run();
      this.rollback.run();
      return;
    }
    const stillFull = this.storage.stillFull();
    if (stillFull !== null) throw storageUnavailableBecause(stillFull);
    try {
      this.begin.run();
      const version = this.db.pragma('user_version', { simple: true }) as number;
      this.db.pragma(`user_version = ${version}`);
      this.commit.run();
      this.storage.succeeded();
    } catch (err) {
      if (this.db.inTransaction) this.rollbackQuietly();
      if (isStorageFailure(err)) this.storage.failed(err);
      throw storageUnavailable(err);
    }
    const failure = this.storage.error;
    if (failure !== null) throw storageUnavailableBecause(failure);
  }

  private rollbackQuietly(): void {
    try {
      this.rollback.run();
    } catch {
      // The connection already rolled back (e.g. SQLITE_FULL aborts the transaction itself).
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(item: QueuedItem): void {
    this.queue.push(item);
    this.schedule();
  }

  /** One batch per turn of the event loop, so pings and shutdown get in between batches under load. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.runBatch();
      if (this.queue.length > 0) this.schedule();
    });
  }

  /** Runs every queued write now, batch after batch (shutdown). */
  drain(): void {
    while (this.queue.length > 0) this.runBatch();
  }

  private runBatch(): void {
    const items = this.queue.splice(0, this.batchMax);
    if (items.length === 0) return;
    const started = performance.now();
    const replies: WriteReply[] = [];
    const changesBefore = this.totalChanges.get() as number;
    try {
      this.begin.run();
      this.handlers.housekeeping?.();
      for (const item of items) {
        if (item.kind === 'crash') {
          if (this.sink.crash) this.sink.crash();
          continue;
        }
        this.savepoint.run();
        try {
          if (item.kind === 'reap') {
            const out = this.handlers.reap();
            this.release.run();
            const more = (out.value as { more: boolean }).more;
            replies.push({ ...out, id: item.id, ok: true, value: item.value ?? out.value, reaped: { more } });
          } else {
            const out = this.handlers.execute(item.command);
            this.release.run();
            replies.push({ ...out, id: item.id, ok: true });
          }
        } catch (err) {
          // The storage refused the write: the transaction may already be gone; the whole batch fails below.
          if (isStorageFailure(err)) throw err;
          this.rollbackTo.run();
          this.release.run();
          replies.push({
            id: item.id,
            ok: false,
            error: toPlainError(err),
            ...(item.kind === 'reap' ? { reaped: { more: false } } : {}),
          });
        }
      }
      this.commit.run();
      // Only a commit that stored rows proves the storage takes writes again: an empty one (a reap that found
      // nothing, a write that changed nothing) appends nothing and succeeds even on a full disk.
      if ((this.totalChanges.get() as number) !== changesBefore) this.storage.succeeded();
    } catch (err) {
      if (this.db.inTransaction) this.rollbackQuietly();
      let error: PlainError;
      if (isStorageFailure(err)) {
        this.storage.failed(err);
        error = storageUnavailable(err).toPlain();
      } else {
        const plain = toPlainError(err);
        error = {
          code: 'INTERNAL',
          message: `The batch this write belonged to could not be committed; nothing of it was written. Retry. (${plain.message})`,
        };
      }
      replies.length = 0;
      for (const item of items) {
        if (item.kind === 'write') replies.push({ id: item.id, ok: false, error });
        if (item.kind === 'reap') replies.push({ id: item.id, ok: false, error, reaped: { more: false } });
      }
    }
    const writes = items.filter((i) => i.kind !== 'crash').length;
    this.sink.replies(replies, { size: writes, durationMs: performance.now() - started });
  }
}

/**
 * When the writer checkpoints. Automatic checkpoints are off (wal_autocheckpoint = 0); after batches the writer
 * runs a PASSIVE checkpoint once `everyWrites` (200) writes have accumulated and at least `minGapMs` (250 ms) have
 * passed since the last one, or once `everyMs` (10 s) have passed with any write. A checkpoint runs on the writer
 * thread, so every write that arrives meanwhile waits for it, and it lasts as long as the pages it copies back:
 * small, frequent checkpoints keep that wait short (at 1,000 agents × 1 call/s the write p99 fell from 150–190 ms
 * with one checkpoint per 2,000 writes to ~40 ms; docs/performance.md, "Checkpoints and the write tail"), while the
 * gap bounds their number when writes pour in back to back (at most four a second, each copying back a busy page
 * once for all the writes of its quarter second). PASSIVE never waits for readers, so under constant overlapping
 * reads the WAL could keep growing; once the file passes `walLimitBytes` the writer runs a RESTART checkpoint,
 * which waits for the readers of the moment (reads are short) so the next write starts the WAL from its beginning
 * and `journal_size_limit` truncates the file.
 */
export class CheckpointPolicy {
  private writesSince = 0;
  private lastAt: number;
  /** The last checkpoint's mode and SQLite's answer (WAL frames, frames copied back), for logs and tests. */
  lastResult: (CheckpointResult & { mode: CheckpointMode }) | null = null;

  constructor(
    private readonly db: Connection,
    private readonly options: {
      everyWrites?: number;
      minGapMs?: number;
      everyMs?: number;
      walPath?: string;
      walLimitBytes?: number;
      /** Told of every checkpoint that throws (before it is rethrown): the writer counts storage failures. */
      onError?: (err: unknown) => void;
      /** The clock (milliseconds); tests move it instead of waiting. */
      now?: () => number;
    } = {},
  ) {
    this.lastAt = this.now();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  afterBatch(writes: number): void {
    this.writesSince += writes;
    if (this.writesSince === 0) return;
    const { everyWrites = 200, minGapMs = 250, everyMs = 10_000 } = this.options;
    const since = this.now() - this.lastAt;
    const due = (this.writesSince >= everyWrites && since >= minGapMs) || since >= everyMs;
    if (!due) return;
    this.run('PASSIVE');
    const { walPath, walLimitBytes = JOURNAL_SIZE_LIMIT_BYTES } = this.options;
    if (walPath && walFileSize(walPath) > walLimitBytes) {
      // Wait for readers only briefly: a long read (a backup) must not stall every write behind it.
      this.db.pragma(`busy_timeout = ${RESTART_WAIT_MS}`);
      try {
        this.run('RESTART');
      } finally {
        this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      }
    }
  }

  run(mode: CheckpointMode): CheckpointResult {
    let rows: CheckpointResult[];
    try {
      rows = this.db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[];
    } catch (err) {
      this.options.onError?.(err);
      throw err;
    }
    this.writesSince = 0;
    this.lastAt = this.now();
    const result = rows[0] ?? { busy: 0, log: 0, checkpointed: 0 };
    this.lastResult = { ...result, mode };
    return result;
  }
}

const RESTART_WAIT_MS = 100;

export type CheckpointMode = 'PASSIVE' | 'RESTART' | 'TRUNCATE';
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

function walFileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
