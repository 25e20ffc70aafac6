import { afterEach, describe, expect, it } from 'vitest';
import { MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('bounded write queue ($mode)', ({ inline }) => {
  let t: TestBoard | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('past the queue limit a write fails at once with OVERLOADED and nothing of it is written', async () => {
    t = await openBoard({ inline, config: { writeQueueLimit: 5 } });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => t!.board.createTask({ title: `t${i}`, created_by: 'c' })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as { code: string; message: string });
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(7);
    for (const e of refused) {
      expect(e.code).toBe('OVERLOADED');
      expect(e.message).toContain('retry');
    }
    expect((await t.board.listTasks({})).total).toBe(5);
    expect(t.board.stats()).toMatchObject({ writesOverloaded: 7, writeQueueDepth: 0, writeQueueLimit: 5 });
    // Once the queue drained, writes are accepted again.
    await t.board.createTask({ title: 'later', created_by: 'c' });
  });
});
