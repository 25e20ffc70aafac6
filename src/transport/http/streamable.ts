import { randomUUID } from 'node:crypto';
import {
  type AuthInfo,
  classifyInboundRequest,
  type JSONRPCMessage,
  type MessageExtraInfo,
} from '@modelcontextprotocol/server';
import { DEFAULT_CLIENT_LOG_LEVEL } from '../../mcp/logging.js';
import { parseJsonRpcMessage } from '../../mcp/messages.js';
import { createMcpServer, type McpSessionContext, sessionStateOf } from '../../mcp/server.js';
import { type BodyResult, type HttpContext, parseJsonBody, send, sendWebResponse } from './adapter.js';
import { admitNewSession, sessionFor, type HttpEnv } from './env.js';
import type { Credential } from './security.js';
import type { Hibernation, Session } from './sessions.js';
import { MAX_BATCH_SIZE, refuse, refuseTooLarge } from './transport-errors.js';
import {
  type Delivery,
  Exchange,
  isInitialize,
  requestIdsOf,
  UwsStreamableTransport,
} from './uws-streamable.js';

/**
 * The router of `/mcp`: every request takes one path through it.
 *
 *   uWS callback → body read (bounded, started by server.ts) → 413 / 406 / 415 → JSON parsed once (400, -32700)
 *   → revision: a POST without `Mcp-Session-Id` is classified by the SDK's `classifyInboundRequest`
 *       2026-07-28 → the SDK's strict modern handler (modern.ts), which owns the 2026 request ladder
 *       2025-11-25 → each JSON-RPC message validated once (400) → the session, created by `initialize`, or the
 *                    stateless exchange → `UwsStreamableTransport` (uws-streamable.ts) → the session's MCP server
 *
 * Every refusal comes from the transport's error catalogue (transport-errors.ts). This file owns what the
 * transport leaves to its host: sessions (one MCP server and one transport per session), the session cap and idle
 * expiry, credential binding, the protocol version header, one GET stream per session, DELETE, and request ids
 * unique among a session's requests in flight (answers are routed by id).
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

/**
 * The JSON value of a POSTed MCP message body, or undefined once the request has been refused: 415 unless the
 * body is `application/json`, -32700 when its bytes are not UTF-8 JSON. Shared by both HTTP transports.
 */
export function jsonPostBody(ctx: HttpContext, body: Uint8Array): { value: unknown } | undefined {
  if (mediaType(ctx.header('content-type')) !== 'application/json') {
    refuse(ctx, 'unsupportedMediaType');
    return undefined;
  }
  const json = parseJsonBody(body);
  if (!json.ok) {
    refuse(ctx, 'parseError', json.message);
    return undefined;
  }
  return { value: json.value };
}

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

function extraOf(credential: Credential | undefined): MessageExtraInfo {
  const authInfo = authInfoOf(credential);
  return authInfo ? { authInfo } : {};
}

/**
 * A request header as a web `Headers` object would give it: repeated values joined by `, ` (so a repeated
 * `Mcp-Session-Id` names no session and a repeated version header no version), undefined when absent.
 */
function joinedHeader(ctx: HttpContext, name: string): string | undefined {
  let value: string | undefined;
  for (const [k, v] of ctx.headers) if (k === name) value = value === undefined ? v : `${value}, ${v}`;
  return value;
}

/** The POSTed body as JSON-RPC messages, each validated once; undefined when one is not a JSON-RPC message. */
function validMessages(parsed: unknown): JSONRPCMessage[] | undefined {
  const items = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  const out: JSONRPCMessage[] = [];
  for (const item of items) {
    const checked = parseJsonRpcMessage(item);
    if (!checked.success) return undefined;
    out.push(checked.data as JSONRPCMessage);
  }
  return out;
}

/** Handles one request to `/mcp`. `body` is the body read started synchronously by the router (POST only). */
export async function handleMcp(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  body: Promise<BodyResult> | undefined,
): Promise<void> {
  const accept = acceptable(ctx.header('accept'));
  if (ctx.method !== 'POST') {
    if (ctx.method === 'GET' && !accept.sse) {
      refuse(ctx, 'notAcceptableStream');
      return;
    }
    const sessionId = joinedHeader(ctx, 'mcp-session-id');
    if (sessionId === undefined) {
      refuse(ctx, 'sessionRequired');
      return;
    }
    const session = sessionOf(ctx, env, sessionId, credential);
    if (!session) return;
    if (!checkVersion(ctx, versionsOf(session))) return;
    if (ctx.method === 'GET') {
      if (!(await awake(ctx, session))) return;
      await openGetStream(ctx, session);
    } else {
      await env.sessions.close(session, 'DELETE');
      send(ctx, 200, []);
    }
    return;
  }

  const read = await body!;
  if (read.kind === 'aborted') return;
  if (read.kind === 'too-large') {
    refuseTooLarge(ctx, env.config.maxBodyBytes);
    return;
  }
  if (!accept.json && !accept.sse) {
    refuse(ctx, 'notAcceptable');
    return;
  }
  const json = jsonPostBody(ctx, read.body);
  if (!json) return;
  const parsed = json.value;
  const delivery = deliveryFor(accept);
  const sessionId = joinedHeader(ctx, 'mcp-session-id');

  if (sessionId !== undefined && !env.config.stateless) {
    const session = sessionOf(ctx, env, sessionId, credential);
    if (!session) return;
    const messages = batchOf(ctx, parsed, 'invalidMessage');
    if (!messages) return;
    if (messages.some((m) => isInitialize(m))) {
      refuse(ctx, 'alreadyInitialized');
      return;
    }
    if (!checkVersion(ctx, versionsOf(session))) return;
    if (requestIdsOf(messages).length === 0 && sleeperOf(session)?.asleep) {
      // Notifications (and stray responses) to a hibernated session: it has nothing in flight they could be about
      // (no request to cancel or report progress on, no server request awaiting an answer), and its rebuilt server
      // replays `notifications/initialized` itself; waking it for them would buy nothing.
      send(ctx, 202, []);
      return;
    }
    if (!(await awake(ctx, session))) return;
    await postInSession(ctx, env, session, messages, credential, delivery);
    return;
  }

  // Sessions are 2025-11-25 only: a request with no session id may be 2026-07-28, as the SDK decides.
  if (sessionId === undefined) {
    const outcome = classifyInboundRequest({
      httpMethod: 'POST',
      protocolVersionHeader: joinedHeader(ctx, 'mcp-protocol-version'),
      mcpMethodHeader: joinedHeader(ctx, 'mcp-method'),
      mcpNameHeader: joinedHeader(ctx, 'mcp-name'),
      body: parsed,
    });
    if (outcome.kind !== 'legacy') {
      await handleModern(ctx, env, credential, parsed);
      return;
    }
  }

  const messages = batchOf(ctx, parsed, env.config.stateless ? 'invalidMessage' : 'notJsonRpc');
  if (!messages) return;
  if (env.config.stateless) {
    await postStateless(ctx, env, credential, messages, delivery);
    return;
  }
  const initialize = messages.some((m) => isInitialize(m));
  if (!initialize || messages.length === 0) {
    refuse(ctx, messages.length === 0 ? 'notJsonRpc' : 'sessionRequired');
    return;
  }
  if (messages.length > 1) {
    refuse(ctx, 'oneInitialize');
    return;
  }
  const context = sessionFor(ctx, env, credential);
  if (!context || !admitNewSession(ctx, env)) return;
  await initializeSession(ctx, env, credential, context, messages, delivery);
}

/** The POSTed batch (or single message) once validated; answers 400 and returns undefined otherwise. */
function batchOf(
  ctx: HttpContext,
  parsed: unknown,
  invalid: 'invalidMessage' | 'notJsonRpc',
): JSONRPCMessage[] | undefined {
  if (Array.isArray(parsed) && parsed.length > MAX_BATCH_SIZE) {
    refuse(ctx, 'batchTooLarge');
    return undefined;
  }
  const messages = validMessages(parsed);
  if (!messages) refuse(ctx, invalid);
  return messages;
}

/** The live Streamable HTTP session `id` belongs to, bound to this credential; answers 404/403 otherwise. */
function sessionOf(
  ctx: HttpContext,
  env: HttpEnv,
  id: string,
  credential: Credential | undefined,
): Session | undefined {
  const session = env.sessions.get(id);
  if (!session || session.kind !== 'streamable_http' || session.closed) {
    refuse(ctx, 'sessionNotFound');
    return undefined;
  }
  if (session.credentialId !== credential?.id) {
    refuse(ctx, 'wrongCredential');
    return undefined;
  }
  session.lastActive = Date.now();
  return session;
}

/**
 * Answers 400 and returns false when the `MCP-Protocol-Version` header names a version outside `supported` (the
 * protocol versions the session's server speaks). No header is acceptable: the negotiated version applies.
 */
function checkVersion(ctx: HttpContext, supported: readonly string[]): boolean {
  const version = joinedHeader(ctx, 'mcp-protocol-version');
  if (version === undefined || supported.includes(version)) return true;
  refuse(ctx, 'unsupportedProtocolVersion', `${version} (supported versions: ${supported.join(', ')})`);
  return false;
}

/** One MCP 2026-07-28 request: the SDK's strict modern handler answers it (see modern.ts). */
async function handleModern(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  parsed: unknown,
): Promise<void> {
  const context = sessionFor(ctx, env, credential);
  if (!context) return;
  // The SDK's 2026 entry takes a web Request; it ends the exchange (a held call, a subscriptions/listen stream)
  // when the client goes away, through the request's signal.
  const gone = new AbortController();
  ctx.onAbort(() => gone.abort());
  const headers = new Headers();
  for (const [k, v] of ctx.headers) if (k !== 'accept' && k !== 'content-length') headers.append(k, v);
  headers.set('accept', ctx.header('accept') ?? 'application/json, text/event-stream');
  const url = `http://localhost${ctx.path}${ctx.query ? `?${ctx.query}` : ''}`;
  const request = new Request(url, { method: 'POST', headers, signal: gone.signal });
  const response = await env.modern.fetch(request, parsed, context, authInfoOf(credential));
  await sendWebResponse(ctx, response);
}

/** The GET stream of a session: open until the client leaves or the session closes. */
async function openGetStream(ctx: HttpContext, session: Session): Promise<void> {
  const opened = (session.transport as UwsStreamableTransport).openStream(ctx);
  if (!opened) {
    refuse(ctx, 'streamConflict');
    return;
  }
  session.streams++;
  try {
    await opened.closed;
  } finally {
    session.streams--;
    session.lastActive = Date.now();
  }
}

/** Hands a POST's messages to a transport: 202 when there is no request among them, else the exchange's answer. */
async function deliver(
  ctx: HttpContext,
  env: HttpEnv,
  transport: UwsStreamableTransport,
  messages: JSONRPCMessage[],
  ids: ReturnType<typeof requestIdsOf>,
  credential: Credential | undefined,
  delivery: Delivery,
): Promise<void> {
  const extra = extraOf(credential);
  if (ids.length === 0) {
    transport.receive(messages, extra);
    send(ctx, 202, []);
    return;
  }
  const exchange = new Exchange(ctx, delivery, ids, transport.sessionId, env.logger);
  transport.post(messages, extra, exchange);
  await exchange.done;
}

/** The first id repeated among `ids` or already in flight in `pending`. */
function duplicateId(
  ids: ReturnType<typeof requestIdsOf>,
  pending: ReadonlySet<string | number>,
): string | number | undefined {
  return ids.find((id, i) => pending.has(id) || ids.indexOf(id) !== i);
}

async function postInSession(
  ctx: HttpContext,
  env: HttpEnv,
  session: Session,
  messages: JSONRPCMessage[],
  credential: Credential | undefined,
  delivery: Delivery,
): Promise<void> {
  const ids = requestIdsOf(messages);
  // Answers are routed by request id: two requests in flight with one id would get each other's answers (or none).
  const duplicate = duplicateId(ids, session.pendingIds);
  if (duplicate !== undefined) {
    refuse(ctx, 'duplicateRequestId', JSON.stringify(duplicate));
    return;
  }
  for (const id of ids) session.pendingIds.add(id);
  if (ids.length > 0) session.used = true;
  session.inflight++;
  try {
    // `awake` ran just before, with no turn of the event loop since: the session has its transport.
    await deliver(ctx, env, session.transport as UwsStreamableTransport, messages, ids, credential, delivery);
  } finally {
    for (const id of ids) session.pendingIds.delete(id);
    session.inflight--;
    session.lastActive = Date.now();
  }
}

async function initializeSession(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  context: McpSessionContext,
  messages: JSONRPCMessage[],
  delivery: Delivery,
): Promise<void> {
  const id = randomUUID();
  const sleeper =
    env.config.sessionHibernateAfterMs > 0
      ? new SessionSleeper(env, context, messages[0]!, extraOf(credential))
      : undefined;
  const session: Session = {
    id,
    kind: 'streamable_http',
    server: undefined,
    transport: undefined,
    ...(sleeper ? { hibernation: sleeper } : {}),
    credentialId: credential?.id,
    agent: credential?.agent,
    lastActive: Date.now(),
    used: false,
    inflight: 1,
    streams: 0,
    pendingIds: new Set(),
    closed: false,
  };
  sleeper?.bind(session);
  let transport: UwsStreamableTransport;
  try {
    transport = await attach(env, session, context);
  } catch (err) {
    env.sessions.release();
    throw err;
  }
  // Registered (taking the reserved slot) before the answer exists: the session is there by the time the client
  // learns its id.
  env.sessions.add(session);
  try {
    await deliver(ctx, env, transport, messages, requestIdsOf(messages), credential, delivery);
  } finally {
    session.inflight--;
    session.lastActive = Date.now();
  }
}

/**
 * Builds a session's MCP server and transport, connects them and makes them the session's. The transport closing
 * (the server closed, DELETE, expiry) ends the session, unless hibernation dropped it first.
 */
async function attach(
  env: HttpEnv,
  session: Session,
  context: McpSessionContext,
): Promise<UwsStreamableTransport> {
  const server = createMcpServer(env.deps, context);
  const transport = new UwsStreamableTransport(session.id);
  transport.onclose = () => {
    if (session.transport !== transport) return;
    session.closed = true;
    env.sessions.remove(session.id);
  };
  session.server = server;
  session.transport = transport;
  try {
    await server.connect(transport);
  } catch (err) {
    session.server = undefined;
    session.transport = undefined;
    await server.close().catch(() => undefined);
    throw err;
  }
  return transport;
}

/** The hibernation of a session, if it can hibernate. */
function sleeperOf(session: Session): SessionSleeper | undefined {
  return session.hibernation as SessionSleeper | undefined;
}

/** The protocol versions a session's server speaks: its transport's, or those it had when it hibernated. */
function versionsOf(session: Session): readonly string[] {
  return (
    (session.transport as UwsStreamableTransport | undefined)?.supportedVersions ??
    sleeperOf(session)!.versions!
  );
}

/**
 * Wakes the session if it is hibernated; false (after answering 404) when it closed meanwhile. A wake that fails
 * leaves the session asleep and throws (the route answers 500).
 */
async function awake(ctx: HttpContext, session: Session): Promise<boolean> {
  const sleeper = sleeperOf(session);
  if (sleeper?.asleep) await sleeper.wake();
  if (session.closed) {
    refuse(ctx, 'sessionNotFound');
    return false;
  }
  return true;
}

let wakeCallIds = 0;

/**
 * Session hibernation. An idle session (no request in flight, no open GET stream, for
 * `TINYTASK_HIBERNATE_AFTER`) drops its MCP server and transport — most of what a session costs — and keeps
 * only what rebuilds them: the `initialize` request it was created by, its bound context and credential, its log
 * level, the URIs it subscribed to and the protocol versions its server spoke. Its next request (or GET stream)
 * wakes it first: a fresh server and transport are connected and brought to the same state by replaying, on the
 * host's own behalf, `initialize` (same client info, capabilities and requested version, so the same negotiated
 * version), `notifications/initialized`, `logging/setLevel` (when not the default) and one `resources/subscribe` per
 * URI; their answers are discarded. While asleep nothing is lost: with no GET stream open, resource updates had
 * nowhere to go anyway, and a stream opened later wakes the session with its subscriptions.
 */
class SessionSleeper implements Hibernation {
  private session!: Session;
  private sleeping: { logLevel: string; uris: string[] } | undefined;
  private waking: Promise<void> | undefined;
  /** The protocol versions of the session's server, for the version check while asleep. */
  versions: readonly string[] | undefined;

  constructor(
    private readonly env: HttpEnv,
    private readonly context: McpSessionContext,
    private readonly initialize: JSONRPCMessage,
    private readonly extra: MessageExtraInfo,
  ) {}

  bind(session: Session): void {
    this.session = session;
  }

  get asleep(): boolean {
    return this.sleeping !== undefined;
  }

  hibernate(): void {
    const session = this.session;
    if (this.sleeping || this.waking || session.closed || session.inflight > 0 || session.streams > 0) return;
    const server = session.server;
    const transport = session.transport as UwsStreamableTransport | undefined;
    if (!server || !transport || transport.streaming) return;
    const state = sessionStateOf(server);
    this.sleeping = {
      logLevel: state?.logLevel ?? DEFAULT_CLIENT_LOG_LEVEL,
      uris: state?.subscriptions() ?? [],
    };
    this.versions = transport.supportedVersions;
    session.server = undefined;
    session.transport = undefined;
    // The transport's close no longer ends the session (it is not the session's transport any more); the server's
    // close runs its cleanup (board listeners, the session's abort signal).
    server
      .close()
      .catch((err: unknown) =>
        this.env.logger.warn({ err, session: session.id }, 'hibernating a session failed'),
      );
  }

  /** Rebuilds the server and transport in the session's state. Concurrent callers share one wake. */
  wake(): Promise<void> {
    this.waking ??= this.rebuild().finally(() => (this.waking = undefined));
    return this.waking;
  }

  private async rebuild(): Promise<void> {
    const sleeping = this.sleeping;
    const session = this.session;
    if (!sleeping || session.closed) return;
    // Busy while it wakes: neither hibernated again, nor expired, nor evicted halfway.
    session.inflight++;
    try {
      const transport = await attach(this.env, session, this.context);
      const call = async (method: string, params: Record<string, unknown>) => {
        const answer = await transport.call(
          { jsonrpc: '2.0', id: `tinytask-wake-${++wakeCallIds}`, method, params },
          this.extra,
        );
        if ('error' in answer)
          throw new Error(`waking session ${session.id}: ${method} failed: ${JSON.stringify(answer.error)}`);
      };
      try {
        await call('initialize', (this.initialize as { params: Record<string, unknown> }).params);
        transport.receive([{ jsonrpc: '2.0', method: 'notifications/initialized' }], this.extra);
        if (sleeping.logLevel !== DEFAULT_CLIENT_LOG_LEVEL)
          await call('logging/setLevel', { level: sleeping.logLevel });
        for (const uri of sleeping.uris) await call('resources/subscribe', { uri });
      } catch (err) {
        // Closed while it woke (DELETE or shutdown: a waking session is busy, so never evicted nor expired): the
        // registry closed the new server; the caller answers 404.
        if (session.closed) return;
        // Back to sleep: the half-built server goes, the record stays.
        const server = session.server;
        session.server = undefined;
        session.transport = undefined;
        await server?.close().catch(() => undefined);
        throw err;
      }
      this.sleeping = undefined;
      this.versions = undefined;
      if (session.closed) {
        // Closed (DELETE, shutdown) while it woke, maybe before `attach` gave the session its server.
        await session.server?.close().catch(() => undefined);
      }
    } finally {
      session.inflight--;
    }
  }
}

/** Stateless mode: no session; each POST is served by its own MCP server and transport, closed after the answer. */
async function postStateless(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  messages: JSONRPCMessage[],
  delivery: Delivery,
): Promise<void> {
  const ids = requestIdsOf(messages);
  const duplicate = duplicateId(ids, new Set());
  if (duplicate !== undefined) {
    refuse(ctx, 'duplicateRequestId', JSON.stringify(duplicate));
    return;
  }
  const context = sessionFor(ctx, env, credential);
  if (!context) return;
  const transport = new UwsStreamableTransport(undefined);
  const server = createMcpServer(env.deps, context);
  try {
    await server.connect(transport);
    // As in a session, the version header is checked on everything but initialize (which negotiates it).
    if (!messages.some((m) => isInitialize(m)) && !checkVersion(ctx, transport.supportedVersions)) return;
    await deliver(ctx, env, transport, messages, ids, credential, delivery);
  } finally {
    await server.close().catch(() => undefined);
  }
}
