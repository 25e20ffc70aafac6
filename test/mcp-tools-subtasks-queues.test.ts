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

interface Task {
  id: number;
  title: string;
  status: string;
  parent_task_id: number | null;
  queue_name: string | null;
  assigned_to: string | null;
}
interface Tree extends Task {
  subtasks: Tree[];
}

describe('subtask and queue tools over MCP', () => {
  let h: Harness;
  let c: Connection;
  beforeAll(async () => {
    h = await openHarness();
    c = await h.connect();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('create_subtask inherits the parent’s queue, rolls the parent up, and refuses unknown parents', async () => {
    const parent = await callOk<Task>(c.client, 'create_task', {
      title: 'Epic',
      created_by: 'lead',
      queue_name: 'dev',
    });
    const a = await callOk<Task>(c.client, 'create_subtask', {
      parent_task_id: parent.id,
      title: 'A',
      created_by: 'lead',
    });
    const b = await callOk<Task>(c.client, 'create_subtask', {
      parent_task_id: String(parent.id),
      title: 'B',
      created_by: 'lead',
      queue_name: 'qa',
    });
    expect(a).toMatchObject({ parent_task_id: parent.id, queue_name: 'dev' });
    expect(b.queue_name).toBe('qa');
    await callOk(c.client, 'update_task', { id: a.id, status: 'working' });
    expect((await callOk<Task>(c.client, 'get_task', { id: parent.id })).status).toBe('working');
    await callOk(c.client, 'update_task', { id: a.id, status: 'complete' });
    await callOk(c.client, 'update_task', { id: b.id, status: 'complete' });
    expect((await callOk<Task>(c.client, 'get_task', { id: parent.id })).status).toBe('complete');
    await callErr(
      c.client,
      'create_subtask',
      { parent_task_id: 999999, title: 'x', created_by: 'lead' },
      'NOT_FOUND',
    );
  });

  it('get_subtasks lists direct or all levels; get_task_with_subtasks nests them', async () => {
    const root = await callOk<Task>(c.client, 'create_task', { title: 'Root', created_by: 'x' });
    const child = await callOk<Task>(c.client, 'create_subtask', {
      parent_task_id: root.id,
      title: 'Child',
      created_by: 'x',
    });
    const grandchild = await callOk<Task>(c.client, 'create_subtask', {
      parent_task_id: child.id,
      title: 'Grandchild',
      created_by: 'x',
    });
    const direct = await callOk<{
      parent_task_id: number;
      recursive: boolean;
      count: number;
      subtasks: Task[];
    }>(c.client, 'get_subtasks', { parent_task_id: root.id });
    expect(direct).toMatchObject({ parent_task_id: root.id, recursive: false, count: 1 });
    const all = await callOk<{ count: number; subtasks: Task[] }>(c.client, 'get_subtasks', {
      parent_task_id: root.id,
      recursive: true,
    });
    expect(all.subtasks.map((t) => t.id).sort()).toEqual([child.id, grandchild.id].sort());
    const tree = await callOk<Tree>(c.client, 'get_task_with_subtasks', {
      task_id: root.id,
      recursive: true,
    });
    expect(tree.subtasks[0]?.id).toBe(child.id);
    expect(tree.subtasks[0]?.subtasks[0]?.id).toBe(grandchild.id);
    await callErr(c.client, 'get_subtasks', { parent_task_id: 999999 }, 'NOT_FOUND');
    await callErr(c.client, 'get_task_with_subtasks', { task_id: 999999 }, 'NOT_FOUND');
  });

  it('move_subtask re-parents with TinyTask’s text, makes top-level, and refuses cycles', async () => {
    const p1 = await callOk<Task>(c.client, 'create_task', { title: 'P1', created_by: 'x' });
    const p2 = await callOk<Task>(c.client, 'create_task', { title: 'P2', created_by: 'x' });
    const s = await callOk<Task>(c.client, 'create_subtask', {
      parent_task_id: p1.id,
      title: 'S',
      created_by: 'x',
    });
    const raw = (await c.client.callTool({
      name: 'move_subtask',
      arguments: { subtask_id: s.id, new_parent_id: p2.id },
    })) as CallToolResult;
    expectMatchesOutputSchema('move_subtask', raw);
    expect((raw.structuredContent as unknown as Task).parent_task_id).toBe(p2.id);
    expect(raw.content[0]).toMatchObject({ type: 'text' });
    expect(
      (raw.content[0] as { text: string }).text.startsWith(`Task #${s.id} moved to parent #${p2.id}\n\n`),
    ).toBe(true);
    const top = await callOk<Task>(c.client, 'move_subtask', { subtask_id: s.id });
    expect(top.parent_task_id).toBeNull();
    await callOk(c.client, 'move_subtask', { subtask_id: p2.id, new_parent_id: s.id });
    await callErr(c.client, 'move_subtask', { subtask_id: s.id, new_parent_id: p2.id }, 'CYCLE');
    await callErr(c.client, 'move_subtask', { subtask_id: 999999, new_parent_id: null }, 'NOT_FOUND');
  });

  it('queue tools: add, remove, move, list, stats, tasks and clear', async () => {
    const t1 = await callOk<Task>(c.client, 'create_task', {
      title: 'Q1',
      created_by: 'x',
      assigned_to: 'qa-1',
    });
    const t2 = await callOk<Task>(c.client, 'create_task', { title: 'Q2', created_by: 'x' });
    expect(
      (await callOk<Task>(c.client, 'add_task_to_queue', { task_id: t1.id, queue_name: 'support' }))
        .queue_name,
    ).toBe('support');
    await callOk(c.client, 'add_task_to_queue', { task_id: t2.id, queue_name: 'support' });
    const queues = await callOk<{
      count: number;
      queues: Array<{ queue_name: string; total: number; idle: number }>;
    }>(c.client, 'list_queues');
    expect(queues.queues.find((q) => q.queue_name === 'support')).toMatchObject({ total: 2, idle: 2 });
    expect(queues.count).toBe(queues.queues.length);

    const stats = await callOk<{
      total: number;
      unassigned: number;
      by_assignee: Array<{ assigned_to: string | null }>;
    }>(c.client, 'get_queue_stats', { queue_name: 'support' });
    expect(stats).toMatchObject({ queue_name: 'support', total: 2, unassigned: 1 });
    expect(stats.by_assignee.map((a) => a.assigned_to).sort()).toEqual([null, 'qa-1'].sort());

    const tasks = await callOk<{ queue_name: string; count: number; total: number; tasks: Task[] }>(
      c.client,
      'get_queue_tasks',
      { queue_name: 'support', assigned_to: 'qa-1' },
    );
    expect(tasks).toMatchObject({ queue_name: 'support', count: 1, total: 1 });

    expect(
      (await callOk<Task>(c.client, 'move_task_to_queue', { task_id: t1.id, new_queue_name: 'escalations' }))
        .queue_name,
    ).toBe('escalations');
    expect(
      (await callOk<Task>(c.client, 'remove_task_from_queue', { task_id: t1.id })).queue_name,
    ).toBeNull();

    const cleared = await callOk<{ queue_name: string; tasks_cleared: number; task_ids: number[] }>(
      c.client,
      'clear_queue',
      {
        queue_name: 'support',
      },
    );
    expect(cleared).toEqual({ queue_name: 'support', tasks_cleared: 1, task_ids: [t2.id] });
    expect((await callOk<Task>(c.client, 'get_task', { id: t2.id })).queue_name).toBeNull();
    const empty = await callOk<{ total: number }>(c.client, 'get_queue_stats', { queue_name: 'support' });
    expect(empty.total).toBe(0);

    await callErr(c.client, 'add_task_to_queue', { task_id: 999999, queue_name: 'x' }, 'NOT_FOUND');
    await callErr(c.client, 'remove_task_from_queue', { task_id: 999999 }, 'NOT_FOUND');
    await callErr(c.client, 'move_task_to_queue', { task_id: 999999, new_queue_name: 'x' }, 'NOT_FOUND');
  });
});
