import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../src/db/migrate.js';
import { expectCode, inspect, MODES, openBoard, tempDir, type TestBoard } from './core-support.js';
import { TEST_BACKEND } from './pg-support.js';

describe.each(MODES)('search, filters, due dates and agent names ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  it('matches agent names case-insensitively and trimmed in claims, queues, hand-offs and filters', async () => {
    const { board } = t;
    const task = await board.createTask({ title: 'Fix login', created_by: 'Lead', assigned_to: 'Bob' });
    await board.createTask({ title: 'Later', created_by: 'lead', assigned_to: ' BOB ' });
    // Stored as first written: every spelling maps to "Bob" and "Lead".
    const queue = await board.getMyQueue({ agent_name: 'bob' });
    expect(queue.map((q) => q.assigned_to)).toEqual(['Bob', 'Bob']);
    expect(queue.map((q) => q.created_by)).toEqual(['Lead', 'Lead']);
    expect((await board.listTasks({ assigned_to: 'BOB' })).total).toBe(2);
    expect((await board.listTasks({ created_by: 'LEAD ' })).total).toBe(2);
    const claimed = await board.signupForTask({ agent_name: 'bOb' });
    expect(claimed?.id).toBe(task.id);
    expect(claimed?.assigned_to).toBe('Bob');
    const handed = await board.moveTask({
      task_id: task.id,
      current_agent: 'BOB',
      new_agent: 'carol',
      comment: 'login fixed, needs review',
    });
    expect(handed.previous_assigned_to).toBe('Bob');
    expect(handed.assigned_to).toBe('carol');
    await board.updateTask({ id: task.id, assigned_to: 'Carol' });
    expect((await board.getTask({ id: task.id })).assigned_to).toBe('carol');
    expect((await board.agentQueueSummary({ agent_name: 'CAROL' })).agent_name).toBe('carol');
    expect(await board.completeAgents({ prefix: 'CA', limit: 10 })).toEqual(['carol']);
    // A second spelling of a known agent cannot be created.
    const agents = inspect(t.dbPath, (db) =>
      db.prepare('SELECT name FROM agents ORDER BY key').pluck().all(),
    );
    expect(agents).toEqual(['Bob', 'carol', 'Lead']);
    const comment = (await board.getTask({ id: task.id })).comments[0];
    expect(comment?.created_by).toBe('Bob');
  });

  it('finds a word from a comment added a moment earlier, ranked, with a snippet; never a deleted task', async () => {
    const { board } = t;
    const a = await board.createTask({ title: 'Payment page', description: 'Card form', created_by: 'x' });
    const b = await board.createTask({ title: 'Refund flow', created_by: 'x', tags: ['billing'] });
    await board.addComment({
      task_id: a.id,
      content: 'The checkout throws a zanzibar error',
      created_by: 'y',
    });
    const found = await board.searchTasks({ query: 'zanzibar' });
    expect(found.tasks.map((x) => x.id)).toEqual([a.id]);
    expect(found.tasks[0]?.snippet).toContain('**zanzibar**');
    expect(found.next_cursor).toBeNull();
    // Title matches outrank description matches; prefix and phrase queries; FTS syntax is not interpreted.
    await board.updateTask({ id: b.id, description: 'payment reversal' });
    expect((await board.searchTasks({ query: 'payment' })).tasks.map((x) => x.id)).toEqual([a.id, b.id]);
    expect((await board.searchTasks({ query: 'refu*' })).tasks.map((x) => x.id)).toEqual([b.id]);
    expect((await board.searchTasks({ query: '"card form"' })).tasks.map((x) => x.id)).toEqual([a.id]);
    expect((await board.searchTasks({ query: 'payment AND OR NOT (' })).tasks).toEqual([]);
    // Filters and paging.
    expect((await board.searchTasks({ query: 'payment', tags: ['billing'] })).tasks.map((x) => x.id)).toEqual(
      [b.id],
    );
    const first = await board.searchTasks({ query: 'payment', limit: 1 });
    expect(first.tasks.map((x) => x.id)).toEqual([a.id]);
    const second = await board.searchTasks({ query: 'payment', limit: 1, cursor: first.next_cursor! });
    expect(second.tasks.map((x) => x.id)).toEqual([b.id]);
    expect(second.next_cursor).toBeNull();
    // Edited and moved comments are searched as they are now; deleted tasks are gone.
    const c = (await board.getTask({ id: a.id })).comments[0]!;
    await board.updateComment({ id: c.id, content: 'now it says kilimanjaro' });
    expect((await board.searchTasks({ query: 'zanzibar' })).tasks).toEqual([]);
    await board.moveComment({ comment_id: c.id, to_task_id: b.id });
    expect((await board.searchTasks({ query: 'kilimanjaro' })).tasks.map((x) => x.id)).toEqual([b.id]);
    await board.deleteTask({ id: b.id });
    expect((await board.searchTasks({ query: 'kilimanjaro' })).tasks).toEqual([]);
    expect((await board.searchTasks({ query: 'refund' })).tasks).toEqual([]);
    const rowid = TEST_BACKEND === 'postgres' ? 'task_id' : 'rowid';
    const rows = inspect(t.dbPath, (db) => db.prepare(`SELECT ${rowid} FROM task_search`).pluck().all());
    expect(rows).toEqual([a.id]);
  });

  it('folds accents on both sides of a search, and marks the word as written', async () => {
    const { board } = t;
    const cafe = await board.createTask({ title: 'Café menu', description: 'Crème brûlée', created_by: 'x' });
    const cv = await board.createTask({ title: 'Update the CV', created_by: 'x' });
    await board.addComment({ task_id: cv.id, content: 'Her résumé lists São Paulo', created_by: 'y' });
    const ids = async (query: string) => (await board.searchTasks({ query })).tasks.map((x) => x.id);
    expect(await ids('cafe')).toEqual([cafe.id]);
    expect(await ids('CAFÉ')).toEqual([cafe.id]);
    expect(await ids('creme brulee')).toEqual([cafe.id]);
    expect(await ids('resume')).toEqual([cv.id]);
    expect(await ids('résumé')).toEqual([cv.id]);
    expect(await ids('sao*')).toEqual([cv.id]);
    expect(await ids('"sao paulo"')).toEqual([cv.id]);
    expect((await board.searchTasks({ query: 'cafe' })).tasks[0]?.snippet).toContain('**Café**');
  });

  it('explains bad searches: no words, a foreign cursor', async () => {
    const { board } = t;
    expect(await expectCode(board.searchTasks({ query: '!!! ---' }), 'INVALID_ARGUMENT')).toMatch(
      /give at least one word/,
    );
    expect(await expectCode(board.searchTasks({ query: 'x', cursor: 'abc' }), 'INVALID_ARGUMENT')).toMatch(
      /pass back next_cursor exactly/,
    );
    expect(await expectCode(board.searchTasks({ query: '  ' }), 'INVALID_ARGUMENT')).toMatch(
      /query must not be empty/,
    );
  });

  it('stores due dates as UTC, filters overdue open tasks, sorts by due, created and updated', async () => {
    const { board } = t;
    const past = await board.createTask({ title: 'late', created_by: 'x', due_at: '2000-01-02' });
    const future = await board.createTask({
      title: 'soon',
      created_by: 'x',
      due_at: '2999-01-01T12:00:00+02:00',
    });
    const done = await board.createTask({
      title: 'done late',
      created_by: 'x',
      due_at: '2000-01-01T00:00:00Z',
    });
    const none = await board.createTask({ title: 'no date', created_by: 'x', priority: 5 });
    await board.updateTask({ id: done.id, status: 'complete' });
    expect(past.due_at).toBe('2000-01-02T00:00:00.000Z');
    expect(future.due_at).toBe('2999-01-01T10:00:00.000Z');
    expect(none.due_at).toBeNull();
    const overdue = await board.listTasks({ overdue: true });
    expect(overdue.tasks.map((x) => x.id)).toEqual([past.id]);
    expect((await board.listTasks({ overdue: false })).total).toBe(3);
    const byDue = await board.listTasks({ sort: 'due' });
    expect(byDue.tasks.map((x) => x.id)).toEqual([done.id, past.id, future.id, none.id]);
    // Newest first; ties (same millisecond) by id, newest first. The clock is not controlled here, so the order
    // is checked as a property.
    for (const field of ['created_at', 'updated_at'] as const) {
      const sort = field === 'created_at' ? 'created' : 'updated';
      const keys = (await board.listTasks({ sort })).tasks.map(
        (x) => `${x[field]}|${String(x.id).padStart(9, '0')}`,
      );
      expect(keys).toEqual([...keys].sort().reverse());
    }
    expect((await board.listTasks({})).tasks[0]?.id).toBe(none.id);
    await board.updateTask({ id: past.id, due_at: null });
    expect((await board.listTasks({ overdue: true })).tasks).toEqual([]);
    expect(
      await expectCode(
        board.createTask({ title: 'x', created_by: 'x', due_at: 'tomorrow' }),
        'INVALID_ARGUMENT',
      ),
    ).toMatch(/due_at must be an ISO 8601 date or date-time with a time zone, e.g. "2026-12-31"/);
    expect(
      await expectCode(
        board.createTask({ title: 'x', created_by: 'x', due_at: '2026-02-31' }),
        'INVALID_ARGUMENT',
      ),
    ).toMatch(/due_at/);
  });

  it('filters lists by tags (all of them) and creator', async () => {
    const { board } = t;
    const both = await board.createTask({ title: 'a', created_by: 'Ann', tags: ['ui', 'bug'] });
    await board.createTask({ title: 'b', created_by: 'Ben', tags: ['ui'] });
    expect((await board.listTasks({ tags: ['bug', 'ui'] })).tasks.map((x) => x.id)).toEqual([both.id]);
    expect((await board.listTasks({ tags: ['ui'] })).total).toBe(2);
    expect((await board.listTasks({ created_by: 'ann', tags: ['ui'] })).total).toBe(1);
    expect(await expectCode(board.listTasks({ sort: 'oldest' }), 'INVALID_ARGUMENT')).toMatch(
      /sort must be one of priority, created, updated, due/,
    );
  });
});

describe('migrating an existing board', () => {
  it('merges agent names that differ only in case into the first spelling and indexes existing text', () => {
    const dir = tempDir();
    const db = new Database(join(dir, 'old.db'));
    const all = loadMigrations();
    // Every migration before the one that brings agent names in (later ones build on it).
    const before = all.slice(
      0,
      all.findIndex((m) => m.sql.includes('CREATE TABLE agents')),
    );
    migrate(db, before);
    const now = new Date().toISOString();
    const insert = db.prepare(
      `INSERT INTO tasks (title, description, assigned_to, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    insert.run('first', 'alpha', 'Bob', 'Lead', now, now);
    insert.run('second', 'beta', 'bob', 'LEAD', now, now);
    db.prepare(
      'INSERT INTO comments (task_id, content, created_by, created_at, updated_at) VALUES (1, ?, ?, ?, ?)',
    ).run('gamma note', 'BOB', now, now);
    expect(migrate(db, all)).toBe(all.at(-1)?.version);
    expect(db.prepare('SELECT DISTINCT assigned_to FROM tasks').pluck().all()).toEqual(['Bob']);
    expect(db.prepare('SELECT DISTINCT created_by FROM tasks').pluck().all()).toEqual(['Lead']);
    expect(db.prepare('SELECT created_by FROM comments').pluck().get()).toBe('Bob');
    expect(db.prepare("SELECT rowid FROM task_search WHERE task_search MATCH 'gamma'").pluck().all()).toEqual(
      [1],
    );
    db.close();
  });
});
