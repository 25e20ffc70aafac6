import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callOk, openHarness, type Connection, type Harness } from './mcp-support.js';

/** Records resources/updated notifications; `next(uri)` resolves when that URI is notified. */
function watch(client: Client) {
  const seen: string[] = [];
  const waiters: Array<{ uri: string; resolve: () => void }> = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    seen.push(n.params.uri);
    for (const w of [...waiters])
      if (w.uri === n.params.uri) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  return {
    seen,
    next: (uri: string) => new Promise<void>((resolve) => waiters.push({ uri, resolve })),
  };
}

describe('subscribers of a parent hear when its children change', () => {
  let h: Harness;
  let c: Connection;
  beforeEach(async () => {
    h = await openHarness();
    c = await h.connect();
  });
  afterEach(async () => {
    await h?.close();
  });

  it('task://{parent} and task://hierarchy/{parent} are notified when a subtask is created or deleted', async () => {
    const w = watch(c.client);
    const parent = await callOk<{ id: number }>(c.client, 'create_task', { title: 'P', created_by: 'x' });
    const sentinel = await callOk<{ id: number }>(c.client, 'create_task', { title: 'S', created_by: 'x' });
    await c.client.subscribeResource({ uri: `task://${parent.id}` });
    await c.client.subscribeResource({ uri: `task://hierarchy/${parent.id}` });
    await c.client.subscribeResource({ uri: `task://${sentinel.id}` });

    // Notifications go out in order of the changes: once the sentinel's arrives, the earlier change's have too.
    const child = await callOk<{ id: number }>(c.client, 'create_subtask', {
      parent_task_id: parent.id,
      title: 'C',
      created_by: 'x',
    });
    let marker = w.next(`task://${sentinel.id}`);
    await callOk(c.client, 'update_task', { id: sentinel.id, priority: 1 });
    await marker;
    expect(w.seen).toContain(`task://${parent.id}`); // its subtask_count went from 0 to 1

    w.seen.length = 0;
    await callOk(c.client, 'delete_task', { id: child.id });
    marker = w.next(`task://${sentinel.id}`);
    await callOk(c.client, 'update_task', { id: sentinel.id, priority: 2 });
    await marker;
    expect(w.seen).toEqual(expect.arrayContaining([`task://${parent.id}`, `task://hierarchy/${parent.id}`]));
  });
});

describe('hierarchy subscribers above a large deleted subtree', () => {
  let h: Harness;
  let c: Connection;
  beforeEach(async () => {
    h = await openHarness();
    c = await h.connect();
  });
  afterEach(async () => {
    await h?.close();
  });

  it('task://hierarchy/{grandparent} is notified when a subtree of more than 50 tasks is deleted under it', async () => {
    const w = watch(c.client);
    const g = await h.board.createTask({ title: 'G', created_by: 'x' });
    const p = await h.board.createSubtask({ parent_task_id: g.id, title: 'P', created_by: 'x' });
    const x = await h.board.createSubtask({ parent_task_id: p.id, title: 'X', created_by: 'x' });
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        h.board.createSubtask({ parent_task_id: x.id, title: `leaf ${i}`, created_by: 'x' }),
      ),
    );
    await c.client.subscribeResource({ uri: `task://hierarchy/${g.id}` });
    const notified = w.next(`task://hierarchy/${g.id}`);
    await callOk(c.client, 'delete_task', { id: x.id });
    await notified;
    expect(w.seen).toContain(`task://hierarchy/${g.id}`);
  });
});
