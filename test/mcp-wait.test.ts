import { performance } from 'node:perf_hooks';
import type { CallToolResult, ProgressNotification } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callErr,
  callOk,
  expectMatchesOutputSchema,
  openHarness,
  until,
  type Harness,
} from './mcp-support.js';

interface WaitAnswer {
  task: { id: number; title: string; status: string; assigned_to: string | null } | null;
  claimed: boolean;
  lease_id: string | null;
  outcome: string;
  waited_ms: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

describe('wait_for_task', () => {
  let h: Harness;

  // One board for the file (agents differ per test); the shutdown test opens its own.
  beforeAll(async () => {
    h = await openHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  async function waitCall(
    client: Awaited<ReturnType<Harness['connect']>>['client'],
    args: Record<string, unknown>,
    options: Parameters<typeof client.callTool>[2] = {},
  ): Promise<WaitAnswer> {
    const result = (await client.callTool(
      { name: 'wait_for_task', arguments: args },
      undefined,
      options,
    )) as CallToolResult;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expectMatchesOutputSchema('wait_for_task', result);
    return result.structuredContent as unknown as WaitAnswer;
  }

  /**
   * `n` sessions each hold a claiming wait (`argsFor(i)`); `create(i)` makes `tasks` tasks at once. Resolves once
   * `tasks` waits are answered and the others ended with their sessions: the claims, and the writes the wake-ups
   * made (claim attempts).
   */
  async function raceForTasks(
    n: number,
    argsFor: (i: number) => Record<string, unknown>,
    tasks: number,
    create: (i: number) => Record<string, unknown>,
  ): Promise<{ claimed: WaitAnswer[]; created: Array<{ id: number }>; claimAttempts: number }> {
    const writer = await h.connect();
    const sessions = await Promise.all(Array.from({ length: n }, () => h.connect()));
    const base = h.board.waiters;
    // Settled as they come: the waits that get nothing end with their sessions (a rejection).
    const answers = sessions.map(({ client }, i) =>
      waitCall(client, { timeout_seconds: 30, claim: true, ...argsFor(i) }).then(
        (value) => value,
        () => null,
      ),
    );
    await until(() => h.board.waiters === base + n, `${n} waits held`);
    const writesBefore = h.board.stats().writesTotal;
    const created = await Promise.all(
      Array.from({ length: tasks }, (_, i) =>
        callOk<{ id: number }>(writer.client, 'create_task', create(i)),
      ),
    );
    await until(() => h.board.waiters === base + n - tasks, `${tasks} waits answered`);
    const claimAttempts = h.board.stats().writesTotal - writesBefore - tasks;
    await Promise.all(sessions.map((c) => c.close()));
    await until(() => h.board.waiters === base, 'the other waits freed');
    const claimed = (await Promise.all(answers)).flatMap((a) => (a?.claimed ? [a] : []));
    return { claimed, created, claimAttempts };
  }

  it('answers at once when a ready task already exists', async () => {
    const { client } = await h.connect();
    const created = await callOk<{ id: number }>(client, 'create_task', {
      title: 'waiting already',
      created_by: 'lead',
      assigned_to: 'alice',
    });
    const answer = await waitCall(client, { agent_name: 'alice', timeout_seconds: 30 });
    expect(answer).toMatchObject({ outcome: 'ready', claimed: false, task: { id: created.id } });
    expect(h.board.waiters).toBe(0);
  });

  it('wakes within 50 ms of a matching create (median of 20, from the commit event to the answer)', async () => {
    const waiter = await h.connect();
    const writer = await h.connect();
    let committedAt = 0;
    h.board.on('change', () => {
      committedAt ||= performance.now();
    });
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      committedAt = 0;
      const pending = waitCall(waiter.client, { agent_name: 'bob', timeout_seconds: 30, claim: true });
      await until(() => h.board.waiters === 1, 'the wait is held');
      const created = await callOk<{ id: number }>(writer.client, 'create_task', {
        title: `job ${i}`,
        created_by: 'lead',
        assigned_to: 'bob',
      });
      const answer = await pending;
      const answeredAt = performance.now();
      expect(answer).toMatchObject({ outcome: 'claimed', claimed: true, task: { id: created.id } });
      expect(committedAt).toBeGreaterThan(0);
      latencies.push(answeredAt - committedAt);
    }
    const m = median(latencies);
    console.log(`wait_for_task wake-up after a create: median ${m.toFixed(2)} ms over 20`);
    expect(m).toBeLessThan(50);
  });

  it('claim: true with 20 waiters racing for 5 new tasks: each task claimed once, and a few claims per task', async () => {
    const { claimed, created, claimAttempts } = await raceForTasks(
      20,
      () => ({ agent_name: 'crowd' }),
      5,
      (i) => ({ title: `crowd ${i}`, created_by: 'lead', assigned_to: 'crowd' }),
    );
    // Claims are writes: the wake-ups cost a few per task, not one per waiter and task (5 × 20).
    expect(claimAttempts).toBeLessThanOrEqual(4 * created.length);
    expect(claimed).toHaveLength(5);
    expect(new Set(claimed.map((a) => a.task?.id))).toEqual(new Set(created.map((t) => t.id)));
    for (const a of claimed) expect(a.task).toMatchObject({ status: 'working', assigned_to: 'crowd' });
  });

  it('claim: true, 30 agents waiting on one team queue, 10 unassigned tasks created at once: each claimed exactly once, with a lease', async () => {
    const { claimed, created, claimAttempts } = await raceForTasks(
      30,
      (i) => ({ agent_name: `qa-${i}`, queue_name: 'qa' }),
      10,
      (i) => ({ title: `qa ${i}`, created_by: 'lead', queue_name: 'qa' }),
    );
    expect(claimAttempts).toBeLessThanOrEqual(4 * created.length);
    expect(claimed).toHaveLength(10);
    expect(new Set(claimed.map((a) => a.task?.id))).toEqual(new Set(created.map((t) => t.id)));
    const owners = new Set<string>();
    for (const a of claimed) {
      expect(a.task?.status).toBe('working');
      expect(a.lease_id).toMatch(/.{16,}/);
      expect(a.lease_id).toBe((a.task as { lease_id?: string }).lease_id);
      owners.add(a.task!.assigned_to!);
    }
    // Ten different agents won: a waiter answered once leaves the race.
    expect(owners.size).toBe(10);
  });

  it('answers with no task when the timeout passes, on time', async () => {
    const { client } = await h.connect();
    const started = performance.now();
    const answer = await waitCall(client, { agent_name: 'nobody', queue_name: 'empty', timeout_seconds: 1 });
    const elapsed = performance.now() - started;
    expect(answer).toMatchObject({ outcome: 'timeout', claimed: false, task: null });
    expect(answer.waited_ms).toBeGreaterThanOrEqual(999);
    expect(elapsed).toBeGreaterThanOrEqual(999);
    // Generous upper bound: the timer, not a poll, ends the wait.
    expect(elapsed).toBeLessThan(5_000);
    expect(h.board.waiters).toBe(0);
  });

  it('does not wake for work of other agents or other queues', async () => {
    const waiter = await h.connect();
    const writer = await h.connect();
    const pending = waitCall(waiter.client, { agent_name: 'carol', queue_name: 'qa', timeout_seconds: 1 });
    await until(() => h.board.waiters === 1, 'the wait is held');
    await callOk(writer.client, 'create_task', { title: 'x', created_by: 'lead', assigned_to: 'dave' });
    await callOk(writer.client, 'create_task', { title: 'y', created_by: 'lead', queue_name: 'dev' });
    expect((await pending).outcome).toBe('timeout');
  });

  it('sends progress notifications while it waits when the client asks for them', async () => {
    const { client } = await h.connect();
    const notes: ProgressNotification['params'][] = [];
    const answer = await waitCall(
      client,
      { agent_name: 'erin', timeout_seconds: 1 },
      { onprogress: (p) => notes.push(p as ProgressNotification['params']) },
    );
    expect(answer.outcome).toBe('timeout');
    expect(notes.length).toBeGreaterThanOrEqual(1);
    expect(notes[0]).toMatchObject({ progress: 0, total: 1 });
    expect(notes[0]?.message).toContain('erin');
  });

  it('a cancelled request frees its waiter at once', async () => {
    const { client } = await h.connect();
    const controller = new AbortController();
    const pending = client
      .callTool(
        { name: 'wait_for_task', arguments: { agent_name: 'frank', timeout_seconds: 60 } },
        undefined,
        {
          signal: controller.signal,
        },
      )
      .catch((err: unknown) => err);
    await until(() => h.board.waiters === 1, 'the wait is held');
    const started = performance.now();
    controller.abort('no longer needed');
    await until(() => h.board.waiters === 0, 'the waiter is freed');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('a closed session frees its waiters at once', async () => {
    const connection = await h.connect();
    const pending = connection.client
      .callTool({ name: 'wait_for_task', arguments: { agent_name: 'gina', timeout_seconds: 60 } })
      .catch((err: unknown) => err);
    const other = connection.client
      .callTool({
        name: 'wait_for_task',
        arguments: { agent_name: 'gina', queue_name: 'ops', timeout_seconds: 60 },
      })
      .catch((err: unknown) => err);
    await until(() => h.board.waiters === 2, 'both waits are held');
    await connection.close();
    await until(() => h.board.waiters === 0, 'the waiters are freed');
    await Promise.all([pending, other]);
  });

  it('refuses bad arguments with INVALID_ARGUMENT', async () => {
    const { client } = await h.connect();
    const tooLong = await callErr(
      client,
      'wait_for_task',
      { agent_name: 'x', timeout_seconds: 61 },
      'INVALID_ARGUMENT',
    );
    expect(tooLong).toContain('timeout_seconds must be an integer from 1 to 60');
    await callErr(client, 'wait_for_task', { agent_name: 'x', timeout_seconds: 0 }, 'INVALID_ARGUMENT');
    await callErr(client, 'wait_for_task', { timeout_seconds: 5 }, 'INVALID_ARGUMENT');
    await callErr(client, 'wait_for_task', { agent_name: 'x', claim: 'yes' }, 'INVALID_ARGUMENT');
    expect(h.board.waiters).toBe(0);
  });

  it('refuses a wait past TINYTASK_MAX_WAITERS with OVERLOADED, and takes it again once one ends', async () => {
    const own = await openHarness({ maxWaiters: 2 });
    try {
      const { client } = await own.connect();
      const controller = new AbortController();
      const first = client
        .callTool(
          { name: 'wait_for_task', arguments: { agent_name: 'w1', timeout_seconds: 60 } },
          undefined,
          {
            signal: controller.signal,
          },
        )
        .catch(() => undefined);
      const second = waitCall(client, { agent_name: 'w2', timeout_seconds: 60 });
      await until(() => own.board.waiters === 2, 'two waits held');
      const message = await callErr(client, 'wait_for_task', { agent_name: 'w3' }, 'OVERLOADED');
      expect(message).toContain('TINYTASK_MAX_WAITERS');
      controller.abort();
      await until(() => own.board.waiters === 1, 'one wait ended');
      await first;
      const third = waitCall(client, { agent_name: 'w3', timeout_seconds: 60 });
      await until(() => own.board.waiters === 2, 'the third wait held');
      own.board.endWaits();
      expect((await second).outcome).toBe('shutdown');
      expect((await third).outcome).toBe('shutdown');
    } finally {
      await own.close();
    }
  });

  it('ends every wait with outcome shutdown when the server stops', async () => {
    const own = await openHarness();
    try {
      const { client } = await own.connect();
      const pending = waitCall(client, { agent_name: 'hal', timeout_seconds: 60 });
      await until(() => own.board.waiters === 1, 'the wait is held');
      own.board.endWaits();
      expect(await pending).toMatchObject({ outcome: 'shutdown', task: null });
      expect(await waitCall(client, { agent_name: 'hal', timeout_seconds: 60 })).toMatchObject({
        outcome: 'shutdown',
      });
    } finally {
      await own.close();
    }
  });
});
