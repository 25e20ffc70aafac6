import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './http-harness.js';

const AGENTS = 500;
const TASKS = 300;

interface ClaimJson {
  claimed: boolean;
  lease_id: string | null;
  task: { id: number; assigned_to: string; status: string; lease_id: string | null } | null;
}

/** Runs `fn` over `items`, at most `width` at a time (connecting 500 sessions at once would only test the backlog). */
async function inWaves<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

describe('Streamable HTTP: 500 agents race claim_next_task over one queue', () => {
  let server: TestServer;
  let agents: Client[];
  beforeAll(async () => {
    server = await startTestServer({ readThreads: 1 });
    const names = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
    agents = await inWaves(names, 50, (name) => server.client(name));
  }, 180_000);
  afterAll(async () => {
    await server?.close();
  }, 60_000);

  it('every task is claimed exactly once, by one agent holding one lease', async () => {
    for (let i = 0; i < TASKS; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, TASKS - i) }, (_, k) =>
          server.board.createTask({
            title: `job ${i + k}`,
            created_by: 'ops',
            queue_name: 'pool',
            priority: k % 5,
          }),
        ),
      );
    }
    // Every agent has its own MCP session, and every agent fires at once.
    const sessions = agents.map((c) => (c.transport as StreamableHTTPClientTransport | undefined)?.sessionId);
    expect(new Set(sessions).size).toBe(AGENTS);
    expect(sessions.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    const answers = await Promise.all(
      agents.map(
        async (client, i) =>
          (
            await client.callTool({
              name: 'claim_next_task',
              arguments: { agent_name: `agent-${i}`, queue_name: 'pool' },
            })
          ).structuredContent as unknown as ClaimJson,
      ),
    );
    const winners = answers.filter((a) => a.claimed);
    expect(winners).toHaveLength(TASKS);
    expect(answers.filter((a) => !a.claimed && a.task === null)).toHaveLength(AGENTS - TASKS);
    expect(new Set(winners.map((w) => w.task!.id)).size).toBe(TASKS);
    expect(new Set(winners.map((w) => w.lease_id)).size).toBe(TASKS);
    // The board agrees: every task working, assigned to the one agent whose answer named it, under its lease.
    const byTask = new Map(winners.map((w, i) => [w.task!.id, { ...w, agent: w.task!.assigned_to, i }]));
    const page = await server.board.listTasks({ queue_name: 'pool', limit: 1000 });
    expect(page.total).toBe(TASKS);
    for (const task of page.tasks) {
      const w = byTask.get(task.id);
      expect(w, `task ${task.id} was claimed by nobody`).toBeDefined();
      expect(task).toMatchObject({
        status: 'working',
        assigned_to: w!.agent,
        lease_id: w!.lease_id,
        attempts: 1,
      });
    }
    expect(server.metrics.coordination.claims.value()).toBe(TASKS);
    expect((await server.board.listReadyTasks({ queue_name: 'pool' })).tasks).toEqual([]);
  }, 180_000);
});
