import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, ensureBuilt, isStartLine, type LogLine, runCli } from './cli-harness.js';

/**
 * TINYTASK_LOG_LEVEL as an operator sees it on the built server's stderr: `debug` logs each tool call with its
 * duration, `trace` adds the SQL of the writer thread and of the reader threads, `info` logs neither.
 */
describe('built server: log levels', () => {
  let dir: string;
  const procs: CliProcess[] = [];
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-loglevel-'));
  }, 120_000);
  afterAll(() => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the server at `level`, makes one write and one read through MCP, stops it, returns its log lines. */
  async function logsAt(level: string): Promise<LogLine[]> {
    const proc = runCli([], {
      TINYTASK_MODE: 'http',
      TINYTASK_PORT: '0',
      TINYTASK_DB_PATH: join(dir, `${level}.db`),
      TINYTASK_READ_THREADS: '1',
      TINYTASK_LOG_LEVEL: level,
    });
    procs.push(proc);
    const start = await proc.waitForLog(isStartLine);
    const client = new Client({ name: 'log-levels', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${start.port as number}/mcp`)),
    );
    const created = await client.callTool({
      name: 'create_task',
      arguments: { title: 'logged', created_by: 'ops' },
    });
    expect(created.isError).toBeFalsy();
    const read = await client.callTool({ name: 'get_task', arguments: { id: 1 } });
    expect(read.isError).toBeFalsy();
    await client.close();
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.stdout()).toBe('');
    return proc.logs;
  }

  const toolCalls = (logs: LogLine[]) => logs.filter((l) => l.msg === 'tool call');
  const sql = (logs: LogLine[]) => logs.filter((l) => l.msg === 'sql' && typeof l.sql === 'string');

  it('info: no tool-call lines, no SQL', async () => {
    const logs = await logsAt('info');
    expect(toolCalls(logs)).toEqual([]);
    expect(sql(logs)).toEqual([]);
    expect(logs.every((l) => ['info', 'warn', 'error'].includes(l.level))).toBe(true);
  });

  it('debug: each tool call with its duration, still no SQL', async () => {
    const logs = await logsAt('debug');
    const calls = toolCalls(logs);
    expect(calls.map((l) => l.tool)).toEqual(['create_task', 'get_task']);
    for (const call of calls) {
      expect(call.level).toBe('debug');
      expect(typeof call.durationMs).toBe('number');
      expect(call.durationMs as number).toBeGreaterThanOrEqual(0);
    }
    expect(sql(logs)).toEqual([]);
  });

  it('trace: the SQL of the writer thread and of the reader threads', async () => {
    const logs = await logsAt('trace');
    const statements = sql(logs);
    expect(statements.every((l) => l.level === 'trace')).toBe(true);
    expect(statements.some((l) => /INSERT INTO tasks/i.test(l.sql as string))).toBe(true);
    expect(statements.some((l) => l.thread === 'reader' && /FROM tasks/i.test(l.sql as string))).toBe(true);
    expect(toolCalls(logs)).toHaveLength(2);
  });
});
