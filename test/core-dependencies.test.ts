import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../src/db/migrate.js';
import type { ChangeSet, Task } from '../src/domain/types.js';
import { expectCode, MODES, openBoard, tempDir, type TestBoard } from './core-support.js';
import { TEST_BACKEND } from './pg-support.js';

describe.each(MODES)('dependencies and the ready list ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  const create = (title: string, more: Record<string, unknown> = {}) =>
    t.board.createTask({ title, created_by: 'c', ...more });
  const readyIds = async (args: Record<string, unknown> = {}) =>
    (await t.board.listReadyTasks(args)).tasks.map((r) => r.id);

  it('takes a list of blockers; the single blocked_by_task_id is a one-element list', async () => {
    const a = await create('a');
    const b = await create('b');
    const both = await create('both', { blocked_by_task_ids: [b.id, a.id, b.id] });
    expect(both).toMatchObject({ blocked_by_task_ids: [a.id, b.id], blocked_by_task_id: a.id });
    const legacy = await create('legacy', { blocked_by_task_id: b.id });
    expect(legacy).toMatchObject({ blocked_by_task_ids: [b.id], blocked_by_task_id: b.id });
    const sub = await t.board.createSubtask({
      parent_task_id: a.id,
      title: 's',
      created_by: 'c',
      blocked_by_task_ids: [b.id],
    });
    expect(sub.blocked_by_task_ids).toEqual([b.id]);
    // update: the legacy field replaces the whole list; null and [] clear it.
    expect(await t.board.updateTask({ id: both.id, blocked_by_task_id: b.id })).toMatchObject({
      blocked_by_task_ids: [b.id],
      blocked_by_task_id: b.id,
    });
    expect(await t.board.updateTask({ id: both.id, blocked_by_task_ids: [] })).toMatchObject({
      blocked_by_task_ids: [],
      blocked_by_task_id: null,
    });
    expect(await t.board.updateTask({ id: legacy.id, blocked_by_task_id: null })).toMatchObject({
      blocked_by_task_ids: [],
    });
    await expectCode(create('x', { blocked_by_task_ids: [a.id, 424242] }), 'NOT_FOUND');
    await expectCode(
      create('x', { blocked_by_task_id: a.id, blocked_by_task_ids: [a.id] }),
      'INVALID_ARGUMENT',
    );
    await expectCode(create('x', { blocked_by_task_ids: 'nope' }), 'INVALID_ARGUMENT');
  });

  it('refuses a dependency cycle with DEPENDENCY_CYCLE naming the cycle, and writes nothing', async () => {
    const a = await create('a');
    const b = await create('b', { blocked_by_task_ids: [a.id] });
    const c = await create('c', { blocked_by_task_ids: [b.id] });
    const other = await create('other');
    const message = await expectCode(
      t.board.updateTask({ id: a.id, blocked_by_task_ids: [other.id, c.id] }),
      'DEPENDENCY_CYCLE',
    );
    expect(message).toContain(`task ${a.id} → task ${c.id} → task ${b.id} → task ${a.id}`);
    expect((await t.board.getTask({ id: a.id })).blocked_by_task_ids).toEqual([]);
    const self = await expectCode(
      t.board.updateTask({ id: a.id, blocked_by_task_ids: [a.id] }),
      'DEPENDENCY_CYCLE',
    );
    expect(self).toContain('block itself');
    // A diamond is not a cycle.
    const d = await create('d', { blocked_by_task_ids: [b.id, c.id] });
    expect(d.blocked_by_task_ids).toEqual([b.id, c.id]);
  });

  it('a task is ready when idle, unarchived, not dead-lettered and every blocker complete', async () => {
    const x = await create('x', { queue_name: 'q', priority: 1 });
    const y = await create('y', { queue_name: 'q' });
    const z = await create('z', { queue_name: 'q', priority: 5, blocked_by_task_ids: [x.id, y.id] });
    const archived = await create('archived', { queue_name: 'q' });
    await t.board.archiveTask({ id: archived.id });
    expect(await readyIds({ queue_name: 'q' })).toEqual([x.id, y.id]);
    const changes: ChangeSet[] = [];
    t.board.on('change', (ch) => changes.push(ch));
    await t.board.updateTask({ id: x.id, status: 'complete' });
    // One blocker left: z is not ready, and nobody is told it might be.
    expect(await readyIds({ queue_name: 'q' })).toEqual([y.id]);
    expect(changes.some((ch) => ch.ready?.queues.includes('q'))).toBe(false);
    expect((await t.board.getTask({ id: z.id })).is_currently_blocked).toBe(true);
    await t.board.updateTask({ id: y.id, status: 'working' });
    await t.board.updateTask({ id: y.id, status: 'complete' });
    // The last blocker completed: z is ready, first by priority, and its queue is told.
    expect(await readyIds({ queue_name: 'q' })).toEqual([z.id]);
    expect(changes.at(-1)?.ready?.queues).toContain('q');
    expect((await t.board.getTask({ id: z.id })).is_currently_blocked).toBe(false);
    // Reopening a blocker blocks it again.
    await t.board.updateTask({ id: x.id, status: 'idle' });
    expect(await readyIds({ queue_name: 'q' })).toEqual([x.id]);
  });

  it('update_task refuses working or complete on a blocked task with BLOCKED naming the open blockers', async () => {
    const a = await create('a');
    const b = await create('b');
    await t.board.updateTask({ id: b.id, status: 'working' });
    const blocked = await create('blocked', { assigned_to: 'me', blocked_by_task_ids: [a.id, b.id] });
    for (const status of ['working', 'complete'] as const) {
      const message = await expectCode(
        t.board.updateTask({ id: blocked.id, status, title: 'renamed' }),
        'BLOCKED',
      );
      expect(message).toContain(`task ${a.id} (idle)`);
      expect(message).toContain(`task ${b.id} (working)`);
    }
    const after = await t.board.getTask({ id: blocked.id });
    expect(after).toMatchObject({ status: 'idle', title: 'blocked', attempts: 0 });
    // signup and pull claims skip it; a claim naming it is refused the same way.
    expect(await t.board.signupForTask({ agent_name: 'me' })).toBeNull();
    await expectCode(t.board.claimNextTask({ agent_name: 'me', task_id: blocked.id }), 'BLOCKED');
    // Dropping the blockers in the same call lets it start (TinyTask clients did exactly this).
    const started = await t.board.updateTask({ id: blocked.id, status: 'working', blocked_by_task_ids: [] });
    expect(started.status).toBe('working');
  });

  it('deleting a blocker takes it out of every list that named it', async () => {
    const a = await create('a');
    const b = await create('b');
    const c = await create('c', { blocked_by_task_ids: [a.id, b.id] });
    await t.board.deleteTask({ id: a.id });
    expect(await t.board.getTask({ id: c.id })).toMatchObject({
      blocked_by_task_ids: [b.id],
      blocked_by_task_id: b.id,
    });
    await t.board.deleteTask({ id: b.id });
    expect((await t.board.getTask({ id: c.id })).blocked_by_task_ids).toEqual([]);
    expect(await readyIds()).toEqual([c.id]);
  });

  it('list_ready_tasks scopes by agent and queue like claim_next_task, and pages by cursor', async () => {
    const mine = await create('mine', { assigned_to: 'me', priority: 3 });
    const team = await create('team', { queue_name: 'q', priority: 2 });
    const theirs = await create('theirs', { queue_name: 'q', assigned_to: 'you', priority: 9 });
    const loose = await create('loose');
    expect(await readyIds({ agent_name: 'me' })).toEqual([mine.id]);
    expect(await readyIds({ agent_name: 'me', queue_name: 'q' })).toEqual([mine.id, team.id]);
    expect(await readyIds({ queue_name: 'q' })).toEqual([theirs.id, team.id]);
    expect(await readyIds()).toEqual([theirs.id, mine.id, team.id, loose.id]);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.board.listReadyTasks({ limit: 1, ...(cursor ? { cursor } : {}) });
      expect(page.tasks.length).toBeLessThanOrEqual(1);
      seen.push(...page.tasks.map((r: Task) => r.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([theirs.id, mine.id, team.id, loose.id]);
    await expectCode(t.board.listReadyTasks({ cursor: 'not-a-cursor' }), 'INVALID_ARGUMENT');
  });
});

// Migrates an old SQLite file: a PostgreSQL board has no such history.
describe.skipIf(TEST_BACKEND === 'postgres')('schema 3 migration', () => {
  it('turns each old blocked_by_task_id into a one-element list and keeps the blocked state', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'board.db');
    const db = new Database(dbPath);
    migrate(db, loadMigrations().slice(0, 2));
    const now = new Date().toISOString();
    const insert = db.prepare(
      `INSERT INTO tasks (title, status, blocked_by_task_id, created_at, updated_at) VALUES (?, 'idle', ?, ?, ?)`,
    );
    const blocker = Number(insert.run('blocker', null, now, now).lastInsertRowid);
    const blocked = Number(insert.run('blocked', blocker, now, now).lastInsertRowid);
    db.close();
    const t = await openBoard({ dir });
    try {
      expect(await t.board.getTask({ id: blocked })).toMatchObject({
        blocked_by_task_id: blocker,
        blocked_by_task_ids: [blocker],
        is_currently_blocked: true,
        attempts: 0,
        lease_id: null,
      });
      expect((await t.board.listReadyTasks({})).tasks.map((r) => r.id)).toEqual([blocker]);
      await expectCode(t.board.updateTask({ id: blocked, status: 'working' }), 'BLOCKED');
    } finally {
      await t.close();
    }
  });
});
