import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('parent status roll-up ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });
  const status = async (id: number) => (await t.board.getTask({ id })).status;

  it('rolls up through three levels: working as soon as a leaf works, complete when every leaf is complete', async () => {
    const root = await t.board.createTask({ title: 'root', created_by: 'c' });
    const mid = await t.board.createSubtask({ parent_task_id: root.id, title: 'mid', created_by: 'c' });
    const leafA = await t.board.createSubtask({
      parent_task_id: mid.id,
      title: 'leaf a',
      created_by: 'c',
      assigned_to: 'w',
    });
    const leafB = await t.board.createSubtask({
      parent_task_id: mid.id,
      title: 'leaf b',
      created_by: 'c',
      assigned_to: 'w',
    });

    const claimed = await t.board.signupForTask({ agent_name: 'w' });
    expect(claimed?.id).toBe(leafA.id);
    expect([await status(mid.id), await status(root.id)]).toEqual(['working', 'working']);

    await t.board.updateTask({ id: leafA.id, status: 'complete' });
    // One complete, one idle: nothing is working any more.
    expect([await status(mid.id), await status(root.id)]).toEqual(['idle', 'idle']);

    await t.board.updateTask({ id: leafB.id, status: 'complete' });
    expect([await status(mid.id), await status(root.id)]).toEqual(['complete', 'complete']);

    const history = await t.board.getTaskHistory({ task_id: root.id });
    expect(
      history.filter((h) => h.field_name === 'status').map((h) => [h.old_value, h.new_value, h.changed_by]),
    ).toEqual([
      ['idle', 'working', 'system:rollup'],
      ['working', 'idle', 'system:rollup'],
      ['idle', 'complete', 'system:rollup'],
    ]);
  });

  it('a new idle child re-opens a complete parent; archiving or deleting it completes the parent again', async () => {
    const parent = await t.board.createTask({ title: 'p', created_by: 'c' });
    const done = await t.board.createSubtask({ parent_task_id: parent.id, title: 'done', created_by: 'c' });
    await t.board.updateTask({ id: done.id, status: 'complete' });
    expect(await status(parent.id)).toBe('complete');
    const extra = await t.board.createSubtask({ parent_task_id: parent.id, title: 'extra', created_by: 'c' });
    expect(await status(parent.id)).toBe('idle');
    await t.board.archiveTask({ id: extra.id });
    expect(await status(parent.id)).toBe('complete');
    const extra2 = await t.board.createSubtask({
      parent_task_id: parent.id,
      title: 'extra2',
      created_by: 'c',
    });
    expect(await status(parent.id)).toBe('idle');
    await t.board.deleteTask({ id: extra2.id });
    expect(await status(parent.id)).toBe('complete');
  });

  it('leaves a parent alone when it has no non-archived children, or when auto_promote is false', async () => {
    const parent = await t.board.createTask({ title: 'p', created_by: 'c' });
    await t.board.updateTask({ id: parent.id, status: 'working' });
    const only = await t.board.createSubtask({ parent_task_id: parent.id, title: 'only', created_by: 'c' });
    expect(await status(parent.id)).toBe('idle');
    await t.board.updateTask({ id: parent.id, status: 'working' });
    await t.board.deleteTask({ id: only.id });
    expect(await status(parent.id)).toBe('working');

    const manual = await t.board.createTask({ title: 'manual', created_by: 'c', auto_promote: false });
    const child = await t.board.createSubtask({ parent_task_id: manual.id, title: 'c', created_by: 'c' });
    await t.board.updateTask({ id: child.id, status: 'complete' });
    expect(await status(manual.id)).toBe('idle');
    // Switching auto_promote on applies the rule at once.
    await t.board.updateTask({ id: manual.id, auto_promote: true });
    expect(await status(manual.id)).toBe('complete');
  });

  it('a hand-off (move_task) and move_subtask roll up both old and new parents', async () => {
    const p1 = await t.board.createTask({ title: 'p1', created_by: 'c' });
    const p2 = await t.board.createTask({ title: 'p2', created_by: 'c' });
    const child = await t.board.createSubtask({
      parent_task_id: p1.id,
      title: 'c',
      created_by: 'c',
      assigned_to: 'a',
    });
    const other = await t.board.createSubtask({ parent_task_id: p1.id, title: 'o', created_by: 'c' });
    await t.board.updateTask({ id: other.id, status: 'complete' });
    await t.board.signupForTask({ agent_name: 'a' });
    expect(await status(p1.id)).toBe('working');
    await t.board.moveTask({ task_id: child.id, current_agent: 'a', new_agent: 'b', comment: 'over to you' });
    expect(await status(p1.id)).toBe('idle');
    await t.board.updateTask({ id: child.id, status: 'working' });
    expect(await status(p1.id)).toBe('working');
    const moved = await t.board.moveSubtask({ subtask_id: child.id, new_parent_id: p2.id });
    expect(moved.parent_task_id).toBe(p2.id);
    expect([await status(p1.id), await status(p2.id)]).toEqual(['complete', 'working']);
    const top = await t.board.moveSubtask({ subtask_id: child.id, new_parent_id: null });
    expect(top.parent_task_id).toBeNull();
    // p2 has no children left: left alone.
    expect(await status(p2.id)).toBe('working');
  });

  it('the change event names every rolled-up ancestor', async () => {
    const root = await t.board.createTask({ title: 'root', created_by: 'c' });
    const mid = await t.board.createSubtask({ parent_task_id: root.id, title: 'mid', created_by: 'c' });
    const leaf = await t.board.createSubtask({
      parent_task_id: mid.id,
      title: 'leaf',
      created_by: 'c',
      assigned_to: 'w',
      queue_name: 'q',
    });
    const seen: number[][] = [];
    t.board.on('change', (c) => seen.push(c.tasks));
    const claimed = await t.board.signupForTask({ agent_name: 'w' });
    expect(claimed?.id).toBe(leaf.id);
    expect(seen.at(-1)?.sort()).toEqual([root.id, mid.id, leaf.id].sort());
  });
});
