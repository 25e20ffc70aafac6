import { afterEach, describe, expect, it } from 'vitest';
import { expectCode, inspect, MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('task history ($mode)', ({ inline }) => {
  let t: TestBoard | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('records each changed field with old and new value, who and when, in the same transaction', async () => {
    t = await openBoard({ inline, config: { enableHistory: true } });
    expect(t.board.historyEnabled).toBe(true);
    const task = await t.board.createTask({ title: 'x', created_by: 'c', priority: 1, tags: ['a'] });
    await t.board.updateTask({
      id: task.id,
      title: 'y',
      priority: 3,
      tags: ['a', 'b'],
      updated_by: 'editor',
    });
    await t.board.updateTask({ id: task.id, title: 'y' });
    await t.board.addTaskToQueue({ task_id: task.id, queue_name: 'dev' });
    await t.board.archiveTask({ id: task.id });
    const history = await t.board.getTaskHistory({ task_id: task.id });
    expect(history.map((h) => [h.field_name, h.old_value, h.new_value, h.changed_by])).toEqual([
      ['title', 'x', 'y', 'editor'],
      ['priority', '1', '3', 'editor'],
      ['tags', '["a"]', '["a","b"]', 'editor'],
      ['queue_name', null, 'dev', null],
      ['archived_at', null, expect.any(String), null],
    ]);
    expect(history[0]?.changed_at).toMatch(/Z$/);
    await expectCode(t.board.getTaskHistory({ task_id: 999 }), 'NOT_FOUND');
  });

  it('records nothing and refuses get_task_history with FEATURE_DISABLED when history is off', async () => {
    t = await openBoard({ inline, config: { enableHistory: false } });
    expect(t.board.historyEnabled).toBe(false);
    const task = await t.board.createTask({ title: 'x', created_by: 'c' });
    await t.board.updateTask({ id: task.id, title: 'y' });
    await expectCode(t.board.getTaskHistory({ task_id: task.id }), 'FEATURE_DISABLED');
    expect(inspect(t.dbPath, (db) => db.prepare('SELECT count(*) AS n FROM task_history').get())).toEqual({
      n: 0,
    });
  });
});
