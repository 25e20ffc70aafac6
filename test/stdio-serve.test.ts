import { PassThrough } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configWith } from '../src/config.js';
import { createBoard } from '../src/core/board.js';
import type { Board } from '../src/core/types.js';
import { silentLogger } from '../src/logger.js';
import type { McpDeps } from '../src/mcp/server.js';
import { toolCatalogue } from '../src/mcp/tools.js';
import { createServerMetrics } from '../src/metrics.js';
import { serveStdio } from '../src/transport/stdio.js';
import { until } from './mcp-support.js';

/** stdin/stdout as in-memory streams; `lines` collects every line written to stdout. */
function pipes() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const lines: string[] = [];
  const waiters: Array<{
    test: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }> = [];
  let buffer = '';
  stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      const message = JSON.parse(line) as Record<string, unknown>;
      for (const w of [...waiters]) {
        if (w.test(message)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(message);
        }
      }
    }
  });
  return {
    stdin,
    stdout,
    lines,
    send: (message: unknown) =>
      stdin.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`),
    next: (test: (m: Record<string, unknown>) => boolean) =>
      new Promise<Record<string, unknown>>((resolve) => waiters.push({ test, resolve })),
  };
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } },
};

describe('serveStdio', () => {
  let dir: string;
  let board: Board;
  let deps: McpDeps;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinytask-stdio-'));
    const config = configWith({ dbPath: join(dir, 'board.db'), readThreads: 1, mode: 'stdio' });
    const logger = silentLogger();
    board = await createBoard({ config, logger });
    deps = { board, config, logger, metrics: createServerMetrics() };
  });
  afterEach(async () => {
    await board.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stdin ending while a wait_for_task is held closes the session at once, not after the wait’s timeout', async () => {
    // A shutdown budget longer than the test: the session must not wait for the held call to time out.
    deps = { ...deps, config: { ...deps.config, shutdownTimeoutMs: 120_000 } };
    const io = pipes();
    const handle = await serveStdio(deps, io);
    const init = io.next((m) => m.id === 1);
    io.send(initialize);
    await init;
    io.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    io.send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'wait_for_task', arguments: { agent_name: 'local', timeout_seconds: 60 } },
    });
    await until(() => board.waiters === 1, 'the wait is held');
    const started = Date.now();
    io.stdin.end();
    await handle.closed;
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(board.waiters).toBe(0);
  });

  it('answers JSON-RPC on stdout, one message per line, and nothing else', async () => {
    const io = pipes();
    const handle = await serveStdio(deps, io);
    const init = io.next((m) => m.id === 1);
    io.send(initialize);
    expect(await init).toMatchObject({ result: { serverInfo: { name: 'tinytask-mcp' } } });
    io.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const list = io.next((m) => m.id === 2);
    io.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(((await list).result as { tools: unknown[] }).tools).toHaveLength(
      toolCatalogue(false).descriptors.length,
    );
    await handle.close();
    for (const line of io.lines) expect(JSON.parse(line)).toHaveProperty('jsonrpc', '2.0');
  });

  it('answers unreadable lines with Parse error / Invalid Request and keeps serving', async () => {
    const io = pipes();
    const handle = await serveStdio(deps, io);
    const parseError = io.next((m) => (m.error as { code?: number } | undefined)?.code === -32700);
    io.send('this is not json');
    expect(await parseError).not.toHaveProperty('id');
    const invalid = io.next((m) => (m.error as { code?: number } | undefined)?.code === -32600);
    io.send({ hello: 'world' });
    await invalid;
    const init = io.next((m) => m.id === 1);
    io.send(initialize);
    expect(await init).toHaveProperty('result');
    await handle.close();
  });

  it('resolves `closed` on stdin EOF after answering the requests already read, leaving the board open', async () => {
    const io = pipes();
    const handle = await serveStdio(deps, io);
    io.send(initialize);
    io.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    io.send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'create_task', arguments: { title: 'last words', created_by: 'pipe' } },
    });
    io.stdin.end();
    await handle.closed;
    const answer = io.lines.map(
      (l) => JSON.parse(l) as { id?: number; result?: { structuredContent?: { title?: string } } },
    );
    expect(answer.find((m) => m.id === 2)?.result?.structuredContent?.title).toBe('last words');
    expect((await board.listTasks({})).total).toBe(1);
    await handle.close();
  });

  it('close() ends the session and resolves `closed`', async () => {
    const io = pipes();
    const handle = await serveStdio(deps, io);
    await handle.close();
    await handle.closed;
    await handle.close();
  });

  it('closes at once when stdin is empty', async () => {
    const io = pipes();
    io.stdin.end();
    const handle = await serveStdio(deps, io);
    await handle.closed;
  });

  it('ends the session, not the process, when stdout breaks (the reader went away)', async () => {
    const io = pipes();
    const handle = await serveStdio(deps, io);
    io.stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await handle.closed;
  });
});
