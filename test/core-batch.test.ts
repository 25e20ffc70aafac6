import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchStats } from '../src/db/protocol.js';
import { createServerMetrics } from '../src/metrics.js';
import { MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('group commit ($mode)', ({ inline }) => {
  let t: TestBoard;
  const metrics = createServerMetrics();
  beforeEach(async () => {
    t = await openBoard({ inline, metrics });
  });
  afterEach(async () => {
    await t.close();
  });

  it('writes issued in the same tick share one batch, and a failing command leaves its neighbours committed', async () => {
    const existing = await t.board.createTask({ title: 'existing', created_by: 'c' });
    const batches: BatchStats[] = [];
    t.board.on('batch', (s) => batches.push(s));
    const results = await Promise.allSettled([
      t.board.createTask({ title: 'before', created_by: 'c' }),
      t.board.updateTask({ id: existing.id, title: 'renamed' }),
      // Fails inside the batch: the blocker does not exist.
      t.board.createTask({ title: 'doomed', created_by: 'c', blocked_by_task_id: 999_999 }),
      t.board.moveTask({ task_id: existing.id, current_agent: 'nobody', new_agent: 'x', comment: 'fails' }),
      t.board.addComment({ task_id: existing.id, content: 'after' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.size).toBe(5);
    const titles = (await t.board.listTasks({})).tasks.map((x) => x.title).sort();
    expect(titles).toEqual(['before', 'renamed']);
    const detail = await t.board.getTask({ id: existing.id });
    expect(detail.comments.map((c) => c.content)).toEqual(['after']);
    expect(detail.assigned_to).toBeNull();
    expect(metrics.writerBatchSize.summary().count).toBeGreaterThanOrEqual(2);
    expect(t.board.stats()).toMatchObject({ lastBatchSize: 5, writesFailed: 2 });
  });

  it('splits a burst larger than the batch limit into several batches, answering every write', async () => {
    await t.close();
    t = await openBoard({ inline, config: { writeBatchMax: 10 } });
    const sizes: number[] = [];
    t.board.on('batch', (s) => sizes.push(s.size));
    const created = await Promise.all(
      Array.from({ length: 35 }, (_, i) => t.board.createTask({ title: `t${i}`, created_by: 'c' })),
    );
    expect(new Set(created.map((c) => c.id)).size).toBe(35);
    expect(sizes).toEqual([10, 10, 10, 5]);
  });

  it('emits change events naming tasks, agents and queues, and none for a write that changed nothing', async () => {
    const changes: unknown[] = [];
    t.board.on('change', (c) => changes.push(c));
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'a', queue_name: 'q' });
    // Idle and assigned: ready for its agent (a queue's ready list holds only unassigned work).
    expect(changes).toEqual([
      { tasks: [task.id], agents: ['a'], queues: ['q'], ready: { agents: ['a'], queues: [] } },
    ]);
    await t.board.updateTask({ id: task.id, title: 'x' });
    expect(await t.board.signupForTask({ agent_name: 'nobody' })).toBeNull();
    expect(changes).toHaveLength(1);
  });
});
