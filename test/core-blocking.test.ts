import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('blocking and ancestry rules ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  it('a blocker must exist', async () => {
    await expectCode(
      t.board.createTask({ title: 'x', created_by: 'c', blocked_by_task_id: 404 }),
      'NOT_FOUND',
    );
    const task = await t.board.createTask({ title: 'x', created_by: 'c' });
    await expectCode(t.board.updateTask({ id: task.id, blocked_by_task_id: 404 }), 'NOT_FOUND');
  });

  it('a task cannot block itself', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c' });
    const message = await expectCode(
      t.board.updateTask({ id: task.id, blocked_by_task_id: task.id }),
      'DEPENDENCY_CYCLE',
    );
    expect(message).toContain('block itself');
  });

  it('refuses a blocking cycle through other tasks, and accepts a chain', async () => {
    const a = await t.board.createTask({ title: 'a', created_by: 'c' });
    const b = await t.board.createTask({ title: 'b', created_by: 'c', blocked_by_task_id: a.id });
    const c = await t.board.createTask({ title: 'c', created_by: 'c', blocked_by_task_id: b.id });
    await expectCode(t.board.updateTask({ id: a.id, blocked_by_task_id: c.id }), 'DEPENDENCY_CYCLE');
    await expectCode(t.board.updateTask({ id: a.id, blocked_by_task_id: b.id }), 'DEPENDENCY_CYCLE');
    expect((await t.board.getTask({ id: a.id })).blocked_by_task_id).toBeNull();
    const d = await t.board.createTask({ title: 'd', created_by: 'c' });
    expect((await t.board.updateTask({ id: a.id, blocked_by_task_id: d.id })).blocked_by_task_id).toBe(d.id);
    expect((await t.board.updateTask({ id: a.id, blocked_by_task_id: null })).blocked_by_task_id).toBeNull();
  });

  it('refuses making a task its own parent or ancestor (update_task and move_subtask)', async () => {
    const root = await t.board.createTask({ title: 'root', created_by: 'c' });
    const mid = await t.board.createSubtask({ parent_task_id: root.id, title: 'mid', created_by: 'c' });
    const leaf = await t.board.createSubtask({ parent_task_id: mid.id, title: 'leaf', created_by: 'c' });
    await expectCode(t.board.moveSubtask({ subtask_id: root.id, new_parent_id: root.id }), 'CYCLE');
    await expectCode(t.board.moveSubtask({ subtask_id: root.id, new_parent_id: leaf.id }), 'CYCLE');
    await expectCode(t.board.updateTask({ id: root.id, parent_task_id: mid.id }), 'CYCLE');
    await expectCode(t.board.moveSubtask({ subtask_id: leaf.id, new_parent_id: 999 }), 'NOT_FOUND');
    await expectCode(t.board.moveSubtask({ subtask_id: 999, new_parent_id: root.id }), 'NOT_FOUND');
    expect((await t.board.getTask({ id: root.id })).parent_task_id).toBeNull();
    expect((await t.board.moveSubtask({ subtask_id: leaf.id, new_parent_id: root.id })).parent_task_id).toBe(
      root.id,
    );
  });
});

describe.each(MODES)('subtasks ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  it('create_subtask inherits the parent’s queue unless one is given, and needs an existing parent', async () => {
    const parent = await t.board.createTask({ title: 'p', created_by: 'c', queue_name: 'dev' });
    expect(
      (await t.board.createSubtask({ parent_task_id: parent.id, title: 's', created_by: 'c' })).queue_name,
    ).toBe('dev');
    expect(
      (
        await t.board.createSubtask({
          parent_task_id: parent.id,
          title: 's',
          created_by: 'c',
          queue_name: 'qa',
        })
      ).queue_name,
    ).toBe('qa');
    await expectCode(
      t.board.createSubtask({ parent_task_id: 999, title: 's', created_by: 'c' }),
      'NOT_FOUND',
    );
  });

  it('get_subtasks (direct, recursive, with archived) and get_task_with_subtasks (tree)', async () => {
    const root = await t.board.createTask({ title: 'root', created_by: 'c' });
    const a = await t.board.createSubtask({
      parent_task_id: root.id,
      title: 'a',
      created_by: 'c',
      priority: 2,
    });
    const b = await t.board.createSubtask({ parent_task_id: root.id, title: 'b', created_by: 'c' });
    const a1 = await t.board.createSubtask({ parent_task_id: a.id, title: 'a1', created_by: 'c' });
    await t.board.archiveTask({ id: b.id });
    expect((await t.board.getSubtasks({ parent_task_id: root.id })).map((x) => x.id)).toEqual([a.id]);
    expect(
      (await t.board.getSubtasks({ parent_task_id: root.id, include_archived: true })).map((x) => x.id),
    ).toEqual([a.id, b.id]);
    expect(
      (await t.board.getSubtasks({ parent_task_id: root.id, recursive: true })).map((x) => x.id),
    ).toEqual([a.id, a1.id]);
    await expectCode(t.board.getSubtasks({ parent_task_id: 999 }), 'NOT_FOUND');

    const flat = await t.board.getTaskWithSubtasks({ task_id: root.id });
    expect(flat.subtasks.map((s) => [s.id, s.subtasks.length])).toEqual([[a.id, 0]]);
    const tree = await t.board.getTaskWithSubtasks({
      task_id: root.id,
      recursive: true,
      include_archived: true,
    });
    expect(tree.id).toBe(root.id);
    expect(tree.subtasks.map((s) => s.id)).toEqual([a.id, b.id]);
    expect(tree.subtasks[0]?.subtasks.map((s) => s.id)).toEqual([a1.id]);
    expect((await t.board.getTask({ id: root.id })).subtask_count).toBe(1);
  });
});
