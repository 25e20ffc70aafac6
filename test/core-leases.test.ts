import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeSet, Task } from '../src/domain/types.js';
import { createServerMetrics, type ServerMetrics } from '../src/metrics.js';
import { expectCode, MODES, openBoard, type TestBoard } from './core-support.js';

/** Resolves with the first change event that satisfies `match` (no timeout: vitest's own fails a stuck test). */
function nextChange(t: TestBoard, match: (c: ChangeSet) => boolean): Promise<ChangeSet> {
  return new Promise((resolve) => {
    const listener = (c: ChangeSet) => {
      if (!match(c)) return;
      t.board.off('change', listener);
      resolve(c);
    };
    t.board.on('change', listener);
  });
}

describe.each(MODES)('leases ($mode)', ({ inline }) => {
  let t: TestBoard;
  let metrics: ServerMetrics;
  beforeEach(async () => {
    metrics = createServerMetrics();
    t = await openBoard({ inline, allowFaultInjection: true, metrics });
  });
  afterEach(async () => {
    await t.close();
  });

  async function claimed(agent: string, args: Record<string, unknown> = {}): Promise<Task> {
    const task = await t.board.claimNextTask({ agent_name: agent, ...args });
    expect(task, `${agent} claimed nothing`).not.toBeNull();
    return task as Task;
  }

  it('every claim takes a random lease of the asked length and counts an attempt', async () => {
    const a = await t.board.createTask({ title: 'a', created_by: 'c', assigned_to: 'me' });
    const b = await t.board.createTask({ title: 'b', created_by: 'c', assigned_to: 'me' });
    const before = Date.now();
    const first = await claimed('me', { lease_seconds: 90 });
    const second = (await t.board.signupForTask({ agent_name: 'me' })) as Task;
    expect(first).toMatchObject({ id: a.id, status: 'working', attempts: 1, lease_expiries: 0 });
    expect(second).toMatchObject({ id: b.id, status: 'working', attempts: 1 });
    expect(first.lease_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(second.lease_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.lease_id).not.toBe(second.lease_id);
    const expires = Date.parse(first.lease_expires_at!);
    expect(expires).toBeGreaterThanOrEqual(before + 90_000);
    expect(expires).toBeLessThan(Date.now() + 90_000 + 1_000);
    // signup_for_task takes the server's default (TINYTASK_LEASE_SECONDS, 1800 s).
    expect(Date.parse(second.lease_expires_at!)).toBeGreaterThanOrEqual(before + 1_800_000);
    expect(await t.board.getTask({ id: a.id })).toMatchObject({ lease_id: first.lease_id, attempts: 1 });
    // update_task to working is TinyTask's claim: it takes a lease too.
    const c = await t.board.createTask({ title: 'c', created_by: 'c' });
    const started = await t.board.updateTask({ id: c.id, status: 'working' });
    expect(started.lease_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(started.attempts).toBe(1);
    expect(metrics.coordination.claims.value()).toBe(3);
  });

  it('the reaper returns an expired task to idle, same assignee, with a comment and a history entry', async () => {
    const task = await t.board.createTask({
      title: 'x',
      created_by: 'c',
      assigned_to: 'me',
      queue_name: 'q',
    });
    const mine = await claimed('me', { lease_seconds: 3600 });
    // Not yet: 50 minutes later the lease still holds (margins wide enough for a slow machine).
    await t.board.setClock({ advanceMs: 3_000_000 });
    expect((await t.board.getTask({ id: task.id })).status).toBe('working');
    const change = nextChange(t, (c) => c.tasks.includes(task.id));
    await t.board.setClock({ advanceMs: 700_000 });
    const seen = await change;
    expect(seen.ready?.agents).toContain('me');
    const after = await t.board.getTask({ id: task.id });
    expect(after).toMatchObject({
      status: 'idle',
      assigned_to: 'me',
      lease_id: null,
      lease_expires_at: null,
      attempts: 1,
      lease_expiries: 1,
      dead_lettered_at: null,
    });
    expect(after.comments.at(-1)).toMatchObject({ created_by: 'system:lease-reaper' });
    expect(after.comments.at(-1)?.content).toContain(mine.lease_expires_at!);
    const history = await t.board.getTaskHistory({ task_id: task.id });
    expect(history.at(-1)).toMatchObject({
      field_name: 'status',
      old_value: 'working',
      new_value: 'idle',
      changed_by: 'system:lease-reaper',
    });
    expect(metrics.coordination.leaseExpiries.value()).toBe(1);
    // It is ready again and can be reclaimed: a reclaim, a second attempt, a fresh lease.
    expect((await t.board.listReadyTasks({ agent_name: 'me' })).tasks.map((r) => r.id)).toEqual([task.id]);
    const again = await claimed('me');
    expect(again).toMatchObject({ id: task.id, attempts: 2 });
    expect(again.lease_id).not.toBe(mine.lease_id);
    expect(metrics.coordination.reclaims.value()).toBe(1);
  });

  it('heartbeats and fenced writes extend the lease; the reaper then leaves the task alone', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'me' });
    const lease = (await claimed('me', { lease_seconds: 600 })).lease_id!;
    // Steps of 500 s in a 600 s lease: wide margins, so a slow machine cannot let the lease run out between steps.
    await t.board.setClock({ advanceMs: 500_000 });
    const beat = await t.board.heartbeatTask({ task_id: task.id, agent_name: 'me', lease_id: lease });
    expect(beat.lease_id).toBe(lease);
    await t.board.setClock({ advanceMs: 500_000 });
    // Any write that presents the lease extends it by its length.
    await t.board.addComment({ task_id: task.id, content: 'progress', created_by: 'me', lease_id: lease });
    await t.board.setClock({ advanceMs: 500_000 });
    await t.board.updateTask({ id: task.id, description: 'more', lease_id: lease });
    await t.board.setClock({ advanceMs: 500_000 });
    // A heartbeat may ask for another length.
    await t.board.heartbeatTask({ task_id: task.id, agent_name: 'me', lease_id: lease, lease_seconds: 6000 });
    await t.board.setClock({ advanceMs: 5_000_000 });
    expect(await t.board.getTask({ id: task.id })).toMatchObject({ status: 'working', lease_id: lease });
    await t.board.setClock({ advanceMs: 1_010_000 });
    expect(await t.board.getTask({ id: task.id })).toMatchObject({ status: 'idle', lease_id: null });
    // Completing with the lease ends it.
    const release = (await claimed('me')).lease_id!;
    const done = await t.board.updateTask({ id: task.id, status: 'complete', lease_id: release });
    expect(done).toMatchObject({ status: 'complete', lease_id: null, lease_expires_at: null });
  });

  it('a superseded holder gets LEASE_LOST naming the new holder, and nothing it sends is written', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', queue_name: 'team' });
    const alice = await claimed('alice', { queue_name: 'team', lease_seconds: 30 });
    expect(alice).toMatchObject({ id: task.id, assigned_to: 'alice' });
    await t.board.setClock({ advanceMs: 31_000 });
    // alice's task is idle again and still hers; an operator hands it to bob, who claims it.
    await t.board.updateTask({ id: task.id, assigned_to: 'bob' });
    const bob = await claimed('bob', { task_id: task.id });
    const lost = await expectCode(
      t.board.updateTask({ id: task.id, status: 'complete', lease_id: alice.lease_id! }),
      'LEASE_LOST',
    );
    expect(lost).toContain('"bob"');
    expect(lost).toContain('reclaimed');
    const stale = alice.lease_id!;
    const staleWrites = [
      () => t.board.heartbeatTask({ task_id: task.id, agent_name: 'alice', lease_id: stale }),
      () => t.board.addComment({ task_id: task.id, content: 'done!', created_by: 'alice', lease_id: stale }),
      () => t.board.addLink({ task_id: task.id, url: 'x', lease_id: stale }),
      () =>
        t.board.moveTask({
          task_id: task.id,
          current_agent: 'bob',
          new_agent: 'carol',
          comment: 'yours',
          lease_id: stale,
        }),
      () => t.board.releaseTask({ task_id: task.id, agent_name: 'alice', lease_id: stale }),
    ];
    for (const write of staleWrites) await expectCode(write(), 'LEASE_LOST');
    // A guessed lease fails the same way; bob's own lease still works.
    await expectCode(
      t.board.heartbeatTask({ task_id: task.id, agent_name: 'bob', lease_id: 'guess' }),
      'LEASE_LOST',
    );
    const detail = await t.board.getTask({ id: task.id });
    expect(detail).toMatchObject({ status: 'working', assigned_to: 'bob', lease_id: bob.lease_id });
    expect(detail.comments.some((c) => c.content === 'done!')).toBe(false);
    expect(detail.links).toHaveLength(0);
    // Writes without a lease stay unfenced, as in TinyTask.
    await t.board.addComment({ task_id: task.id, content: 'unfenced note', created_by: 'alice' });
    const finished = await t.board.updateTask({ id: task.id, status: 'complete', lease_id: bob.lease_id! });
    expect(finished.status).toBe('complete');
  });

  it('an expired lease is lost even before the reaper has run', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'me' });
    const lease = (await claimed('me', { lease_seconds: 10 })).lease_id!;
    // Moving the clock reaps at once, so expiry and reaping coincide here; what matters is the answer.
    await t.board.setClock({ advanceMs: 11_000 });
    const message = await expectCode(
      t.board.heartbeatTask({ task_id: task.id, agent_name: 'me', lease_id: lease }),
      'LEASE_LOST',
    );
    expect(message).toContain('with no lease');
  });

  it('dead-letters a task after TINYTASK_MAX_ATTEMPTS expiries until requeue_task', async () => {
    const task = await t.board.createTask({ title: 'flaky', created_by: 'c', queue_name: 'q' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const c = await claimed(`agent-${attempt}`, { queue_name: 'q', lease_seconds: 5 });
      expect(c).toMatchObject({ id: task.id, attempts: attempt });
      // Handed back to the queue between attempts, so other agents can pull it.
      await t.board.setClock({ advanceMs: 6_000 });
      if (attempt < 3) await t.board.updateTask({ id: task.id, assigned_to: null });
    }
    const dead = await t.board.getTask({ id: task.id });
    expect(dead).toMatchObject({ status: 'idle', attempts: 3, lease_expiries: 3 });
    expect(dead.dead_lettered_at).not.toBeNull();
    expect(dead.comments.at(-1)?.content).toContain('dead-lettered');
    expect(metrics.coordination.deadLetters.value()).toBe(1);
    await t.board.updateTask({ id: task.id, assigned_to: null });
    // Never claimed, never ready, not startable by hand.
    expect(await t.board.claimNextTask({ agent_name: 'x', queue_name: 'q' })).toBeNull();
    await expectCode(t.board.claimNextTask({ agent_name: 'x', task_id: task.id }), 'CONFLICT');
    await expectCode(t.board.updateTask({ id: task.id, status: 'working' }), 'CONFLICT');
    expect((await t.board.listReadyTasks({ queue_name: 'q' })).tasks).toEqual([]);
    expect((await t.board.listReadyTasks({})).tasks).toEqual([]);
    // requeue_task without reset: ready again, but one more expiry dead-letters it again.
    const requeued = await t.board.requeueTask({ task_id: task.id, requeued_by: 'ops' });
    expect(requeued).toMatchObject({ dead_lettered_at: null, status: 'idle', attempts: 3 });
    expect((await t.board.listReadyTasks({ queue_name: 'q' })).tasks.map((r) => r.id)).toEqual([task.id]);
    await claimed('x', { queue_name: 'q', lease_seconds: 5 });
    await t.board.setClock({ advanceMs: 6_000 });
    expect((await t.board.getTask({ id: task.id })).dead_lettered_at).not.toBeNull();
    // With reset_attempts it gets a full set of tries.
    const reset = await t.board.requeueTask({ task_id: task.id, reset_attempts: true });
    expect(reset).toMatchObject({ dead_lettered_at: null, attempts: 0, lease_expiries: 0 });
    expect(await claimed('x', { task_id: task.id })).toMatchObject({ attempts: 1 });
  });

  it('release_task gives the claim back at once, with the reason as a comment', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'me' });
    const lease = (await claimed('me')).lease_id!;
    const ready = nextChange(t, (c) => c.ready?.agents.includes('me') === true);
    const released = await t.board.releaseTask({
      task_id: task.id,
      agent_name: 'me',
      lease_id: lease,
      reason: 'need the API key first',
    });
    await ready;
    expect(released).toMatchObject({ status: 'idle', assigned_to: 'me', lease_id: null, attempts: 1 });
    const detail = await t.board.getTask({ id: task.id });
    expect(detail.comments.at(-1)).toMatchObject({
      created_by: 'me',
      content: 'Released by me: need the API key first',
    });
    // The released lease is gone; another agent's name with the right lease is refused too.
    await expectCode(
      t.board.releaseTask({ task_id: task.id, agent_name: 'me', lease_id: lease }),
      'LEASE_LOST',
    );
    const again = await claimed('me');
    await expectCode(
      t.board.releaseTask({ task_id: task.id, agent_name: 'other', lease_id: again.lease_id! }),
      'LEASE_LOST',
    );
    await expectCode(t.board.requeueTask({ task_id: 999_999 }), 'NOT_FOUND');
  });

  it('the reaper sleeps until the next expiry by itself (no clock move reaches it)', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'me' });
    const lease = await claimed('me', { lease_seconds: 3600 });
    const expires = Date.parse(lease.lease_expires_at!);
    const reaped = nextChange(t, (c) => c.tasks.includes(task.id));
    // Put the clock 2 s before expiry: nothing moves it again, so the reaper's own timer must reap the task.
    const now = await t.board.setClock({ setMs: expires - 2_000 });
    expect(now).toBeLessThan(expires);
    await reaped;
    expect((await t.board.getTask({ id: task.id })).status).toBe('idle');
  });

  it('a lease shortened by a heartbeat wakes the reaper earlier than its 10 s cap', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'me' });
    const lease = (await claimed('me', { lease_seconds: 3600 })).lease_id!;
    // A reap now re-arms the reaper's timer for its longest sleep (10 s): only the heartbeat can bring it forward.
    await t.board.setClock({ advanceMs: 0 });
    const started = Date.now();
    await t.board.heartbeatTask({ task_id: task.id, agent_name: 'me', lease_id: lease, lease_seconds: 1 });
    // The heartbeat's own change event has been emitted by now: the next one for the task is the reaper's.
    await nextChange(t, (c) => c.tasks.includes(task.id));
    expect(Date.now() - started).toBeLessThan(7_000);
    expect((await t.board.getTask({ id: task.id })).status).toBe('idle');
  });

  it('reassigning a working task gives the new assignee a new lease and fences the old one', async () => {
    const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'me' });
    const old = await claimed('me');
    const moved = await t.board.updateTask({ id: task.id, assigned_to: 'you' });
    expect(moved.status).toBe('working');
    expect(moved.lease_id).not.toBeNull();
    expect(moved.lease_id).not.toBe(old.lease_id);
    const message = await expectCode(
      t.board.addComment({ task_id: task.id, content: 'x', lease_id: old.lease_id! }),
      'LEASE_LOST',
    );
    expect(message).toContain('"you"');
  });

  it('the clock cannot be moved without fault injection', async () => {
    const plain = await openBoard({ inline });
    try {
      await expectCode(plain.board.setClock({ advanceMs: 1 }), 'FEATURE_DISABLED');
    } finally {
      await plain.close();
    }
  });
});

describe.each(MODES)('leases switched off ($mode)', ({ inline }) => {
  it('claims carry no lease and never expire when TINYTASK_LEASE_SECONDS=0', async () => {
    const t = await openBoard({ inline, allowFaultInjection: true, config: { leaseSeconds: 0 } });
    try {
      const task = await t.board.createTask({ title: 'x', created_by: 'c', assigned_to: 'me' });
      const c = (await t.board.claimNextTask({ agent_name: 'me', lease_seconds: 5 })) as Task;
      expect(c).toMatchObject({ id: task.id, status: 'working', lease_id: null, lease_expires_at: null });
      await t.board.setClock({ advanceMs: 365 * 24 * 3600 * 1000 });
      expect((await t.board.getTask({ id: task.id })).status).toBe('working');
    } finally {
      await t.close();
    }
  });
});
