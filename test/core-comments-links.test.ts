import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('comments and links ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  it('adds, gets, lists, updates, moves and deletes comments', async () => {
    const a = await t.board.createTask({ title: 'a', created_by: 'c' });
    const b = await t.board.createTask({ title: 'b', created_by: 'c' });
    const first = await t.board.addComment({ task_id: a.id, content: 'first', created_by: 'x' });
    const second = await t.board.addComment({ task_id: a.id, content: 'second' });
    expect(first).toMatchObject({ task_id: a.id, content: 'first', created_by: 'x' });
    expect(second.created_by).toBeNull();
    expect((await t.board.listComments({ task_id: a.id })).map((c) => c.id)).toEqual([first.id, second.id]);
    expect(await t.board.getComment({ id: first.id })).toEqual(first);
    const edited = await t.board.updateComment({ id: first.id, content: 'edited' });
    expect(edited.content).toBe('edited');
    expect(edited.updated_at >= first.updated_at).toBe(true);
    const moved = await t.board.moveComment({ comment_id: second.id, to_task_id: b.id });
    expect(moved.task_id).toBe(b.id);
    expect((await t.board.getTask({ id: b.id })).comments.map((c) => c.id)).toEqual([second.id]);
    expect(await t.board.deleteComment({ id: first.id })).toEqual({ id: first.id, deleted: true });
    expect(await t.board.listComments({ task_id: a.id })).toEqual([]);
    await expectCode(t.board.getComment({ id: first.id }), 'NOT_FOUND');
    await expectCode(t.board.updateComment({ id: first.id, content: 'x' }), 'NOT_FOUND');
    await expectCode(t.board.addComment({ task_id: 999, content: 'x' }), 'NOT_FOUND');
    await expectCode(t.board.moveComment({ comment_id: second.id, to_task_id: 999 }), 'NOT_FOUND');
    await expectCode(t.board.listComments({ task_id: 999 }), 'NOT_FOUND');
  });

  it('adds, lists, updates and deletes links', async () => {
    const a = await t.board.createTask({ title: 'a', created_by: 'c' });
    const link = await t.board.addLink({
      task_id: a.id,
      url: 'https://example.com/pr/1',
      description: 'PR',
      created_by: 'x',
    });
    expect(link).toMatchObject({
      task_id: a.id,
      url: 'https://example.com/pr/1',
      description: 'PR',
      created_by: 'x',
    });
    const bare = await t.board.addLink({ task_id: a.id, url: 'src/file.ts' });
    expect(bare.description).toBeNull();
    expect((await t.board.listLinks({ task_id: a.id })).map((l) => l.id)).toEqual([link.id, bare.id]);
    expect(await t.board.updateLink({ id: link.id, description: 'merged PR' })).toMatchObject({
      url: 'https://example.com/pr/1',
      description: 'merged PR',
    });
    expect((await t.board.updateLink({ id: link.id, url: 'https://example.com/pr/2' })).description).toBe(
      'merged PR',
    );
    expect(await t.board.deleteLink({ id: bare.id })).toEqual({ id: bare.id, deleted: true });
    expect((await t.board.getTask({ id: a.id })).links.map((l) => l.id)).toEqual([link.id]);
    await expectCode(t.board.deleteLink({ id: bare.id }), 'NOT_FOUND');
    await expectCode(t.board.addLink({ task_id: 999, url: 'x' }), 'NOT_FOUND');
    await expectCode(t.board.listLinks({ task_id: 999 }), 'NOT_FOUND');
  });
});
