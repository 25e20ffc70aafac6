import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../src/domain/types.js';
import { callErr, callOk, openHarness, type Connection, type Harness } from './mcp-support.js';

interface Claim {
  claimed: boolean;
  task: Task | null;
  lease_id: string | null;
  lease_expires_at: string | null;
  message: string;
}

describe('coordination tools and ready resources over MCP', () => {
  let h: Harness;
  let c: Connection;
  beforeEach(async () => {
    h = await openHarness();
    c = await h.connect();
  });
  afterEach(async () => {
    await h?.close();
  });

  it('claim → heartbeat → fenced update → complete; a stale lease gets LEASE_LOST', async () => {
    const task = await callOk<Task>(c.client, 'create_task', {
      title: 'build',
      created_by: 'lead',
      queue_name: 'dev',
      priority: '3',
    });
    const none = await callOk<Claim>(c.client, 'claim_next_task', { agent_name: 'dev-1' });
    expect(none).toMatchObject({ claimed: false, task: null, lease_id: null });
    expect(none.message).toContain('dev-1');
    const claim = await callOk<Claim>(c.client, 'claim_next_task', {
      agent_name: 'dev-1',
      queue_name: 'dev',
      lease_seconds: '120',
    });
    expect(claim).toMatchObject({
      claimed: true,
      task: { id: task.id, status: 'working', assigned_to: 'dev-1' },
    });
    expect(claim.lease_id).toBe(claim.task?.lease_id);
    const beat = await callOk<Task>(c.client, 'heartbeat_task', {
      task_id: task.id,
      agent_name: 'dev-1',
      lease_id: claim.lease_id,
    });
    expect(beat.lease_id).toBe(claim.lease_id);
    await callOk(c.client, 'add_comment', {
      task_id: task.id,
      content: 'halfway',
      created_by: 'dev-1',
      lease_id: claim.lease_id,
    });
    const message = await callErr(
      c.client,
      'update_task',
      { id: task.id, status: 'complete', lease_id: 'not-the-lease' },
      'LEASE_LOST',
    );
    expect(message).toContain('"dev-1"');
    const done = await callOk<Task>(c.client, 'update_task', {
      id: task.id,
      status: 'complete',
      lease_id: claim.lease_id,
    });
    expect(done).toMatchObject({ status: 'complete', lease_id: null });
  });

  it('release_task, requeue_task and list_ready_tasks', async () => {
    const a = await callOk<Task>(c.client, 'create_task', { title: 'a', created_by: 'x', assigned_to: 'me' });
    const b = await callOk<Task>(c.client, 'create_task', {
      title: 'b',
      created_by: 'x',
      assigned_to: 'me',
      blocked_by_task_ids: [a.id],
    });
    const ready = await callOk<{ count: number; tasks: Task[]; next_cursor: string | null }>(
      c.client,
      'list_ready_tasks',
      { agent_name: 'me' },
    );
    expect(ready).toMatchObject({ count: 1, next_cursor: null });
    expect(ready.tasks.map((t) => t.id)).toEqual([a.id]);
    const blocked = await callErr(c.client, 'update_task', { id: b.id, status: 'working' }, 'BLOCKED');
    expect(blocked).toContain(`task ${a.id} (idle)`);
    const cycle = await callErr(
      c.client,
      'update_task',
      { id: a.id, blocked_by_task_ids: [b.id] },
      'DEPENDENCY_CYCLE',
    );
    expect(cycle).toContain(`task ${a.id} → task ${b.id} → task ${a.id}`);
    const claim = await callOk<Claim>(c.client, 'claim_next_task', { agent_name: 'me', task_id: a.id });
    const released = await callOk<Task>(c.client, 'release_task', {
      task_id: a.id,
      agent_name: 'me',
      lease_id: claim.lease_id,
      reason: 'blocked on review',
    });
    expect(released).toMatchObject({ status: 'idle', lease_id: null, attempts: 1 });
    const requeued = await callOk<Task>(c.client, 'requeue_task', { task_id: a.id, reset_attempts: true });
    expect(requeued).toMatchObject({ attempts: 0, dead_lettered_at: null });
    await callErr(c.client, 'list_ready_tasks', { cursor: '!!' }, 'INVALID_ARGUMENT');
    await callErr(c.client, 'heartbeat_task', { task_id: a.id, agent_name: 'me' }, 'INVALID_ARGUMENT');
  });

  it('reads tasks://ready and queue://{agent}/ready, and notifies their subscribers', async () => {
    const seen = new Set<string>();
    const waiters: Array<{ uri: string; resolve: () => void }> = [];
    c.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      seen.add(n.params.uri);
      for (const w of waiters.filter((x) => x.uri === n.params.uri)) w.resolve();
    });
    const until = (uri: string) =>
      new Promise<void>((resolve) => (seen.has(uri) ? resolve() : waiters.push({ uri, resolve })));
    await c.client.subscribeResource({ uri: 'tasks://ready' });
    await c.client.subscribeResource({ uri: 'queue://ann%20lee/ready' });
    const both = Promise.all([until('tasks://ready'), until('queue://ann%20lee/ready')]);
    const task = await callOk<Task>(c.client, 'create_task', {
      title: 't',
      created_by: 'x',
      assigned_to: 'ann lee',
    });
    await both;
    const read = async (uri: string) =>
      JSON.parse(((await c.client.readResource({ uri })).contents[0] as { text: string }).text) as {
        count: number;
        tasks: Task[];
        agent?: string;
      };
    expect(await read('tasks://ready')).toMatchObject({ count: 1, tasks: [{ id: task.id }] });
    expect(await read('queue://ann%20lee/ready')).toMatchObject({ agent: 'ann lee', count: 1 });
    await callOk(c.client, 'claim_next_task', { agent_name: 'ann lee' });
    expect(await read('tasks://ready')).toMatchObject({ count: 0, tasks: [] });
    expect(await read('queue://ann%20lee/ready')).toMatchObject({ count: 0 });
  });
});
