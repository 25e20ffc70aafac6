import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT } from './stdio-support.js';

interface Task {
  id: number;
  status: string;
  assigned_to: string | null;
}

async function call<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const r = (await client.callTool({ name, arguments: args }, undefined, {
    timeout: 120_000,
  })) as CallToolResult;
  if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
  return r.structuredContent as T;
}

/**
 * Several stdio servers on one database file, as when each local agent starts its own process: claims stay
 * exactly-once across processes (SQLite's write lock serializes the writers of every process), and a wait held by
 * one process wakes for a task another process created (PRAGMA data_version, checked only while someone waits).
 */
describe('three stdio servers sharing one database file', () => {
  let dir: string;
  const clients: Client[] = [];
  const stderr: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-multiproc-'));
    const dbPath = join(dir, 'board.db');
    // Started together on a fresh file: they race the migrations too.
    await Promise.all(
      [0, 1, 2].map(async (i) => {
        const transport = new StdioClientTransport({
          command: process.execPath,
          args: [CLI],
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            TINYTASK_MODE: 'stdio',
            TINYTASK_DB_PATH: dbPath,
            TINYTASK_READ_THREADS: '1',
            TINYTASK_WAIT_WATCH_MS: '25',
          },
          stderr: 'pipe',
        });
        transport.stderr?.on('data', (chunk: Buffer) => stderr.push(`[${i}] ${chunk.toString('utf8')}`));
        const client = new Client({ name: `agent-process-${i}`, version: '1.0.0' });
        await client.connect(transport);
        clients[i] = client;
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('150 tasks raced by 3 processes with signup_for_task: every task claimed exactly once', async () => {
    const agents = ['a1', 'a2', 'a3', 'a4', 'a5'];
    for (let i = 0; i < 150; i++) {
      await call(clients[i % 3]!, 'create_task', {
        title: `race ${i}`,
        created_by: 'lead',
        assigned_to: agents[i % agents.length],
      });
    }
    // 3 processes × 60 concurrent claims = 180 claims for 150 tasks (30 per agent).
    const claims = await Promise.all(
      clients.flatMap((client) =>
        Array.from({ length: 60 }, (_, j) =>
          call<{ claimed: boolean; task: Task | null }>(client, 'signup_for_task', {
            agent_name: agents[j % agents.length],
          }),
        ),
      ),
    );
    const won = claims.filter((c) => c.claimed).map((c) => c.task!);
    const ids = won.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(150);
    for (const t of won) expect(t.status).toBe('working');
  }, 120_000);

  it('150 unassigned queue tasks raced by 3 processes with claim_next_task: every task claimed exactly once', async () => {
    for (let i = 0; i < 150; i++) {
      await call(clients[i % 3]!, 'create_task', {
        title: `pull ${i}`,
        created_by: 'lead',
        queue_name: 'pull',
      });
    }
    // 3 processes × 60 concurrent claims by 30 agents = 180 claims for 150 tasks.
    const claims = await Promise.all(
      clients.flatMap((client, p) =>
        Array.from({ length: 60 }, (_, j) =>
          call<{ claimed: boolean; task: (Task & { lease_id: string | null }) | null }>(
            client,
            'claim_next_task',
            {
              agent_name: `puller-${p}-${j % 10}`,
              queue_name: 'pull',
            },
          ),
        ),
      ),
    );
    const won = claims.filter((c) => c.claimed).map((c) => c.task!);
    const ids = won.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(150);
    for (const t of won) {
      expect(t.status).toBe('working');
      expect(t.lease_id).not.toBeNull();
    }
  }, 120_000);

  it('a wait in one process wakes for a task created by another process', async () => {
    const pending = call<{ outcome: string; task: Task | null }>(clients[0]!, 'wait_for_task', {
      agent_name: 'remote-worker',
      timeout_seconds: 30,
    });
    // The wait must be held before the create, or the answer would come from the first look.
    await heldIn(clients[0]!, 'remote-worker');
    const started = performance.now();
    const created = await call<Task>(clients[1]!, 'create_task', {
      title: 'from another process',
      created_by: 'lead',
      assigned_to: 'remote-worker',
    });
    const answer = await pending;
    expect(answer.outcome).toBe('ready');
    expect(answer.task?.id).toBe(created.id);
    // Far below the 30 s timeout: woken by the data_version watch, not by the timer.
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 60_000);

  it('claim: true across processes: one task, waits in two processes, exactly one claims it', async () => {
    const waits = [0, 1].map((i) =>
      call<{ outcome: string; task: Task | null; claimed: boolean }>(clients[i]!, 'wait_for_task', {
        agent_name: 'twin',
        timeout_seconds: 3,
        claim: true,
      }),
    );
    await heldIn(clients[0]!, 'twin');
    await heldIn(clients[1]!, 'twin');
    const created = await call<Task>(clients[2]!, 'create_task', {
      title: 'one for two',
      created_by: 'lead',
      assigned_to: 'twin',
    });
    const answers = await Promise.all(waits);
    const claimed = answers.filter((a) => a.claimed);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]?.task).toMatchObject({ id: created.id, status: 'working', assigned_to: 'twin' });
    expect(answers.filter((a) => a.outcome === 'timeout')).toHaveLength(1);
  }, 60_000);
});

/**
 * Resolves once the process behind `client` holds the wait sent before: a wait is registered synchronously when
 * its request is handled, and the requests of one stdio session are handled in the order they arrive, so the
 * answer to a later request proves the earlier wait is held.
 */
async function heldIn(client: Client, agent: string): Promise<void> {
  await call(client, 'get_my_queue', { agent_name: agent });
}
