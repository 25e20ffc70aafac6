import { randomUUID } from 'node:crypto';
import type { AuthInfo, JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import { parseJsonRpcMessage } from '../../mcp/messages.js';
import { createMcpServer } from '../../mcp/server.js';
import {
  type BodyResult,
  type HttpContext,
  MAX_STREAM_BACKLOG_BYTES,
  ResponseStream,
  send,
} from './adapter.js';
import { admitNewSession, sessionFor, type HttpEnv } from './env.js';
import type { Credential } from './security.js';
import type { Session } from './sessions.js';
import { jsonPostBody } from './streamable.js';
import { refuse, refuseTooLarge } from './transport-errors.js';

/**
 * The legacy MCP HTTP+SSE transport (protocol 2024-11-05), for old clients: `GET /sse` opens the server-to-client
 * event stream and announces, in an `endpoint` event, where to POST; `POST /messages?sessionId=…` delivers one
 * client message and is answered 202. The SDK's `SSEServerTransport` writes to a Node `ServerResponse`; this one
 * writes to a uWS response through `ResponseStream` (corked writes, backpressure).
 */

const KEEPALIVE_MS = 15_000;
/**
 * Messages waiting for a slow client at most, and bytes (`MAX_STREAM_BACKLOG_BYTES`, as for Streamable HTTP
 * streams: a few large results can weigh more than many small notifications); past either the stream is closed
 * rather than buffering without bound. One message is always accepted while nothing waits.
 */
const MAX_PENDING_SENDS = 1024;

export class UwsSseServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  readonly sessionId: string;
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private pendingBytes = 0;
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly stream: ResponseStream,
    sessionId: string,
    private readonly endpoint: string,
  ) {
    this.sessionId = sessionId;
    stream.onClose(() => void this.close());
  }

  async start(): Promise<void> {
    await this.enqueue(`event: endpoint\ndata: ${this.endpoint}\n\n`);
    this.keepalive = setInterval(() => void this.enqueue(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('SSE stream closed');
    await this.enqueue(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** Hands a POSTed message to the MCP server. */
  receive(message: JSONRPCMessage, extra: MessageExtraInfo): void {
    this.onmessage?.(message, extra);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepalive) clearInterval(this.keepalive);
    this.stream.end();
    this.onclose?.();
  }

  /** Writes are chained so events never interleave and each waits for the socket to drain. */
  private enqueue(chunk: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const bytes = Buffer.byteLength(chunk);
    if (
      this.pending >= MAX_PENDING_SENDS ||
      (this.pending > 0 && this.pendingBytes + bytes > MAX_STREAM_BACKLOG_BYTES)
    ) {
      this.onerror?.(new Error('SSE client too slow: closing the stream'));
      void this.close();
      return Promise.resolve();
    }
    this.pending++;
    this.pendingBytes += bytes;
    const next = this.tail.then(async () => {
      this.pending--;
      this.pendingBytes -= bytes;
      if (!(await this.stream.write(chunk))) void this.close();
    });
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function authInfoOf(credential: Credential | undefined): AuthInfo | undefined {
  if (!credential) return undefined;
  return { token: credential.id, clientId: credential.agent ?? 'bearer', scopes: [] };
}

/** `GET /sse`: opens a session and its event stream. The stream lives until the client disconnects or shutdown. */
export async function openSseSession(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
): Promise<void> {
  const context = sessionFor(ctx, env, credential);
  if (!context || !admitNewSession(ctx, env)) return;
  const id = randomUUID();
  const stream = new ResponseStream(ctx, 200, [
    ['Content-Type', 'text/event-stream'],
    ['Cache-Control', 'no-cache, no-transform'],
    ['X-Accel-Buffering', 'no'],
  ]);
  const transport = new UwsSseServerTransport(stream, id, `/messages?sessionId=${id}`);
  const server = createMcpServer(env.deps, context);
  const session: Session = {
    id,
    kind: 'sse',
    server,
    transport,
    credentialId: credential?.id,
    agent: credential?.agent,
    lastActive: Date.now(),
    used: false,
    inflight: 0,
    streams: 1,
    pendingIds: new Set(),
    closed: false,
  };
  env.sessions.add(session);
  const ended = new Promise<void>((resolve) => stream.onClose(resolve));
  transport.onerror = (err) => env.logger.debug({ err, session: id }, 'legacy SSE transport error');
  transport.onclose = () => {
    session.closed = true;
    session.streams = 0;
    env.sessions.remove(id);
  };
  try {
    await server.connect(transport);
  } catch (err) {
    await env.sessions.close(session, 'failed to start');
    throw err;
  }
  await ended;
  await env.sessions.close(session, 'stream ended');
}

/** `POST /messages?sessionId=…`: one client message for a legacy SSE session, answered 202. */
export async function postSseMessage(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  body: Promise<BodyResult>,
): Promise<void> {
  const read = await body;
  if (read.kind === 'aborted') return;
  if (read.kind === 'too-large') {
    refuseTooLarge(ctx, env.config.maxBodyBytes);
    return;
  }
  const sessionId = new URLSearchParams(ctx.query).get('sessionId');
  if (!sessionId) {
    refuse(ctx, 'sseSessionIdRequired');
    return;
  }
  const session = env.sessions.get(sessionId);
  if (!session || session.kind !== 'sse' || session.closed) {
    refuse(ctx, 'sseSessionNotFound');
    return;
  }
  if (session.credentialId !== credential?.id) {
    refuse(ctx, 'wrongCredential');
    return;
  }
  const json = jsonPostBody(ctx, read.body);
  if (!json) return;
  const parsed = parseJsonRpcMessage(json.value);
  if (!parsed.success) {
    refuse(ctx, 'notJsonRpc');
    return;
  }
  session.lastActive = Date.now();
  if ('method' in parsed.data && 'id' in parsed.data && parsed.data.method !== 'initialize')
    session.used = true;
  const authInfo = authInfoOf(credential);
  (session.transport as UwsSseServerTransport).receive(parsed.data, authInfo ? { authInfo } : {});
  send(ctx, 202, [['Content-Type', 'text/plain; charset=utf-8']], 'Accepted');
}
