import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('bad arguments ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeAll(async () => {
    t = await openBoard({ inline });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a missing required argument → INVALID_ARGUMENT naming it', async () => {
    expect(await expectCode(t.board.createTask({ title: 'x' }), 'INVALID_ARGUMENT')).toContain(
      'created_by is required',
    );
    expect(await expectCode(t.board.signupForTask({}), 'INVALID_ARGUMENT')).toContain('agent_name');
    await expectCode(t.board.getTask(undefined), 'INVALID_ARGUMENT');
  });

  it('wrong types, ranges and lengths → INVALID_ARGUMENT', async () => {
    await expectCode(t.board.getTask({ id: 'abc' }), 'INVALID_ARGUMENT');
    await expectCode(t.board.getTask({ id: -1 }), 'INVALID_ARGUMENT');
    await expectCode(t.board.createTask({ title: '', created_by: 'c' }), 'INVALID_ARGUMENT');
    await expectCode(t.board.createTask({ title: 'x'.repeat(501), created_by: 'c' }), 'INVALID_ARGUMENT');
    await expectCode(t.board.createTask({ title: 'x', created_by: 'c', priority: 1.5 }), 'INVALID_ARGUMENT');
    await expectCode(t.board.createTask({ title: 'x', created_by: 'c', tags: 'a,b' }), 'INVALID_ARGUMENT');
    await expectCode(t.board.updateTask({ id: 1, status: 'done' }), 'INVALID_ARGUMENT');
    await expectCode(t.board.listTasks({ limit: 1001 }), 'INVALID_ARGUMENT');
    await expectCode(t.board.listTasks({ status: [] }), 'INVALID_ARGUMENT');
    await expectCode(t.board.completeAgents({ prefix: 1, limit: 10 }), 'INVALID_ARGUMENT');
    await expectCode(t.board.pageTaskIds({ after_id: -1, limit: 10, archived: false }), 'INVALID_ARGUMENT');
  });

  it('contradictory or empty filters → INVALID_ARGUMENT saying what to change', async () => {
    expect(await expectCode(t.board.listTasks({ status: [] }), 'INVALID_ARGUMENT')).toContain(
      'status must not be an empty array',
    );
    for (const call of [
      t.board.listTasks({ parent_task_id: 1, exclude_subtasks: true }),
      t.board.getQueueTasks({ queue_name: 'dev', parent_task_id: '1', exclude_subtasks: true }),
    ]) {
      expect(await expectCode(call, 'INVALID_ARGUMENT')).toContain('pass one of them, not both');
    }
    await expect(t.board.listTasks({ parent_task_id: 1, exclude_subtasks: false })).resolves.toMatchObject({
      total: expect.any(Number),
    });
  });

  it('unknown arguments → INVALID_ARGUMENT naming them', async () => {
    expect(
      await expectCode(
        t.board.createTask({ title: 'x', created_by: 'c', colour: 'red' }),
        'INVALID_ARGUMENT',
      ),
    ).toContain('"colour"');
  });

  it('nothing is written by a refused call', async () => {
    await expectCode(
      t.board.createTask({ title: 'x', created_by: 'c', priority: 'high' }),
      'INVALID_ARGUMENT',
    );
    expect((await t.board.listTasks({ include_archived: true })).total).toBe(0);
  });

  it('backup needs a path', async () => {
    await expectCode(t.board.backup(''), 'INVALID_ARGUMENT');
  });
});
