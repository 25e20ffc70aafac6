import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, MODES, openBoard, type TestBoard } from './core-support.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(MODES)('tasks ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  it('creates a task with defaults and returns it with TinyTask types', async () => {
    const task = await t.board.createTask({ title: 'Write docs', created_by: 'lead' });
    expect(task).toMatchObject({
      title: 'Write docs',
      description: null,
      status: 'idle',
      assigned_to: null,
      previous_assigned_to: null,
      created_by: 'lead',
      priority: 0,
      tags: [],
      parent_task_id: null,
      queue_name: null,
      blocked_by_task_id: null,
      auto_promote: true,
      archived_at: null,
    });
    expect(task.id).toBeGreaterThan(0);
    expect(task.created_at).toMatch(ISO);
    expect(task.updated_at).toBe(task.created_at);
  });

  it('stores every optional field and returns tags as an array, auto_promote as a boolean', async () => {
    const blocker = await t.board.createTask({ title: 'blocker', created_by: 'a' });
    const task = await t.board.createTask({
      title: 'Full',
      description: 'all fields',
      assigned_to: 'dev-1',
      created_by: 'lead',
      priority: '7',
      tags: ['api', 'urgent'],
      queue_name: 'dev',
      blocked_by_task_id: blocker.id,
      auto_promote: false,
    });
    const detail = await t.board.getTask({ id: String(task.id) });
    expect(detail).toMatchObject({
      description: 'all fields',
      assigned_to: 'dev-1',
      priority: 7,
      tags: ['api', 'urgent'],
      queue_name: 'dev',
      blocked_by_task_id: blocker.id,
      auto_promote: false,
      is_currently_blocked: true,
      comments: [],
      links: [],
      subtask_count: 0,
    });
  });

  it('get_task answers NOT_FOUND for an unknown id', async () => {
    const message = await expectCode(t.board.getTask({ id: 999 }), 'NOT_FOUND');
    expect(message).toContain('999');
  });

  it('updates only the fields given, bumps updated_at, and records previous_assigned_to on reassignment', async () => {
    const task = await t.board.createTask({
      title: 'T',
      created_by: 'a',
      assigned_to: 'x',
      priority: 1,
      tags: ['a'],
    });
    const updated = await t.board.updateTask({ id: task.id, assigned_to: 'y', priority: 5 });
    expect(updated).toMatchObject({
      title: 'T',
      assigned_to: 'y',
      previous_assigned_to: 'x',
      priority: 5,
      tags: ['a'],
    });
    expect(updated.updated_at >= task.updated_at).toBe(true);
    const unassigned = await t.board.updateTask({ id: task.id, assigned_to: null });
    expect(unassigned).toMatchObject({ assigned_to: null, previous_assigned_to: 'y' });
    const same = await t.board.updateTask({ id: task.id, title: 'T' });
    expect(same.updated_at).toBe(unassigned.updated_at);
    await expectCode(t.board.updateTask({ id: 12345, title: 'x' }), 'NOT_FOUND');
  });

  it('updates status, description, tags, queue and auto_promote', async () => {
    const task = await t.board.createTask({ title: 'T', created_by: 'a' });
    const updated = await t.board.updateTask({
      id: task.id,
      status: 'complete',
      description: 'done',
      tags: ['x', 'y'],
      queue_name: 'qa',
      auto_promote: false,
    });
    expect(updated).toMatchObject({
      status: 'complete',
      description: 'done',
      tags: ['x', 'y'],
      queue_name: 'qa',
      auto_promote: false,
    });
    expect((await t.board.updateTask({ id: task.id, queue_name: null })).queue_name).toBeNull();
  });

  it('deletes a task with its subtasks, comments and links, and unblocks the tasks it blocked', async () => {
    const root = await t.board.createTask({ title: 'root', created_by: 'a' });
    const child = await t.board.createSubtask({ parent_task_id: root.id, title: 'child', created_by: 'a' });
    const grandchild = await t.board.createSubtask({
      parent_task_id: child.id,
      title: 'gc',
      created_by: 'a',
    });
    await t.board.addComment({ task_id: child.id, content: 'c' });
    await t.board.addLink({ task_id: grandchild.id, url: 'https://example.com' });
    const waiting = await t.board.createTask({
      title: 'waiting',
      created_by: 'a',
      blocked_by_task_id: grandchild.id,
    });
    expect(await t.board.deleteTask({ id: root.id })).toEqual({ id: root.id, deleted: true });
    for (const id of [root.id, child.id, grandchild.id])
      await expectCode(t.board.getTask({ id }), 'NOT_FOUND');
    const after = await t.board.getTask({ id: waiting.id });
    expect(after.blocked_by_task_id).toBeNull();
    expect(after.is_currently_blocked).toBe(false);
    await expectCode(t.board.deleteTask({ id: root.id }), 'NOT_FOUND');
  });

  it('archives a task: hidden from lists unless include_archived, still readable by id', async () => {
    const a = await t.board.createTask({ title: 'a', created_by: 'x' });
    const b = await t.board.createTask({ title: 'b', created_by: 'x' });
    const archived = await t.board.archiveTask({ id: a.id });
    expect(archived.archived_at).not.toBeNull();
    expect((await t.board.archiveTask({ id: a.id })).archived_at).toBe(archived.archived_at);
    expect((await t.board.listTasks({})).tasks.map((x) => x.id)).toEqual([b.id]);
    expect((await t.board.listTasks({ include_archived: true })).tasks.map((x) => x.id)).toEqual([
      a.id,
      b.id,
    ]);
    expect((await t.board.getTask({ id: a.id })).archived_at).toBe(archived.archived_at);
  });

  it('lists in a stable order: priority descending, then oldest first, then id', async () => {
    const low = await t.board.createTask({ title: 'low', created_by: 'a', priority: 1 });
    const high = await t.board.createTask({ title: 'high', created_by: 'a', priority: 9 });
    const low2 = await t.board.createTask({ title: 'low2', created_by: 'a', priority: 1 });
    const page = await t.board.listTasks({});
    expect(page.tasks.map((x) => x.id)).toEqual([high.id, low.id, low2.id]);
    expect(page).toMatchObject({ total: 3, limit: 100, offset: 0 });
    expect(page.tasks[0]).not.toHaveProperty('description');
    const withDescription = await t.board.listTasks({ include_description: true });
    expect(withDescription.tasks[0]).toHaveProperty('description', null);
  });

  it('filters by assignee, status (one or several), excluded status, queue, parent and subtasks; pages with limit/offset', async () => {
    const a1 = await t.board.createTask({
      title: 'a1',
      created_by: 'c',
      assigned_to: 'a',
      queue_name: 'dev',
    });
    const a2 = await t.board.createTask({ title: 'a2', created_by: 'c', assigned_to: 'a', queue_name: 'qa' });
    const b1 = await t.board.createTask({
      title: 'b1',
      created_by: 'c',
      assigned_to: 'b',
      queue_name: 'dev',
    });
    const sub = await t.board.createSubtask({ parent_task_id: b1.id, title: 'sub', created_by: 'c' });
    await t.board.updateTask({ id: a2.id, status: 'working' });
    await t.board.updateTask({ id: b1.id, status: 'complete', auto_promote: false });
    const ids = async (input: unknown) =>
      (await t.board.listTasks(input)).tasks.map((x) => x.id).sort((x, y) => x - y);
    expect(await ids({ assigned_to: 'a' })).toEqual([a1.id, a2.id]);
    expect(await ids({ status: 'working' })).toEqual([a2.id]);
    expect(await ids({ status: ['working', 'complete'] })).toEqual([a2.id, b1.id]);
    expect(await ids({ exclude_status: ['complete'] })).toEqual([a1.id, a2.id, sub.id]);
    expect(await ids({ exclude_status: 'idle' })).toEqual([a2.id, b1.id]);
    expect(await ids({ queue_name: 'dev' })).toEqual([a1.id, b1.id, sub.id]);
    expect(await ids({ parent_task_id: b1.id })).toEqual([sub.id]);
    expect(await ids({ exclude_subtasks: true })).toEqual([a1.id, a2.id, b1.id]);
    const page = await t.board.listTasks({ limit: 2, offset: 1 });
    expect(page.total).toBe(4);
    expect(page.tasks).toHaveLength(2);
    expect(page).toMatchObject({ limit: 2, offset: 1 });
  });

  it('get_my_queue returns the agent’s idle and working unarchived tasks, highest priority first then oldest', async () => {
    const a = await t.board.createTask({ title: 'a', created_by: 'c', assigned_to: 'me', priority: 1 });
    const b = await t.board.createTask({ title: 'b', created_by: 'c', assigned_to: 'me', priority: 5 });
    const c = await t.board.createTask({ title: 'c', created_by: 'c', assigned_to: 'me', priority: 1 });
    const done = await t.board.createTask({ title: 'done', created_by: 'c', assigned_to: 'me' });
    const gone = await t.board.createTask({ title: 'gone', created_by: 'c', assigned_to: 'me' });
    await t.board.createTask({ title: 'other', created_by: 'c', assigned_to: 'you' });
    await t.board.updateTask({ id: c.id, status: 'working' });
    await t.board.updateTask({ id: done.id, status: 'complete' });
    await t.board.archiveTask({ id: gone.id });
    const queue = await t.board.getMyQueue({ agent_name: 'me' });
    expect(queue.map((x) => x.id)).toEqual([b.id, a.id, c.id]);
    expect(queue[0]).not.toHaveProperty('description');
    expect((await t.board.getMyQueue({ agent_name: 'me', include_description: true }))[0]).toHaveProperty(
      'description',
    );
    expect(await t.board.agentQueueSummary({ agent_name: 'me' })).toEqual({
      agent_name: 'me',
      open: 3,
      idle: 2,
      working: 1,
      blocked: 0,
      highest_priority: 5,
    });
  });

  it('answers board statistics, completions and resource pages', async () => {
    const a = await t.board.createTask({
      title: 'a',
      created_by: 'alice',
      assigned_to: 'bob',
      queue_name: 'dev',
    });
    const b = await t.board.createTask({ title: 'b', created_by: 'alice', queue_name: 'design' });
    await t.board.updateTask({ id: a.id, status: 'complete' });
    await t.board.archiveTask({ id: b.id });
    expect(await t.board.boardStats({})).toEqual({
      tasks_total: 2,
      by_status: { idle: 0, working: 0, complete: 1 },
      archived: 1,
      completed_today: 1,
    });
    expect(await t.board.completeAgents({ prefix: 'b', limit: 10 })).toEqual(['bob']);
    expect(await t.board.completeAgents({ prefix: '', limit: 10 })).toEqual(['alice', 'bob']);
    expect(await t.board.completeQueues({ prefix: 'de', limit: 10 })).toEqual(['design', 'dev']);
    expect(await t.board.completeTaskIds({ prefix: String(a.id), limit: 10 })).toContain(a.id);
    expect(await t.board.completeTaskIds({ prefix: 'x', limit: 10 })).toEqual([]);
    expect(await t.board.pageTaskIds({ after_id: 0, limit: 10, archived: false })).toEqual([
      { id: a.id, title: 'a' },
    ]);
    expect(await t.board.pageTaskIds({ after_id: 0, limit: 10, archived: true })).toHaveLength(2);
  });
});
