import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeSet } from '../src/domain/types.js';
import { createServerMetrics } from '../src/metrics.js';
import { expectCode, inspect, MODES, openBoard, type TestBoard } from './core-support.js';

const keysIn = (dbPath: string) =>
  inspect(dbPath, (db) =>
    db.prepare('SELECT agent, key, command FROM idempotency_keys ORDER BY key, agent').all(),
  );

describe.each(MODES)('idempotent writes ($mode)', ({ inline }) => {
  let t: TestBoard;
  const metrics = createServerMetrics();
  beforeEach(async () => {
    t = await openBoard({ inline, metrics });
  });
  afterEach(async () => {
    await t.close();
  });

  it('a retry after a lost answer answers the first result and creates one task', async () => {
    const changes: ChangeSet[] = [];
    t.board.on('change', (c) => changes.push(c));
    const args = { title: 'Write the report', created_by: 'alice', idempotency_key: 'report-1' };
    const first = await t.board.createTask(args);
    // The agent never saw `first` (timeout, dropped connection) and sends the same call again.
    const retry = await t.board.createTask({ ...args });
    expect(retry).toEqual(first);
    expect((await t.board.listTasks({})).total).toBe(1);
    expect(changes).toHaveLength(1);
    expect(t.board.stats().idempotentReplays).toBe(1);
    expect(await metrics.registry.render()).toMatch(
      /tinytask_idempotent_replays_total\{tool="create_task"\} \d+/,
    );
    expect(keysIn(t.dbPath)).toEqual([{ agent: '', key: 'report-1', command: 'createTask' }]);
  });

  it('compares the arguments as validated: "7" and 7 are the same id, key order does not matter', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'a' });
    const first = await t.board.updateTask({ id: task.id, title: 'y', priority: 3, idempotency_key: 'k' });
    const again = await t.board.updateTask({
      priority: '3',
      idempotency_key: 'k',
      title: 'y',
      id: String(task.id),
    });
    expect(again).toEqual(first);
    expect(t.board.stats().idempotentReplays).toBe(1);
  });

  it('refuses the same key with other arguments or another tool, writing nothing', async () => {
    const task = await t.board.createTask({ title: 'a', created_by: 'alice', idempotency_key: 'k1' });
    const msg = await expectCode(
      t.board.createTask({ title: 'b', created_by: 'alice', idempotency_key: 'k1' }),
      'IDEMPOTENCY_CONFLICT',
    );
    expect(msg).toContain('"k1"');
    expect(msg).toContain('create_task with other arguments');
    expect(msg).toMatch(/same arguments/);
    expect(msg).toMatch(/new key/);
    const other = await expectCode(
      t.board.addComment({ task_id: task.id, content: 'hi', idempotency_key: 'k1' }),
      'IDEMPOTENCY_CONFLICT',
    );
    expect(other).toContain('for create_task.');
    expect((await t.board.listTasks({})).total).toBe(1);
    expect((await t.board.listComments({ task_id: task.id })).length).toBe(0);
  });

  it('scopes keys to the calling agent', async () => {
    const alice = t.board.actingAs({ agent: 'alice', operator: false });
    const bob = t.board.actingAs({ agent: 'bob', operator: false });
    const a = await alice.createTask({ title: 'a', created_by: 'alice', idempotency_key: 'same' });
    const b = await bob.createTask({ title: 'b', created_by: 'bob', idempotency_key: 'same' });
    expect(b.id).not.toBe(a.id);
    // Without a bound agent, callers share one key space.
    await t.board.createTask({ title: 'c', created_by: 'carol', idempotency_key: 'same' });
    expect(keysIn(t.dbPath)).toEqual([
      { agent: '', key: 'same', command: 'createTask' },
      { agent: 'alice', key: 'same', command: 'createTask' },
      { agent: 'bob', key: 'same', command: 'createTask' },
    ]);
  });

  it('stores no key for a write that failed: its retry runs again', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'bob' });
    const handoff = {
      task_id: task.id,
      current_agent: 'alice',
      new_agent: 'carol',
      comment: 'yours',
      idempotency_key: 'handoff',
    };
    await expectCode(t.board.moveTask(handoff), 'NOT_ASSIGNEE');
    expect(keysIn(t.dbPath)).toEqual([]);
    await t.board.updateTask({ id: task.id, assigned_to: 'alice' });
    const moved = await t.board.moveTask(handoff);
    expect(moved.assigned_to).toBe('carol');
    expect(await t.board.moveTask(handoff)).toEqual(moved);
    expect((await t.board.listComments({ task_id: task.id })).length).toBe(1);
  });

  it('replays answers of every kind: a delete, an empty claim', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c' });
    const del = { id: task.id, idempotency_key: 'del' };
    expect(await t.board.deleteTask(del)).toEqual({ id: task.id, deleted: true });
    expect(await t.board.deleteTask(del)).toEqual({ id: task.id, deleted: true });
    const claim = { agent_name: 'nobody', idempotency_key: 'claim' };
    expect(await t.board.signupForTask(claim)).toBeNull();
    expect(await t.board.signupForTask(claim)).toBeNull();
    expect(t.board.stats().idempotentReplays).toBe(2);
  });

  it('validates the key: 1 to 200 characters', async () => {
    const base = { title: 'x', created_by: 'c' };
    expect(
      await expectCode(t.board.createTask({ ...base, idempotency_key: '' }), 'INVALID_ARGUMENT'),
    ).toMatch(/idempotency_key must be a string of 1 to 200 characters/);
    await expectCode(t.board.createTask({ ...base, idempotency_key: 'k'.repeat(201) }), 'INVALID_ARGUMENT');
    await expectCode(t.board.createTask({ ...base, idempotency_key: 42 }), 'INVALID_ARGUMENT');
    await t.board.createTask({ ...base, idempotency_key: 'k'.repeat(200) });
    expect((await t.board.listTasks({})).total).toBe(1);
  });
});

describe('idempotency keys and the writer thread dying mid-batch', () => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ allowFaultInjection: true });
  });
  afterEach(async () => {
    await t.close();
  });

  it('a batch that never committed leaves neither writes nor keys; the retries apply each write once', async () => {
    const calls = Array.from({ length: 20 }, (_, i) => ({
      title: `t${i}`,
      created_by: 'c',
      idempotency_key: `key-${i}`,
    }));
    const doomed = calls.map((c) => t.board.createTask(c));
    const crash = t.board.crashWriter();
    const results = await Promise.allSettled(doomed);
    await crash;
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(keysIn(t.dbPath)).toEqual([]);
    const retried = await Promise.all(calls.map((c) => t.board.createTask(c)));
    const again = await Promise.all(calls.map((c) => t.board.createTask(c)));
    expect(again).toEqual(retried);
    expect(new Set(retried.map((r) => r.id)).size).toBe(20);
    expect((await t.board.listTasks({})).total).toBe(20);
  });
});

describe.each(MODES)('key lifetime ($mode, the writer clock moved by the test)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline, allowFaultInjection: true, config: { idempotencyTtlSeconds: 60 } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('remembers a key for the TTL, then forgets it; the writer sweeps expired keys', async () => {
    const create = (title: string) => ({ title, created_by: 'a', idempotency_key: 'k' });
    const first = await t.board.createTask(create('one'));
    await t.board.setClock({ advanceMs: 59_000 });
    expect(await t.board.createTask(create('one'))).toEqual(first);
    await expectCode(t.board.createTask(create('two')), 'IDEMPOTENCY_CONFLICT');
    await t.board.setClock({ advanceMs: 1_000 });
    // Expired: the key names a new write now.
    const second = await t.board.createTask(create('two'));
    expect(second.id).not.toBe(first.id);
    expect(keysIn(t.dbPath)).toHaveLength(1);
    await t.board.createTask({ title: 'x', created_by: 'a', idempotency_key: 'other' });
    expect(keysIn(t.dbPath)).toHaveLength(2);
    await t.board.setClock({ advanceMs: 60_000 });
    // The next batch sweeps (at most once a second of writer time).
    await t.board.createTask({ title: 'no key', created_by: 'a' });
    expect(keysIn(t.dbPath)).toEqual([]);
  });
});
