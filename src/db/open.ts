import { threadId } from 'node:worker_threads';
import { openReaderConnection, openWriterConnection, optimize, type Connection } from './connection.js';
import { migrate } from './migrate.js';
import { openPgConnection } from './pg/sync-connection.js';
import type { ReaderOptions, WriterOptions } from './protocol.js';
import type { Dialect } from './readers/queries.js';

/**
 * The one place that picks the backend for a connection: the SQLite file, or PostgreSQL when `databaseUrl` is
 * set. Everything above (handlers, gate, group commit, read queries, the board) takes the `Connection` it answers.
 */
export function dialectOf(options: { databaseUrl?: string | undefined }): Dialect {
  return options.databaseUrl ? 'postgres' : 'sqlite';
}

/**
 * The writer's connection, migrated: SQLite migrates here; PostgreSQL was migrated by the main thread before the
 * writer started (under an advisory lock, see pg/migrate.ts) and `schemaVersion` says to which version.
 */
export async function openWriterDb(
  options: WriterOptions,
  trace?: (sql: string) => void,
): Promise<{ db: Connection; schemaVersion: number }> {
  if (options.databaseUrl) {
    const db = await openPgConnection(options.databaseUrl, { applicationName: 'tinytask-mcp writer', trace });
    return { db, schemaVersion: options.schemaVersion ?? 0 };
  }
  // Migrations and statistics run on a connection of their own: ANALYZE loads what it gathers into the connection
  // that runs it for good, and the writer's must load only the statistics optimize kept on disk (connection.ts).
  const setup = openWriterConnection(options.dbPath, trace);
  let schemaVersion: number;
  try {
    schemaVersion = migrate(setup);
    optimize(setup, true);
  } finally {
    setup.close();
  }
  return { db: openWriterConnection(options.dbPath, trace), schemaVersion };
}

export async function openReaderDb(
  options: ReaderOptions,
  trace?: (sql: string) => void,
): Promise<Connection> {
  return options.databaseUrl
    ? openPgConnection(options.databaseUrl, { applicationName: `tinytask-mcp reader ${threadId}`, trace })
    : openReaderConnection(options.dbPath, trace);
}
