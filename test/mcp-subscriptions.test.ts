import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { urisForChange } from '../src/mcp/subscriptions.js';
import { callOk, openHarness, rpcError, type Connection, type Harness } from './mcp-support.js';

/** Collects resources/updated notifications; `next(uri)` resolves when that URI has been notified. */
function watch(client: Client) {
  const seen: string[] = [];
  const waiters: Array<{ uri: string; resolve: () => void }> = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    seen.push(n.params.uri);
    for (const w of [...waiters]) {
      if (w.uri === n.params.uri) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    seen,
    next(uri: string): Promise<void> {
      return new Promise((resolve) => waiters.push({ uri, resolve }));
    },
  };
}

describe('resource subscriptions', () => {
  let h: Harness;
  let c: Connection;
  beforeEach(async () => {
    h = await openHarness();
    c = await h.connect();
  });
  afterEach(async () => {
    await h?.close();
  });

  it('maps a change to the URIs it touches', () => {
    const uris = urisForChange({ tasks: [7], agents: ['bob smith'], queues: ['dev'] });
    expect([...uris].sort()).toEqual(
      [
        'task://7',
        'task://7/comments',
        'task://7/links',
        'task://hierarchy/7',
        'queue://bob%20smith',
        'queue://bob%20smith/summary',
        'queue://bob%20smith/ready',
        'queue://stats/dev',
        'queue://tasks/dev',
        'queue://list',
        'tasks://active',
        'tasks://archived',
        'tasks://ready',
      ].sort(),
    );
  });

  it('notifies a subscriber when the task behind a subscribed URI changes, until it unsubscribes', async () => {
    const w = watch(c.client);
    const t = await callOk<{ id: number }>(c.client, 'create_task', { title: 'T', created_by: 'x' });
    const other = await callOk<{ id: number }>(c.client, 'create_task', { title: 'O', created_by: 'x' });
    await c.client.subscribeResource({ uri: `task://${t.id}` });
    await c.client.subscribeResource({ uri: `task://${t.id}/comments` });

    let updated = w.next(`task://${t.id}`);
    await callOk(c.client, 'update_task', { id: t.id, status: 'working' });
    await updated;

    const commented = w.next(`task://${t.id}/comments`);
    await callOk(c.client, 'add_comment', { task_id: t.id, content: 'progress' });
    await commented;

    await c.client.unsubscribeResource({ uri: `task://${t.id}` });
    await c.client.unsubscribeResource({ uri: `task://${t.id}/comments` });
    await c.client.subscribeResource({ uri: `task://${other.id}` });
    w.seen.length = 0;
    await callOk(c.client, 'update_task', { id: t.id, priority: 4 });
    updated = w.next(`task://${other.id}`);
    await callOk(c.client, 'update_task', { id: other.id, priority: 4 });
    await updated;
    expect(w.seen).toEqual([`task://${other.id}`]);
  });

  it('notifies agent queues, queue resources and task lists, across sessions', async () => {
    const watcher = await h.connect();
    const w = watch(watcher.client);
    for (const uri of [
      'queue://bob',
      'queue://bob/summary',
      'queue://stats/dev',
      'queue://tasks/dev',
      'queue://list',
      'tasks://active',
    ]) {
      await watcher.client.subscribeResource({ uri });
    }
    const expected = [
      'queue://bob',
      'queue://bob/summary',
      'queue://stats/dev',
      'queue://tasks/dev',
      'queue://list',
      'tasks://active',
    ];
    const all = Promise.all(expected.map((uri) => w.next(uri)));
    const t = await callOk<{ id: number }>(c.client, 'create_task', {
      title: 'T',
      created_by: 'x',
      assigned_to: 'alice',
    });
    await callOk(c.client, 'add_task_to_queue', { task_id: t.id, queue_name: 'dev' });
    await callOk(c.client, 'move_task', {
      task_id: t.id,
      current_agent: 'alice',
      new_agent: 'bob',
      comment: 'yours',
    });
    await all;
  });

  it('notifies the hierarchy of every ancestor when a descendant changes', async () => {
    const w = watch(c.client);
    const root = await callOk<{ id: number }>(c.client, 'create_task', { title: 'Root', created_by: 'x' });
    const child = await callOk<{ id: number }>(c.client, 'create_subtask', {
      parent_task_id: root.id,
      title: 'C',
      created_by: 'x',
    });
    const leaf = await callOk<{ id: number }>(c.client, 'create_subtask', {
      parent_task_id: child.id,
      title: 'L',
      created_by: 'x',
    });
    await c.client.subscribeResource({ uri: `task://hierarchy/${root.id}` });
    const notified = w.next(`task://hierarchy/${root.id}`);
    await callOk(c.client, 'add_link', { task_id: leaf.id, url: 'https://example.com' });
    await notified;
  });

  it('notifies with the URI as the client spelled it', async () => {
    const w = watch(c.client);
    await c.client.subscribeResource({ uri: 'queue://dev%20one' });
    const notified = w.next('queue://dev%20one');
    await callOk(c.client, 'create_task', { title: 'T', created_by: 'x', assigned_to: 'dev one' });
    await notified;
  });

  it('refuses to subscribe to URIs that are no TinyTask resource', async () => {
    await rpcError(c.client.subscribeResource({ uri: 'file:///etc/passwd' }), -32602);
    await rpcError(c.client.subscribeResource({ uri: 'task://0' }), -32602);
  });

  it('removes its board listener when the server closes', async () => {
    const on = vi.spyOn(h.board, 'on');
    const off = vi.spyOn(h.board, 'off');
    const a = await h.connect();
    const b = await h.connect();
    await a.client.subscribeResource({ uri: 'tasks://active' });
    await b.client.subscribeResource({ uri: 'tasks://active' });
    expect(on.mock.calls.filter(([e]) => e === 'change')).toHaveLength(1);
    await a.close();
    expect(off).not.toHaveBeenCalled();
    await b.close();
    expect(off.mock.calls.filter(([e]) => e === 'change')).toHaveLength(1);
    expect(off.mock.calls[0]?.[1]).toBe(on.mock.calls[0]?.[1]);
  });
});
