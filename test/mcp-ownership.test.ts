import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, configWith } from '../src/config.js';
import { loadTokenStore } from '../src/transport/http/security.js';
import { startTestServer, type TestServer } from './http-harness.js';
import { callErr, callOk, failed, openHarness, type Connection, type Harness } from './mcp-support.js';

interface Task {
  id: number;
  title: string;
  status: string;
  assigned_to: string | null;
  queue_name: string | null;
  archived_at: string | null;
}
interface Item {
  id: number;
  created_by: string | null;
}

describe('ownership with per-agent tokens', () => {
  let h: Harness;
  let alice: Connection;
  let bob: Connection;
  let ops: Connection;
  let open: Connection;
  beforeAll(async () => {
    h = await openHarness();
    alice = await h.connect({ agent: 'alice' });
    bob = await h.connect({ agent: 'bob' });
    ops = await h.connect({ agent: 'ops', operator: true });
    open = await h.connect();
  });
  afterAll(async () => {
    await h?.close();
  });

  const bobsTask = async () => {
    const task = await callOk<Task>(bob.client, 'create_task', {
      title: 'Bob’s work',
      created_by: 'bob',
      assigned_to: 'bob',
      queue_name: 'dev',
    });
    const comment = await callOk<Item>(bob.client, 'add_comment', { task_id: task.id, content: 'bob notes' });
    const link = await callOk<Item>(bob.client, 'add_link', { task_id: task.id, url: 'https://bob.example' });
    return { task, comment, link };
  };

  it('alice cannot touch bob’s task, its comments or its links; the message names the owner; nothing changes', async () => {
    const { task, comment, link } = await bobsTask();
    const before = await callOk(open.client, 'get_task', { id: task.id });
    const msg = await callErr(alice.client, 'update_task', { id: task.id, status: 'complete' }, 'FORBIDDEN');
    expect(msg).toContain(`Task ${task.id}`);
    expect(msg).toContain('created by "bob"');
    expect(msg).toContain('assigned to "bob"');
    expect(msg).toContain('"alice"');
    expect(msg).toMatch(/add_comment/);
    await callErr(alice.client, 'update_task', { id: task.id, assigned_to: 'alice' }, 'FORBIDDEN');
    await callErr(alice.client, 'delete_task', { id: task.id }, 'FORBIDDEN');
    await callErr(alice.client, 'archive_task', { id: task.id }, 'FORBIDDEN');
    await callErr(
      alice.client,
      'move_task_to_queue',
      { task_id: task.id, new_queue_name: 'qa' },
      'FORBIDDEN',
    );
    await callErr(alice.client, 'add_task_to_queue', { task_id: task.id, queue_name: 'qa' }, 'FORBIDDEN');
    await callErr(alice.client, 'remove_task_from_queue', { task_id: task.id }, 'FORBIDDEN');
    await callErr(alice.client, 'move_subtask', { subtask_id: task.id, new_parent_id: null }, 'FORBIDDEN');
    await callErr(
      alice.client,
      'create_subtask',
      { parent_task_id: task.id, title: 'sneak', created_by: 'alice' },
      'FORBIDDEN',
    );
    const commentMsg = await callErr(
      alice.client,
      'update_comment',
      { id: comment.id, content: 'rewritten' },
      'FORBIDDEN',
    );
    expect(commentMsg).toContain('written by "bob"');
    expect(commentMsg).toMatch(/add_comment/);
    await callErr(alice.client, 'delete_comment', { id: comment.id }, 'FORBIDDEN');
    const mine = await callOk<Task>(alice.client, 'create_task', { title: 'Alice’s', created_by: 'alice' });
    await callErr(alice.client, 'move_comment', { comment_id: comment.id, to_task_id: mine.id }, 'FORBIDDEN');
    const linkMsg = await callErr(
      alice.client,
      'update_link',
      { id: link.id, url: 'https://evil' },
      'FORBIDDEN',
    );
    expect(linkMsg).toMatch(/add_link/);
    await callErr(alice.client, 'delete_link', { id: link.id }, 'FORBIDDEN');
    expect(await callOk(open.client, 'get_task', { id: task.id })).toEqual(before);
  });

  it('anyone may comment on and add links to any task', async () => {
    const { task } = await bobsTask();
    const c = await callOk<Item>(alice.client, 'add_comment', { task_id: task.id, content: 'a question' });
    expect(c.created_by).toBe('alice');
    await callOk(alice.client, 'update_comment', { id: c.id, content: 'a better question' });
    const l = await callOk<Item>(alice.client, 'add_link', {
      task_id: task.id,
      url: 'https://alice.example',
    });
    await callOk(alice.client, 'delete_link', { id: l.id });
  });

  it('the creator and the assignee may both change a task', async () => {
    const byAlice = await callOk<Task>(alice.client, 'create_task', {
      title: 'for bob',
      created_by: 'alice',
      assigned_to: 'bob',
    });
    await callOk(alice.client, 'update_task', { id: byAlice.id, priority: 5 });
    await callOk(bob.client, 'update_task', { id: byAlice.id, status: 'working' });
    await callOk(bob.client, 'move_task', {
      task_id: byAlice.id,
      current_agent: 'bob',
      new_agent: 'carol',
      comment: 'over to carol',
    });
    // Bob handed it off: no longer his.
    await callErr(bob.client, 'update_task', { id: byAlice.id, status: 'complete' }, 'FORBIDDEN');
    await callOk(alice.client, 'archive_task', { id: byAlice.id });
  });

  it('checks the task as it is at write time: a reassignment takes the right away', async () => {
    const t = await callOk<Task>(bob.client, 'create_task', {
      title: 'was alice’s',
      created_by: 'bob',
      assigned_to: 'alice',
    });
    await callOk(alice.client, 'update_task', { id: t.id, status: 'working' });
    await callOk(bob.client, 'update_task', { id: t.id, assigned_to: 'carol' });
    await callErr(alice.client, 'update_task', { id: t.id, status: 'complete' }, 'FORBIDDEN');
  });

  it('an idempotent retry replays its first answer even after the task changed hands', async () => {
    const t = await callOk<Task>(alice.client, 'create_task', {
      title: 'x',
      created_by: 'alice',
      assigned_to: 'alice',
    });
    const call = { id: t.id, title: 'renamed', idempotency_key: 'rename-1' };
    const first = await callOk<Task>(alice.client, 'update_task', call);
    await callOk(alice.client, 'move_task', {
      task_id: t.id,
      current_agent: 'alice',
      new_agent: 'bob',
      comment: 'c',
    });
    await callOk(bob.client, 'update_task', { id: t.id, title: 'bob’s now' });
    expect(await callOk<Task>(alice.client, 'update_task', call)).toEqual(first);
    // A new change is checked as usual (alice created it, so she may still change it).
    await callOk(alice.client, 'update_task', {
      id: t.id,
      title: 'alice again',
      idempotency_key: 'rename-2',
    });
  });

  it('anyone may claim an unassigned team task; only its creator or an operator may otherwise change it', async () => {
    const team = await callOk<Task>(open.client, 'create_task', {
      title: 'Team work',
      created_by: 'carol',
      queue_name: 'dev',
    });
    const msg = await callErr(alice.client, 'update_task', { id: team.id, title: 'mine now' }, 'FORBIDDEN');
    expect(msg).toContain('assigned to nobody');
    expect(msg).toContain(`"assigned_to": "alice"`);
    await callErr(alice.client, 'update_task', { id: team.id, assigned_to: 'bob' }, 'FORBIDDEN');
    await callErr(alice.client, 'delete_task', { id: team.id }, 'FORBIDDEN');
    const claimed = await callOk<Task>(alice.client, 'update_task', {
      id: team.id,
      assigned_to: 'alice',
      status: 'working',
    });
    expect(claimed).toMatchObject({ assigned_to: 'alice', status: 'working' });
    // Now it is alice's; bob's claim comes too late.
    await callErr(bob.client, 'update_task', { id: team.id, assigned_to: 'bob' }, 'FORBIDDEN');
    await callOk(alice.client, 'update_task', { id: team.id, title: 'Team work (alice)' });
  });

  it('lease tools: anyone claims unassigned team work; only the holder heartbeats or releases; requeue needs an owner', async () => {
    interface Claim {
      claimed: boolean;
      task: Task | null;
      lease_id: string | null;
    }
    const team = await callOk<Task>(open.client, 'create_task', {
      title: 'Team lease work',
      created_by: 'carol',
      queue_name: 'lease-team',
    });
    const claim = await callOk<Claim>(alice.client, 'claim_next_task', {
      agent_name: 'alice',
      queue_name: 'lease-team',
    });
    expect(claim).toMatchObject({ claimed: true, task: { id: team.id, assigned_to: 'alice' } });
    const lease = claim.lease_id;
    // Bob holds no claim on it: even with the lease id in hand he may not touch it.
    const hb = { task_id: team.id, lease_id: lease };
    await callErr(bob.client, 'heartbeat_task', { ...hb, agent_name: 'bob' }, 'FORBIDDEN');
    await callErr(bob.client, 'release_task', { ...hb, agent_name: 'bob' }, 'FORBIDDEN');
    await callErr(bob.client, 'requeue_task', { task_id: team.id }, 'FORBIDDEN');
    expect(
      await callErr(bob.client, 'claim_next_task', { agent_name: 'bob', task_id: team.id }, 'CONFLICT'),
    ).toContain('"alice"');
    await callOk(alice.client, 'heartbeat_task', { ...hb, agent_name: 'alice' });
    // An operator may release on alice's behalf (with the current lease).
    const released = await callOk<Task>(ops.client, 'release_task', { ...hb, agent_name: 'alice' });
    expect(released.status).toBe('idle');
    await callOk(open.client, 'requeue_task', { task_id: team.id });
  });

  it('an idempotent claim_next_task retry answers the same claim and claims once', async () => {
    await callOk(open.client, 'create_task', {
      title: 'one',
      created_by: 'carol',
      queue_name: 'idem-claims',
    });
    await callOk(open.client, 'create_task', {
      title: 'two',
      created_by: 'carol',
      queue_name: 'idem-claims',
    });
    // dora holds no other work, so her claim can only come from the queue.
    const call = { agent_name: 'dora', queue_name: 'idem-claims', idempotency_key: 'claim-1' };
    const first = await callOk<{ task: Task; lease_id: string }>(ops.client, 'claim_next_task', call);
    const again = await callOk<{ task: Task; lease_id: string }>(ops.client, 'claim_next_task', call);
    expect(again).toEqual(first);
    const queue = await callOk<{ tasks: Task[] }>(open.client, 'list_tasks', { queue_name: 'idem-claims' });
    expect(queue.tasks.filter((t) => t.status === 'working').map((t) => t.id)).toEqual([first.task.id]);
  });

  it('clear_queue is for operators only', async () => {
    await callOk(bob.client, 'create_task', { title: 'q', created_by: 'bob', queue_name: 'ops-only' });
    const msg = await callErr(alice.client, 'clear_queue', { queue_name: 'ops-only' }, 'FORBIDDEN');
    expect(msg).toMatch(/operator/);
    expect(msg).toMatch(/remove_task_from_queue/);
    expect(await callOk(ops.client, 'clear_queue', { queue_name: 'ops-only' })).toMatchObject({
      tasks_cleared: 1,
    });
  });

  it('an operator may do anything, acting as any agent', async () => {
    const { task, comment, link } = await bobsTask();
    await callOk(ops.client, 'update_task', { id: task.id, status: 'working' });
    await callOk(ops.client, 'update_comment', { id: comment.id, content: 'moderated' });
    await callOk(ops.client, 'delete_link', { id: link.id });
    await callOk(ops.client, 'move_task', {
      task_id: task.id,
      current_agent: 'bob',
      new_agent: 'alice',
      comment: 'reassigned by ops',
    });
    await callOk(ops.client, 'create_task', { title: 'for bob', created_by: 'bob', assigned_to: 'bob' });
    await callOk(ops.client, 'signup_for_task', { agent_name: 'bob' });
    await callOk(ops.client, 'delete_task', { id: task.id });
  });

  it('without per-agent tokens nothing is checked', async () => {
    const { task, comment } = await bobsTask();
    await callOk(open.client, 'update_comment', { id: comment.id, content: 'anyone' });
    await callOk(open.client, 'update_task', { id: task.id, title: 'anyone' });
    await callOk(open.client, 'delete_task', { id: task.id });
  });
});

describe('operator tokens over HTTP (tokens file)', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinytask-roles-'));
    const file = join(dir, 'tokens.json');
    writeFileSync(
      file,
      JSON.stringify({
        'tok-alice': 'alice',
        'tok-bob': { agent: 'bob' },
        'tok-ops': { agent: 'ops', role: 'operator' },
      }),
    );
    server = await startTestServer({ authTokensFile: file });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds the old string form and the object form; operators may change anything', async () => {
    const alice = await server.client('alice', { authorization: 'Bearer tok-alice' });
    const bob = await server.client('bob', { authorization: 'Bearer tok-bob' });
    const ops = await server.client('ops', { authorization: 'Bearer tok-ops' });
    const created = (await alice.callTool({
      name: 'create_task',
      arguments: { title: 'alice’s', created_by: 'alice', assigned_to: 'alice' },
    })) as CallToolResult;
    const id = (created.structuredContent as { id: number }).id;
    const refused = await bob.callTool({ name: 'update_task', arguments: { id, status: 'complete' } });
    expect(failed(refused, 'FORBIDDEN')).toContain('"bob"');
    const done = (await ops.callTool({
      name: 'update_task',
      arguments: { id, status: 'complete' },
    })) as CallToolResult;
    expect(done.isError).toBeFalsy();
    expect(done.structuredContent).toMatchObject({ status: 'complete' });
  });

  it('refuses a tokens file with an unknown role', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ t: { agent: 'x', role: 'admin' } }));
    expect(() => loadTokenStore(configWith({ authTokensFile: file }))).toThrow(ConfigError);
    expect(() => loadTokenStore(configWith({ authTokensFile: file }))).toThrow(/operator/);
  });
});
