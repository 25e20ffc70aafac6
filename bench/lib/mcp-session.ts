import { HttpConnection, type HttpResponse } from './http-client.js';

/**
 * One MCP session over Streamable HTTP, spoken as plain JSON-RPC on a keep-alive connection: `initialize`,
 * `notifications/initialized`, then `tools/call`s carrying the `Mcp-Session-Id`. The answer may be JSON or an
 * SSE stream; both are understood. This is a load generator's client: it checks what a benchmark must check
 * (HTTP status, JSON-RPC error, tool `isError`) and nothing more.
 */

export const PROTOCOL_VERSION = '2025-11-25';
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/**
 * `TINYTASK_BENCH_PROTOCOL=2026-07-28` makes every bench session speak MCP 2026-07-28: no initialize and no session;
 * each request carries the `_meta` envelope and the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers.
 * Read from the environment so that the load-generator worker processes follow the parent.
 */
const MODERN = process.env.TINYTASK_BENCH_PROTOCOL === MODERN_PROTOCOL_VERSION;

export type CallOutcome =
  | { ok: true; value: unknown }
  | { ok: false; kind: 'http' | 'rpc' | 'tool'; message: string; status?: number };

export interface SessionOptions {
  url: string;
  /** Extra headers on every request, e.g. `Authorization`. */
  headers?: Record<string, string>;
  timeoutMs?: number;
  clientName?: string;
}

interface RpcMessage {
  jsonrpc?: string;
  id?: number | string | null;
  result?: unknown;
  error?: { code: number; message: string };
}

export class McpHttpSession {
  readonly conn: HttpConnection;
  readonly path: string;
  sessionId: string | undefined;
  /**
   * True once `initialize` succeeded. A 2026-07-28 session has no `sessionId` (the revision has no sessions), so
   * callers ask this, not the id, whether the session can make calls.
   */
  ready = false;
  private nextId = 1;
  private readonly baseHeaders: Record<string, string>;

  constructor(private readonly opts: SessionOptions) {
    const u = new URL(opts.url);
    this.conn = new HttpConnection(u.hostname, Number(u.port || 80), opts.timeoutMs ?? 30_000);
    this.path = u.pathname + u.search;
    this.baseHeaders = {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...opts.headers,
    };
  }

  private readonly envelope = {
    'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'tinytask-bench', version: '1.0.0' },
  };

  private headers(): Record<string, string> {
    if (!this.sessionId) return this.baseHeaders;
    return {
      ...this.baseHeaders,
      'Mcp-Session-Id': this.sessionId,
      'MCP-Protocol-Version': PROTOCOL_VERSION,
    };
  }

  /** The initialize handshake (2026-07-28: one server/discover instead). Throws when the server refuses it. */
  async initialize(): Promise<void> {
    if (MODERN) {
      const { res, msg } = await this.rpc('server/discover', {});
      if (res.status !== 200 || !msg || msg.error)
        throw new Error(`server/discover answered HTTP ${res.status}: ${res.body.slice(0, 300)}`);
      this.ready = true;
      return;
    }
    const id = this.nextId++;
    const res = await this.conn.request(
      'POST',
      this.path,
      this.baseHeaders,
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'initialize',
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: this.opts.clientName ?? 'tinytask-bench', version: '1.0.0' },
        },
      }),
    );
    if (res.status !== 200)
      throw new Error(`initialize answered HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    const msg = pickResponse(res, id);
    if (!msg || msg.error)
      throw new Error(`initialize failed: ${msg?.error?.message ?? res.body.slice(0, 300)}`);
    this.sessionId = res.headers['mcp-session-id'];
    const ack = await this.conn.request(
      'POST',
      this.path,
      this.headers(),
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    );
    if (ack.status !== 202 && ack.status !== 200) {
      throw new Error(`notifications/initialized answered HTTP ${ack.status}: ${ack.body.slice(0, 300)}`);
    }
    this.ready = true;
  }

  /** Sends a raw JSON-RPC request and returns the parsed response message. */
  async rpc(method: string, params: unknown): Promise<{ res: HttpResponse; msg: RpcMessage | undefined }> {
    const id = this.nextId++;
    let headers = this.headers();
    if (MODERN) {
      const p = (params ?? {}) as Record<string, unknown>;
      headers = {
        ...this.baseHeaders,
        'MCP-Protocol-Version': MODERN_PROTOCOL_VERSION,
        'Mcp-Method': method,
        ...(typeof p.name === 'string' ? { 'Mcp-Name': p.name } : {}),
      };
      params = { ...p, _meta: this.envelope };
    }
    const res = await this.conn.request(
      'POST',
      this.path,
      headers,
      JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    );
    return { res, msg: res.status === 200 ? pickResponse(res, id) : undefined };
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<CallOutcome> {
    let out: { res: HttpResponse; msg: RpcMessage | undefined };
    try {
      out = await this.rpc('tools/call', { name, arguments: args });
    } catch (err) {
      return { ok: false, kind: 'http', message: (err as Error).message };
    }
    const { res, msg } = out;
    if (res.status !== 200) {
      return {
        ok: false,
        kind: 'http',
        status: res.status,
        message: `HTTP ${res.status}: ${res.body.slice(0, 200)}`,
      };
    }
    if (!msg)
      return { ok: false, kind: 'rpc', message: `no JSON-RPC response in: ${res.body.slice(0, 200)}` };
    if (msg.error) return { ok: false, kind: 'rpc', message: `${msg.error.code}: ${msg.error.message}` };
    const result = msg.result as
      | { isError?: boolean; structuredContent?: unknown; content?: Array<{ type: string; text?: string }> }
      | undefined;
    const text = result?.content?.find((c) => c.type === 'text')?.text;
    if (result?.isError) return { ok: false, kind: 'tool', message: text ?? 'isError without text' };
    if (result?.structuredContent !== undefined) return { ok: true, value: result.structuredContent };
    if (text === undefined) return { ok: true, value: undefined };
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      return { ok: true, value: text };
    }
  }

  /** Ends the session (DELETE) and closes the socket. Never throws. */
  async close(): Promise<void> {
    try {
      if (this.sessionId) await this.conn.request('DELETE', this.path, this.headers());
    } catch {
      // The session ends with the server anyway.
    }
    this.conn.close();
  }
}

/** The JSON-RPC response with `id` from a JSON body or an SSE stream. */
export function pickResponse(res: HttpResponse, id: number): RpcMessage | undefined {
  const type = res.headers['content-type'] ?? '';
  if (type.includes('text/event-stream')) {
    for (const event of res.body.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (!data) continue;
      try {
        const msg = JSON.parse(data) as RpcMessage;
        if (msg.id === id) return msg;
      } catch {
        // Not JSON: ignore the event.
      }
    }
    return undefined;
  }
  try {
    const parsed = JSON.parse(res.body) as RpcMessage | RpcMessage[];
    if (Array.isArray(parsed)) return parsed.find((m) => m.id === id);
    return parsed;
  } catch {
    return undefined;
  }
}

/** The task inside a tool answer that returns a task, a `{task}` wrapper, or null. */
export function taskOf(value: unknown): { id: number; status?: string; assigned_to?: string | null } | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.id === 'number' && typeof v.title === 'string') return v as { id: number };
  if ('task' in v) return taskOf(v.task);
  if (typeof v.id === 'number') return v as { id: number };
  return null;
}
