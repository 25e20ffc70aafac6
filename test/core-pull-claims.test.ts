import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeSet, Task } from '../src/domain/types.js';
import { expectCode, MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('claim_next_task ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  const create = (title: string, more: Record<string, unknown> = {}) =>
    t.board.createTask({ title, created_by: 'c', ...more });

  it('takes the best ready task among the agent’s own and the unassigned ones in its queue', async () => {
    const low = await create('low', { queue_name: 'q', priority: 1 });
    const mine = await create('mine', { assigned_to: 'me', priority: 5 });
    const top = await create('top', { queue_name: 'q', priority: 9 });
    await create('someone else’s', { queue_name: 'q', assigned_to: 'you', priority: 100 });
    await create('other queue', { queue_name: 'r', priority: 100 });
    const order: Array<number | null> = [];
    for (let i = 0; i < 4; i++) {
      const c = await t.board.claimNextTask({ agent_name: 'me', queue_name: 'q' });
      order.push(c?.id ?? null);
      if (c) expect(c).toMatchObject({ status: 'working', assigned_to: 'me', attempts: 1 });
    }
    expect(order).toEqual([top.id, mine.id, low.id, null]);
    // A pulled task records that it was unassigned before.
    expect(await t.board.getTask({ id: top.id })).toMatchObject({
      assigned_to: 'me',
      previous_assigned_to: null,
    });
  });

  it('at equal priority the older task goes first, whether it is the agent’s own or the queue’s', async () => {
    const first = await create('queued first', { queue_name: 'q', priority: 3 });
    const second = await create('mine second', { assigned_to: 'me', priority: 3 });
    const third = await create('queued third', { queue_name: 'q', priority: 3 });
    const order: Array<number | undefined> = [];
    for (let i = 0; i < 3; i++)
      order.push((await t.board.claimNextTask({ agent_name: 'me', queue_name: 'q' }))?.id);
    expect(order).toEqual([first.id, second.id, third.id]);
  });

  it('without queue_name only the agent’s own tasks count', async () => {
    await create('team', { queue_name: 'q', priority: 9 });
    expect(await t.board.claimNextTask({ agent_name: 'me' })).toBeNull();
  });

  it('claims a named task only when it is ready and unassigned or the agent’s', async () => {
    const free = await create('free');
    const yours = await create('yours', { assigned_to: 'you' });
    const done = await create('done', { assigned_to: 'me' });
    await t.board.updateTask({ id: done.id, status: 'complete' });
    const claimed = (await t.board.claimNextTask({ agent_name: 'me', task_id: free.id })) as Task;
    expect(claimed).toMatchObject({ id: free.id, assigned_to: 'me', status: 'working' });
    const again = await expectCode(t.board.claimNextTask({ agent_name: 'me', task_id: free.id }), 'CONFLICT');
    expect(again).toContain('already being worked on');
    const other = await expectCode(
      t.board.claimNextTask({ agent_name: 'me', task_id: yours.id }),
      'CONFLICT',
    );
    expect(other).toContain('"you"');
    await expectCode(t.board.claimNextTask({ agent_name: 'me', task_id: done.id }), 'CONFLICT');
    await expectCode(t.board.claimNextTask({ agent_name: 'me', task_id: 987_654 }), 'NOT_FOUND');
    await expectCode(t.board.claimNextTask({ agent_name: '' }), 'INVALID_ARGUMENT');
    await expectCode(t.board.claimNextTask({ agent_name: 'me', lease_seconds: 0 }), 'INVALID_ARGUMENT');
  });

  it('a claim tells listeners the task left the ready list; a create tells them one joined', async () => {
    const changes: ChangeSet[] = [];
    t.board.on('change', (c) => changes.push(c));
    const task = await create('t', { queue_name: 'q' });
    expect(changes.at(-1)?.ready).toEqual({ agents: [], queues: ['q'] });
    await t.board.claimNextTask({ agent_name: 'me', queue_name: 'q' });
    expect(changes.at(-1)?.tasks).toContain(task.id);
    expect(changes.at(-1)?.agents).toContain('me');
    expect(changes.at(-1)?.ready).toBeUndefined();
  });

  it('300 concurrent claims over 100 queued tasks: each task claimed exactly once', async () => {
    const tasks = await Promise.all(
      Array.from({ length: 100 }, (_, i) => create(`t${i}`, { queue_name: 'pool', priority: i % 7 })),
    );
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        t.board.claimNextTask({ agent_name: `agent-${i % 60}`, queue_name: 'pool' }),
      ),
    );
    const won = results.filter((r): r is Task => r !== null);
    expect(won).toHaveLength(100);
    expect(new Set(won.map((r) => r.id)).size).toBe(100);
    expect(new Set(won.map((r) => r.lease_id)).size).toBe(100);
    for (const task of tasks) {
      const stored = await t.board.getTask({ id: task.id });
      const winner = won.find((r) => r.id === task.id);
      expect(stored).toMatchObject({ status: 'working', attempts: 1, assigned_to: winner?.assigned_to });
    }
  });
});
