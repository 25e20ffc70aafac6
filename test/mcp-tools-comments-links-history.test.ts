import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  callErr,
  callOk,
  expectMatchesOutputSchema,
  openHarness,
  rpcError,
  type Connection,
  type Harness,
} from './mcp-support.js';

interface Comment {
  id: number;
  task_id: number;
  content: string;
  created_by: string | null;
}
interface Link {
  id: number;
  task_id: number;
  url: string;
  description: string | null;
}

describe('comment and link tools over MCP', () => {
  let h: Harness;
  let c: Connection;
  let taskId: number;
  let otherTaskId: number;
  beforeAll(async () => {
    h = await openHarness();
    c = await h.connect();
    taskId = (await callOk<{ id: number }>(c.client, 'create_task', { title: 'Host', created_by: 'x' })).id;
    otherTaskId = (await callOk<{ id: number }>(c.client, 'create_task', { title: 'Other', created_by: 'x' }))
      .id;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('add, get, update, list, move and delete comments', async () => {
    const comment = await callOk<Comment>(c.client, 'add_comment', {
      task_id: taskId,
      content: 'First',
      created_by: 'ann',
    });
    expect(comment).toMatchObject({ task_id: taskId, content: 'First', created_by: 'ann' });
    const anonymous = await callOk<Comment>(c.client, 'add_comment', { task_id: taskId, content: 'Second' });
    expect(anonymous.created_by).toBeNull();
    expect(await callOk<Comment>(c.client, 'get_comment', { id: comment.id })).toMatchObject({
      content: 'First',
    });
    expect(
      await callOk<Comment>(c.client, 'update_comment', { id: comment.id, content: 'First (edited)' }),
    ).toMatchObject({
      content: 'First (edited)',
    });
    const list = await callOk<{ task_id: number; count: number; comments: Comment[] }>(
      c.client,
      'list_comments',
      {
        task_id: taskId,
      },
    );
    expect(list).toMatchObject({ task_id: taskId, count: 2 });
    expect(list.comments.map((x) => x.id)).toEqual([comment.id, anonymous.id]);
    const moved = await callOk<Comment>(c.client, 'move_comment', {
      comment_id: anonymous.id,
      to_task_id: otherTaskId,
    });
    expect(moved.task_id).toBe(otherTaskId);
    expect(await callOk(c.client, 'delete_comment', { id: comment.id })).toEqual({
      success: true,
      id: comment.id,
      message: `Comment ${comment.id} deleted successfully`,
    });
    expect((await callOk<{ count: number }>(c.client, 'list_comments', { task_id: taskId })).count).toBe(0);
  });

  it('comment tools answer NOT_FOUND for unknown tasks and comments', async () => {
    await callErr(c.client, 'add_comment', { task_id: 999999, content: 'x' }, 'NOT_FOUND');
    await callErr(c.client, 'get_comment', { id: 999999 }, 'NOT_FOUND');
    await callErr(c.client, 'update_comment', { id: 999999, content: 'x' }, 'NOT_FOUND');
    await callErr(c.client, 'delete_comment', { id: 999999 }, 'NOT_FOUND');
    await callErr(c.client, 'list_comments', { task_id: 999999 }, 'NOT_FOUND');
    const comment = await callOk<Comment>(c.client, 'add_comment', { task_id: taskId, content: 'stay' });
    await callErr(c.client, 'move_comment', { comment_id: comment.id, to_task_id: 999999 }, 'NOT_FOUND');
    await callErr(c.client, 'move_comment', { comment_id: 999999, to_task_id: taskId }, 'NOT_FOUND');
  });

  it('add, update, list and delete links', async () => {
    const link = await callOk<Link>(c.client, 'add_link', {
      task_id: taskId,
      url: 'https://git.example.com/pr/7',
      description: 'Pull request',
      created_by: 'ann',
    });
    expect(link).toMatchObject({
      task_id: taskId,
      url: 'https://git.example.com/pr/7',
      description: 'Pull request',
    });
    const updated = await callOk<Link>(c.client, 'update_link', { id: link.id, description: 'Merged PR' });
    expect(updated).toMatchObject({ url: 'https://git.example.com/pr/7', description: 'Merged PR' });
    const list = await callOk<{ task_id: number; count: number; links: Link[] }>(c.client, 'list_links', {
      task_id: taskId,
    });
    expect(list).toMatchObject({ task_id: taskId, count: 1 });
    expect(await callOk(c.client, 'delete_link', { id: link.id })).toEqual({
      success: true,
      id: link.id,
      message: `Link ${link.id} deleted successfully`,
    });
    await callErr(c.client, 'add_link', { task_id: 999999, url: 'x' }, 'NOT_FOUND');
    await callErr(c.client, 'update_link', { id: 999999, url: 'y' }, 'NOT_FOUND');
    await callErr(c.client, 'delete_link', { id: 999999 }, 'NOT_FOUND');
    await callErr(c.client, 'list_links', { task_id: 999999 }, 'NOT_FOUND');
  });
});

describe('get_task_history', () => {
  it('is offered and answers the field changes when history is on', async () => {
    const h = await openHarness({ enableHistory: true });
    try {
      const c = await h.connect();
      const names = (await c.client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('get_task_history');
      expect(names).toHaveLength(36);
      const t = await callOk<{ id: number }>(c.client, 'create_task', { title: 'H', created_by: 'x' });
      await callOk(c.client, 'update_task', { id: t.id, status: 'working', updated_by: 'dev-9' });
      const raw = (await c.client.callTool({
        name: 'get_task_history',
        arguments: { task_id: t.id },
      })) as CallToolResult;
      expectMatchesOutputSchema('get_task_history', raw);
      const history = raw.structuredContent as {
        task_id: number;
        count: number;
        history: Array<{
          field_name: string;
          old_value: string | null;
          new_value: string | null;
          changed_by: string | null;
        }>;
      };
      expect(history.task_id).toBe(t.id);
      expect(history.history).toContainEqual(
        expect.objectContaining({
          field_name: 'status',
          old_value: 'idle',
          new_value: 'working',
          changed_by: 'dev-9',
        }),
      );
      // TinyTask printed the bare array.
      expect(JSON.parse((raw.content[0] as { text: string }).text)).toEqual(history.history);
      await callErr(c.client, 'get_task_history', { task_id: 999999 }, 'NOT_FOUND');
    } finally {
      await h.close();
    }
  });

  it('is not offered when history is off (calling it is an unknown tool)', async () => {
    const h = await openHarness({ enableHistory: false });
    try {
      const c = await h.connect();
      const names = (await c.client.listTools()).tools.map((t) => t.name);
      expect(names).not.toContain('get_task_history');
      expect(names).toHaveLength(35);
      await rpcError(c.client.callTool({ name: 'get_task_history', arguments: { task_id: 1 } }), -32602);
    } finally {
      await h.close();
    }
  });
});
