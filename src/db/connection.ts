import Database from 'better-sqlite3';

export type Connection = Database.Database;

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
export function openWriterConnection(path: string, trace?: (sql: string) => void): Connection {
  const db = new Database(path, trace ? { verbose: (sql) => trace(String(sql)) } : {});
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  db.pragma('wal_autocheckpoint = 0');
  return db;
}

/**
 * Keeps the query planner's statistics current: a bounded ANALYZE of the tables that need it (at start, after
 * migrations, and at shutdown). Cheap on a small database, capped by analysis_limit on a large one.
 */
export function optimize(db: Connection, atOpen: boolean): void {
  db.pragma('analysis_limit = 400');
  db.pragma(atOpen ? 'optimize = 0x10002' : 'optimize');
}

/**
 * A read-only connection (reader threads, backups). `query_only` is a second fence against writes; every
 * statement runs in its own short read transaction, so each read sees every commit made before it started.
 */
export function openReaderConnection(path: string, trace?: (sql: string) => void): Connection {
  const db = new Database(path, {
    readonly: true,
    fileMustExist: true,
    ...(trace ? { verbose: (sql: unknown) => trace(String(sql)) } : {}),
  });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('query_only = ON');
  return db;
}
