/**
 * A PostgreSQL connection with better-sqlite3's synchronous interface, so that the writer's handlers, the write
 * gate, the group committer and the read queries run unchanged on either backend (one set of domain rules).
 *
 * The calling thread (the writer thread, a reader thread) posts each statement to its own I/O thread (io.ts, which
 * owns the `pg` client) and blocks on a shared flag until the answer is there (`Atomics.wait`, then
 * `receiveMessageOnPort`). A thread that blocks per statement is what the writer is anyway: it serializes writes,
 * one statement after the other, and the group commit puts many writes in one PostgreSQL transaction.
 *
 * Implemented: prepare → get / all / run / pluck, exec, transaction (callable, .deferred, .immediate; nested calls
 * become savepoints), inTransaction, pragma (SQLite's settings mean nothing here: answers as an empty database
 * would), close. `SELECT total_changes()` is answered from the rows this connection changed.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { errors, TaskBoardError } from '../../domain/errors.js';
import type { Connection } from '../connection.js';
import { bindValues, toPostgres, type PgStatement } from './dialect.js';

/** How long a statement may take before the blocked thread gives up (the server cancels it at the same time). */
const STATEMENT_TIMEOUT_MS = 30_000;
const ANSWER_GRACE_MS = 5_000;

/** A statement for the I/O thread (io-thread.mjs), and its answer. */
interface IoRequest {
  sql: string;
  values: unknown[];
  rowMode?: 'array';
}
type IoResponse =
  { ok: true; rows: unknown[]; rowCount: number } | { ok: false; error: { message: string; code?: string } };

/** PostgreSQL SQLSTATEs that mean "try again" rather than "this write is wrong". */
const RETRYABLE = new Set(['40001', '40P01', '55P03', '57014', '57P01', '08000', '08003', '08006']);

export interface PgConnectionOptions {
  /** Shown in pg_stat_activity: which front and thread holds the connection. */
  applicationName: string;
  trace?: ((sql: string) => void) | undefined;
}

export class PgSyncConnection {
  private readonly statements = new Map<string, PgStatement>();
  private depth = 0;
  private changed = 0;
  private closed = false;
  readonly open = true;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly flag: Int32Array,
    private readonly options: PgConnectionOptions,
  ) {}

  /**
   * Starts the I/O thread and waits (without blocking) until it has connected: a thread starting up may need its
   * parent's event loop (module loading), so only answers to statements are waited for by blocking.
   */
  static async open(url: string, options: PgConnectionOptions): Promise<PgSyncConnection> {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL('./io-thread.mjs', import.meta.url), {
      workerData: {
        url,
        port: port2,
        flag,
        applicationName: options.applicationName,
        statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      },
      transferList: [port2],
      execArgv: [],
    });
    const ready = await new Promise<{ ready: boolean; message?: string }>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', (err) => resolve({ ready: false, message: err.message }));
      worker.once('exit', (code) => resolve({ ready: false, message: `I/O thread exited (${code})` }));
    });
    if (!ready.ready) {
      void worker.terminate();
      throw errors.unavailable(`Cannot connect to PostgreSQL: ${ready.message ?? 'no answer'}.`);
    }
    worker.unref();
    return new PgSyncConnection(worker, port1, flag, options);
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /** Blocks until the I/O thread's next answer. */
  private receive(): unknown {
    const deadline = Date.now() + STATEMENT_TIMEOUT_MS + ANSWER_GRACE_MS;
    for (;;) {
      const msg = receiveMessageOnPort(this.port);
      if (msg) {
        Atomics.store(this.flag, 0, 0);
        return msg.message;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw errors.unavailable('PostgreSQL did not answer in time. Retry.');
      Atomics.wait(this.flag, 0, 0, left);
    }
  }

  /** Runs one statement and blocks for its answer. */
  query(sql: string, values: unknown[], rowMode?: 'array'): { rows: unknown[]; rowCount: number } {
    if (this.closed) throw errors.unavailable('The PostgreSQL connection is closed.');
    this.options.trace?.(sql);
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ sql, values, ...(rowMode ? { rowMode } : {}) } satisfies IoRequest);
    const res = this.receive() as IoResponse;
    if (!res.ok) throw pgError(res.error);
    return res;
  }

  private statement(sql: string): PgStatement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = toPostgres(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  prepare(sql: string): PgPrepared {
    return new PgPrepared(this, this.statement(sql), /^\s*SELECT\s+total_changes\(\)\s*$/i.test(sql));
  }

  /** Runs a statement for a prepared one, keeping transaction depth and the change count in step. */
  execute(stmt: PgStatement, args: unknown[], rowMode?: 'array') {
    const text = stmt.text.trim().toUpperCase();
    const result = this.query(stmt.text, bindValues(stmt, args), rowMode);
    if (text === 'BEGIN' || text.startsWith('BEGIN ')) this.depth = 1;
    else if (text === 'COMMIT' || text === 'ROLLBACK') this.depth = 0;
    else if (/^(INSERT|UPDATE|DELETE)\b/.test(text)) this.changed += result.rowCount;
    return result;
  }

  get totalChanges(): number {
    return this.changed;
  }

  exec(sql: string): this {
    this.query(sql, []);
    return this;
  }

  /** SQLite settings (busy_timeout, wal_checkpoint, user_version, ...) have no PostgreSQL meaning. */
  pragma(source: string, options?: { simple?: boolean }): unknown {
    if (/^\s*wal_checkpoint/i.test(source)) return [{ busy: 0, log: 0, checkpointed: 0 }];
    return options?.simple ? 0 : [];
  }

  /** better-sqlite3's transaction(): BEGIN/COMMIT at the outside, a SAVEPOINT inside an open transaction. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R) {
    const run =
      (begin: string) =>
      (...args: A): R => {
        if (this.depth > 0) {
          const name = `tx${this.depth}`;
          this.query(`SAVEPOINT ${name}`, []);
          this.depth += 1;
          try {
            const value = fn(...args);
            this.query(`RELEASE ${name}`, []);
            return value;
          } catch (err) {
            this.query(`ROLLBACK TO ${name}`, []);
            this.query(`RELEASE ${name}`, []);
            throw err;
          } finally {
            this.depth -= 1;
          }
        }
        this.query(begin, []);
        this.depth = 1;
        try {
          const value = fn(...args);
          this.query('COMMIT', []);
          return value;
        } catch (err) {
          try {
            this.query('ROLLBACK', []);
          } catch {
            // The connection is gone; the server rolled the transaction back itself.
          }
          throw err;
        } finally {
          this.depth = 0;
        }
      };
    return Object.assign(run('BEGIN'), {
      deferred: run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
      immediate: run('BEGIN'),
      exclusive: run('BEGIN'),
    });
  }

  /** SQL functions registered by SQLite migrations; PostgreSQL's migrations define their own. */
  function(): this {
    return this;
  }

  close(): this {
    if (this.closed) return this;
    try {
      Atomics.store(this.flag, 0, 0);
      this.port.postMessage({ close: true });
      this.receive();
    } catch {
      // Closing anyway.
    }
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
    return this;
  }
}

class PgPrepared {
  private plucking = false;

  constructor(
    private readonly conn: PgSyncConnection,
    private readonly stmt: PgStatement,
    private readonly totalChanges: boolean,
  ) {}

  pluck(on = true): this {
    this.plucking = on;
    return this;
  }

  get(...args: unknown[]): unknown {
    if (this.totalChanges) return this.conn.totalChanges;
    return this.all(...args)[0];
  }

  all(...args: unknown[]): unknown[] {
    const { rows } = this.conn.execute(this.stmt, args, this.plucking ? 'array' : undefined);
    return this.plucking ? rows.map((r) => (r as unknown[])[0]) : rows;
  }

  run(...args: unknown[]): { changes: number; lastInsertRowid: number } {
    const result = this.conn.execute(this.stmt, args);
    const first = result.rows[0] as { id?: number } | undefined;
    return {
      changes: result.rowCount,
      lastInsertRowid: this.stmt.returnsId && first?.id !== undefined ? first.id : 0,
    };
  }
}

function pgError(e: { message: string; code?: string }): TaskBoardError {
  if (e.code && RETRYABLE.has(e.code))
    return errors.unavailable(
      `The database could not finish this write now (PostgreSQL ${e.code}: ${e.message}); nothing of it was written. Retry.`,
    );
  if (
    e.code?.startsWith('08') ||
    (e.code === undefined && /connect|terminat|ECONN|closed|timeout/i.test(e.message))
  )
    return errors.unavailable(`The PostgreSQL connection failed: ${e.message}. Retry.`);
  return new TaskBoardError('INTERNAL', `Internal error: PostgreSQL ${e.code ?? ''}: ${e.message}`);
}

/**
 * Opens a synchronous PostgreSQL connection typed as the SQLite `Connection` the handlers and queries take. Only
 * the part of better-sqlite3's interface listed at the top of this file exists; that is all the domain code uses.
 */
export async function openPgConnection(url: string, options: PgConnectionOptions): Promise<Connection> {
  return (await PgSyncConnection.open(url, options)) as unknown as Connection;
}
