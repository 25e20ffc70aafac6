import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callErr, callOk, openHarness, type Harness } from './mcp-support.js';

interface Task {
  id: number;
  assigned_to: string | null;
  due_at: string | null;
  comments?: Array<{ created_by: string | null; content: string }>;
}

describe('one name for one thing, search and due dates over MCP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('accepts task_id on every tool that takes a task, and TinyTask’s id where it had it', async () => {
    const { client } = await h.connect();
    const task = await callOk<Task>(client, 'create_task', { title: 'Alias', created_by: 'a' });
    expect((await callOk<Task>(client, 'get_task', { task_id: task.id })).id).toBe(task.id);
    expect((await callOk<Task>(client, 'get_task', { id: String(task.id) })).id).toBe(task.id);
    await callOk(client, 'update_task', { task_id: task.id, priority: 3 });
    await callOk(client, 'update_task', { id: task.id, task_id: task.id, priority: 4 });
    const sub = await callOk<Task>(client, 'create_subtask', {
      parent_task_id: task.id,
      title: 's',
      created_by: 'a',
    });
    await callOk(client, 'get_subtasks', { task_id: task.id });
    await callOk(client, 'move_subtask', { task_id: sub.id });
    await callOk(client, 'archive_task', { task_id: sub.id });
    await callOk(client, 'delete_task', { task_id: sub.id });
    const both = await callErr(client, 'get_task', { task_id: task.id, id: task.id + 1 }, 'INVALID_ARGUMENT');
    expect(both).toMatch(/task_id and id name the same task but differ; pass only task_id/);
    const missing = await callErr(client, 'get_task', {}, 'INVALID_ARGUMENT');
    expect(missing).toMatch(/task_id is required/);
    // The schema shows task_id.
    const tools = (await client.listTools()).tools;
    const getTask = tools.find((t) => t.name === 'get_task');
    expect(Object.keys(getTask?.inputSchema.properties ?? {})).toEqual(['task_id']);
    expect(getTask?.inputSchema.required).toEqual(['task_id']);
  });

  it('says "did you mean" for an unknown argument close to a known one', async () => {
    const { client } = await h.connect();
    const camel = await callErr(client, 'get_task', { taskId: 1 }, 'INVALID_ARGUMENT');
    expect(camel).toMatch(/unknown argument "taskId" \(did you mean "task_id"\?\)/);
    const typo = await callErr(client, 'create_task', { titel: 'x', created_by: 'a' }, 'INVALID_ARGUMENT');
    expect(typo).toMatch(/"titel" \(did you mean "title"\?\)/);
    const part = await callErr(client, 'get_my_queue', { agent: 'a' }, 'INVALID_ARGUMENT');
    expect(part).toMatch(
      /"agent" \(did you mean "agent_name"\?\).*accepted: agent_name, include_description/,
    );
    const far = await callErr(client, 'list_queues', { zzzzzz: 1 }, 'INVALID_ARGUMENT');
    expect(far).not.toMatch(/did you mean/);
  });

  it('matches a token’s agent case-insensitively and fills the comment author from it', async () => {
    const { client } = await h.connect({ agent: 'Bob' });
    const task = await callOk<Task>(client, 'create_task', {
      title: 'Mine',
      created_by: 'bob',
      assigned_to: 'BOB',
    });
    expect(task.assigned_to).toBe('Bob');
    expect((await callOk<{ count: number }>(client, 'get_my_queue', { agent_name: ' bob' })).count).toBe(1);
    await callOk(client, 'add_comment', { task_id: task.id, content: 'started on the xylophone module' });
    const read = await callOk<Task>(client, 'get_task', { task_id: task.id });
    expect(read.comments?.[0]?.created_by).toBe('Bob');
    const forbidden = await callErr(
      client,
      'add_comment',
      { task_id: task.id, content: 'x', created_by: 'Mallory' },
      'FORBIDDEN',
    );
    expect(forbidden).toMatch(/Pass created_by: "Bob"/);
    const found = await callOk<{ count: number; tasks: Array<{ id: number; snippet: string }> }>(
      client,
      'search_tasks',
      { query: 'xylophone', assigned_to: 'BOB' },
    );
    expect(found.tasks.map((t) => t.id)).toEqual([task.id]);
    expect(found.tasks[0]?.snippet).toContain('**xylophone**');
  });

  it('takes due_at on create and update and filters overdue tasks', async () => {
    const { client } = await h.connect();
    const late = await callOk<Task>(client, 'create_task', {
      title: 'Late',
      created_by: 'a',
      assigned_to: 'dora',
      due_at: '2001-01-01',
    });
    const queue = await callOk<{ tasks: Task[] }>(client, 'get_my_queue', { agent_name: 'Dora' });
    expect(queue.tasks[0]?.due_at).toBe('2001-01-01T00:00:00.000Z');
    const overdue = await callOk<{ tasks: Task[] }>(client, 'list_tasks', {
      overdue: true,
      assigned_to: 'dora',
    });
    expect(overdue.tasks.map((t) => t.id)).toEqual([late.id]);
    await callOk(client, 'update_task', { task_id: late.id, due_at: '2999-12-31T23:00:00Z' });
    expect(
      (await callOk<{ tasks: Task[] }>(client, 'get_queue_tasks', { queue_name: 'none', overdue: true }))
        .tasks,
    ).toEqual([]);
    const bad = await callErr(
      client,
      'update_task',
      { task_id: late.id, due_at: 'next week' },
      'INVALID_ARGUMENT',
    );
    expect(bad).toMatch(/e\.g\. "2026-12-31" or "2026-12-31T17:00:00Z"/);
  });
});
