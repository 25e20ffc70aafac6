/** Shared set-up of the core tests: a board over a fresh SQLite file in a temp dir, in either mode. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { configWith, type Config } from '../src/config.js';
import { createBoard, type CoreBoard } from '../src/core/board.js';
import { TaskBoardError, type ErrorCode } from '../src/domain/errors.js';
import { silentLogger } from '../src/logger.js';
import type { ServerMetrics } from '../src/metrics.js';
import type { Connection } from '../src/db/connection.js';
import { openPgConnection } from '../src/db/pg/sync-connection.js';
import { testDatabase } from './pg-support.js';

/** PostgreSQL databases of boards opened on a caller's dir, kept for reopening on that dir. */
const pgInspectors = new Map<string, Connection>();
const pgDatabases = new Map<string, Awaited<ReturnType<typeof testDatabase>>>();

/** Both designs run the same behaviour tests: writer thread + read pool, and everything inline. */
export const MODES = [
  { mode: 'threads', inline: false },
  { mode: 'inline', inline: true },
] as const;

export interface TestBoard {
  board: CoreBoard;
  dir: string;
  dbPath: string;
  close(): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tinytask-core-'));
}

export async function openBoard(
  opts: {
    inline?: boolean;
    config?: Partial<Config>;
    allowFaultInjection?: boolean;
    metrics?: ServerMetrics;
    dir?: string;
    healthTimeoutMs?: number;
  } = {},
): Promise<TestBoard> {
  const dir = opts.dir ?? tempDir();
  const dbPath = join(dir, 'board.db');
  // A board reopened on the same dir (opts.dir) keeps its PostgreSQL database too.
  const database = opts.dir && pgDatabases.has(opts.dir) ? pgDatabases.get(opts.dir)! : await testDatabase();
  if (opts.dir) pgDatabases.set(opts.dir, database);
  const config = configWith({
    dbPath,
    readThreads: 2,
    enableHistory: true,
    ...database.config,
    ...opts.config,
  });
  if (database.config.databaseUrl && !pgInspectors.has(dbPath))
    pgInspectors.set(
      dbPath,
      await openPgConnection(database.config.databaseUrl, { applicationName: 'tinytask test inspect' }),
    );
  const board = await createBoard({
    config,
    logger: silentLogger(),
    inline: opts.inline === true,
    allowFaultInjection: opts.allowFaultInjection === true,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.healthTimeoutMs ? { healthTimeoutMs: opts.healthTimeoutMs } : {}),
  });
  return {
    board,
    dir,
    dbPath,
    async close() {
      await board.close();
      if (!opts.dir) {
        pgInspectors.get(dbPath)?.close();
        pgInspectors.delete(dbPath);
        rmSync(dir, { recursive: true, force: true });
        await database.drop();
      }
    },
  };
}

/** Awaits a call that must fail with a TaskBoardError carrying `code`; returns its message. */
export async function expectCode(call: Promise<unknown>, code: ErrorCode): Promise<string> {
  const err = await call.then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`);
    },
    (e: unknown) => e as { code?: string; message: string },
  );
  expect(err.code, err.message).toBe(code);
  return err.message;
}

/** The code of the TaskBoardError a synchronous `fn` throws ('no error' when it returns). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof TaskBoardError ? err.code : `not a TaskBoardError: ${String(err)}`;
  }
  return 'no error';
}

/** Runs `fn` on a separate read-only connection (to check the file itself, not through the board). */
export function inspect<T>(dbPath: string, fn: (db: Connection) => T): T {
  // On PostgreSQL: the board's own database, through a connection of its own with the same interface.
  const pgConnection = pgInspectors.get(dbPath);
  if (pgConnection) return fn(pgConnection);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
