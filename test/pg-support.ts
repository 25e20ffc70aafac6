/**
 * PostgreSQL for the tests: TINYTASK_TEST_DATABASE_URL names a server and a role that may create databases
 * (`.ci/run` starts one and sets it). Each board gets a database of its own, so test files run in parallel.
 * Without the variable the PostgreSQL variants are skipped, and say why.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.TINYTASK_TEST_DATABASE_URL;
export const PG_SKIP_REASON =
  'PostgreSQL variants skipped: set TINYTASK_TEST_DATABASE_URL (a role with CREATEDB) to run them';

if (!PG_ADMIN_URL && process.env.CI) {
  throw new Error('CI runs the PostgreSQL variants: TINYTASK_TEST_DATABASE_URL must be set');
}

/** The backends a suite runs against: SQLite always, PostgreSQL when a test server is configured. */
export const BACKENDS = [
  { backend: 'sqlite', skip: false },
  { backend: 'postgres', skip: !PG_ADMIN_URL },
] as const;

export type Backend = (typeof BACKENDS)[number]['backend'];

export interface PgDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  if (!PG_ADMIN_URL) throw new Error(PG_SKIP_REASON);
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Drops a test database and every connection to it. `WITH (FORCE)` may meet an autovacuum worker, which only a
 * member of pg_signal_backend may end (`.ci/run` grants it); without that grant the drop is retried until the
 * worker has left the database, which it does within moments.
 */
async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '42501' || attempt >= 600) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A new, empty database (bytewise collation, like SQLite) and the URL that reaches it. */
export async function freshPgDatabase(): Promise<PgDatabase> {
  const name = `tinytask_test_${randomBytes(6).toString('hex')}`;
  await admin((c) =>
    c.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`),
  );
  const url = new URL(PG_ADMIN_URL as string);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((c) => dropDatabase(c, name)),
  };
}

/** The backend the core, MCP and HTTP suites run on in this process (vitest's `postgres` project sets it). */
export const TEST_BACKEND: Backend = process.env.TINYTASK_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/**
 * The database settings of one test board on this process's backend: nothing to add for SQLite (the caller's
 * file), a fresh database of its own on PostgreSQL. `drop` removes it after the board closed.
 */
export async function testDatabase(): Promise<{
  config: { databaseUrl?: string; databasePoolSize?: number };
  drop(): Promise<void>;
}> {
  if (TEST_BACKEND !== 'postgres') return { config: {}, drop: async () => undefined };
  const db = await freshPgDatabase();
  return { config: { databaseUrl: db.url, databasePoolSize: 1 }, drop: db.drop };
}
