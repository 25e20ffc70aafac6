import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TaskBoardError } from '../domain/errors.js';
import { agentKey } from '../domain/limits.js';
import type { Connection } from './connection.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** The `.sql` files next to this module (src/db/migrations in development, dist/db/migrations when built). */
export function migrationsDir(): string {
  return fileURLToPath(new URL('./migrations/', import.meta.url));
}

/** Reads `NNN_name.sql` files in version order; versions must run 1, 2, 3, ... without gaps. */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => MIGRATION_FILE.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      version: Number(m[1]),
      name: m[2] as string,
      sql: readFileSync(`${dir}/${m[0]}`, 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `Migration files must be numbered 001, 002, ... without gaps (found ${m.version} at position ${i + 1})`,
      );
  });
  return migrations;
}

/** Start-up refuses a database migrated by a newer tinytask-mcp: this code cannot know what its schema means. */
export function newerSchema(current: number, latest: number, setting: string): TaskBoardError {
  return new TaskBoardError(
    'INTERNAL',
    `The database was written by a newer tinytask-mcp (schema version ${current}); this version understands schema versions up to ${latest}. Upgrade tinytask-mcp or point ${setting} at another database.`,
  );
}

export function schemaVersion(db: Connection): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the schema to the newest version in one transaction (all pending migrations or none). A database
 * written by a newer tinytask-mcp is refused: this code cannot know what the newer schema means.
 */
export function migrate(db: Connection, migrations: Migration[] = loadMigrations()): number {
  const latest = migrations.at(-1)?.version ?? 0;
  const current = schemaVersion(db);
  if (current > latest) throw newerSchema(current, latest, 'TINYTASK_DB_PATH');
  if (current === latest) return current;
  // Migrations normalize stored agent names with the application's own rule (src/domain/schemas.ts).
  db.function('agent_key', { deterministic: true }, (name: unknown) =>
    typeof name === 'string' ? agentKey(name) : null,
  );
  db.transaction(() => {
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
    }
    db.pragma(`user_version = ${latest}`);
  }).immediate();
  return latest;
}
