import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, ensureBuilt, isStartLine, runCli } from './cli-harness.js';

/** The built server as a process: SIGTERM drains, checkpoints and exits 0; the data is there after a restart. */
describe('built server: graceful shutdown on SIGTERM', () => {
  let dir: string;
  const procs: CliProcess[] = [];
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-cli-'));
  }, 120_000);
  afterAll(() => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({
    TINYTASK_MODE: 'http',
    TINYTASK_PORT: '0',
    TINYTASK_DB_PATH: join(dir, 'tasks.db'),
    TINYTASK_READ_THREADS: '1',
    TINYTASK_LOG_LEVEL: 'info',
  });

  async function start(): Promise<{ proc: CliProcess; url: URL }> {
    const proc = runCli([], env());
    procs.push(proc);
    const line = await proc.waitForLog(isStartLine);
    expect(line).toMatchObject({
      mode: 'http',
      uws: 'native',
      dbPath: join(dir, 'tasks.db'),
      readThreads: 1,
    });
    return { proc, url: new URL(`http://127.0.0.1:${line.port as number}/mcp`) };
  }

  it('writes, exits 0 on SIGTERM with an empty WAL, and finds the data after a restart', async () => {
    const first = await start();
    const client = new Client({ name: 'sigterm', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(first.url));
    const created = await client.callTool({
      name: 'create_task',
      arguments: { title: 'survives restarts', created_by: 'ops' },
    });
    const id = (JSON.parse((created.content as Array<{ text: string }>)[0]!.text) as { id: number }).id;
    // The session's GET stream is still open: shutdown must close it rather than wait for it.
    first.proc.child.kill('SIGTERM');
    const exit = await first.proc.exited;
    await client.close().catch(() => undefined);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(first.proc.logs.some((l) => l.msg === 'shutting down' && l.reason === 'SIGTERM')).toBe(true);
    expect(first.proc.stdout()).toBe('');

    const wal = join(dir, 'tasks.db-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);

    const second = await start();
    const reader = new Client({ name: 'after-restart', version: '1' });
    await reader.connect(new StreamableHTTPClientTransport(second.url));
    const got = await reader.callTool({ name: 'get_task', arguments: { id } });
    expect(got.isError).toBeFalsy();
    expect(JSON.stringify(got.structuredContent)).toContain('survives restarts');
    await reader.close();
    second.proc.child.kill('SIGINT');
    expect(await second.proc.exited).toEqual({ code: 0, signal: null });
  });

  it('shuts down on EOF of stdin in stdio mode, and keeps HTTP up after EOF in both mode', async () => {
    const stdio = runCli([], { ...env(), TINYTASK_MODE: 'stdio' }, { stdin: 'pipe' });
    procs.push(stdio);
    await stdio.waitForLog(isStartLine);
    stdio.child.stdin!.end();
    expect(await stdio.exited).toEqual({ code: 0, signal: null });
    expect(stdio.logs.some((l) => l.reason === 'stdin closed')).toBe(true);

    const both = runCli([], { ...env(), TINYTASK_MODE: 'both' }, { stdin: 'pipe' });
    procs.push(both);
    const line = await both.waitForLog(isStartLine);
    both.child.stdin!.end();
    await both.waitForLog((l) => /stdio client disconnected/.test(l.msg));
    const health = await fetch(`http://127.0.0.1:${line.port as number}/healthz`);
    expect(health.status).toBe(200);
    both.child.kill('SIGTERM');
    expect(await both.exited).toEqual({ code: 0, signal: null });
    expect(both.stdout()).toBe('');
  });
});
