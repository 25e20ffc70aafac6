/**
 * PostgreSQL migrations: one numbered list with the SQLite ones (every version has both twins), applied once under
 * an advisory lock when several fronts start together, and a database migrated by a newer tinytask-mcp is refused
 * at start-up with a message naming both versions and the setting.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../src/config.js';
import { createBoard } from '../src/core/board.js';
import { loadMigrations } from '../src/db/migrate.js';
import { loadPgMigrations, migratePostgres } from '../src/db/pg/migrate.js';
import { silentLogger } from '../src/logger.js';
import { freshPgDatabase, PG_ADMIN_URL, PG_SKIP_REASON, type PgDatabase } from './pg-support.js';

async function schemaVersion(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>('SELECT version FROM tinytask_schema');
    return rows.map((r) => r.version);
  } finally {
    await client.end();
  }
}

describe('migration lists', () => {
  it('every SQLite migration has a PostgreSQL twin with the same number and name', () => {
    const names = (list: { version: number; name: string }[]) => list.map((m) => `${m.version}_${m.name}`);
    const sqlite = loadMigrations();
    expect(sqlite.length).toBeGreaterThan(0);
    expect(names(loadPgMigrations())).toEqual(names(sqlite));
  });
});

describe.skipIf(!PG_ADMIN_URL)(`PostgreSQL migrations${PG_ADMIN_URL ? '' : ` (${PG_SKIP_REASON})`}`, () => {
  let db: PgDatabase;
  const latest = loadPgMigrations().at(-1)!.version;

  beforeAll(async () => {
    db = await freshPgDatabase();
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('three fronts migrating one empty database at once leave it at the newest version, recorded once', async () => {
    const results = await Promise.all([1, 2, 3].map(() => migratePostgres(db.url)));
    expect(results).toEqual([latest, latest, latest]);
    expect(await schemaVersion(db.url)).toEqual([latest]);
    // Again: nothing to do, nothing changes.
    expect(await migratePostgres(db.url)).toBe(latest);
    expect(await schemaVersion(db.url)).toEqual([latest]);
  });

  it('start-up refuses a database migrated by a newer tinytask-mcp, and leaves it untouched', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('UPDATE tinytask_schema SET version = $1', [latest + 7]);
    await client.end();

    const error = await createBoard({
      config: configWith({ databaseUrl: db.url, databasePoolSize: 1 }),
      logger: silentLogger(),
    }).then(
      async (board) => {
        await board.close();
        return undefined;
      },
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain('newer tinytask-mcp');
    expect(error!.message).toContain(`schema version ${latest + 7}`);
    expect(error!.message).toContain(`up to ${latest}`);
    expect(error!.message).toContain('TINYTASK_DATABASE_URL');
    expect(await schemaVersion(db.url)).toEqual([latest + 7]);
  });
});
