import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type Config, configWith } from '../src/config.js';
import { createBoard } from '../src/core/board.js';
import type { Board } from '../src/core/types.js';
import { silentLogger } from '../src/logger.js';
import { createServerMetrics, type ServerMetrics } from '../src/metrics.js';
import { type HttpServer, startHttpServer } from '../src/transport/http/server.js';
import { testDatabase } from './pg-support.js';

/** A real board on a temp SQLite file and a real uWS server on port 0, for the http-* tests. */
export interface TestServer {
  url: string;
  mcpUrl: URL;
  http: HttpServer;
  board: Board;
  config: Config;
  metrics: ServerMetrics;
  /** Connects an SDK client over Streamable HTTP; closed by `close()`. */
  client(name?: string, headers?: Record<string, string>): Promise<Client>;
  close(): Promise<void>;
}

export async function startTestServer(
  overrides: Partial<Config> = {},
  options: { allowFaultInjection?: boolean } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tinytask-http-'));
  const database = await testDatabase();
  const config = configWith({
    dbPath: join(dir, 'tasks.db'),
    port: 0,
    host: '127.0.0.1',
    readThreads: 1,
    ...database.config,
    ...overrides,
  });
  const logger = silentLogger();
  const metrics = createServerMetrics();
  const board = await createBoard({ config, logger, metrics, ...options });
  let http: HttpServer;
  try {
    http = await startHttpServer({ board, config, logger, metrics });
  } catch (err) {
    await board.close();
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
    throw err;
  }
  const clients: Client[] = [];
  const mcpUrl = new URL(`${http.url}/mcp`);
  return {
    url: http.url,
    mcpUrl,
    http,
    board,
    config,
    metrics,
    async client(name = 'test-agent', headers?: Record<string, string>) {
      const client = new Client({ name, version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(mcpUrl, headers ? { requestInit: { headers } } : undefined),
      );
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await http.close({ timeoutMs: 1000 });
      await board.close();
      rmSync(dir, { recursive: true, force: true });
      await database.drop();
    },
  };
}

export const MCP_ACCEPT = 'application/json, text/event-stream';

export function initializeBody(id: number | string = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
}

/** Opens a session with raw HTTP and returns its id (the initialized notification sent too). */
export async function rawSession(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, ...headers },
    body: initializeBody(),
  });
  if (res.status !== 200) throw new Error(`initialize failed: ${res.status} ${await res.text()}`);
  await res.text();
  const id = res.headers.get('mcp-session-id');
  if (!id) throw new Error('no session id');
  const note = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, 'mcp-session-id': id, ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await note.text();
  return id;
}

/** Opens the session's GET event stream and keeps it open; abort the controller to close it. */
export async function openGetStream(url: string, session: string): Promise<AbortController> {
  const ac = new AbortController();
  const res = await fetch(`${url}/mcp`, {
    headers: { accept: 'text/event-stream', 'mcp-session-id': session },
    signal: ac.signal,
  });
  if (res.status !== 200) throw new Error(`GET stream refused: ${res.status}`);
  return ac;
}

/** Parses a tool result's JSON text. */
export function toolJson<T = unknown>(result: unknown): T {
  const r = result as { content: Array<{ type: string; text: string }>; isError?: boolean };
  const first = r.content[0];
  if (!first || first.type !== 'text') throw new Error('no text content');
  return JSON.parse(first.text) as T;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with Node's http client: any method, any headers (Host included), optional chunked body. */
export function raw(
  url: string,
  opts: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    chunks?: Buffer[];
  } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else req.end(opts.body);
  });
}
