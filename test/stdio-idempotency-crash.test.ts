import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT } from './stdio-support.js';

/**
 * The built server in a child process, its SDK client over stdio, and `kill -9` while idempotent writes are in
 * flight: every write is applied exactly once after retrying every key on a restarted server, and every write
 * that was answered before the kill survived it.
 */

interface Server {
  client: Client;
  transport: StdioClientTransport;
  exited: Promise<void>;
}

async function startServer(dbPath: string): Promise<Server> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TINYTASK_MODE: 'stdio', TINYTASK_DB_PATH: dbPath },
    stderr: 'ignore',
  });
  const exited = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  const client = new Client({ name: 'crash-test', version: '1.0.0' });
  client.onerror = () => undefined;
  // The client keeps an onclose set before connect() and calls it first.
  await client.connect(transport);
  return { client, transport, exited };
}

interface Call {
  key: string;
  tool: 'create_task' | 'add_comment';
  args: Record<string, unknown>;
}

async function call(client: Client, c: Call): Promise<{ id: number }> {
  const result = (await client.callTool({
    name: c.tool,
    arguments: { ...c.args, idempotency_key: c.key },
  })) as CallToolResult;
  if (result.isError) throw new Error(`${c.tool} ${c.key}: ${JSON.stringify(result.content)}`);
  return result.structuredContent as { id: number };
}

describe('kill -9 during idempotent writes (built server, stdio)', () => {
  let dir: string;
  let dbPath: string;
  const servers: Server[] = [];

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-crash-idem-'));
    dbPath = join(dir, 'board.db');
  });
  afterAll(async () => {
    for (const s of servers) await s.client.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every write exactly once after the retries, and keeps every write answered before the kill', async () => {
    const first = await startServer(dbPath);
    servers.push(first);
    const log = await call(first.client, {
      key: 'log',
      tool: 'create_task',
      args: { title: 'log', created_by: 'setup' },
    });
    const N = 150;
    const calls: Call[] = [];
    for (let i = 0; i < N; i++) {
      calls.push({
        key: `create-${i}`,
        tool: 'create_task',
        args: { title: `task ${i}`, created_by: `agent-${i % 5}`, priority: i % 7 },
      });
      calls.push({
        key: `comment-${i}`,
        tool: 'add_comment',
        args: { task_id: log.id, content: `note ${i}`, created_by: `agent-${i % 5}` },
      });
    }

    // Fire everything; kill the process the moment the 20th answer arrives, with the rest in flight (the server
    // may have committed some of them already: their answers are lost, the case idempotency keys exist for).
    const answered = new Map<string, number>();
    let killed = false;
    const pid = first.transport.pid;
    expect(pid).toBeTypeOf('number');
    const settled = await Promise.allSettled(
      calls.map((c) =>
        call(first.client, c).then((r) => {
          if (!killed) answered.set(c.key, r.id);
          if (answered.size === 20 && !killed) {
            killed = true;
            process.kill(pid!, 'SIGKILL');
          }
          return r;
        }),
      ),
    );
    await first.exited;
    expect(killed).toBe(true);
    for (const [i, s] of settled.entries()) {
      if (s.status === 'rejected') expect(String(s.reason), calls[i]!.key).toMatch(/closed/i);
    }

    const second = await startServer(dbPath);
    servers.push(second);
    const tasksBefore = (
      (await second.client.callTool({ name: 'list_tasks', arguments: { limit: 1000 } })) as CallToolResult
    ).structuredContent as { total: number; tasks: Array<{ id: number }> };
    // Every answered write survived the kill.
    const ids = new Set(tasksBefore.tasks.map((t) => t.id));
    for (const [key, id] of answered) if (key.startsWith('create-')) expect(ids.has(id), key).toBe(true);

    // Retry every key, as agents whose answers were lost would.
    const retried = await Promise.all(calls.map((c) => call(second.client, c)));
    calls.forEach((c, i) => {
      const before = answered.get(c.key);
      if (before !== undefined) expect(retried[i]!.id, c.key).toBe(before);
    });
    // And once more: nothing changes.
    const again = await Promise.all(calls.map((c) => call(second.client, c)));
    expect(again.map((r) => r.id)).toEqual(retried.map((r) => r.id));

    const taskIds = retried.filter((_, i) => calls[i]!.tool === 'create_task').map((r) => r.id);
    const commentIds = retried.filter((_, i) => calls[i]!.tool === 'add_comment').map((r) => r.id);
    expect(new Set(taskIds).size).toBe(N);
    expect(new Set(commentIds).size).toBe(N);
    const tasksAfter = (
      (await second.client.callTool({ name: 'list_tasks', arguments: { limit: 1000 } })) as CallToolResult
    ).structuredContent as { total: number };
    expect(tasksAfter.total).toBe(N + 1);
    const comments = (
      (await second.client.callTool({
        name: 'list_comments',
        arguments: { task_id: log.id },
      })) as CallToolResult
    ).structuredContent as { count: number; comments: Array<{ id: number; content: string }> };
    expect(comments.count).toBe(N);
    expect(comments.comments.map((c) => c.id).sort((a, b) => a - b)).toEqual(
      [...commentIds].sort((a, b) => a - b),
    );
    expect(new Set(comments.comments.map((c) => c.content)).size).toBe(N);
  }, 120_000);
});
