import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeSet } from '../src/domain/types.js';
import { MODES, openBoard, type TestBoard } from './core-support.js';

/**
 * A parent's own resource (its subtask_count, its hierarchy) changes whenever a child joins or leaves it, even when
 * the roll-up leaves its status as it was: the change event must name the parent so subscribers hear of it.
 */
describe.each(MODES)('change events name the parent whose children changed ($mode)', ({ inline }) => {
  let t: TestBoard;
  let seen: ChangeSet[];
  beforeEach(async () => {
    t = await openBoard({ inline });
    seen = [];
    t.board.on('change', (c) => seen.push(c));
  });
  afterEach(async () => {
    await t.close();
  });
  const last = () => seen.at(-1)?.tasks ?? [];

  it('create_subtask, archive, delete and moves name the (old and new) parent even when its status stays', async () => {
    const p = await t.board.createTask({ title: 'p', created_by: 'c' });
    const q = await t.board.createTask({ title: 'q', created_by: 'c' });

    const child = await t.board.createSubtask({ parent_task_id: p.id, title: 'c1', created_by: 'c' });
    expect((await t.board.getTask({ id: p.id })).status).toBe('idle');
    expect(last()).toContain(p.id);

    const other = await t.board.createSubtask({ parent_task_id: p.id, title: 'c2', created_by: 'c' });
    expect(last()).toContain(p.id);

    await t.board.moveSubtask({ subtask_id: other.id, new_parent_id: q.id });
    expect(last()).toEqual(expect.arrayContaining([p.id, q.id, other.id]));

    await t.board.updateTask({ id: other.id, parent_task_id: p.id });
    expect(last()).toEqual(expect.arrayContaining([p.id, q.id, other.id]));

    await t.board.archiveTask({ id: other.id });
    expect(last()).toContain(p.id);

    await t.board.deleteTask({ id: child.id });
    expect(last()).toContain(p.id);
    expect((await t.board.getTask({ id: p.id })).subtask_count).toBe(0);
  });
});
