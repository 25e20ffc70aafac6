/**
 * `tinytask-mcp migrate-to-postgres --from <sqlite file> --to <postgres url>`: every row of a SQLite board lands in
 * PostgreSQL, verified by counts and checksums, and the board works there afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../src/config.js';
import { createBoard } from '../src/core/board.js';
import { silentLogger } from '../src/logger.js';
import { CLI, ensureBuilt, ROOT } from './cli-harness.js';
import { freshPgDatabase, PG_ADMIN_URL, PG_SKIP_REASON, type PgDatabase } from './pg-support.js';

function migrateCli(from: string, to: string) {
  return spawnSync(process.execPath, [CLI, 'migrate-to-postgres', '--from', from, '--to', to], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe.skipIf(!PG_ADMIN_URL)(`migrate-to-postgres${PG_ADMIN_URL ? '' : ` (${PG_SKIP_REASON})`}`, () => {
  let dir: string;
  let sqlite: string;
  let target: PgDatabase;
  let ids: { parent: number; child: number; blocker: number; blocked: number };

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-migrate-'));
    sqlite = join(dir, 'board.db');
    const board = await createBoard({
      config: configWith({ dbPath: sqlite, readThreads: 1, enableHistory: true }),
      logger: silentLogger(),
      inline: true,
    });
    // Ids that do not ascend along references: the child is created first and moved under a later parent.
    const child = await board.createTask({ title: 'child first', created_by: 'Ann', tags: ['x'] });
    const parent = await board.createTask({ title: 'the parent', created_by: 'bob', priority: 3 });
    await board.moveSubtask({ subtask_id: child.id, new_parent_id: parent.id });
    const blocked = await board.createTask({ title: 'waits', created_by: 'ann', queue_name: 'q' });
    const blocker = await board.createTask({ title: 'goes first', created_by: 'ann', queue_name: 'q' });
    await board.updateTask({ id: blocked.id, blocked_by_task_ids: [blocker.id] });
    await board.addComment({ task_id: parent.id, content: 'unicode: naïve — 東京', created_by: 'bob' });
    await board.addLink({ task_id: parent.id, url: 'https://example.com/x', created_by: 'bob' });
    await board.claimNextTask({ agent_name: 'carol', queue_name: 'q', idempotency_key: 'k-1' });
    await board.close();
    ids = { parent: parent.id, child: child.id, blocker: blocker.id, blocked: blocked.id };
    target = await freshPgDatabase();
  }, 180_000);

  afterAll(async () => {
    await target?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies every row, prints counts and checksums, exits 0, and the board works on PostgreSQL', async () => {
    const run = migrateCli(sqlite, target.url);
    expect(run.status, run.stderr).toBe(0);
    for (const table of [
      'agents',
      'tasks',
      'task_blockers',
      'comments',
      'links',
      'task_history',
      'idempotency_keys',
    ])
      expect(run.stdout).toMatch(new RegExp(`^${table}\\s+rows\\s+(\\d+) → \\s*\\1 .* ok$`, 'm'));
    expect(run.stdout).toMatch(/^tasks\s+rows\s+4 → \s*4 /m);
    expect(run.stdout).toContain('verified: every row copied');

    const board = await createBoard({
      config: configWith({ databaseUrl: target.url, databasePoolSize: 1, enableHistory: true }),
      logger: silentLogger(),
      inline: true,
    });
    try {
      const parent = await board.getTask({ id: ids.parent });
      expect(parent.comments.map((c) => c.content)).toEqual(['unicode: naïve — 東京']);
      expect(parent.links.map((l) => l.url)).toEqual(['https://example.com/x']);
      expect((await board.getTask({ id: ids.child })).parent_task_id).toBe(ids.parent);
      expect((await board.getTask({ id: ids.blocked })).blocked_by_task_ids).toEqual([ids.blocker]);
      // Search was rebuilt from the rows; new ids continue after the copied ones; known agents keep their spelling.
      expect((await board.searchTasks({ query: 'naïve' })).tasks.map((t) => t.id)).toEqual([ids.parent]);
      const next = await board.createTask({ title: 'after the move', created_by: 'ANN' });
      expect(next.id).toBeGreaterThan(ids.blocker);
      expect(next.created_by).toBe('Ann');
      // The idempotency key came along: the same call replays its answer.
      const again = await board.claimNextTask({
        agent_name: 'carol',
        queue_name: 'q',
        idempotency_key: 'k-1',
      });
      expect(again?.id).toBe(ids.blocker);
    } finally {
      await board.close();
    }
  }, 180_000);

  it('refuses a target that already holds tasks (exit 1, nothing written)', () => {
    const run = migrateCli(sqlite, target.url);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('already holds tasks');
  }, 180_000);
});
