import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('queues ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  it('add, move and remove a task’s queue', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c' });
    expect((await t.board.addTaskToQueue({ task_id: task.id, queue_name: 'dev' })).queue_name).toBe('dev');
    expect((await t.board.moveTaskToQueue({ task_id: task.id, new_queue_name: 'qa' })).queue_name).toBe('qa');
    expect((await t.board.removeTaskFromQueue({ task_id: task.id })).queue_name).toBeNull();
    await expectCode(t.board.addTaskToQueue({ task_id: 999, queue_name: 'dev' }), 'NOT_FOUND');
  });

  it('list_queues counts unarchived tasks per status; get_queue_stats breaks them down by assignee', async () => {
    const a = await t.board.createTask({ title: 'a', created_by: 'c', queue_name: 'dev', assigned_to: 'x' });
    await t.board.createTask({ title: 'b', created_by: 'c', queue_name: 'dev', assigned_to: 'x' });
    await t.board.createTask({ title: 'c', created_by: 'c', queue_name: 'dev' });
    const gone = await t.board.createTask({ title: 'd', created_by: 'c', queue_name: 'dev' });
    await t.board.createTask({ title: 'e', created_by: 'c', queue_name: 'qa', assigned_to: 'y' });
    await t.board.updateTask({ id: a.id, status: 'working' });
    await t.board.archiveTask({ id: gone.id });
    expect(await t.board.listQueues({})).toEqual([
      { queue_name: 'dev', total: 3, idle: 2, working: 1, complete: 0 },
      { queue_name: 'qa', total: 1, idle: 1, working: 0, complete: 0 },
    ]);
    const stats = await t.board.getQueueStats({ queue_name: 'dev' });
    expect(stats).toEqual({
      queue_name: 'dev',
      total: 3,
      by_status: { idle: 2, working: 1, complete: 0 },
      by_assignee: [
        { assigned_to: null, total: 1, idle: 1, working: 0, complete: 0 },
        { assigned_to: 'x', total: 2, idle: 1, working: 1, complete: 0 },
      ],
      unassigned: 1,
    });
    expect(await t.board.getQueueStats({ queue_name: 'empty' })).toMatchObject({ total: 0, by_assignee: [] });
  });

  it('get_queue_tasks applies the list filters within the queue', async () => {
    const a = await t.board.createTask({
      title: 'a',
      created_by: 'c',
      queue_name: 'dev',
      assigned_to: 'x',
      priority: 1,
    });
    const b = await t.board.createTask({
      title: 'b',
      created_by: 'c',
      queue_name: 'dev',
      assigned_to: 'y',
      priority: 5,
    });
    await t.board.createTask({ title: 'c', created_by: 'c', queue_name: 'qa' });
    expect((await t.board.getQueueTasks({ queue_name: 'dev' })).tasks.map((x) => x.id)).toEqual([b.id, a.id]);
    expect(
      (await t.board.getQueueTasks({ queue_name: 'dev', assigned_to: 'x' })).tasks.map((x) => x.id),
    ).toEqual([a.id]);
  });

  it('clear_queue takes the queue’s unarchived tasks out of it and deletes nothing', async () => {
    const a = await t.board.createTask({ title: 'a', created_by: 'c', queue_name: 'dev' });
    const b = await t.board.createTask({ title: 'b', created_by: 'c', queue_name: 'dev' });
    const archived = await t.board.createTask({ title: 'old', created_by: 'c', queue_name: 'dev' });
    const other = await t.board.createTask({ title: 'o', created_by: 'c', queue_name: 'qa' });
    await t.board.archiveTask({ id: archived.id });
    const events: string[][] = [];
    t.board.on('change', (c) => events.push(c.queues));
    expect(await t.board.clearQueue({ queue_name: 'dev' })).toEqual({
      queue_name: 'dev',
      cleared: 2,
      task_ids: [a.id, b.id],
    });
    expect(events).toEqual([['dev']]);
    expect((await t.board.getTask({ id: a.id })).queue_name).toBeNull();
    expect((await t.board.getTask({ id: archived.id })).queue_name).toBe('dev');
    expect((await t.board.getTask({ id: other.id })).queue_name).toBe('qa');
    expect((await t.board.listTasks({ include_archived: true })).total).toBe(4);
    expect(await t.board.clearQueue({ queue_name: 'dev' })).toEqual({
      queue_name: 'dev',
      cleared: 0,
      task_ids: [],
    });
  });
});
