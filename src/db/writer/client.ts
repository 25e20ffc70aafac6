import { Worker } from 'node:worker_threads';
import { errors, TaskBoardError } from '../../domain/errors.js';
import type { ChangeSet } from '../../domain/types.js';
import { optimize, type Connection } from '../connection.js';
import { openWriterDb } from '../open.js';
import type {
  BatchStats,
  CoordinationCounts,
  WriteCommand,
  WriterOptions,
  WriterRequest,
  WriterResponse,
} from '../protocol.js';
import { workerExecArgv, workerModule, type WorkerModule } from '../worker-url.js';
import { DataVersionWatch } from './data-version.js';
import { createWriterCore, type AnsweredReply } from './core.js';
import { CheckpointPolicy, type GroupCommitter } from './group-commit.js';

export interface WriteAnswer {
  value: unknown;
  changes: ChangeSet;
  counts: Partial<CoordinationCounts>;
  /** Answered from the write's idempotency key; nothing was written. */
  replayed?: true;
}

export type CheckpointResult = { busy: number; log: number; checkpointed: number };

export interface WriterEvents {
  batch(stats: BatchStats): void;
  /** Another process committed to the database file (reported only while watching). */
  external?(): void;
  /** Changes the writer made by itself (the lease reaper). */
  event(changes: ChangeSet, counts: Partial<CoordinationCounts>): void;
  log(
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error',
    msg: string,
    data?: Record<string, unknown>,
  ): void;
}

/** What the board needs from a writer, threaded or inline. */
export interface Writer {
  start(): Promise<number>;
  write(command: WriteCommand): Promise<WriteAnswer>;
  /** A real (empty) write transaction. */
  ping(): Promise<void>;
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): Promise<CheckpointResult>;
  /** Check for other processes' commits every `intervalMs` (0 stops); each is reported as `events.external`. */
  watchForeignCommits(intervalMs: number): void;
  /** Fault injection: kill the writer in the middle of the next batch. */
  crash(): Promise<void>;
  /** Fault injection: move the writer's clock, then reap expired leases; answers the new time and the reap's changes. */
  setClock(move: { setMs?: number; advanceMs?: number }): Promise<WriteAnswer>;
  close(): Promise<void>;
  readonly writesInFlight: number;
  readonly writesOverloaded: number;
  readonly restarts: number;
}

export interface WriterClientOptions extends WriterOptions {
  /** Writes sent and not yet answered, at most; past it a write fails at once with OVERLOADED. */
  queueLimit: number;
}

interface Pending {
  write: boolean;
  resolve(answer: WriteAnswer): void;
  reject(err: TaskBoardError): void;
}

const RESTART_BACKOFF_MIN_MS = 20;
const RESTART_BACKOFF_MAX_MS = 5_000;
const STABLE_AFTER_MS = 10_000;

/**
 * The main thread's handle on the writer thread. Requests issued in the same turn of the event loop go out as
 * one `bundle` message (so they share a batch). If the thread dies, every request it had not answered is
 * rejected with UNAVAILABLE (its open transaction is rolled back by SQLite), the thread is restarted with a
 * bounded back-off, and writes issued meanwhile wait for it (within the queue limit).
 */
export class WriterClient implements Writer {
  private worker: Worker | null = null;
  private state: 'new' | 'starting' | 'ready' | 'restarting' | 'closing' | 'closed' = 'new';
  private everReady = false;
  private readyAt = 0;
  private nextId = 1;
  /** Requests sent to the current thread. */
  private readonly sent = new Map<number, Pending>();
  /** Requests not sent yet: waiting for the end of this turn, or for the thread to (re)start. */
  private outbox: WriterRequest[] = [];
  private readonly unsent = new Map<number, Pending>();
  private flushQueued = false;
  private backoffMs = RESTART_BACKOFF_MIN_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  /** The watch interval asked for; a restarted thread gets it again. */
  private watchMs = 0;
  writesInFlight = 0;
  writesOverloaded = 0;
  restarts = 0;

  constructor(
    private readonly options: WriterClientOptions,
    private readonly events: WriterEvents,
    private readonly module: WorkerModule = workerModule('./thread', import.meta.url),
  ) {}

  start(): Promise<number> {
    return this.spawn();
  }

  private spawn(): Promise<number> {
    this.state = 'starting';
    const { queueLimit: _limit, ...workerData } = this.options;
    const worker = new Worker(this.module.url, { workerData, execArgv: workerExecArgv() });
    this.worker = worker;
    return new Promise<number>((resolve, reject) => {
      let ready = false;
      let fatal: TaskBoardError | null = null;
      let failure = '';
      const onMessage = (msg: WriterResponse): void => {
        switch (msg.kind) {
          case 'bundle':
            for (const m of msg.responses) onMessage(m);
            return;
          case 'ready':
            ready = true;
            this.everReady = true;
            this.readyAt = Date.now();
            if (this.state === 'starting') this.state = 'ready';
            if (this.watchMs > 0)
              worker.postMessage({ kind: 'watch', intervalMs: this.watchMs } satisfies WriterRequest);
            this.flush();
            resolve(msg.schemaVersion);
            return;
          case 'fatal':
            fatal = TaskBoardError.fromPlain(msg.error);
            this.events.log('error', 'writer thread could not start', { error: msg.error.message });
            return;
          case 'ok':
            this.settle(msg.id, (p) =>
              p.resolve({
                value: msg.value,
                changes: msg.changes ?? EMPTY_CHANGES,
                counts: msg.counts ?? {},
                ...(msg.replayed ? { replayed: true as const } : {}),
              }),
            );
            return;
          case 'event':
            this.events.event(msg.changes, msg.counts);
            return;
          case 'error':
            this.settle(msg.id, (p) => p.reject(TaskBoardError.fromPlain(msg.error)));
            return;
          case 'batch':
            this.events.batch(msg.stats);
            return;
          case 'external':
            this.events.external?.();
            return;
          case 'log':
            this.events.log(msg.level, msg.msg, msg.data);
            return;
        }
      };
      worker.on('message', onMessage);
      worker.on('error', (err) => {
        failure = `: ${err.message}`;
        this.events.log('error', 'writer thread failed', { error: err.message });
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = null;
        if (!ready)
          reject(
            fatal ??
              errors.unavailable(`The writer thread exited (code ${code}) before it was ready${failure}.`),
          );
        this.onExit(code, fatal, ready);
      });
    });
  }

  private onExit(code: number, fatal: TaskBoardError | null, wasReady: boolean): void {
    const lost = errors.unavailable(
      'The database writer thread stopped before this write was answered; nothing of its unfinished batch was committed. Retry.',
    );
    for (const [id, p] of this.sent) {
      this.sent.delete(id);
      if (p.write) this.writesInFlight -= 1;
      p.reject(lost);
    }
    if (this.state === 'closing' || this.state === 'closed') return;
    if (!this.everReady) {
      // The first start failed (e.g. a database newer than this code): createBoard reports it; nothing to restart.
      this.state = 'closed';
      this.rejectUnsent(fatal ?? lost);
      return;
    }
    // A restart that failed does not keep the writes waiting for it: they fail now, the next attempt comes later.
    if (!wasReady)
      this.rejectUnsent(
        fatal ??
          errors.unavailable(
            'The database writer thread could not be restarted yet; nothing was written. Retry.',
          ),
      );
    // A thread that stayed up for a while starts the back-off afresh; one that keeps dying backs off further.
    if (wasReady && Date.now() - this.readyAt >= STABLE_AFTER_MS) this.backoffMs = RESTART_BACKOFF_MIN_MS;
    this.state = 'restarting';
    this.restarts += 1;
    this.events.log('warn', 'writer thread exited; restarting', { code, restartInMs: this.backoffMs });
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RESTART_BACKOFF_MAX_MS);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.state !== 'restarting') return;
      this.spawn().catch((err: unknown) => {
        this.events.log('error', 'writer thread restart failed', { error: (err as Error).message });
      });
    }, delay);
  }

  private rejectUnsent(err: TaskBoardError): void {
    this.outbox = [];
    for (const [id, p] of this.unsent) {
      this.unsent.delete(id);
      if (p.write) this.writesInFlight -= 1;
      p.reject(err);
    }
  }

  private settle(id: number, fn: (p: Pending) => void): void {
    const p = this.sent.get(id);
    if (!p) return;
    this.sent.delete(id);
    if (p.write) this.writesInFlight -= 1;
    fn(p);
  }

  private request(
    make: (id: number) => WriterRequest,
    write: boolean,
    allowWhileClosing = false,
  ): Promise<WriteAnswer> {
    if (this.state === 'closed' || (this.state === 'closing' && !allowWhileClosing)) {
      return Promise.reject(errors.unavailable('The task board is shutting down; nothing was written.'));
    }
    if (write && this.writesInFlight >= this.options.queueLimit) {
      this.writesOverloaded += 1;
      return Promise.reject(errors.overloaded(this.options.queueLimit));
    }
    const id = this.nextId++;
    return new Promise<WriteAnswer>((resolve, reject) => {
      this.unsent.set(id, { write, resolve, reject });
      if (write) this.writesInFlight += 1;
      this.outbox.push(make(id));
      if (!this.flushQueued) {
        this.flushQueued = true;
        // setImmediate, not a microtask: uWS delivers each HTTP request in its own callback, so a microtask
        // would post one message per write; after the poll phase, every write of that turn goes in one bundle.
        setImmediate(() => {
          this.flushQueued = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const worker = this.worker;
    if (!worker || (this.state !== 'ready' && this.state !== 'closing') || this.outbox.length === 0) return;
    const requests = this.outbox;
    this.outbox = [];
    for (const req of requests) {
      const id = (req as { id: number }).id;
      const p = this.unsent.get(id);
      if (!p) continue;
      this.unsent.delete(id);
      this.sent.set(id, p);
    }
    worker.postMessage(
      requests.length === 1 ? requests[0] : ({ kind: 'bundle', requests } satisfies WriterRequest),
    );
  }

  async write(command: WriteCommand): Promise<WriteAnswer> {
    return this.request((id) => ({ kind: 'write', id, command }), true);
  }

  async ping(): Promise<void> {
    await this.request((id) => ({ kind: 'ping', id }), false);
  }

  async checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): Promise<CheckpointResult> {
    return (await this.request((id) => ({ kind: 'checkpoint', id, mode }), false)).value as CheckpointResult;
  }

  watchForeignCommits(intervalMs: number): void {
    this.watchMs = intervalMs;
    if (this.worker && this.state === 'ready')
      this.worker.postMessage({ kind: 'watch', intervalMs } satisfies WriterRequest);
  }

  async crash(): Promise<void> {
    if (!this.options.allowFaultInjection)
      throw errors.featureDisabled('Fault injection is not enabled on this board.');
    // Never answered: the thread exits instead, and onExit rejects it like every other unanswered request.
    await this.request((id) => ({ kind: 'crash', id }), false).catch(() => undefined);
  }

  async setClock(move: { setMs?: number; advanceMs?: number }): Promise<WriteAnswer> {
    if (!this.options.allowFaultInjection)
      throw errors.featureDisabled('Fault injection is not enabled on this board.');
    return this.request((id) => ({ kind: 'clock', id, ...move }), false);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const wasReady = this.state === 'ready';
    this.state = 'closing';
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    const worker = this.worker;
    if (wasReady && worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      try {
        // Queued behind every write already issued: the thread drains them, checkpoints (TRUNCATE) and closes.
        await this.request((id) => ({ kind: 'shutdown', id }), false, true);
      } catch (err) {
        this.events.log('warn', 'writer shutdown failed', { error: (err as Error).message });
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000).unref())]);
      if (this.worker) await this.worker.terminate();
    } else if (worker) {
      await worker.terminate();
    }
    this.rejectUnsent(errors.unavailable('The task board is shutting down; nothing was written.'));
    this.state = 'closed';
  }
}

const EMPTY_CHANGES: ChangeSet = { tasks: [], agents: [], queues: [] };

/**
 * The same handlers and group committer on the main thread: no worker threads at all. Used to compare designs
 * (bench/db.ts) and for embedding where threads are unwanted. The event loop blocks while a batch runs.
 */
export class InlineWriter implements Writer {
  private db: Connection | null = null;
  private committer: GroupCommitter | null = null;
  private core: ReturnType<typeof createWriterCore> | null = null;
  private checkpoints: CheckpointPolicy | null = null;
  private foreignCommits: DataVersionWatch | null = null;
  private readonly waiting = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  writesInFlight = 0;
  writesOverloaded = 0;
  readonly restarts = 0;

  constructor(
    private readonly options: WriterClientOptions,
    private readonly events: WriterEvents,
  ) {}

  async start(): Promise<number> {
    const { db, schemaVersion: version } = await openWriterDb(
      this.options,
      this.options.traceSql ? (sql) => this.events.log('trace', 'sql', { sql, thread: 'main' }) : undefined,
    );
    this.db = db;
    if (!this.options.databaseUrl)
      this.foreignCommits = new DataVersionWatch(
        db,
        () => this.events.external?.(),
        (err) => this.events.log('warn', 'data_version check failed', { error: (err as Error).message }),
      );
    const checkpoints = new CheckpointPolicy(db, { walPath: `${this.options.dbPath}-wal` });
    this.checkpoints = checkpoints;
    this.core = createWriterCore(db, this.options, {
      event: (changes, counts) => this.events.event(changes, counts),
      replies: (replies: AnsweredReply[], stats) => {
        this.events.batch(stats);
        for (const r of replies) {
          const p = this.waiting.get(r.id);
          if (!p) continue;
          this.waiting.delete(r.id);
          if (p.write) this.writesInFlight -= 1;
          if (r.ok)
            p.resolve({
              value: r.value,
              changes: r.changes,
              counts: r.counts,
              ...(r.replayed ? { replayed: true as const } : {}),
            });
          else p.reject(TaskBoardError.fromPlain(r.error));
        }
        try {
          checkpoints.afterBatch(stats.size);
        } catch (err) {
          this.events.log('warn', 'passive checkpoint failed', { error: (err as Error).message });
        }
      },
    });
    this.committer = this.core.committer;
    return version;
  }

  write(command: WriteCommand): Promise<WriteAnswer> {
    if (this.closed || !this.committer)
      return Promise.reject(errors.unavailable('The task board is shutting down; nothing was written.'));
    if (this.writesInFlight >= this.options.queueLimit) {
      this.writesOverloaded += 1;
      return Promise.reject(errors.overloaded(this.options.queueLimit));
    }
    const id = this.nextId++;
    const committer = this.committer;
    return new Promise<WriteAnswer>((resolve, reject) => {
      this.waiting.set(id, { write: true, resolve, reject });
      this.writesInFlight += 1;
      committer.enqueue({ kind: 'write', id, command });
    });
  }

  async ping(): Promise<void> {
    if (this.closed || !this.committer) throw errors.unavailable('The task board is shut down.');
    this.committer.verifyWritable();
  }

  async checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): Promise<CheckpointResult> {
    if (this.closed || !this.checkpoints) throw errors.unavailable('The task board is shut down.');
    return this.checkpoints.run(mode);
  }

  watchForeignCommits(intervalMs: number): void {
    if (!this.closed) this.foreignCommits?.set(intervalMs);
  }

  async crash(): Promise<void> {
    throw errors.featureDisabled('Inline mode has no writer thread to crash.');
  }

  setClock(move: { setMs?: number; advanceMs?: number }): Promise<WriteAnswer> {
    if (!this.options.allowFaultInjection)
      return Promise.reject(errors.featureDisabled('Fault injection is not enabled on this board.'));
    const core = this.core;
    if (this.closed || !core) return Promise.reject(errors.unavailable('The task board is shut down.'));
    const id = this.nextId++;
    return new Promise<WriteAnswer>((resolve, reject) => {
      this.waiting.set(id, { write: false, resolve, reject });
      core.moveClock(id, move);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.foreignCommits?.stop();
    this.core?.stop();
    this.committer?.drain();
    if (this.db) {
      optimize(this.db, false);
      this.checkpoints?.run('TRUNCATE');
      this.db.close();
      this.db = null;
    }
  }
}
