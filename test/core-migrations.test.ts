import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configWith } from '../src/config.js';
import { createBoard } from '../src/core/board.js';
import { loadMigrations } from '../src/db/migrate.js';
import { silentLogger } from '../src/logger.js';
import { expectCode, inspect, MODES, openBoard, tempDir } from './core-support.js';

const latest = loadMigrations().at(-1)?.version ?? 0;

describe.each(MODES)('schema and migrations ($mode)', ({ inline }) => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the schema on a new database with WAL, incremental auto-vacuum and the latest user_version', async () => {
    const t = await openBoard({ inline, dir: join(dir, 'nested', 'dirs') });
    try {
      expect(latest).toBeGreaterThanOrEqual(1);
      const facts = inspect(t.dbPath, (db) => ({
        version: db.pragma('user_version', { simple: true }),
        journal: db.pragma('journal_mode', { simple: true }),
        autoVacuum: db.pragma('auto_vacuum', { simple: true }),
        tables: db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )
          .pluck()
          .all(),
      }));
      expect(facts).toEqual({
        version: latest,
        journal: 'wal',
        autoVacuum: 2,
        tables: ['comments', 'idempotency_keys', 'links', 'task_blockers', 'task_history', 'tasks'],
      });
      // The claim query uses its index.
      const plan = inspect(t.dbPath, (db) =>
        db
          .prepare(
            "EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE assigned_to = 'a' AND status = 'idle' AND archived_at IS NULL ORDER BY priority DESC, created_at, id LIMIT 1",
          )
          .all()
          .map((r) => (r as { detail: string }).detail)
          .join(' '),
      );
      expect(plan).toContain('idx_tasks_claim');
    } finally {
      await t.close();
    }
  });

  it('reopens an existing database without re-applying migrations, keeping its data', async () => {
    const first = await openBoard({ inline, dir });
    const task = await first.board.createTask({ title: 'kept', created_by: 'c' });
    await first.close();
    const second = await openBoard({ inline, dir });
    try {
      expect((await second.board.getTask({ id: task.id })).title).toBe('kept');
    } finally {
      await second.close();
    }
  });

  it('refuses a database written by a newer tinytask-mcp, naming both versions', async () => {
    const dbPath = join(dir, 'newer.db');
    const db = new Database(dbPath);
    db.pragma(`user_version = ${latest + 5}`);
    db.close();
    const message = await expectCode(
      createBoard({ config: configWith({ dbPath, readThreads: 1 }), logger: silentLogger(), inline }),
      'INTERNAL',
    );
    expect(message).toContain('newer tinytask-mcp');
    expect(message).toContain(`schema version ${latest + 5}`);
    expect(message).toContain(`up to ${latest}`);
    expect(inspect(dbPath, (d) => d.pragma('user_version', { simple: true }))).toBe(latest + 5);
  });
});
