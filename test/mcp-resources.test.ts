import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOk, openHarness, rpcError, type Connection, type Harness } from './mcp-support.js';

async function readJson<T = Record<string, unknown>>(client: Client, uri: string): Promise<T> {
  const result = await client.readResource({ uri });
  expect(result.contents).toHaveLength(1);
  const content = result.contents[0] as { uri: string; mimeType: string; text: string };
  expect(content.uri).toBe(uri);
  expect(content.mimeType).toBe('application/json');
  return JSON.parse(content.text) as T;
}

describe('resources over MCP', () => {
  let h: Harness;
  let c: Connection;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    h = await openHarness({ pageSize: 2 });
    c = await h.connect();
    const create = async (name: string, args: Record<string, unknown>) => {
      ids[name] = (await callOk<{ id: number }>(c.client, 'create_task', { created_by: 'lead', ...args })).id;
    };
    await create('parent', { title: 'Parent', assigned_to: 'dev one', queue_name: 'dev team', priority: 3 });
    ids.child = (
      await callOk<{ id: number }>(c.client, 'create_subtask', {
        parent_task_id: ids.parent,
        title: 'Child',
        created_by: 'lead',
      })
    ).id;
    ids.grandchild = (
      await callOk<{ id: number }>(c.client, 'create_subtask', {
        parent_task_id: ids.child,
        title: 'Grandchild',
        created_by: 'lead',
      })
    ).id;
    await create('old', { title: 'Old' });
    await callOk(c.client, 'archive_task', { id: ids.old });
    await callOk(c.client, 'add_comment', { task_id: ids.parent, content: 'c1', created_by: 'lead' });
    await callOk(c.client, 'add_link', { task_id: ids.parent, url: 'https://example.com/doc' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists the thirteen resources as templates and fixed resources', async () => {
    const templates: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.client.listResourceTemplates(cursor ? { cursor } : {});
      expect(page.resourceTemplates.length).toBeLessThanOrEqual(2);
      for (const t of page.resourceTemplates) {
        expect(t.mimeType).toBe('application/json');
        expect(t.description).toBeTruthy();
        templates.push(t.uriTemplate);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(templates).toEqual([
      'task://{id}',
      'task://{id}/comments',
      'task://{id}/links',
      'task://hierarchy/{id}',
      'queue://{agent_name}',
      'queue://{agent_name}/summary',
      'queue://{agent_name}/ready',
      'queue://stats/{queue_name}',
      'queue://tasks/{queue_name}',
    ]);
  });

  it('resources/list pages through the fixed resources and every unarchived task', async () => {
    const uris: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await c.client.listResources(cursor ? { cursor } : {});
      expect(page.resources.length).toBeLessThanOrEqual(2);
      uris.push(...page.resources.map((r) => r.uri));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(uris).toEqual([
      'queue://list',
      'tasks://active',
      'tasks://archived',
      'tasks://ready',
      'ui://tinytask/board.html',
      `task://${ids.parent}`,
      `task://${ids.child}`,
      `task://${ids.grandchild}`,
    ]);
  });

  it('refuses cursors it did not issue', async () => {
    await rpcError(c.client.listResources({ cursor: 'not-a-cursor!' }), -32602);
    const toolsCursor = Buffer.from(JSON.stringify({ l: 'tools', o: 2 })).toString('base64url');
    await rpcError(c.client.listResources({ cursor: toolsCursor }), -32602);
    await rpcError(c.client.listTools({ cursor: 'eyJsIjoidG9vbHMiLCJvIjotMX0' }), -32602);
  });

  it('reads a task, its comments, links and hierarchy', async () => {
    const task = await readJson<{ id: number; comments: unknown[]; links: unknown[] }>(
      c.client,
      `task://${ids.parent}`,
    );
    expect(task).toMatchObject({ id: ids.parent, title: 'Parent' });
    expect(task.comments).toHaveLength(1);
    const comments = await readJson(c.client, `task://${ids.parent}/comments`);
    expect(comments).toMatchObject({ task_id: ids.parent, count: 1 });
    const links = await readJson(c.client, `task://${ids.parent}/links`);
    expect(links).toMatchObject({ task_id: ids.parent, count: 1 });
    const tree = await readJson<{ subtasks: Array<{ id: number; subtasks: Array<{ id: number }> }> }>(
      c.client,
      `task://hierarchy/${ids.parent}`,
    );
    expect(tree.subtasks[0]?.id).toBe(ids.child);
    expect(tree.subtasks[0]?.subtasks[0]?.id).toBe(ids.grandchild);
  });

  it('reads queues: an agent’s queue and summary, the queue list, stats and tasks (names percent-encoded)', async () => {
    const queue = await readJson<{ agent: string; count: number }>(c.client, 'queue://dev%20one');
    expect(queue).toMatchObject({ agent: 'dev one', count: 1 });
    const summary = await readJson(c.client, 'queue://dev%20one/summary');
    expect(summary).toMatchObject({ agent_name: 'dev one', open: 1, idle: 1, highest_priority: 3 });
    const list = await readJson<{ queues: Array<{ queue_name: string }> }>(c.client, 'queue://list');
    expect(list.queues.map((q) => q.queue_name)).toContain('dev team');
    const stats = await readJson(c.client, 'queue://stats/dev%20team');
    expect(stats).toMatchObject({ queue_name: 'dev team', total: 3 });
    const tasks = await readJson<{ count: number; total: number }>(c.client, 'queue://tasks/dev%20team');
    expect(tasks).toMatchObject({ queue_name: 'dev team', count: 3, total: 3 });
  });

  it('reads active and archived tasks', async () => {
    const active = await readJson<{ count: number; tasks: Array<{ id: number }> }>(
      c.client,
      'tasks://active',
    );
    expect(active.tasks.map((t) => t.id).sort()).toEqual([ids.parent, ids.child, ids.grandchild].sort());
    const archived = await readJson<{ count: number; tasks: Array<{ id: number }> }>(
      c.client,
      'tasks://archived',
    );
    expect(archived.tasks.map((t) => t.id)).toEqual([ids.old]);
  });

  it('answers unknown resources with a JSON-RPC "resource not found" (-32602) saying what exists', async () => {
    const missing = await rpcError(c.client.readResource({ uri: 'task://999999' }), -32602);
    expect(missing.message).toContain('task://999999');
    expect(missing.data).toMatchObject({ code: 'NOT_FOUND', uri: 'task://999999' });
    const bad = await rpcError(c.client.readResource({ uri: 'task://abc' }), -32602);
    expect(bad.message).toContain('task://{id}');
    await rpcError(c.client.readResource({ uri: 'ftp://example.com/x' }), -32602);
    await rpcError(c.client.readResource({ uri: 'queue://stats/%E0%A4%A' }), -32602);
    await rpcError(c.client.readResource({ uri: `task://${ids.parent}/attachments` }), -32602);
    await rpcError(c.client.readResource({ uri: 'task://999999/comments' }), -32602);
  });

  it('answers an invalid name inside a known template with InvalidParams', async () => {
    await rpcError(c.client.readResource({ uri: `queue://${'x'.repeat(500)}` }), -32602);
  });
});
