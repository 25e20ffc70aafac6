import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, MODES, openBoard, type TestBoard } from './core-support.js';

/**
 * A chain of subtasks thousands of levels deep (agents can build one) must not make a tree read hang or fail as
 * INTERNAL: the nested answer is refused with a message saying how to read the tree in parts, and the flat
 * recursive list still works.
 */
describe.each(MODES)('very deep subtask chains ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline, config: { enableHistory: false } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('answers every tree read of a 2000-level chain: nested refused with CONFLICT and a way out, flat listed', async () => {
    const root = await t.board.createTask({ title: 'root', created_by: 'c' });
    const chain = [root.id];
    for (let i = 0; i < 2000; i++) {
      const child = await t.board.createSubtask({
        parent_task_id: chain.at(-1)!,
        title: `l${i}`,
        created_by: 'c',
      });
      chain.push(child.id);
    }

    const message = await expectCode(
      t.board.getTaskWithSubtasks({ task_id: root.id, recursive: true }),
      'CONFLICT',
    );
    expect(message).toMatch(/get_task_with_subtasks/);
    expect(message).toMatch(/get_subtasks/);

    const flat = await t.board.getSubtasks({ parent_task_id: root.id, recursive: true });
    expect(flat.map((x) => x.id)).toEqual(chain.slice(1));

    // Direct children only, and the bottom of the chain nested, still work.
    const direct = await t.board.getTaskWithSubtasks({ task_id: root.id });
    expect(direct.subtasks.map((x) => x.id)).toEqual([chain[1]]);
    const bottom = await t.board.getTaskWithSubtasks({ task_id: chain[1950]!, recursive: true });
    let depth = 0;
    for (let node = bottom; node.subtasks.length > 0; node = node.subtasks[0]!) depth++;
    expect(depth).toBe(50);
  });
});
