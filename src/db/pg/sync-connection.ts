/**
 * A PostgreSQL connection with better-sqlite3's synchronous interface (the `Connection` of src/db/connection.ts),
 * so that the writer's handlers, the write gate, the group committer and the read queries run unchanged on either
 * backend (one set of domain rules).
 *
 * The calling thread (the writer thread, a reader thread) sends statements to its own I/O thread (io-thread.mjs,
 * which owns the `pg` client) and blocks on a shared counter until the answer is there (`Atomics.wait`, then
 * `receiveMessageOnPort`). Every such round trip costs two thread hand-offs and a trip to the server, and on a
 * loaded machine each hand-off waits for a time slice, so statements whose answer nobody needs yet are not sent on
 * their own: they queue here and travel with the next statement whose answer is needed, all in one request (and
 * the I/O thread pipelines them to the server, one round trip). Queued are: BEGIN and SAVEPOINT, ROLLBACK TO, and
 * INSERT / UPDATE / DELETE run inside a transaction (their `changes` and `lastInsertRowid` are read lazily; reading
 * one sends the queue). Sent at once, and waited for: every read, a RELEASE behind queued writes (so a failing write
 * of a command is reported inside that command's savepoint, where the group committer rolls it back alone), COMMIT
 * and ROLLBACK, and every statement outside a transaction. The end (COMMIT, ROLLBACK) of a read-only transaction is sent without
 * waiting: the reader's snapshot ends as soon as the I/O thread gets to it, and its answer is collected before the
 * next request's. So a claim costs about four round trips instead of ten, a list read two instead of four. And every
 * statement from `prepare()` is kept prepared on the server by the I/O thread (parsed and planned once per
 * connection, not on every run): planning the claim and list queries was most of a request's server time.
 *
 * Order and visibility are those of the calls: a read sent with queued writes runs after them on the server.
 * A statement that fails inside a transaction aborts it, so the statements queued behind it fail too; the first
 * error is the one thrown. A ROLLBACK TO drops the statements queued since its savepoint instead of sending them.
 *
 * Implemented: prepare → get / all / run / pluck, exec, transaction (callable, .deferred, .immediate, .exclusive;
 * nested calls become savepoints), inTransaction, pragma (SQLite's settings mean nothing here: answers as an empty
 * database would), function (no-op), close. `SELECT total_changes()` is answered from the rows this connection
 * changed.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { errors, TaskBoardError } from '../../domain/errors.js';
import type {
  ArgumentsOf,
  Connection,
  RunResult,
  SqlStatement,
  SqlTransaction,
  TransactionFunction,
} from '../connection.js';
import { bindValues, toPostgres, type PgStatement } from './dialect.js';

/** How long a statement may take before the blocked thread gives up (the server cancels it at the same time). */
const STATEMENT_TIMEOUT_MS = 30_000;
const ANSWER_GRACE_MS = 5_000;

/** One statement for the I/O thread. */
export interface IoStatement {
  sql: string;
  values: unknown[];
  rowMode?: 'array';
  /** One statement from `prepare()`: the I/O thread keeps it prepared on the server (parsed and planned once). */
  prepared?: true;
}
/** A request to the I/O thread (io-thread.mjs); each is answered by exactly one IoResponse, in order. */
export type IoRequest = { kind: 'run'; statements: IoStatement[] } | { kind: 'close' };
export interface IoResult {
  rows: unknown[];
  rowCount: number;
}
/** The results of every statement of the request, or the first error (`index`: the statement that failed). */
export type IoResponse =
  { ok: true; results: IoResult[] } | { ok: false; index: number; error: { message: string; code?: string } };

/** PostgreSQL SQLSTATEs that mean "try again" rather than "this write is wrong". */
const RETRYABLE = new Set(['40001', '40P01', '55P03', '57014', '57P01', '08000', '08003', '08006']);

const READ_ONLY_BEGIN = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';
const EMPTY: IoResult = { rows: [], rowCount: 0 };

export interface PgConnectionOptions {
  /** Shown in pg_stat_activity: which front and thread holds the connection. */
  applicationName: string;
  trace?: ((sql: string) => void) | undefined;
}

/** What a statement does to the transaction or the data, read once from its text. */
type Kind = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo' | 'write' | 'other';

function kindOf(stmt: PgStatement): Kind {
  const text = stmt.text.trim().toUpperCase();
  if (text === 'BEGIN' || text.startsWith('BEGIN ')) return 'begin';
  if (text === 'COMMIT') return 'commit';
  if (text === 'ROLLBACK') return 'rollback';
  if (text.startsWith('SAVEPOINT ')) return 'savepoint';
  if (text.startsWith('RELEASE ')) return 'release';
  if (text.startsWith('ROLLBACK TO ')) return 'rollbackTo';
  // The RETURNING id the dialect adds serves `lastInsertRowid`, which is read lazily like `changes`; a write
  // that asks for rows itself (its own RETURNING) is sent at once.
  if (/^(INSERT|UPDATE|DELETE)\b/.test(text) && (stmt.returnsId || !/\bRETURNING\b/.test(text)))
    return 'write';
  return 'other';
}

/** The savepoint a SAVEPOINT / RELEASE / ROLLBACK TO names. */
function savepointName(sql: string): string {
  return (sql.trim().split(/\s+/).at(-1) ?? '').toLowerCase();
}

/** The answer of a queued write: filled when the queue is sent, or failed with the error that stopped it. */
class Slot {
  result: IoResult | null = null;
  error: unknown = null;
}

interface Queued {
  statement: IoStatement;
  /** Counted in total_changes once answered. */
  write: boolean;
  slot: Slot | null;
  /** For a queued SAVEPOINT: its name. */
  savepoint?: string;
}

export class PgSyncConnection implements Connection {
  private readonly statements = new Map<string, { stmt: PgStatement; kind: Kind }>();
  private queued: Queued[] = [];
  /** Requests sent without waiting (a read-only COMMIT) whose answers are still to be collected, in order. */
  private unanswered = 0;
  /** Answers the I/O thread has announced on the shared counter and this side has seen. */
  private seen = 0;
  /** Savepoints whose SAVEPOINT was dropped from the queue by a ROLLBACK TO: their RELEASE is dropped too. */
  private readonly droppedSavepoints: string[] = [];
  private depth = 0;
  private readOnly = false;
  private changed = 0;
  private sent = 0;
  private closed = false;
  readonly name: string;
  readonly open = true;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly flag: Int32Array,
    private readonly options: PgConnectionOptions,
  ) {
    this.name = options.applicationName;
  }

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
  private receive(): IoResponse {
    const deadline = Date.now() + STATEMENT_TIMEOUT_MS + ANSWER_GRACE_MS;
    for (;;) {
      const msg = receiveMessageOnPort(this.port);
      if (msg) return msg.message as IoResponse;
      const left = deadline - Date.now();
      if (left <= 0) throw errors.unavailable('PostgreSQL did not answer in time. Retry.');
      // The I/O thread posts its answer, then bumps the counter: a count not seen yet means a message is there.
      Atomics.wait(this.flag, 0, this.seen, left);
      this.seen = Atomics.load(this.flag, 0);
    }
  }

  private post(request: IoRequest): void {
    if (this.closed) throw errors.unavailable('The PostgreSQL connection is closed.');
    this.port.postMessage(request);
    this.sent += 1;
  }

  /** Requests sent to the I/O thread so far (each one round trip to the server), for tests and benches. */
  get requests(): number {
    return this.sent;
  }

  private enqueue(statement: IoStatement, write: boolean, slot: Slot | null, savepoint?: string): void {
    this.options.trace?.(statement.sql);
    this.queued.push({ statement, write, slot, ...(savepoint ? { savepoint } : {}) });
  }

  /**
   * Sends the queue, with `last` after it when given, as one request and blocks for the answer. Answers the result
   * of the request's last statement; throws the first error (failing every queued write's answer with it).
   */
  private send(last?: IoStatement): IoResult {
    if (last) this.options.trace?.(last.sql);
    const batch = this.queued;
    this.queued = [];
    const statements = batch.map((q) => q.statement);
    if (last) statements.push(last);
    if (statements.length === 0) return EMPTY;
    this.post({ kind: 'run', statements });
    // Answers of requests sent without waiting come first; they are done with.
    for (; this.unanswered > 0; this.unanswered--) this.receive();
    const res = this.receive();
    if (!res.ok) {
      const error = pgError(res.error);
      for (const q of batch) if (q.slot) q.slot.error = error;
      throw error;
    }
    batch.forEach((q, i) => {
      const result = res.results[i] ?? EMPTY;
      if (q.write) this.changed += result.rowCount;
      if (q.slot) q.slot.result = result;
    });
    return res.results.at(-1) ?? EMPTY;
  }

  /** Sends whatever is queued (a queued write's answer is wanted). */
  flush(): void {
    if (this.queued.length > 0) this.send();
  }

  /** Runs one statement now (after the queue) and blocks for its answer. */
  query(sql: string, values: unknown[], rowMode?: 'array'): IoResult {
    return this.send({ sql, values, ...(rowMode ? { rowMode } : {}) });
  }

  private statement(sql: string): { stmt: PgStatement; kind: Kind } {
    let entry = this.statements.get(sql);
    if (!entry) {
      const stmt = toPostgres(sql);
      entry = { stmt, kind: kindOf(stmt) };
      this.statements.set(sql, entry);
    }
    return entry;
  }

  prepare<P extends unknown[] | object = unknown[], R = unknown>(
    sql: string,
  ): P extends unknown[] ? SqlStatement<P, R> : SqlStatement<[P], R> {
    const { stmt, kind } = this.statement(sql);
    const prepared = new PgPrepared(this, stmt, kind, /^\s*SELECT\s+total_changes\(\)\s*$/i.test(sql));
    // The conditional type cannot be resolved for a generic P; PgPrepared implements SqlStatement for any P.
    return prepared as unknown as P extends unknown[] ? SqlStatement<P, R> : SqlStatement<[P], R>;
  }

  /** Transaction control: what a prepared BEGIN, SAVEPOINT, ... and transaction() both go through. */
  private begin(sql: string): void {
    this.enqueue({ sql, values: [] }, false, null);
    this.depth = 1;
    this.readOnly = sql === READ_ONLY_BEGIN;
  }

  private commit(): IoResult {
    try {
      if (this.readOnly) return this.endReadOnly('COMMIT');
      return this.query('COMMIT', []);
    } finally {
      this.ended();
    }
  }

  /**
   * Ends the transaction. Statements still queued in it are dropped, except a BEGIN: a transaction the server has
   * not seen yet is still begun and rolled back, so that the writer's health check (an empty write transaction)
   * reaches PostgreSQL.
   */
  private rollback(): IoResult {
    try {
      if (this.readOnly) return this.endReadOnly('ROLLBACK');
      const begun = this.queued[0]?.statement.sql.toUpperCase().startsWith('BEGIN')
        ? this.queued[0]
        : undefined;
      this.dropQueued(begun ? 1 : 0);
      return this.query('ROLLBACK', []);
    } finally {
      this.ended();
    }
  }

  /**
   * The end of a read-only transaction is not waited for: the snapshot ends as soon as the I/O thread gets to it,
   * and the answer is collected before the next one. One that read nothing was never sent and is simply dropped.
   */
  private endReadOnly(sql: 'COMMIT' | 'ROLLBACK'): IoResult {
    if (this.queued.length === 1 && this.queued[0]?.statement.sql === READ_ONLY_BEGIN) {
      this.queued = [];
      return EMPTY;
    }
    this.enqueue({ sql, values: [] }, false, null);
    const statements = this.queued.map((q) => q.statement);
    this.queued = [];
    this.post({ kind: 'run', statements });
    this.unanswered += 1;
    return EMPTY;
  }

  /** The transaction is over, and every savepoint in it. */
  private ended(): void {
    this.depth = 0;
    this.readOnly = false;
    this.droppedSavepoints.length = 0;
  }

  /** Drops the queue from position `from` on: statements that will never be sent (their answers fail). */
  private dropQueued(from: number): Queued[] {
    const dropped = this.queued.splice(from);
    for (const q of dropped) if (q.slot) q.slot.error = errors.unavailable('Rolled back before it was sent.');
    return dropped;
  }

  private savepoint(sql: string): void {
    this.enqueue({ sql, values: [] }, false, null, savepointName(sql));
  }

  private release(sql: string): IoResult {
    const name = savepointName(sql);
    const dropped = this.droppedSavepoints.lastIndexOf(name);
    if (dropped >= 0) {
      this.droppedSavepoints.splice(dropped, 1);
      return EMPTY;
    }
    // Only a queued write can still fail in this savepoint: with none, the RELEASE itself can wait in the queue.
    if (!this.queued.some((q) => q.write)) {
      this.enqueue({ sql, values: [] }, false, null);
      return EMPTY;
    }
    return this.query(sql, []);
  }

  /**
   * Statements queued inside the savepoint are dropped, never sent. When the SAVEPOINT itself is still queued, it
   * goes too (and its RELEASE will be dropped): the server never saw any of it.
   */
  private rollbackTo(sql: string): void {
    const name = savepointName(sql);
    let at = -1;
    for (let i = this.queued.length - 1; i >= 0; i--) {
      if (this.queued[i]?.savepoint === name) {
        at = i;
        break;
      }
    }
    this.dropQueued(Math.max(at, 0));
    if (at >= 0) this.droppedSavepoints.push(name);
    else this.enqueue({ sql, values: [] }, false, null);
  }

  /** Runs a prepared statement, keeping the queue, the transaction depth and the change count in step. */
  execute(
    stmt: PgStatement,
    kind: Kind,
    args: unknown[],
    rowMode?: 'array',
    wantRows = false,
  ): IoResult | Slot {
    switch (kind) {
      case 'begin':
        this.begin(stmt.text);
        return EMPTY;
      case 'commit':
        return this.commit();
      case 'rollback':
        return this.rollback();
      case 'savepoint':
        this.savepoint(stmt.text);
        return EMPTY;
      case 'release':
        return this.release(stmt.text);
      case 'rollbackTo':
        this.rollbackTo(stmt.text);
        return EMPTY;
      case 'write': {
        const statement: IoStatement = { sql: stmt.text, values: bindValues(stmt, args), prepared: true };
        if (this.depth > 0 && !wantRows) {
          const slot = new Slot();
          this.enqueue(statement, true, slot);
          return slot;
        }
        const result = this.send(rowMode ? { ...statement, rowMode } : statement);
        this.changed += result.rowCount;
        return result;
      }
      default: {
        const result = this.send({
          sql: stmt.text,
          values: bindValues(stmt, args),
          prepared: true,
          ...(rowMode ? { rowMode } : {}),
        });
        if (/^\s*(INSERT|UPDATE|DELETE)\b/i.test(stmt.text)) this.changed += result.rowCount;
        return result;
      }
    }
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
  transaction<F extends TransactionFunction>(fn: F): SqlTransaction<F> {
    const run =
      (begin: string) =>
      (...args: ArgumentsOf<F>): ReturnType<F> => {
        if (this.depth > 0) {
          const name = `tx${this.depth}`;
          this.savepoint(`SAVEPOINT ${name}`);
          this.depth += 1;
          try {
            const value = fn(...args) as ReturnType<F>;
            this.release(`RELEASE ${name}`);
            return value;
          } catch (err) {
            this.rollbackTo(`ROLLBACK TO ${name}`);
            this.release(`RELEASE ${name}`);
            throw err;
          } finally {
            this.depth -= 1;
          }
        }
        this.begin(begin);
        try {
          const value = fn(...args) as ReturnType<F>;
          this.commit();
          return value;
        } catch (err) {
          try {
            if (this.depth > 0) this.rollback();
          } catch {
            // The connection is gone; the server rolled the transaction back itself.
          }
          throw err;
        } finally {
          this.ended();
        }
      };
    return Object.assign(run('BEGIN'), {
      deferred: run(READ_ONLY_BEGIN),
      immediate: run('BEGIN'),
      exclusive: run('BEGIN'),
    }) as SqlTransaction<F>;
  }

  /** SQL functions registered by SQLite migrations; PostgreSQL's migrations define their own. */
  function(): this {
    return this;
  }

  close(): this {
    if (this.closed) return this;
    try {
      this.queued = [];
      this.post({ kind: 'close' });
      for (; this.unanswered > 0; this.unanswered--) this.receive();
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

/** A queued write's `run()` answer: reading it sends the queue (and throws that request's error). */
class LazyRunResult implements RunResult {
  constructor(
    private readonly conn: PgSyncConnection,
    private readonly slot: Slot,
    private readonly returnsId: boolean,
  ) {}

  private result(): IoResult {
    if (!this.slot.result && this.slot.error === null) this.conn.flush();
    if (this.slot.error !== null) throw this.slot.error;
    return this.slot.result ?? EMPTY;
  }

  get changes(): number {
    return this.result().rowCount;
  }

  get lastInsertRowid(): number {
    return idOf(this.result(), this.returnsId);
  }
}

function idOf(result: IoResult, returnsId: boolean): number {
  const first = result.rows[0] as { id?: number } | undefined;
  return returnsId && first?.id !== undefined ? first.id : 0;
}

/** A prepared statement: its PostgreSQL text, translated once, run on the connection that prepared it. */
class PgPrepared<P extends unknown[], R> implements SqlStatement<P, R> {
  private plucking = false;

  constructor(
    private readonly conn: PgSyncConnection,
    private readonly stmt: PgStatement,
    private readonly kind: Kind,
    private readonly totalChanges: boolean,
  ) {}

  pluck(on = true): this {
    this.plucking = on;
    return this;
  }

  get(...args: P): R | undefined {
    if (this.totalChanges) return this.conn.totalChanges as R;
    return this.all(...args)[0];
  }

  /** Rows as pg returns them: objects keyed by column name, or (plucked) the first column's values. */
  all(...args: P): R[] {
    const answer = this.conn.execute(this.stmt, this.kind, args, this.plucking ? 'array' : undefined, true);
    const rows = answer instanceof Slot ? [] : answer.rows;
    return (this.plucking ? rows.map((r) => (r as unknown[])[0]) : rows) as R[];
  }

  run(...args: P): RunResult {
    const answer = this.conn.execute(this.stmt, this.kind, args);
    if (answer instanceof Slot) return new LazyRunResult(this.conn, answer, this.stmt.returnsId);
    return { changes: answer.rowCount, lastInsertRowid: idOf(answer, this.stmt.returnsId) };
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

/** Opens a synchronous PostgreSQL connection: the `Connection` the handlers, the gate and the read queries take. */
export async function openPgConnection(url: string, options: PgConnectionOptions): Promise<Connection> {
  return PgSyncConnection.open(url, options);
}
