import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('move_task hand-off ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  it('sets idle, reassigns, records previous_assigned_to and adds the hand-off comment by the current agent', async () => {
    const task = await t.board.createTask({
      title: 'x',
      created_by: 'c',
      assigned_to: 'dev',
      queue_name: 'dev',
    });
    await t.board.signupForTask({ agent_name: 'dev' });
    const changes: string[][] = [];
    t.board.on('change', (c) => changes.push(c.agents));
    const moved = await t.board.moveTask({
      task_id: task.id,
      current_agent: 'dev',
      new_agent: 'qa',
      comment: 'Ready for review',
    });
    expect(moved).toMatchObject({ status: 'idle', assigned_to: 'qa', previous_assigned_to: 'dev' });
    const detail = await t.board.getTask({ id: task.id });
    expect(detail.comments).toHaveLength(1);
    expect(detail.comments[0]).toMatchObject({ content: 'Ready for review', created_by: 'dev' });
    expect(changes.at(-1)?.sort()).toEqual(['dev', 'qa']);
    expect((await t.board.getMyQueue({ agent_name: 'qa' })).map((x) => x.id)).toEqual([task.id]);
    expect(await t.board.getMyQueue({ agent_name: 'dev' })).toEqual([]);
    const history = await t.board.getTaskHistory({ task_id: task.id });
    // The claim (idle → working), then the hand-off's three field changes, all by dev.
    expect(history.map((h) => [h.field_name, h.old_value, h.new_value, h.changed_by])).toEqual([
      ['status', 'idle', 'working', 'dev'],
      ['status', 'working', 'idle', 'dev'],
      ['assigned_to', 'dev', 'qa', 'dev'],
      ['previous_assigned_to', null, 'dev', 'dev'],
    ]);
  });

  it('checks the current assignee (NOT_ASSIGNEE), the task (NOT_FOUND) and refuses complete tasks (CONFLICT), writing nothing', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'dev' });
    const message = await expectCode(
      t.board.moveTask({ task_id: task.id, current_agent: 'impostor', new_agent: 'qa', comment: 'hi' }),
      'NOT_ASSIGNEE',
    );
    expect(message).toContain('"dev"');
    await expectCode(
      t.board.moveTask({ task_id: 999, current_agent: 'dev', new_agent: 'qa', comment: 'hi' }),
      'NOT_FOUND',
    );
    await t.board.updateTask({ id: task.id, status: 'complete' });
    await expectCode(
      t.board.moveTask({ task_id: task.id, current_agent: 'dev', new_agent: 'qa', comment: 'hi' }),
      'CONFLICT',
    );
    const detail = await t.board.getTask({ id: task.id });
    expect(detail).toMatchObject({ assigned_to: 'dev', status: 'complete', comments: [] });
  });

  it('an unassigned task cannot be handed off: NOT_ASSIGNEE says to assign it first', async () => {
    const task = await t.board.createTask({ title: 'nobody’s', created_by: 'c' });
    const message = await expectCode(
      t.board.moveTask({ task_id: task.id, current_agent: 'dev', new_agent: 'qa', comment: 'hi' }),
      'NOT_ASSIGNEE',
    );
    expect(message).toContain('not assigned to anyone');
    expect(message).toContain('update_task');
    expect(await t.board.getTask({ id: task.id })).toMatchObject({ assigned_to: null, comments: [] });
  });

  it('hands off an idle task too', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'a' });
    const moved = await t.board.moveTask({
      task_id: task.id,
      current_agent: 'a',
      new_agent: 'b',
      comment: 'yours',
    });
    expect(moved).toMatchObject({ status: 'idle', assigned_to: 'b', previous_assigned_to: 'a' });
  });
});
