import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callErr, callOk, openHarness, type Connection, type Harness } from './mcp-support.js';

describe('a session bound to an agent (token bound to "alice")', () => {
  let h: Harness;
  let alice: Connection;
  let open: Connection;
  beforeAll(async () => {
    h = await openHarness();
    alice = await h.connect({ agent: 'alice' });
    open = await h.connect();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('acts as alice: identity arguments naming alice are accepted', async () => {
    const t = await callOk<{ id: number; created_by: string }>(alice.client, 'create_task', {
      title: 'Mine',
      created_by: 'alice',
      assigned_to: 'alice',
    });
    expect(t.created_by).toBe('alice');
    await callOk(alice.client, 'get_my_queue', { agent_name: 'alice' });
    await callOk(alice.client, 'signup_for_task', { agent_name: 'alice' });
    await callOk(alice.client, 'move_task', {
      task_id: t.id,
      current_agent: 'alice',
      new_agent: 'bob',
      comment: 'yours',
    });
  });

  it('refuses identity arguments naming another agent with FORBIDDEN, saying whose token it is, and writes nothing', async () => {
    const writes = h.board.stats().writesTotal;
    const msg = await callErr(
      alice.client,
      'create_task',
      { title: 'x', created_by: 'mallory' },
      'FORBIDDEN',
    );
    expect(msg).toContain('"alice"');
    expect(msg).toContain('created_by');
    await callErr(alice.client, 'signup_for_task', { agent_name: 'bob' }, 'FORBIDDEN');
    await callErr(alice.client, 'get_my_queue', { agent_name: 'bob' }, 'FORBIDDEN');
    const t = await callOk<{ id: number }>(open.client, 'create_task', {
      title: 'Bob’s',
      created_by: 'bob',
      assigned_to: 'bob',
    });
    const after = h.board.stats().writesTotal;
    await callErr(
      alice.client,
      'move_task',
      { task_id: t.id, current_agent: 'bob', new_agent: 'alice', comment: 'grab' },
      'FORBIDDEN',
    );
    await callErr(
      alice.client,
      'update_task',
      { id: t.id, status: 'complete', updated_by: 'bob' },
      'FORBIDDEN',
    );
    await callErr(
      alice.client,
      'add_comment',
      { task_id: t.id, content: 'hi', created_by: 'bob' },
      'FORBIDDEN',
    );
    await callErr(alice.client, 'add_link', { task_id: t.id, url: 'u', created_by: 'bob' }, 'FORBIDDEN');
    await callErr(
      alice.client,
      'create_subtask',
      { parent_task_id: t.id, title: 's', created_by: 'bob' },
      'FORBIDDEN',
    );
    expect(after - writes).toBe(1);
    expect(h.board.stats().writesTotal).toBe(after);
    expect((await callOk<{ count: number }>(open.client, 'list_comments', { task_id: t.id })).count).toBe(0);
  });

  it('fills optional identity arguments with the bound agent', async () => {
    const t = await callOk<{ id: number }>(alice.client, 'create_task', {
      title: 'Sign me',
      created_by: 'alice',
    });
    const comment = await callOk<{ created_by: string }>(alice.client, 'add_comment', {
      task_id: t.id,
      content: 'signed',
    });
    expect(comment.created_by).toBe('alice');
    const link = await callOk<{ created_by: string }>(alice.client, 'add_link', {
      task_id: t.id,
      url: 'https://x',
    });
    expect(link.created_by).toBe('alice');
  });

  it('an unbound session may act as anyone', async () => {
    await callOk(open.client, 'create_task', { title: 'x', created_by: 'mallory' });
    const comment = await callOk<{ created_by: string | null }>(open.client, 'add_comment', {
      task_id: (await callOk<{ id: number }>(open.client, 'create_task', { title: 'y', created_by: 'z' })).id,
      content: 'anon',
    });
    expect(comment.created_by).toBeNull();
  });
});
