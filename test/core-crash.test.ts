import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, inspect, openBoard, type TestBoard } from './core-support.js';

describe('writer thread killed in the middle of a batch', () => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ allowFaultInjection: true });
  });
  afterEach(async () => {
    await t.close();
  });

  it('callers get UNAVAILABLE, the thread comes back, nothing of the batch is visible, the database is consistent', async () => {
    const kept = await t.board.createTask({ title: 'committed before', created_by: 'c', assigned_to: 'a' });
    const doomed = [
      t.board.createTask({ title: 'lost 1', created_by: 'c' }),
      t.board.updateTask({ id: kept.id, title: 'lost rename' }),
      t.board.signupForTask({ agent_name: 'a' }),
      t.board.addComment({ task_id: kept.id, content: 'lost comment' }),
    ];
    const crash = t.board.crashWriter();
    const results = await Promise.allSettled(doomed);
    await crash;
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as { code: string; message: string };
      expect(reason.code).toBe('UNAVAILABLE');
      expect(reason.message).toContain('nothing of its unfinished batch was committed');
    }

    // The next write waits for the restarted thread and succeeds.
    const after = await t.board.createTask({ title: 'after restart', created_by: 'c' });
    expect(after.title).toBe('after restart');
    expect(t.board.stats().writerRestarts).toBe(1);

    const titles = (await t.board.listTasks({})).tasks.map((x) => x.title).sort();
    expect(titles).toEqual(['after restart', 'committed before']);
    const detail = await t.board.getTask({ id: kept.id });
    expect(detail).toMatchObject({ status: 'idle', comments: [] });
    expect(inspect(t.dbPath, (db) => db.pragma('integrity_check', { simple: true }))).toBe('ok');
    expect(inspect(t.dbPath, (db) => db.pragma('foreign_key_check'))).toEqual([]);
    expect((await t.board.health()).writer.ok).toBe(true);
  });

  it('is refused unless fault injection was allowed', async () => {
    const plain = await openBoard();
    try {
      await expectCode(plain.board.crashWriter(), 'FEATURE_DISABLED');
    } finally {
      await plain.close();
    }
  });
});
