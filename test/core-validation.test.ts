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
