/**
 * The differential test of the transport paths, at the JSON-RPC level: the same requests sent through every way a
 * request can reach the server — a 2025-11-25 session answered in JSON, the same answered as an event stream (a
 * client that accepts only SSE), stateless mode, 2026-07-28 over HTTP, and stdio — give the same answers. Each path
 * has its own fresh board, so ids match too; only times and the 2026 cache hints are set aside.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initializeBody, MCP_ACCEPT, rawSession, startTestServer, type TestServer } from './http-harness.js';
import { CLI, ensureBuilt } from './stdio-support.js';

interface RpcAnswer {
  jsonrpc: string;
  id: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/** Sends one JSON-RPC request through a path and returns its response message. */
type Send = (id: number, method: string, params: Record<string, unknown>) => Promise<RpcAnswer>;

const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'differential', version: '1' },
};

/** The responses in an SSE body, by id. */
function sseResponses(body: string): RpcAnswer[] {
  const out: RpcAnswer[] = [];
  for (const event of body.split('\n\n')) {
    const data = event
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6))
      .join('\n');
    if (!data) continue;
    const message = JSON.parse(data) as RpcAnswer & { method?: string };
    if (message.method === undefined) out.push(message);
  }
  return out;
}

async function answerOf(res: Response, id: number, expectSse: boolean): Promise<RpcAnswer> {
  const type = res.headers.get('content-type') ?? '';
  const body = await res.text();
  if (expectSse) expect(type).toBe('text/event-stream');
  if (type.startsWith('text/event-stream')) {
    const found = sseResponses(body).find((m) => m.id === id);
    if (!found) throw new Error(`no response ${id} in ${body.slice(0, 300)}`);
    return found;
  }
  return JSON.parse(body) as RpcAnswer;
}

function httpPath(url: string, headers: Record<string, string>, expectSse = false): Send {
  return async (id, method, params) => {
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    });
    return answerOf(res, id, expectSse);
  };
}

function modernPath(url: string): Send {
  return async (id, method, params) => {
    const name =
      typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : '';
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: MCP_ACCEPT,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': method,
        ...(name ? { 'mcp-name': name } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: MODERN_META } }),
    });
    return answerOf(res, id, false);
  };
}

/** The built server on stdio, spoken to line by line. */
class StdioPath {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (m: RpcAnswer) => void>();

  constructor(dbPath: string) {
    this.child = spawn(process.execPath, [CLI], {
      env: { ...process.env, TINYTASK_MODE: 'stdio', TINYTASK_DB_PATH: dbPath },
    });
    this.child.stderr.resume();
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as RpcAnswer & { method?: string };
      if (message.method !== undefined) return;
      this.waiting.get(message.id)?.(message);
      this.waiting.delete(message.id);
    });
  }

  readonly send: Send = (id, method, params) =>
    new Promise<RpcAnswer>((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });

  async initialize(): Promise<void> {
    const init = JSON.parse(initializeBody(0)) as { params: Record<string, unknown> };
    const answer = await this.send(0, 'initialize', init.params);
    expect(answer.error).toBeUndefined();
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

/** Fields only 2026-07-28 results carry: cache hints, the result type, the envelope. */
const REVISION_FIELDS = new Set(['ttlMs', 'cacheScope', 'resultType', '_meta']);

/** Times differ from run to run; the 2026 results carry fields of their revision the 2025 ones do not. */
function normalized(value: unknown): unknown {
  // Times appear as fields and inside the JSON text of tool results and resources.
  if (typeof value === 'string') return value.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'time');
  if (Array.isArray(value)) return value.map(normalized);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !REVISION_FIELDS.has(k))
      .map(([k, v]) => [k, normalized(v)]),
  );
}

/** The same requests, in the same order, on any path: the normalized responses. */
async function requests(send: Send): Promise<unknown[]> {
  const answers: RpcAnswer[] = [];
  const call = async (method: string, params: Record<string, unknown>) => {
    const answer = await send(answers.length + 1, method, params);
    answers.push(answer);
    return answer;
  };
  const created = await call('tools/call', {
    name: 'create_task',
    arguments: { title: 'one request, every path', created_by: 'diff-agent', assigned_to: 'diff-agent' },
  });
  const id = (created.result?.structuredContent as { id: number } | undefined)?.id;
  expect(id, JSON.stringify(created)).toBe(1);
  await call('tools/call', {
    name: 'add_comment',
    arguments: { task_id: id, content: 'halfway', created_by: 'a' },
  });
  await call('tools/call', {
    name: 'update_task',
    arguments: { task_id: id, status: 'complete', updated_by: 'a' },
  });
  await call('tools/call', { name: 'get_task', arguments: { task_id: id } });
  await call('tools/call', { name: 'list_tasks', arguments: {} });
  await call('resources/read', { uri: `task://${id}` });
  // Errors: a tool error (isError result), invalid arguments, an unknown resource.
  await call('tools/call', { name: 'get_task', arguments: { task_id: 987654 } });
  await call('tools/call', { name: 'create_task', arguments: { title: 42 } });
  await call('resources/read', { uri: 'task://424242' });
  const tools = await call('tools/list', {});
  expect((tools.result?.tools as unknown[]).length).toBeGreaterThan(0);
  return answers.map(normalized);
}

describe('differential: every transport path gives the same answers', () => {
  const servers: TestServer[] = [];
  let dir: string;
  const answers = new Map<string, unknown[]>();

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-differential-'));
  }, 300_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fresh = async (stateless = false): Promise<TestServer> => {
    const server = await startTestServer(stateless ? { stateless: true } : {});
    servers.push(server);
    return server;
  };

  it('2025-11-25 session, JSON answers', async () => {
    const server = await fresh();
    const session = await rawSession(server.url);
    answers.set(
      'session json',
      await requests(httpPath(server.url, { accept: MCP_ACCEPT, 'mcp-session-id': session })),
    );
  });

  it('2025-11-25 session, event-stream answers (the client accepts only SSE)', async () => {
    const server = await fresh();
    const session = await rawSession(server.url);
    answers.set(
      'session sse',
      await requests(httpPath(server.url, { accept: 'text/event-stream', 'mcp-session-id': session }, true)),
    );
  });

  it('stateless mode', async () => {
    const server = await fresh(true);
    answers.set('stateless', await requests(httpPath(server.url, { accept: MCP_ACCEPT })));
  });

  it('2026-07-28 over HTTP', async () => {
    const server = await fresh();
    answers.set('2026-07-28', await requests(modernPath(server.url)));
  });

  it('stdio (2025-11-25)', async () => {
    const stdio = new StdioPath(join(dir, 'stdio.db'));
    try {
      await stdio.initialize();
      answers.set('stdio', await requests(stdio.send));
    } finally {
      await stdio.close();
    }
  }, 60_000);

  it('gave the same answers on every path', () => {
    expect([...answers.keys()]).toEqual(['session json', 'session sse', 'stateless', '2026-07-28', 'stdio']);
    const [[firstPath, first], ...rest] = [...answers.entries()] as [
      [string, unknown[]],
      ...Array<[string, unknown[]]>,
    ];
    for (const [path, got] of rest) {
      got.forEach((answer, i) =>
        expect(answer, `${path} vs ${firstPath}, request ${i + 1}`).toEqual(first[i]),
      );
    }
  });
});
