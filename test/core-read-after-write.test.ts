import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('read after write ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline, config: { readThreads: 3 } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('every read issued after a write resolved sees that write, whichever reader thread serves it', async () => {
    const task = await t.board.createTask({ title: 'v0', created_by: 'c', assigned_to: 'a' });
    for (let i = 1; i <= 150; i++) {
      await t.board.updateTask({ id: task.id, title: `v${i}` });
      const [detail, page, queue] = await Promise.all([
        t.board.getTask({ id: task.id }),
        t.board.listTasks({}),
        t.board.getMyQueue({ agent_name: 'a' }),
      ]);
      expect(detail.title).toBe(`v${i}`);
      expect(page.tasks[0]?.title).toBe(`v${i}`);
      expect(queue[0]?.title).toBe(`v${i}`);
    }
  });

  it('a created task is readable at once, concurrently from many reads', async () => {
    for (let i = 0; i < 40; i++) {
      const created = await t.board.createTask({ title: `t${i}`, created_by: 'c' });
      const reads = await Promise.all(Array.from({ length: 6 }, () => t.board.getTask({ id: created.id })));
      for (const r of reads) expect(r.id).toBe(created.id);
    }
  });

  it('reads issued together are each answered with their own result, and a failing read fails alone', async () => {
    const tasks = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.board.createTask({ title: `t${i}`, created_by: 'c' })),
    );
    const reads = await Promise.allSettled([
      ...tasks.map((task) => t.board.getTask({ id: task.id })),
      t.board.getTask({ id: 999_999 }),
      t.board.listTasks({ limit: 5 }),
    ]);
    tasks.forEach((task, i) => {
      const r = reads[i];
      expect(r?.status).toBe('fulfilled');
      expect((r as PromiseFulfilledResult<{ title: string }>).value.title).toBe(task.title);
    });
    expect(reads[30]).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
    expect(reads[31]).toMatchObject({ status: 'fulfilled', value: { total: 30, limit: 5 } });
    expect(t.board.stats().readsTotal).toBeGreaterThanOrEqual(32);
  });
});
