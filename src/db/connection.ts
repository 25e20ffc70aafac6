import Database from 'better-sqlite3';

/** A SQLite connection (better-sqlite3): what only SQLite has (backups, checkpoints, the file) takes this type. */
export type SqliteConnection = Database.Database;

/** What a write statement's `run()` answers. */
export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement: the part of better-sqlite3's `Statement` the domain code uses. */
export interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  pluck(toggleState?: boolean): this;
}

/**
 * A function `transaction()` wraps, and its arguments: written as better-sqlite3 declares them (its `any`
 * included), because the compiler relates two such generic signatures only when they are spelled alike.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TransactionFunction = (...args: any[]) => unknown;
export type ArgumentsOf<F extends TransactionFunction> = F extends (...args: infer A) => unknown ? A : never;

/** `transaction(fn)`'s answer: `fn` in a transaction (BEGIN … COMMIT, or a savepoint inside an open one). */
export interface SqlTransaction<F extends TransactionFunction> {
  (...args: ArgumentsOf<F>): ReturnType<F>;
  deferred(...args: ArgumentsOf<F>): ReturnType<F>;
  immediate(...args: ArgumentsOf<F>): ReturnType<F>;
  exclusive(...args: ArgumentsOf<F>): ReturnType<F>;
}

/**
 * The connection the handlers, the write gate, the group committer and the read queries take: the part of
 * better-sqlite3's synchronous interface they use. SQLite's `Database` has it as it is; PostgreSQL's
 * `PgSyncConnection` (src/db/pg/sync-connection.ts) implements it, so the compiler checks both against one list.
 */
export interface Connection {
  readonly name: string;
  readonly inTransaction: boolean;
  prepare<P extends unknown[] | object = unknown[], R = unknown>(
    source: string,
  ): P extends unknown[] ? SqlStatement<P, R> : SqlStatement<[P], R>;
  transaction<F extends TransactionFunction>(fn: F): SqlTransaction<F>;
  exec(source: string): this;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  function(name: string, options: { deterministic?: boolean }, fn: (...args: never[]) => unknown): this;
  close(): this;
}

/** Milliseconds a connection waits for a lock held by another connection before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;
/** The WAL is truncated back to this size when it is reset after a checkpoint. */
export const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The one read-write connection (writer thread, or the main thread in inline mode). `auto_vacuum` only takes
 * effect before the first table exists, so it is set before the migrations run. Checkpoints belong to the writer
 * (automatic checkpoints are switched off; see CheckpointPolicy). The directory must exist: the board checks (and
 * creates) it on the main thread first, see prepareDatabaseLocation.
 */
export function openWriterConnection(path: string, trace?: (sql: string) => void): SqliteConnection {
  const db = new Database(path, trace ? { verbose: (sql) => trace(String(sql)) } : {});
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  db.pragma('wal_autocheckpoint = 0');
  // Every write runs in its own SAVEPOINT (group commit), and SQLite keeps the pages a savepoint changes in a
  // sub-journal that spills to a temporary file past 64 KiB: with a dozen indexes on tasks, about one write in eight
  // spilled (a file created, written and unlinked), and RELEASE cost more than the INSERT of a task. In memory, the
  // writer thread spends 17-27 % less CPU per call (docs/performance.md, session 7).
  db.pragma('temp_store = MEMORY');
  return db;
}

/** Tables with fewer rows than this keep no planner statistics (see dropSmallTableStatistics). */
const MIN_ANALYZED_ROWS = 1000;

/**
 * Keeps the query planner's statistics current: a bounded ANALYZE of the tables that need it (at start, after
 * migrations, and at shutdown). Cheap on a small database, capped by analysis_limit on a large one.
 */
export function optimize(db: Connection, atOpen: boolean): void {
  db.pragma('analysis_limit = 400');
  db.pragma(atOpen ? 'optimize = 0x10002' : 'optimize');
  if (db instanceof Database) dropSmallTableStatistics(db);
}

/**
 * Statistics taken while a table was small stay with every statement the connection prepares until that table is
 * analyzed again, which `optimize` does only once it has grown tenfold, and a long-running server never runs it
 * meanwhile. On a new board FTS5's data table was recorded at 2 rows, and SQLite planned FTS5's range delete of
 * merged pages (`DELETE FROM task_search_data WHERE id>=? AND id<=?`) as a scan of the whole table: every merge
 * read the full index, and at ~100,000 tasks the writer spent 44× as long per write and could not keep up until a
 * restart re-analyzed the table (docs/performance.md, "Issue 13, session 8"). The planner's defaults suit a table
 * that grows; statistics of small tables are dropped. A connection keeps what ANALYZE loaded into it even then, so
 * the writer's connection is opened after optimize has run on another (openWriterDb).
 */
function dropSmallTableStatistics(db: SqliteConnection): void {
  if (!db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'").get()) return;
  db.prepare('DELETE FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) < ?').run(MIN_ANALYZED_ROWS);
}

/**
 * A read-only connection (reader threads, backups). `query_only` is a second fence against writes; every
 * statement runs in its own short read transaction, so each read sees every commit made before it started.
 */
export function openReaderConnection(path: string, trace?: (sql: string) => void): SqliteConnection {
  const db = new Database(path, {
    readonly: true,
    fileMustExist: true,
    ...(trace ? { verbose: (sql: unknown) => trace(String(sql)) } : {}),
  });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('query_only = ON');
  return db;
}
