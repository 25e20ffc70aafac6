import { Piscina } from 'piscina';
import { errors, TaskBoardError } from '../../domain/errors.js';
import { openReaderConnection, type Connection } from '../connection.js';
import { dialectOf, openReaderDb } from '../open.js';
import type {
  ReaderOptions,
  ReadOutcome,
  ReadQueries,
  ReadQuery,
  ReadQueryName,
  ReadTask,
} from '../protocol.js';
import { workerExecArgv, workerModule } from '../worker-url.js';
import { createReadQueries, type ReadQueryRunner } from './queries.js';

/** What the board needs from its readers, pooled or inline. */
export interface Readers {
  read<K extends ReadQueryName>(op: K, args: ReadQueries[K]['args']): Promise<ReadQueries[K]['result']>;
  readonly readsTotal: number;
  readonly threads: number;
  readonly utilization: number;
  readonly queueDepth: number;
  /** Resolves once every reader thread has opened its connection and answered (start-up waits for this). */
  warmUp(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function unwrap<T>(outcome: ReadOutcome): T {
  if (outcome.ok) return outcome.value as T;
  throw TaskBoardError.fromPlain(outcome.error);
}

interface PendingRead {
  query: ReadQuery;
  resolve(outcome: ReadOutcome): void;
  reject(err: Error): void;
}

/**
 * The piscina pool: `threads` reader threads, each with its own read-only connection. Reads issued in the same
 * turn of the event loop are sent together, spread over the threads (one piscina task per thread), so a burst
 * of reads costs a few thread round trips instead of one each.
 */
export class ReaderPool implements Readers {
  private readonly pool: Piscina<ReadTask, ReadOutcome | ReadOutcome[]>;
  private closed = false;
  private pending: PendingRead[] = [];
  readsTotal = 0;

  constructor(
    options: ReaderOptions,
    readonly threads: number,
  ) {
    const mod = workerModule('./worker', import.meta.url);
    this.pool = new Piscina<ReadTask, ReadOutcome | ReadOutcome[]>({
      filename: mod.url.href,
      execArgv: workerExecArgv(),
      workerData: options,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.MAX_SAFE_INTEGER,
    });
  }

  async warmUp(timeoutMs: number): Promise<void> {
    const barrier = { arrived: new Int32Array(new SharedArrayBuffer(4)), threads: this.threads, timeoutMs };
    const answers = await Promise.all(
      Array.from({ length: this.threads }, () => this.pool.run({ warmUp: barrier })),
    );
    const ids = new Set<unknown>();
    for (const answer of answers) ids.add(unwrap<number>(answer as ReadOutcome));
    if (ids.size !== this.threads) {
      throw errors.unavailable(`Only ${ids.size} of ${this.threads} reader threads answered at start-up.`);
    }
  }

  async read<K extends ReadQueryName>(
    op: K,
    args: ReadQueries[K]['args'],
  ): Promise<ReadQueries[K]['result']> {
    if (this.closed) throw errors.unavailable('The task board is shutting down; the read was not run.');
    this.readsTotal += 1;
    const outcome = await new Promise<ReadOutcome>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ query: { op, args } as ReadQuery, resolve, reject });
    });
    return unwrap(outcome);
  }

  private flush(): void {
    const reads = this.pending;
    this.pending = [];
    const groups = Math.min(this.threads, reads.length);
    const size = Math.ceil(reads.length / groups);
    for (let i = 0; i < reads.length; i += size) this.send(reads.slice(i, i + size));
  }

  private send(reads: PendingRead[]): void {
    const task: ReadTask =
      reads.length === 1 ? (reads[0] as PendingRead).query : { batch: reads.map((r) => r.query) };
    this.pool.run(task).then(
      (answer) => {
        const outcomes = Array.isArray(answer) ? answer : [answer];
        reads.forEach((r, i) =>
          r.resolve(
            outcomes[i] ?? {
              ok: false,
              error: { code: 'INTERNAL', message: 'Internal error: a read got no answer.' },
            },
          ),
        );
      },
      (err: unknown) => {
        const failure = errors.unavailable(`A reader thread failed: ${(err as Error).message}. Retry.`);
        for (const r of reads) r.reject(failure);
      },
    );
  }

  get utilization(): number {
    return this.pool.utilization;
  }

  get queueDepth(): number {
    return this.pool.queueSize;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }
}

/** Reads on the main thread over one read-only connection (inline mode). */
export class InlineReaders implements Readers {
  private runner: ReadQueryRunner | null = null;
  private db: Connection | null = null;
  private closed = false;
  readsTotal = 0;
  readonly threads = 0;
  readonly utilization = 0;
  readonly queueDepth = 0;

  /** SQLite's connection opens here, at once; PostgreSQL's (which needs its I/O thread) in `warmUp`. */
  constructor(private readonly options: ReaderOptions) {
    if (!options.databaseUrl) this.attach(openReaderConnection(options.dbPath));
  }

  private attach(db: Connection): void {
    this.db = db;
    this.runner = createReadQueries(db, dialectOf(this.options));
  }

  /** Proves the connection reads; like the pool's warm-up it is not counted as a read. */
  async warmUp(): Promise<void> {
    if (!this.runner && !this.closed && this.options.databaseUrl)
      this.attach(await openReaderDb(this.options));
    if (!this.runner) throw errors.unavailable('The task board is shutting down; the read was not run.');
    unwrap(this.runner.run({ op: 'ping', args: {} }));
  }

  async read<K extends ReadQueryName>(
    op: K,
    args: ReadQueries[K]['args'],
  ): Promise<ReadQueries[K]['result']> {
    if (this.closed || !this.runner)
      throw errors.unavailable('The task board is shutting down; the read was not run.');
    this.readsTotal += 1;
    return unwrap(this.runner.run({ op, args } as ReadQuery));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.runner = null;
    this.db?.close();
  }
}
