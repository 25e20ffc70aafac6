/**
 * Both protocol revisions through every path: the v1 SDK client (2025-11-25 only) and the v2 client in its default,
 * `auto` and pinned-2026 negotiation, over Streamable HTTP and over stdio (the built CLI), all doing the same
 * workflow. Subscriptions are delivered on both revisions (resources/subscribe on 2025, subscriptions/listen on
 * 2026), and the differential check: the same requests give the same answers on every path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as V2Client, StreamableHTTPClientTransport as V2Http } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Stdio } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Stdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as V1Http } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './http-harness.js';
import { CLI, ensureBuilt } from './stdio-support.js';

type Mode = 'v1' | 'v2-default' | 'v2-auto' | 'v2-2026';
const MODES: Mode[] = ['v1', 'v2-default', 'v2-auto', 'v2-2026'];

/** What the workflow needs of a client, whichever SDK it comes from. */
interface AnyClient {
  version: string | undefined;
  callTool(name: string, args: Record<string, unknown>): Promise<{ isError?: boolean; structured: unknown }>;
  listToolNames(): Promise<string[]>;
  read(uri: string): Promise<unknown>;
  /** Starts receiving updates of `uri`; resolves once the server has taken the subscription. */
  watch(uri: string, seen: (uri: string) => void): Promise<void>;
  close(): Promise<void>;
}

type Transport = { kind: 'http'; url: URL } | { kind: 'stdio'; dbPath: string };

async function connect(mode: Mode, where: Transport): Promise<AnyClient> {
  const stdioParams = (dbPath: string) => ({
    command: process.execPath,
    args: [CLI],
    env: { ...(process.env as Record<string, string>), TINYTASK_MODE: 'stdio', TINYTASK_DB_PATH: dbPath },
    stderr: 'ignore' as const,
  });
  if (mode === 'v1') {
    const client = new V1Client({ name: `revisions-${mode}`, version: '1.0.0' });
    await client.connect(
      where.kind === 'http' ? new V1Http(where.url) : new V1Stdio(stdioParams(where.dbPath)),
    );
    return {
      version: '2025-11-25',
      callTool: async (name, args) => {
        const r = await client.callTool({ name, arguments: args });
        return { isError: r.isError as boolean | undefined, structured: r.structuredContent };
      },
      listToolNames: async () => (await client.listTools()).tools.map((t) => t.name),
      read: async (uri) =>
        JSON.parse(((await client.readResource({ uri })).contents[0] as { text: string }).text),
      watch: async (uri, seen) => {
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => seen(n.params.uri));
        await client.subscribeResource({ uri });
      },
      close: () => client.close(),
    };
  }
  const negotiation =
    mode === 'v2-auto'
      ? { mode: 'auto' as const }
      : mode === 'v2-2026'
        ? { mode: { pin: '2026-07-28' } }
        : undefined;
  const client = new V2Client(
    { name: `revisions-${mode}`, version: '1.0.0' },
    negotiation ? { versionNegotiation: negotiation } : {},
  );
  await client.connect(
    where.kind === 'http' ? new V2Http(where.url) : new V2Stdio(stdioParams(where.dbPath)),
  );
  const modern = client.getNegotiatedProtocolVersion() === '2026-07-28';
  return {
    version: client.getNegotiatedProtocolVersion(),
    callTool: async (name, args) => {
      const r = await client.callTool({ name, arguments: args });
      return { isError: r.isError as boolean | undefined, structured: r.structuredContent };
    },
    listToolNames: async () => (await client.listTools()).tools.map((t) => t.name),
    read: async (uri) => {
      const content = (await client.readResource({ uri }, { cacheMode: 'bypass' } as never)).contents[0]!;
      return JSON.parse((content as { text: string }).text);
    },
    watch: async (uri, seen) => {
      client.setNotificationHandler('notifications/resources/updated', (n) => seen(n.params.uri));
      if (modern) await client.listen({ resourceSubscriptions: [uri] });
      else await client.subscribeResource({ uri });
    },
    close: () => client.close(),
  };
}

/** Ids and times differ from run to run; everything else must be equal. */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalized);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      /(^id$|_id$|_at$|^lease)/.test(k) && v !== null ? typeof v : normalized(v),
    ]),
  );
}

/** The same workflow on any path: create, read, comment, complete, read the resource; watching the task. */
async function workflow(client: AnyClient, agent: string): Promise<unknown[]> {
  const created = await client.callTool('create_task', {
    title: 'compare the revisions',
    description: 'one workflow, every path',
    created_by: agent,
    assigned_to: agent,
  });
  expect(created.isError, JSON.stringify(created.structured)).toBeFalsy();
  const id = (created.structured as { id: number }).id;
  const updates: string[] = [];
  await client.watch(`task://${id}`, (uri) => updates.push(uri));
  const comment = await client.callTool('add_comment', {
    task_id: id,
    content: 'halfway',
    created_by: agent,
  });
  const done = await client.callTool('update_task', { task_id: id, status: 'complete', updated_by: agent });
  const got = await client.callTool('get_task', { task_id: id });
  const resource = await client.read(`task://${id}`);
  const missing = await client.callTool('get_task', { task_id: 987654 });
  await expect.poll(() => updates.includes(`task://${id}`), { timeout: 20_000 }).toBe(true);
  return [created, comment, done, got, resource, missing].map((r) => normalized(r));
}

function expectedVersion(mode: Mode): string {
  return mode === 'v2-auto' || mode === 'v2-2026' ? '2026-07-28' : '2025-11-25';
}

describe('both MCP revisions, every client, every transport, the same answers', () => {
  let server: TestServer;
  let dir: string;
  const answers = new Map<string, unknown[]>();
  const toolLists = new Map<string, string[]>();

  beforeAll(async () => {
    ensureBuilt();
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-revisions-'));
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of MODES) {
    it(`HTTP, ${mode}: negotiates ${expectedVersion(mode)} and runs the workflow with its subscription`, async () => {
      const client = await connect(mode, { kind: 'http', url: server.mcpUrl });
      try {
        expect(client.version).toBe(expectedVersion(mode));
        toolLists.set(`http ${mode}`, await client.listToolNames());
        answers.set(`http ${mode}`, await workflow(client, 'revisions-agent'));
      } finally {
        await client.close();
      }
    }, 120_000);
  }

  for (const mode of MODES) {
    it(`stdio, ${mode}: negotiates ${expectedVersion(mode)} and runs the workflow with its subscription`, async () => {
      const client = await connect(mode, { kind: 'stdio', dbPath: join(dir, `${mode}.db`) });
      try {
        expect(client.version).toBe(expectedVersion(mode));
        toolLists.set(`stdio ${mode}`, await client.listToolNames());
        answers.set(`stdio ${mode}`, await workflow(client, 'revisions-agent'));
      } finally {
        await client.close();
      }
    }, 120_000);
  }

  it('differential: every path gave the same answers and listed the same tools', () => {
    expect(answers.size).toBe(MODES.length * 2);
    const [first, ...rest] = [...answers.entries()];
    for (const [path, got] of rest) expect(got, `${path} vs ${first![0]}`).toEqual(first![1]);
    const [firstTools, ...otherTools] = [...toolLists.entries()];
    for (const [path, tools] of otherTools) expect(tools, path).toEqual(firstTools![1]);
  });

  it('2026-07-28 over HTTP: cache hints per list, header validation, per-request log level', async () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    };
    const post = (method: string, params: Record<string, unknown>, headers: Record<string, string> = {}) =>
      fetch(server.mcpUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': method,
          ...headers,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method,
          params: { ...params, _meta: { ...meta, ...(params._meta as object) } },
        }),
      });
    const tools = await post('tools/list', {});
    expect(tools.status).toBe(200);
    const toolsBody = (await tools.json()) as { result: { ttlMs: number; cacheScope: string } };
    expect(toolsBody.result).toMatchObject({ ttlMs: 86_400_000, cacheScope: 'public' });
    const list = (await (await post('resources/list', {})).json()) as {
      result: { ttlMs: number; cacheScope: string };
    };
    expect(list.result).toMatchObject({ ttlMs: 1000, cacheScope: 'private' });
    const discover = (await (await post('server/discover', {})).json()) as {
      result: { supportedVersions: string[] };
    };
    expect(discover.result.supportedVersions).toContain('2026-07-28');

    // Mcp-Method must match the body; Mcp-Name must match params.name.
    const mismatch = await post('tools/list', {}, { 'mcp-method': 'prompts/list' });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { error: { code: number } }).error.code).toBeLessThan(0);
    const noName = await post('tools/call', { name: 'list_tasks', arguments: {} });
    expect(noName.status).toBe(400);
    await noName.text();
    const named = await post(
      'tools/call',
      { name: 'list_tasks', arguments: {} },
      { 'mcp-name': 'list_tasks' },
    );
    expect(named.status).toBe(200);
    await named.text();

    // Log level per request: the call's own level decides whether its log notification is sent.
    const quiet = await post(
      'tools/call',
      { name: 'list_tasks', arguments: {} },
      { 'mcp-name': 'list_tasks' },
    );
    expect(await quiet.text()).not.toContain('notifications/message');
    const chatty = await post(
      'tools/call',
      { name: 'list_tasks', arguments: {}, _meta: { 'io.modelcontextprotocol/logLevel': 'debug' } },
      { 'mcp-name': 'list_tasks' },
    );
    const text = await chatty.text();
    expect(text).toContain('notifications/message');
    expect(text).toContain('"tool":"list_tasks"');

    // SEP-2164: an unknown resource is -32602 with the URI in data.
    const missing = (await (
      await post('resources/read', { uri: 'task://424242' }, { 'mcp-name': 'task://424242' })
    ).json()) as {
      error: { code: number; data: { uri: string } };
    };
    expect(missing.error.code).toBe(-32602);
    expect(missing.error.data.uri).toBe('task://424242');
  });
});
