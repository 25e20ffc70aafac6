import { randomUUID } from 'node:crypto';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/core';
import {
  type AuthInfo,
  isInitializeRequest,
  isLegacyRequest,
  type JSONRPCMessage,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/server';
import { createMcpServer, type McpSessionContext } from '../../mcp/server.js';
import {
  type BodyResult,
  type HeaderList,
  type HttpContext,
  parseJsonBody,
  ResponseStream,
  responseHeaders,
  send,
  sendJsonRpcError,
  sendPayloadTooLarge,
  sendWebResponse,
} from './adapter.js';
import { type DirectSink, McpHttpTransport } from './direct.js';
import { admitNewSession, sessionFor, type HttpEnv } from './env.js';
import type { Credential } from './security.js';
import type { Session } from './sessions.js';

/**
 * MCP Streamable HTTP (2025-11-25) at `/mcp`, on the SDK's `WebStandardStreamableHTTPServerTransport`.
 *
 * This layer owns what the SDK transport leaves to its host: routing a request to its session (one MCP server and
 * one transport per session, created on `initialize`), the session cap and idle expiry, credential binding, the
 * body limit while reading from uWS, and the choice between a JSON and an SSE answer. The SDK transport does the
 * protocol checks (JSON parsing, JSON-RPC validation, session id and protocol version headers, one GET stream per
 * session, DELETE).
 *
 * Answer format. The SDK transport is run in SSE mode; its per-POST event stream is then
 *  - streamed as is when the client accepts only `text/event-stream`;
 *  - collected and answered as plain JSON when it carries nothing but the responses (the common case: one tool call,
 *    one result) and the client accepts JSON;
 *  - switched to streaming SSE the moment the server sends anything else for that request (progress or log
 *    notifications, a server-to-client request), when the client accepts SSE.
 * The SDK's own `enableJsonResponse` is fixed per transport and silently drops such messages, so it is not used.
 *
 * Fast path. A single JSON-RPC request in an established session from a client that accepts JSON (nearly every
 * tool call) skips `handleRequest` and goes to the session's server through `McpHttpTransport.dispatch`
 * (direct.ts), answered with the same rules as above without the web Request/stream round trip.
 */

export interface Acceptable {
  json: boolean;
  sse: boolean;
}

/** Which of JSON and SSE an `Accept` header admits. No header (or an empty one) admits both. */
export function acceptable(header: string | undefined): Acceptable {
  if (header === undefined || header.trim() === '') return { json: true, sse: true };
  const out: Acceptable = { json: false, sse: false };
  for (const range of header.split(',')) {
    const [type = '', ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    if (type === '*/*') {
      out.json = true;
      out.sse = true;
    } else if (type === 'application/json' || type === 'application/*') out.json = true;
    else if (type === 'text/event-stream' || type === 'text/*') out.sse = true;
  }
  return out;
}

/** The media type of a `Content-Type` header, lower-case, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

type Delivery = 'sse' | 'json' | 'auto';

function deliveryFor(accept: Acceptable): Delivery {
  if (!accept.json) return 'sse';
  return accept.sse ? 'auto' : 'json';
}

function authInfoOf(credential: Credential | undefined): AuthInfo | undefined {
  if (!credential) return undefined;
  return {
    token: credential.id,
    clientId: credential.agent ?? 'bearer',
    scopes: [],
    ...(credential.agent ? { extra: { agent: credential.agent } } : {}),
  };
}

/**
 * A web `Request` for the SDK transport, from data already copied out of uWS. POST bodies are not attached: they
 * were read and parsed here and go to the transport as `parsedBody`.
 */
function webRequest(ctx: HttpContext, accept: string, signal?: AbortSignal): Request {
  const headers = new Headers();
  for (const [k, v] of ctx.headers) if (k !== 'accept' && k !== 'content-length') headers.append(k, v);
  headers.set('accept', accept);
  const url = `http://localhost${ctx.path}${ctx.query ? `?${ctx.query}` : ''}`;
  return new Request(url, { method: ctx.method, headers, ...(signal ? { signal } : {}) });
}

/** Ids of the requests (not notifications or responses) in a POSTed message or batch. */
function requestIds(parsed: unknown): Array<string | number> {
  const ids: Array<string | number> = [];
  for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
    if (m === null || typeof m !== 'object') continue;
    const { id, method } = m as { id?: unknown; method?: unknown };
    if (typeof method === 'string' && (typeof id === 'string' || typeof id === 'number')) ids.push(id);
  }
  return ids;
}

/** `data:` payload of one SSE event, or undefined for a comment-only event. */
function eventData(event: string): string | undefined {
  const lines: string[] = [];
  for (const line of event.split('\n')) {
    if (line.startsWith('data:')) lines.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

function isResponseMessage(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const m = value as Record<string, unknown>;
  return 'id' in m && ('result' in m || 'error' in m) && !('method' in m);
}

/**
 * Delivers the SDK transport's answer to a POST according to `delivery` (see the module comment). Non-SSE answers
 * (errors, 202) are sent as they are.
 */
async function deliverPost(
  ctx: HttpContext,
  response: Response,
  delivery: Delivery,
  env: HttpEnv,
): Promise<void> {
  const contentType = response.headers.get('content-type') ?? '';
  if (!response.body || !contentType.startsWith('text/event-stream') || delivery === 'sse') {
    await sendWebResponse(ctx, response);
    return;
  }
  const reader = response.body.getReader();
  ctx.onAbort(() => {
    reader.cancel().catch(() => undefined);
  });
  const decoder = new TextDecoder();
  const events: string[] = [];
  /** Raw JSON of each response, sent on as it is (no second serialization). */
  const responses: string[] = [];
  let pending = '';
  let stream: ResponseStream | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (stream) {
        if (!(await stream.write(value))) break;
        continue;
      }
      pending += decoder.decode(value, { stream: true });
      let cut: number;
      while (!stream && (cut = pending.indexOf('\n\n')) !== -1) {
        const event = pending.slice(0, cut + 2);
        pending = pending.slice(cut + 2);
        const data = eventData(event);
        if (data === undefined) continue;
        let message: unknown;
        try {
          message = JSON.parse(data);
        } catch {
          message = undefined;
        }
        events.push(event);
        if (isResponseMessage(message)) {
          responses.push(data);
        } else if (delivery === 'auto') {
          // The server has something to say before the answer: the client gets the event stream.
          stream = new ResponseStream(ctx, response.status, responseHeaders(response));
          for (const e of events) if (!(await stream.write(e))) break;
          if (pending) await stream.write(pending);
        } else {
          env.logger.debug({ message }, 'server message dropped: the client accepts only JSON');
        }
      }
    }
  } catch (err) {
    env.logger.debug({ err }, 'reading the MCP response stream failed');
  }
  if (stream) {
    stream.end();
    return;
  }
  if (ctx.aborted) return;
  if (responses.length === 0) {
    sendJsonRpcError(ctx, 503, -32000, 'The session closed before the request was answered');
    return;
  }
  const headers: HeaderList = [['Content-Type', 'application/json']];
  const sessionId = response.headers.get('mcp-session-id');
  if (sessionId) headers.push(['Mcp-Session-Id', sessionId]);
  send(ctx, 200, headers, responses.length === 1 ? responses[0] : `[${responses.join(',')}]`);
}

function newTransport(env: HttpEnv, onsessioninitialized?: (id: string) => void): McpHttpTransport {
  return new McpHttpTransport({
    ...(onsessioninitialized ? { sessionIdGenerator: () => randomUUID(), onsessioninitialized } : {}),
    maxRequestBodySize: env.config.maxBodyBytes,
  });
}

/** Handles one request to `/mcp`. `body` is the body read started synchronously by the router (POST only). */
export async function handleMcp(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  body: Promise<BodyResult> | undefined,
): Promise<void> {
  const accept = acceptable(ctx.header('accept'));
  /** The POSTed JSON, parsed once here and handed to the SDK transport as `parsedBody`. */
  let parsed: unknown;
  if (ctx.method === 'POST') {
    const read = await body!;
    if (read.kind === 'aborted') return;
    if (read.kind === 'too-large') {
      sendPayloadTooLarge(ctx, env.config.maxBodyBytes, true);
      return;
    }
    if (!accept.json && !accept.sse) {
      sendJsonRpcError(
        ctx,
        406,
        -32000,
        'Not Acceptable: the client must accept application/json or text/event-stream',
      );
      return;
    }
    if (mediaType(ctx.header('content-type')) !== 'application/json') {
      sendJsonRpcError(ctx, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
      return;
    }
    const json = parseJsonBody(read.body);
    if (!json.ok) {
      sendJsonRpcError(ctx, 400, -32700, json.message);
      return;
    }
    parsed = json.value;
  } else if (ctx.method === 'GET' && !accept.sse) {
    sendJsonRpcError(ctx, 406, -32000, 'Not Acceptable: the client must accept text/event-stream');
    return;
  }
  const sdkAccept = ctx.method === 'POST' ? 'application/json, text/event-stream' : 'text/event-stream';
  const delivery = deliveryFor(accept);

  // Sessions are 2025-11-25 only: a request with no session id may be 2026-07-28, as the SDK decides.
  if (ctx.method === 'POST' && ctx.header('mcp-session-id') === undefined) {
    // The SDK ends the exchange (a held call, a subscriptions/listen stream) when the client goes away.
    const gone = new AbortController();
    ctx.onAbort(() => gone.abort());
    const request = webRequest(
      ctx,
      ctx.header('accept') ?? 'application/json, text/event-stream',
      gone.signal,
    );
    if (!(await isLegacyRequest(request, parsed, { maxRequestBodySize: env.config.maxBodyBytes }))) {
      await handleModern(ctx, env, credential, request, parsed);
      return;
    }
  }

  if (env.config.stateless) {
    await handleStateless(ctx, env, credential, parsed, delivery);
    return;
  }

  const sessionId = ctx.header('mcp-session-id');
  if (sessionId !== undefined) {
    const session = env.sessions.get(sessionId);
    if (!session || session.kind !== 'streamable_http' || session.closed) {
      sendJsonRpcError(
        ctx,
        404,
        -32001,
        'Session not found: it expired or was closed; send initialize to start a new one',
      );
      return;
    }
    if (session.credentialId !== credential?.id) {
      sendJsonRpcError(ctx, 403, -32000, 'Forbidden: this session was created with another credential');
      return;
    }
    await handleInSession(ctx, env, session, sdkAccept, parsed, credential, delivery);
    return;
  }

  if (ctx.method !== 'POST') {
    sendJsonRpcError(ctx, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    return;
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  if (!messages.some((m) => isInitializeRequest(m))) {
    if (messages.length > 0 && messages.every((m) => JSONRPCMessageSchema.safeParse(m).success)) {
      sendJsonRpcError(ctx, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    } else {
      sendJsonRpcError(ctx, 400, -32600, 'Invalid Request: the body is not a JSON-RPC message');
    }
    return;
  }
  const context = sessionFor(ctx, env, credential);
  if (!context || !admitNewSession(ctx, env)) return;
  await initializeSession(ctx, env, credential, context, webRequest(ctx, sdkAccept), parsed, delivery);
}

/** One MCP 2026-07-28 request: the SDK's strict modern handler answers it (see modern.ts). */
async function handleModern(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  request: Request,
  parsed: unknown,
): Promise<void> {
  const context = sessionFor(ctx, env, credential);
  if (!context) return;
  const response = await env.modern.fetch(request, parsed, context, authInfoOf(credential));
  await sendWebResponse(ctx, response);
}

async function initializeSession(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  context: McpSessionContext,
  request: Request,
  parsedBody: unknown,
  delivery: Delivery,
): Promise<void> {
  const server = createMcpServer(env.deps, context);
  let session: Session | undefined;
  // The SDK calls this while handling initialize, before the answer exists: the session is registered (taking the
  // reserved slot) by the time the client learns its id.
  const transport = newTransport(env, (id) => {
    session = {
      id,
      kind: 'streamable_http',
      server,
      transport,
      credentialId: credential?.id,
      agent: credential?.agent,
      lastActive: Date.now(),
      used: false,
      inflight: 1,
      streams: 0,
      pendingIds: new Set(),
      closed: false,
    };
    env.sessions.add(session);
  });
  transport.onclose = () => {
    if (!session) return;
    session.closed = true;
    env.sessions.remove(session.id);
  };
  let response: Response;
  try {
    await server.connect(transport);
    response = await transport.handleRequest(request, { parsedBody, authInfo: authInfoOf(credential) });
  } finally {
    if (!session) {
      // initialize was refused (e.g. a batch with two initialize requests) or failed: give the slot back.
      env.sessions.release();
      await server.close().catch(() => undefined);
    }
  }
  try {
    await deliverPost(ctx, response, delivery, env);
  } finally {
    const s = session as Session | undefined;
    if (s) {
      s.inflight--;
      s.lastActive = Date.now();
    }
  }
}

/** The value of a header sent exactly once (a repeated header reads as a comma-joined list to the SDK). */
function singleHeader(ctx: HttpContext, name: string): string | undefined | null {
  let found: string | undefined;
  for (const [k, v] of ctx.headers) {
    if (k !== name) continue;
    if (found !== undefined) return null;
    found = v;
  }
  return found;
}

type DirectRequest = JSONRPCMessage & { id: RequestId; method: string };

/**
 * The POSTed message when it can skip the SDK's `handleRequest` (see McpHttpTransport): one JSON-RPC request other
 * than initialize, with a single session id header and an absent or supported protocol version — exactly the
 * requests `handleRequest` would pass on to the server unchanged. Anything else returns undefined and takes the
 * SDK path, which produces the same errors as before.
 */
function directRequest(ctx: HttpContext, parsed: unknown): DirectRequest | undefined {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const { id, method } = parsed as { id?: unknown; method?: unknown };
  if (typeof method !== 'string' || method === 'initialize') return undefined;
  if (typeof id !== 'string' && typeof id !== 'number') return undefined;
  if (!singleHeader(ctx, 'mcp-session-id')) return undefined;
  const version = singleHeader(ctx, 'mcp-protocol-version');
  if (version === null || (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) {
    return undefined;
  }
  const checked = JSONRPCMessageSchema.safeParse(parsed);
  return checked.success ? (checked.data as DirectRequest) : undefined;
}

function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/**
 * Runs one request through McpHttpTransport.dispatch and answers it the way deliverPost answers the SDK's event
 * stream: the response as plain JSON, or — when the server sends something else first and the client accepts SSE —
 * an event stream carrying those messages and then the response (with the SDK's headers and keep-alive comments).
 * Resolves once the client has its answer or is gone.
 */
function dispatchDirect(
  ctx: HttpContext,
  env: HttpEnv,
  session: Session,
  transport: McpHttpTransport,
  message: DirectRequest,
  credential: Credential | undefined,
  delivery: Delivery,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let stream: ResponseStream | undefined;
    let writes = Promise.resolve(true);
    let keepAlive: NodeJS.Timeout | undefined;
    const write = (chunk: string) => {
      writes = writes.then((open) => (open ? stream!.write(chunk) : false));
    };
    const openStream = () => {
      stream = new ResponseStream(ctx, 200, [
        ['content-type', 'text/event-stream'],
        ['cache-control', 'no-cache, no-transform'],
        ['mcp-session-id', session.id],
        ['x-accel-buffering', 'no'],
      ]);
      keepAlive = setInterval(() => write(': keepalive\n\n'), KEEP_ALIVE_MS);
      keepAlive.unref();
      stream.onClose(() => clearInterval(keepAlive));
    };
    const endStream = () => {
      const s = stream!;
      void writes.then(() => s.end()).finally(resolve);
    };
    const sink: DirectSink = {
      message(m) {
        if (delivery === 'json') {
          env.logger.debug({ message: m }, 'server message dropped: the client accepts only JSON');
          return;
        }
        if (!stream) openStream();
        write(sseEvent(m));
      },
      answer(m) {
        if (stream) {
          write(sseEvent(m));
          endStream();
          return;
        }
        send(
          ctx,
          200,
          [
            ['Content-Type', 'application/json'],
            ['Mcp-Session-Id', session.id],
          ],
          JSON.stringify(m),
        );
        resolve();
      },
      closed() {
        if (stream) endStream();
        else {
          sendJsonRpcError(ctx, 503, -32000, 'The session closed before the request was answered');
          resolve();
        }
      },
    };
    if (ctx.aborted) {
      resolve();
      return;
    }
    const detach = transport.dispatch(message, { authInfo: authInfoOf(credential) }, sink);
    ctx.onAbort(() => {
      detach();
      resolve();
    });
  });
}

/** The SDK transport's SSE keep-alive interval (DEFAULT_SSE_KEEP_ALIVE_MS), kept on directly answered streams. */
const KEEP_ALIVE_MS = 15_000;

async function handleInSession(
  ctx: HttpContext,
  env: HttpEnv,
  session: Session,
  sdkAccept: string,
  parsedBody: unknown,
  credential: Credential | undefined,
  delivery: Delivery,
): Promise<void> {
  const transport = session.transport as McpHttpTransport;
  session.lastActive = Date.now();
  const direct =
    ctx.method === 'POST' && delivery !== 'sse' && !transport.closing
      ? directRequest(ctx, parsedBody)
      : undefined;
  const request = direct ? undefined : webRequest(ctx, sdkAccept);
  if (ctx.method === 'GET') {
    const response = await transport.handleRequest(request!, { authInfo: authInfoOf(credential) });
    const isStream = response.status === 200 && !!response.body;
    if (isStream) session.streams++;
    try {
      await sendWebResponse(ctx, response);
    } finally {
      if (isStream) {
        session.streams--;
        session.lastActive = Date.now();
      }
    }
    return;
  }
  // The SDK routes each answer by request id: two requests in flight with one id would get each other's answers
  // (or none). Such a request is refused instead.
  const ids = ctx.method === 'POST' ? requestIds(parsedBody) : [];
  const duplicate = ids.find((id, i) => session.pendingIds.has(id) || ids.indexOf(id) !== i);
  if (duplicate !== undefined) {
    sendJsonRpcError(
      ctx,
      409,
      -32600,
      `Invalid Request: request id ${JSON.stringify(duplicate)} is already in use by a request in flight in this session`,
    );
    return;
  }
  for (const id of ids) session.pendingIds.add(id);
  if (ids.length > 0) session.used = true;
  session.inflight++;
  try {
    if (direct) {
      await dispatchDirect(ctx, env, session, transport, direct, credential, delivery);
      return;
    }
    // A client that disconnects before its answers cancels those requests (a held wait ends at once).
    ctx.onAbort(() => {
      for (const id of ids) if (session.pendingIds.has(id)) transport.cancelAbandoned(id);
    });
    const response = await transport.handleRequest(request!, {
      ...(ctx.method === 'POST' ? { parsedBody } : {}),
      authInfo: authInfoOf(credential),
    });
    if (ctx.method === 'POST') await deliverPost(ctx, response, delivery, env);
    else await sendWebResponse(ctx, response);
  } finally {
    for (const id of ids) session.pendingIds.delete(id);
    session.inflight--;
    session.lastActive = Date.now();
  }
}

/** Stateless mode: the SDK's stateless transport serves exactly one request, so each POST gets its own pair. */
async function handleStateless(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  parsedBody: unknown,
  delivery: Delivery,
): Promise<void> {
  const context = sessionFor(ctx, env, credential);
  if (!context) return;
  const transport = newTransport(env);
  const server = createMcpServer(env.deps, context);
  try {
    await server.connect(transport);
    const response = await transport.handleRequest(webRequest(ctx, 'application/json, text/event-stream'), {
      parsedBody,
      authInfo: authInfoOf(credential),
    });
    await deliverPost(ctx, response, delivery, env);
  } finally {
    await server.close().catch(() => undefined);
  }
}
