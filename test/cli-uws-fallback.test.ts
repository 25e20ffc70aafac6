import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, ensureBuilt, isStartLine, runCli } from './cli-harness.js';

/**
 * uWebSockets.js falls back to a JavaScript implementation when its binary cannot load (forced here with
 * UWS_USE_FALLBACK), and then prints to stdout. The server says so loudly, keeps stdout clean for stdio, and serves.
 */
describe('built server on the uWS JavaScript fallback', () => {
  let dir: string;
  let proc: CliProcess | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-fallback-'));
  }, 120_000);
  afterAll(() => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the fallback, keeps stdout clean in both mode, and still serves MCP', async () => {
    proc = runCli(
      [],
      {
        UWS_USE_FALLBACK: '1',
        TINYTASK_MODE: 'both',
        TINYTASK_PORT: '0',
        TINYTASK_DB_PATH: join(dir, 'tasks.db'),
        TINYTASK_READ_THREADS: '1',
      },
      { stdin: 'pipe' },
    );
    const line = await proc.waitForLog(isStartLine);
    expect(line).toMatchObject({ mode: 'both', uws: 'fallback' });
    expect(proc.logs.some((l) => l.level === 'warn' && /slow JavaScript fallback/.test(l.msg))).toBe(true);

    const client = new Client({ name: 'fallback', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${line.port as number}/mcp`)),
    );
    const created = await client.callTool({
      name: 'create_task',
      arguments: { title: 'slow but fine', created_by: 'a' },
    });
    expect(created.isError).toBeFalsy();
    await client.close();

    proc.child.kill('SIGTERM');
    expect(await proc.exited, proc.stderr()).toEqual({ code: 0, signal: null });
    expect(proc.stdout()).toBe('');
  });
});
