import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../src/domain/types.js';
import { MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('signup_for_task ($mode)', ({ inline }) => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard({ inline });
  });
  afterEach(async () => {
    await t.close();
  });

  it('claims the agent’s highest-priority, oldest idle task, marks it working, and answers null when none is left', async () => {
    const old = await t.board.createTask({ title: 'old', created_by: 'c', assigned_to: 'me', priority: 2 });
    const top = await t.board.createTask({ title: 'top', created_by: 'c', assigned_to: 'me', priority: 8 });
    const young = await t.board.createTask({
      title: 'young',
      created_by: 'c',
      assigned_to: 'me',
      priority: 2,
    });
    await t.board.createTask({ title: 'not mine', created_by: 'c', assigned_to: 'you', priority: 100 });
    const claimed: Array<Task | null> = [];
    for (let i = 0; i < 4; i++) claimed.push(await t.board.signupForTask({ agent_name: 'me' }));
    expect(claimed.map((c) => c?.id ?? null)).toEqual([top.id, old.id, young.id, null]);
    expect(claimed[0]).toMatchObject({ status: 'working', assigned_to: 'me' });
    expect((await t.board.getTask({ id: top.id })).status).toBe('working');
  });

  it('never claims archived, working or complete tasks', async () => {
    const archived = await t.board.createTask({
      title: 'a',
      created_by: 'c',
      assigned_to: 'me',
      priority: 9,
    });
    const done = await t.board.createTask({ title: 'd', created_by: 'c', assigned_to: 'me', priority: 9 });
    await t.board.archiveTask({ id: archived.id });
    await t.board.updateTask({ id: done.id, status: 'complete' });
    expect(await t.board.signupForTask({ agent_name: 'me' })).toBeNull();
  });

  it('never claims a blocked task, and claims it once its blocker is complete', async () => {
    const blocker = await t.board.createTask({ title: 'blocker', created_by: 'c', assigned_to: 'other' });
    const blocked = await t.board.createTask({
      title: 'blocked',
      created_by: 'c',
      assigned_to: 'me',
      priority: 10,
      blocked_by_task_id: blocker.id,
    });
    const free = await t.board.createTask({ title: 'free', created_by: 'c', assigned_to: 'me', priority: 1 });
    expect((await t.board.signupForTask({ agent_name: 'me' }))?.id).toBe(free.id);
    expect(await t.board.signupForTask({ agent_name: 'me' })).toBeNull();
    await t.board.updateTask({ id: blocker.id, status: 'working' });
    expect(await t.board.signupForTask({ agent_name: 'me' })).toBeNull();
    expect((await t.board.getTask({ id: blocked.id })).is_currently_blocked).toBe(true);
    await t.board.updateTask({ id: blocker.id, status: 'complete' });
    expect((await t.board.getTask({ id: blocked.id })).is_currently_blocked).toBe(false);
    expect((await t.board.signupForTask({ agent_name: 'me' }))?.id).toBe(blocked.id);
  });

  it('blocked tasks are never claimed under concurrent claims', async () => {
    const blocker = await t.board.createTask({ title: 'blocker', created_by: 'c' });
    const blocked = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.board.createTask({
          title: `b${i}`,
          created_by: 'c',
          assigned_to: `agent-${i % 5}`,
          blocked_by_task_id: blocker.id,
        }),
      ),
    );
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => t.board.signupForTask({ agent_name: `agent-${i % 5}` })),
    );
    expect(results.every((r) => r === null)).toBe(true);
    for (const b of blocked) expect((await t.board.getTask({ id: b.id })).status).toBe('idle');
  });

  it('50 agents making 200 concurrent claims over 100 tasks: no task claimed twice, every claim by its assignee', async () => {
    const agents = Array.from({ length: 50 }, (_, i) => `agent-${i}`);
    const tasks = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.board.createTask({
          title: `task ${i}`,
          created_by: 'lead',
          assigned_to: agents[i % 50],
          priority: i % 7,
        }),
      ),
    );
    const assignee = new Map(tasks.map((task) => [task.id, task.assigned_to]));
    const claims = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const agent = agents[i % 50] as string;
        return t.board.signupForTask({ agent_name: agent }).then((task) => ({ agent, task }));
      }),
    );
    const won = claims.filter((c) => c.task !== null);
    expect(won).toHaveLength(100);
    const ids = won.map((c) => c.task?.id);
    expect(new Set(ids).size).toBe(100);
    for (const { agent, task } of won) {
      expect(task?.assigned_to).toBe(agent);
      expect(assignee.get(task?.id as number)).toBe(agent);
      expect(task?.status).toBe('working');
    }
    // Each agent had two tasks: exactly two of its four claims won.
    for (const agent of agents) expect(won.filter((c) => c.agent === agent)).toHaveLength(2);
    const page = await t.board.listTasks({ status: 'working', limit: 1000 });
    expect(page.total).toBe(100);
  });
});
