/**
 * Many fronts on one PostgreSQL database: three real server processes share a board. Claims stay exactly-once
 * across them, and a wait held by one front wakes for a task created through another (LISTEN/NOTIFY).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isStartLine, runCli, type CliProcess } from './cli-harness.js';
import { freshPgDatabase, PG_ADMIN_URL, PG_SKIP_REASON, type PgDatabase } from './pg-support.js';

const FRONTS = 3;
const AGENTS = 300;
const TASKS = 200;

interface ClaimJson {
  claimed: boolean;
  lease_id: string | null;
  task: { id: number; assigned_to: string } | null;
}

async function inWaves<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

describe.skipIf(!PG_ADMIN_URL)(
  `three fronts on one PostgreSQL database${PG_ADMIN_URL ? '' : ` (${PG_SKIP_REASON})`}`,
  () => {
    let db: PgDatabase;
    const fronts: Array<{ proc: CliProcess; url: string }> = [];
    const clients: Client[] = [];

    async function connect(front: number, name: string): Promise<Client> {
      const client = new Client({ name, version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${fronts[front]!.url}/mcp`)));
      clients.push(client);
      return client;
    }

    beforeAll(async () => {
      await ensureBuilt();
      db = await freshPgDatabase();
      for (let i = 0; i < FRONTS; i++) {
        const proc = runCli([], {
          TINYTASK_DATABASE_URL: db.url,
          TINYTASK_DATABASE_POOL_SIZE: '1',
          TINYTASK_PORT: '0',
          TINYTASK_MAX_SESSIONS: '1000',
        });
        const start = await proc.waitForLog(isStartLine);
        fronts.push({ proc, url: start.address as string });
      }
    }, 180_000);

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      for (const f of fronts) {
        f.proc.child.kill('SIGTERM');
        await f.proc.exited;
      }
      await db?.drop();
    }, 120_000);

    it(`${AGENTS} agents racing claim_next_task across ${FRONTS} fronts claim every task exactly once`, async () => {
      const ops = await connect(0, 'ops');
      for (let i = 0; i < TASKS; i += 50)
        await Promise.all(
          Array.from({ length: Math.min(50, TASKS - i) }, (_, k) =>
            ops.callTool({
              name: 'create_task',
              arguments: { title: `job ${i + k}`, created_by: 'ops', queue_name: 'pool', priority: k % 5 },
            }),
          ),
        );
      const agents = await inWaves(
        Array.from({ length: AGENTS }, (_, i) => i),
        50,
        (i) => connect(i % FRONTS, `agent-${i}`),
      );
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
      expect(new Set(winners.map((w) => w.task!.id)).size).toBe(TASKS);
      expect(new Set(winners.map((w) => w.lease_id)).size).toBe(TASKS);
      // Every front won some: the race really ran across all of them.
      const frontsWon = new Set(answers.flatMap((a, i) => (a.claimed ? [i % FRONTS] : [])));
      expect(frontsWon.size).toBe(FRONTS);

      // The database agrees, row by row.
      const check = new pg.Client({ connectionString: db.url });
      await check.connect();
      try {
        const rows = (
          await check.query<{
            id: number;
            status: string;
            assigned_to: string;
            lease_id: string;
            attempts: number;
          }>("SELECT id, status, assigned_to, lease_id, attempts FROM tasks WHERE queue_name = 'pool'")
        ).rows;
        expect(rows).toHaveLength(TASKS);
        const byTask = new Map(winners.map((w) => [w.task!.id, w]));
        for (const row of rows) {
          const w = byTask.get(row.id);
          expect(w, `task ${row.id} was claimed by nobody`).toBeDefined();
          expect(row).toMatchObject({
            status: 'working',
            assigned_to: w!.task!.assigned_to,
            lease_id: w!.lease_id,
            attempts: 1,
          });
        }
      } finally {
        await check.end();
      }
    }, 300_000);

    it('a wait_for_task held by front A wakes for a task created through front B', async () => {
      const waiter = await connect(0, 'waiter');
      const creator = await connect(1, 'creator');
      const waiting = waiter.callTool(
        {
          name: 'wait_for_task',
          arguments: { agent_name: 'sleeper', queue_name: 'wake', claim: true, timeout_seconds: 60 },
        },
        undefined,
        { timeout: 120_000 },
      );
      // Held once front A's gauge says so (no sleeping on a guess).
      for (;;) {
        const metrics = await (await fetch(`${fronts[0]!.url}/metrics`)).text();
        if (/^tinytask_waiters 1$/m.test(metrics)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const created = (
        await creator.callTool({
          name: 'create_task',
          arguments: { title: 'wake up', created_by: 'creator', queue_name: 'wake' },
        })
      ).structuredContent as { id: number };
      const woke = (await waiting).structuredContent as {
        outcome: string;
        claimed: boolean;
        task: { id: number; assigned_to: string } | null;
      };
      // Without the change crossing fronts the wait would run into its 60 s timeout instead.
      expect(woke.outcome).toBe('claimed');
      expect(woke.claimed).toBe(true);
      expect(woke.task).toMatchObject({ id: created.id, assigned_to: 'sleeper' });
    }, 180_000);
  },
);
