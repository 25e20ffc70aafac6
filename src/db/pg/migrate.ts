import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadMigrations, newerSchema, type Migration } from '../migrate.js';

/**
 * PostgreSQL's migrations: the same numbered list as SQLite's (src/db/migrations/NNN_name.sql), each version
 * written in PostgreSQL's dialect under migrations/pg/ with the same number and name. The lists are checked to
 * match, so a version means the same schema on both backends.
 */
export function loadPgMigrations(): Migration[] {
  const sqlite = loadMigrations();
  const postgres = loadMigrations(fileURLToPath(new URL('../migrations/pg/', import.meta.url)));
  const names = (list: Migration[]) => list.map((m) => `${m.version}_${m.name}`).join(',');
  if (names(sqlite) !== names(postgres))
    throw new Error(
      `The PostgreSQL migrations (${names(postgres)}) do not match the SQLite ones (${names(sqlite)}): every version needs both.`,
    );
  return postgres;
}

/** Arbitrary, fixed: the advisory lock fronts take while migrating, so that two fronts starting at once take turns. */
const MIGRATION_LOCK = 7_351_460_114;

/**
 * Brings a PostgreSQL database to the newest schema in one transaction, under an advisory lock (several fronts may
 * start together). The version lives in `tinytask_schema`. Refuses a database migrated by a newer tinytask-mcp.
 */
export async function migratePostgres(
  url: string,
  migrations: Migration[] = loadPgMigrations(),
): Promise<number> {
  const latest = migrations.at(-1)?.version ?? 0;
  const client = new pg.Client({ connectionString: url, application_name: 'tinytask-mcp migrate' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS tinytask_schema (version INTEGER NOT NULL)');
    const row = (await client.query<{ version: number }>('SELECT version FROM tinytask_schema')).rows[0];
    const current = row?.version ?? 0;
    if (current > latest) throw newerSchema(current, latest, 'TINYTASK_DATABASE_URL');
    for (const m of migrations) if (m.version > current) await client.query(m.sql);
    if (row === undefined) await client.query('INSERT INTO tinytask_schema (version) VALUES ($1)', [latest]);
    else if (current !== latest) await client.query('UPDATE tinytask_schema SET version = $1', [latest]);
    await client.query('COMMIT');
    return latest;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
