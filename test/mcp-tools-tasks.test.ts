import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  callErr,
  callOk,
  expectMatchesOutputSchema,
  openHarness,
  type Connection,
  type Harness,
} from './mcp-support.js';
import type { Task } from '../src/domain/types.js';

describe('task tools over MCP', () => {
  let h: Harness;
  let c: Connection;
  beforeAll(async () => {
    h = await openHarness();
    c = await h.connect();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('create_task creates a task with every optional field and accepts numeric strings', async () => {
    const blocker = await callOk<Task>(c.client, 'create_task', { title: 'Blocker', created_by: 'lead' });
    const task = await callOk<Task>(c.client, 'create_task', {
      title: 'Write the parser',
      description: 'Parse the config file',
      assigned_to: 'dev-1',
      created_by: 'lead',
      priority: '5',
      tags: ['parser', 'p1'],
      queue_name: 'dev',
      blocked_by_task_id: String(blocker.id),
    });
    expect(task).toMatchObject({
      title: 'Write the parser',
      description: 'Parse the config file',
      status: 'idle',
      assigned_to: 'dev-1',
      created_by: 'lead',
      priority: 5,
      tags: ['parser', 'p1'],
      queue_name: 'dev',
      blocked_by_task_id: blocker.id,
      archived_at: null,
    });
  });

  it('create_task refuses unknown parents and blockers with NOT_FOUND', async () => {
    await callErr(
      c.client,
      'create_task',
      { title: 't', created_by: 'a', parent_task_id: 99999 },
      'NOT_FOUND',
    );
    const msg = await callErr(
      c.client,
      'create_task',
      { title: 't', created_by: 'a', blocked_by_task_id: 99999 },
      'NOT_FOUND',
    );
    expect(msg).toContain('99999');
  });

  it('get_task answers the task with comments, links and blocked state; NOT_FOUND for unknown ids', async () => {
    const blocker = await callOk<Task>(c.client, 'create_task', { title: 'B', created_by: 'a' });
    const t = await callOk<Task>(c.client, 'create_task', {
      title: 'T',
      created_by: 'a',
      blocked_by_task_id: blocker.id,
    });
    await callOk(c.client, 'add_comment', { task_id: t.id, content: 'note', created_by: 'a' });
    await callOk(c.client, 'add_link', { task_id: t.id, url: 'https://example.com/pr/1' });
    const detail = await callOk<
      Task & { comments: unknown[]; links: unknown[]; is_currently_blocked: boolean }
    >(c.client, 'get_task', { id: String(t.id) });
    expect(detail.comments).toHaveLength(1);
    expect(detail.links).toHaveLength(1);
    expect(detail.is_currently_blocked).toBe(true);
    const msg = await callErr(c.client, 'get_task', { id: 424242 }, 'NOT_FOUND');
    expect(msg).toContain('424242');
  });

  it('update_task changes only the given fields, unblocks with null, and refuses cycles', async () => {
    const a = await callOk<Task>(c.client, 'create_task', { title: 'A', created_by: 'x', priority: 1 });
    const b = await callOk<Task>(c.client, 'create_task', {
      title: 'B',
      created_by: 'x',
      blocked_by_task_id: a.id,
    });
    const updated = await callOk<Task>(c.client, 'update_task', {
      id: b.id,
      status: 'working',
      blocked_by_task_id: null,
    });
    expect(updated).toMatchObject({ id: b.id, title: 'B', status: 'working', blocked_by_task_id: null });
    const reassigned = await callOk<Task>(c.client, 'update_task', { id: b.id, assigned_to: 'dev-2' });
    expect(reassigned.assigned_to).toBe('dev-2');
    await callErr(c.client, 'update_task', { id: a.id, blocked_by_task_id: a.id }, 'DEPENDENCY_CYCLE');
    await callErr(c.client, 'update_task', { id: a.id, parent_task_id: a.id }, 'CYCLE');
    await callErr(c.client, 'update_task', { id: 777777, title: 'x' }, 'NOT_FOUND');
  });

  it('archive_task archives (idempotently) and list_tasks hides archived tasks unless asked', async () => {
    const t = await callOk<Task>(c.client, 'create_task', {
      title: 'Old',
      created_by: 'arch',
      assigned_to: 'arch-agent',
    });
    const archived = await callOk<Task>(c.client, 'archive_task', { id: t.id });
    expect(archived.archived_at).not.toBeNull();
    await callOk<Task>(c.client, 'archive_task', { id: t.id });
    const visible = await callOk<{ tasks: Task[] }>(c.client, 'list_tasks', { assigned_to: 'arch-agent' });
    expect(visible.tasks).toHaveLength(0);
    const all = await callOk<{ tasks: Task[] }>(c.client, 'list_tasks', {
      assigned_to: 'arch-agent',
      include_archived: true,
    });
    expect(all.tasks.map((x) => x.id)).toEqual([t.id]);
    await callErr(c.client, 'archive_task', { id: 888888 }, 'NOT_FOUND');
  });

  it('delete_task deletes with TinyTask’s answer; NOT_FOUND afterwards', async () => {
    const t = await callOk<Task>(c.client, 'create_task', { title: 'Gone', created_by: 'x' });
    const answer = await callOk(c.client, 'delete_task', { id: t.id });
    expect(answer).toEqual({ success: true, id: t.id, message: `Task ${t.id} deleted successfully` });
    await callErr(c.client, 'get_task', { id: t.id }, 'NOT_FOUND');
    await callErr(c.client, 'delete_task', { id: t.id }, 'NOT_FOUND');
  });

  it('list_tasks filters by status (one or several), excluded status, queue, and pages with total', async () => {
    for (let i = 0; i < 5; i++) {
      await callOk(c.client, 'create_task', {
        title: `L${i}`,
        created_by: 'x',
        assigned_to: 'lister',
        queue_name: 'lq',
      });
    }
    const first = await callOk<{ tasks: Task[] }>(c.client, 'list_tasks', {
      assigned_to: 'lister',
      limit: 2,
    });
    await callOk(c.client, 'update_task', { id: first.tasks[0]!.id, status: 'working' });
    await callOk(c.client, 'update_task', { id: first.tasks[1]!.id, status: 'complete' });

    const page = await callOk<{ count: number; total: number; limit: number; offset: number; tasks: Task[] }>(
      c.client,
      'list_tasks',
      { assigned_to: 'lister', limit: 2, offset: 2 },
    );
    expect(page).toMatchObject({ count: 2, total: 5, limit: 2, offset: 2 });
    expect(page.tasks[0]?.description).toBeUndefined();

    const working = await callOk<{ tasks: Task[] }>(c.client, 'list_tasks', {
      assigned_to: 'lister',
      status: 'working',
    });
    expect(working.tasks.map((t) => t.status)).toEqual(['working']);
    const open = await callOk<{ tasks: Task[] }>(c.client, 'list_tasks', {
      assigned_to: 'lister',
      status: ['idle', 'working'],
    });
    expect(open.tasks).toHaveLength(4);
    const notComplete = await callOk<{ tasks: Task[] }>(c.client, 'list_tasks', {
      assigned_to: 'lister',
      exclude_status: ['complete'],
    });
    expect(notComplete.tasks).toHaveLength(4);
    const inQueue = await callOk<{ total: number }>(c.client, 'list_tasks', { queue_name: 'lq' });
    expect(inQueue.total).toBe(5);
    const withDescription = await callOk<{ tasks: Task[] }>(c.client, 'list_tasks', {
      assigned_to: 'lister',
      include_description: true,
      limit: 1,
    });
    expect(withDescription.tasks[0]).toHaveProperty('description');
  });

  it('get_my_queue lists the agent’s open tasks, highest priority first', async () => {
    await callOk(c.client, 'create_task', {
      title: 'low',
      created_by: 'x',
      assigned_to: 'queue-agent',
      priority: 1,
    });
    await callOk(c.client, 'create_task', {
      title: 'high',
      created_by: 'x',
      assigned_to: 'queue-agent',
      priority: 9,
    });
    const done = await callOk<Task>(c.client, 'create_task', {
      title: 'done',
      created_by: 'x',
      assigned_to: 'queue-agent',
    });
    await callOk(c.client, 'update_task', { id: done.id, status: 'complete' });
    const queue = await callOk<{ agent: string; count: number; tasks: Task[] }>(c.client, 'get_my_queue', {
      agent_name: 'queue-agent',
    });
    expect(queue.agent).toBe('queue-agent');
    expect(queue.count).toBe(2);
    expect(queue.tasks.map((t) => t.title)).toEqual(['high', 'low']);
  });

  it('signup_for_task claims the best idle unblocked task, with TinyTask’s text, and says when nothing is left', async () => {
    const blocker = await callOk<Task>(c.client, 'create_task', {
      title: 'blocker',
      created_by: 'x',
      assigned_to: 'other',
    });
    await callOk(c.client, 'create_task', {
      title: 'blocked',
      created_by: 'x',
      assigned_to: 'claimer',
      priority: 100,
      blocked_by_task_id: blocker.id,
    });
    const best = await callOk<Task>(c.client, 'create_task', {
      title: 'best',
      created_by: 'x',
      assigned_to: 'claimer',
      priority: 5,
    });
    await callOk(c.client, 'create_task', {
      title: 'worse',
      created_by: 'x',
      assigned_to: 'claimer',
      priority: 1,
    });

    const raw = (await c.client.callTool({
      name: 'signup_for_task',
      arguments: { agent_name: 'claimer' },
    })) as CallToolResult;
    expect(raw.isError).toBeFalsy();
    expectMatchesOutputSchema('signup_for_task', raw);
    const claimed = raw.structuredContent as { claimed: boolean; task: Task; message: string };
    expect(claimed.claimed).toBe(true);
    expect(claimed.task).toMatchObject({ id: best.id, status: 'working' });
    const text = raw.content[0]?.type === 'text' ? raw.content[0].text : '';
    expect(text.startsWith(`Task #${best.id} claimed and set to working status\n\n`)).toBe(true);
    expect(JSON.parse(text.slice(text.indexOf('\n\n') + 2))).toEqual(claimed.task);

    await callOk(c.client, 'signup_for_task', { agent_name: 'claimer' });
    const none = (await c.client.callTool({
      name: 'signup_for_task',
      arguments: { agent_name: 'claimer' },
    })) as CallToolResult;
    expect(none.isError).toBeFalsy();
    expect(none.content).toEqual([
      { type: 'text', text: 'No idle tasks available in queue for agent: claimer' },
    ]);
    expect(none.structuredContent).toEqual({
      claimed: false,
      task: null,
      message: 'No idle tasks available in queue for agent: claimer',
    });
  });

  it('move_task hands off with a comment; NOT_ASSIGNEE, CONFLICT and NOT_FOUND otherwise', async () => {
    const t = await callOk<Task>(c.client, 'create_task', {
      title: 'handoff',
      created_by: 'x',
      assigned_to: 'alice',
    });
    const moved = await callOk<Task>(c.client, 'move_task', {
      task_id: t.id,
      current_agent: 'alice',
      new_agent: 'bob',
      comment: 'Parser done; tests left',
    });
    expect(moved).toMatchObject({ assigned_to: 'bob', previous_assigned_to: 'alice', status: 'idle' });
    const comments = await callOk<{ comments: Array<{ content: string }> }>(c.client, 'list_comments', {
      task_id: t.id,
    });
    expect(comments.comments.map((x) => x.content)).toContain('Parser done; tests left');

    const msg = await callErr(
      c.client,
      'move_task',
      { task_id: t.id, current_agent: 'alice', new_agent: 'carol', comment: 'again' },
      'NOT_ASSIGNEE',
    );
    expect(msg).toContain('bob');
    await callOk(c.client, 'update_task', { id: t.id, status: 'complete' });
    await callErr(
      c.client,
      'move_task',
      { task_id: t.id, current_agent: 'bob', new_agent: 'carol', comment: 'c' },
      'CONFLICT',
    );
    await callErr(
      c.client,
      'move_task',
      { task_id: 999999, current_agent: 'bob', new_agent: 'carol', comment: 'c' },
      'NOT_FOUND',
    );
  });
});
