import {
  isInitializeRequest,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../logger.js';
import {
  type HeaderList,
  type HttpContext,
  MAX_STREAM_BACKLOG_BYTES,
  ResponseStream,
  send,
} from './adapter.js';
import { refuse } from './transport-errors.js';

/**
 * MCP Streamable HTTP (2025-11-25) on uWS: our own SDK `Transport`, in the shape of the SDK's web-standard transport
 * and of `UwsSseServerTransport`, but writing straight to uWS responses. The router (streamable.ts) has done every
 * HTTP and JSON-RPC check before a message gets here; this file only moves messages:
 *
 *  - `post` hands a POST's messages to the MCP server and routes what the server sends back by JSON-RPC request id
 *    to that POST's `Exchange`, the one place the JSON/SSE answer rules are applied;
 *  - `openStream` attaches a GET stream, which carries the server's messages that belong to no request
 *    (resource updates, list changes);
 *  - `close` ends every exchange and stream of the session.
 *
 * No web `Request`, `Response` or `ReadableStream` is built and no SSE text is ever parsed back.
 */

/** How a POST's answer is delivered, from the client's `Accept` (see `Exchange`). */
export type Delivery = 'sse' | 'json' | 'auto';

/** SSE comment interval on open streams, as the SDK transport's (its DEFAULT_SSE_KEEP_ALIVE_MS is not exported). */
export const KEEP_ALIVE_MS = 15_000;

/*
 * Message kinds by shape. Inbound messages were validated once by the router (parseJsonRpcMessage) and outbound
 * ones come from the SDK, so the shape is enough: the SDK's `isJSONRPC*` guards would parse each message again
 * with zod (a large tool result included).
 */

/** A response (result or error). */
export function isResponse(message: JSONRPCMessage): boolean {
  return !('method' in message) && ('result' in message || 'error' in message);
}

/** A request (method and id). */
export function isRequest(message: JSONRPCMessage): boolean {
  return 'method' in message && 'id' in message;
}

/** An `initialize` request, as the SDK defines it (its schema parse runs only on messages named initialize). */
export function isInitialize(message: JSONRPCMessage): boolean {
  return 'method' in message && message.method === 'initialize' && isInitializeRequest(message);
}

function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/**
 * An SSE response on uWS: writes are chained in order, each waiting for uWS to drain the one before (corked,
 * backpressure: adapter.ts), with a keep-alive comment every KEEP_ALIVE_MS. The server's messages are produced
 * regardless of the client's pace, so once more than MAX_STREAM_BACKLOG_BYTES wait when the next one comes the
 * connection is dropped (SDK clients reconnect and re-read state); a message of any size is taken while the backlog
 * is under the limit, so one large result is never refused.
 */
export class SseStream {
  private readonly stream: ResponseStream;
  private tail: Promise<boolean> = Promise.resolve(true);
  private backlog = 0;

  constructor(ctx: HttpContext, headers: HeaderList) {
    this.stream = new ResponseStream(ctx, 200, headers);
    const keepAlive = setInterval(() => this.write(': keepalive\n\n'), KEEP_ALIVE_MS);
    keepAlive.unref();
    this.stream.onClose(() => clearInterval(keepAlive));
  }

  get closed(): boolean {
    return this.stream.closed;
  }

  event(message: JSONRPCMessage): void {
    this.write(sseEvent(message));
  }

  /** Ends the stream once everything queued is written; resolves then. */
  end(): Promise<void> {
    return this.tail.then(() => this.stream.end());
  }

  /** Runs once when the stream ends for any reason (end, abort, client gone). */
  onClose(fn: () => void): void {
    this.stream.onClose(fn);
  }

  private write(chunk: string): void {
    if (this.stream.closed) return;
    if (this.backlog > MAX_STREAM_BACKLOG_BYTES) {
      this.stream.abort();
      return;
    }
    const bytes = Buffer.byteLength(chunk);
    this.backlog += bytes;
    this.tail = this.tail.then(async (open) => {
      const ok = open && (await this.stream.write(chunk));
      this.backlog -= bytes;
      return ok;
    });
  }
}

/** Headers of every SSE answer of a session (or of a stateless exchange, without the id). */
function sseHeaders(sessionId: string | undefined): HeaderList {
  const headers: HeaderList = [
    ['Content-Type', 'text/event-stream'],
    ['Cache-Control', 'no-cache, no-transform'],
    ['X-Accel-Buffering', 'no'],
  ];
  if (sessionId !== undefined) headers.push(['Mcp-Session-Id', sessionId]);
  return headers;
}

/**
 * The answer to one POST that carries requests: what the server sends about those requests and then their responses,
 * delivered by one rule set:
 *
 * | `delivery` | answer                                                                                          |
 * | ---------- | ----------------------------------------------------------------------------------------------- |
 * | `sse`      | an event stream from the start                                                                  |
 * | `auto`     | plain JSON while the server sends nothing but the responses; an event stream from the moment it |
 * |            | sends anything else for these requests (progress, a log message, a server-to-client request)    |
 * | `json`     | plain JSON; other messages for these requests are dropped                                       |
 *
 * Plain JSON is the single response, or an array in request order for a batch. `done` resolves once the client has
 * its answer or is gone.
 */
export class Exchange {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly answers = new Map<RequestId, JSONRPCMessage>();
  private waiting: number;
  private sse: SseStream | undefined;
  private finished = false;

  constructor(
    private readonly ctx: HttpContext,
    private readonly delivery: Delivery,
    /** The ids of the POST's requests, in order. */
    readonly ids: readonly RequestId[],
    private readonly sessionId: string | undefined,
    private readonly logger: Logger,
  ) {
    this.waiting = ids.length;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    ctx.onAbort(() => this.finish());
    if (delivery === 'sse') this.openStream();
  }

  /** A message the server sends about one of these requests, before its response. */
  message(message: JSONRPCMessage): void {
    if (this.finished) return;
    if (!this.sse) {
      if (this.delivery === 'json') {
        this.logger.debug({ message }, 'server message dropped: the client accepts only JSON');
        return;
      }
      this.openStream();
    }
    this.sse!.event(message);
  }

  /** The response to request `id`. */
  answer(id: RequestId, message: JSONRPCMessage): void {
    if (this.finished || this.answers.has(id)) return;
    this.answers.set(id, message);
    this.sse?.event(message);
    if (--this.waiting === 0) this.complete();
  }

  /** The session closed before every request was answered: what is there is sent, else 503. */
  closed(): void {
    if (this.finished) return;
    if (this.sse || this.answers.size > 0) this.complete();
    else {
      refuse(this.ctx, 'sessionClosedBeforeAnswer');
      this.finish();
    }
  }

  /** Whether request `id` is still unanswered. */
  expects(id: RequestId): boolean {
    return !this.answers.has(id);
  }

  private openStream(): void {
    this.sse = new SseStream(this.ctx, sseHeaders(this.sessionId));
    // Responses that came before the first other message go out first, in the order they came.
    for (const message of this.answers.values()) this.sse.event(message);
  }

  private complete(): void {
    if (this.sse) {
      const sse = this.sse;
      this.finished = true;
      void sse.end().finally(() => this.resolveDone());
      return;
    }
    const headers: HeaderList = [['Content-Type', 'application/json']];
    if (this.sessionId !== undefined) headers.push(['Mcp-Session-Id', this.sessionId]);
    const ordered: JSONRPCMessage[] = [];
    for (const id of this.ids) {
      const message = this.answers.get(id);
      if (message) ordered.push(message);
    }
    send(this.ctx, 200, headers, JSON.stringify(this.ids.length === 1 ? ordered[0] : ordered));
    this.finish();
  }

  private finish(): void {
    this.finished = true;
    this.resolveDone();
  }
}

/**
 * One session's transport (or one stateless exchange's). `sessionId` is undefined in stateless mode. The MCP server
 * connects to it as to any SDK transport; the router calls `post`, `receive` and `openStream`.
 */
export class UwsStreamableTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  /** Where the server's messages for each request in flight go, by JSON-RPC request id. */
  private readonly routes = new Map<RequestId, Exchange>();
  /** Requests the host itself made (`call`), by id: their responses go back to it, never to a client. */
  private readonly calls = new Map<RequestId, { resolve(m: JSONRPCMessage): void; reject(e: Error): void }>();
  private stream: SseStream | undefined;
  private supported: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;
  private started = false;
  closed = false;

  constructor(readonly sessionId: string | undefined) {}

  async start(): Promise<void> {
    if (this.started) throw new Error('UwsStreamableTransport already started');
    this.started = true;
  }

  /** The server passes the protocol versions it supports when it connects (checked on the version header). */
  setSupportedProtocolVersions(versions: string[]): void {
    this.supported = versions;
  }

  get supportedVersions(): readonly string[] {
    return this.supported;
  }

  /** Whether a GET stream is open. */
  get streaming(): boolean {
    return this.stream !== undefined;
  }

  /** Hands notifications and responses (no request among them) to the server. */
  receive(messages: readonly JSONRPCMessage[], extra: MessageExtraInfo): void {
    for (const message of messages) this.onmessage?.(message, extra);
  }

  /**
   * Hands a POST's messages to the server; what it sends about the requests among them goes to `exchange`. A client
   * that leaves before its answers cancels the requests still unanswered, as if it had sent
   * `notifications/cancelled` (a held `wait_for_task` ends at once).
   */
  post(messages: readonly JSONRPCMessage[], extra: MessageExtraInfo, exchange: Exchange): void {
    for (const id of exchange.ids) this.routes.set(id, exchange);
    void exchange.done.then(() => {
      for (const id of exchange.ids) {
        if (this.routes.get(id) !== exchange) continue;
        this.routes.delete(id);
        if (exchange.expects(id)) this.cancelAbandoned(id, extra);
      }
    });
    for (const message of messages) this.onmessage?.(message, extra);
  }

  /**
   * Hands one request to the server on the host's own behalf (bringing a rebuilt server back to a hibernated
   * session's state) and resolves with its response. Nothing of it reaches a client; rejects when the transport
   * closes first. `message.id` must not be in flight in this transport.
   */
  call(message: JSONRPCMessage, extra: MessageExtraInfo): Promise<JSONRPCMessage> {
    const id = (message as { id: RequestId }).id;
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('the session transport is closed'));
        return;
      }
      this.calls.set(id, { resolve, reject });
      this.onmessage?.(message, extra);
    });
  }

  /** Opens the session's GET stream; false when one is open already. Resolves `closed` when it ends. */
  openStream(ctx: HttpContext): { closed: Promise<void> } | false {
    if (this.stream) return false;
    const stream = new SseStream(ctx, sseHeaders(this.sessionId));
    this.stream = stream;
    const closed = new Promise<void>((resolve) =>
      stream.onClose(() => {
        if (this.stream === stream) this.stream = undefined;
        resolve();
      }),
    );
    return { closed };
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) return;
    const response = isResponse(message);
    const id = response ? (message as { id?: RequestId }).id : options?.relatedRequestId;
    const call = id === undefined ? undefined : this.calls.get(id);
    if (call) {
      // The host's own request: its response goes back to the host; what the server says about it goes nowhere.
      if (response) {
        this.calls.delete(id!);
        call.resolve(message);
      }
      return;
    }
    if (id === undefined) {
      // Not about a request: the GET stream carries it, or nobody (the client did not open one).
      if (!response) this.stream?.event(message);
      return;
    }
    const exchange = this.routes.get(id);
    if (!exchange) return; // its client is gone (the request was cancelled) or it was answered already
    if (response) {
      this.routes.delete(id);
      exchange.answer(id, message);
    } else exchange.message(message);
  }

  /** Tells the server that the client of request `id` is gone, in the client's own words. */
  private cancelAbandoned(id: RequestId, extra: MessageExtraInfo): void {
    if (this.closed) return;
    try {
      this.onmessage?.(
        {
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: 'The HTTP client disconnected before the answer.' },
        },
        extra,
      );
    } catch {
      // The server is closing: its handlers are being aborted anyway.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exchanges = new Set(this.routes.values());
    this.routes.clear();
    for (const exchange of exchanges) exchange.closed();
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.reject(new Error('the session closed before the server answered'));
    const stream = this.stream;
    this.stream = undefined;
    // Not awaited: a client that stopped reading would hold the close until it read again.
    void stream?.end();
    this.onclose?.();
  }
}

/** The ids of the requests among `messages`, in order. */
export function requestIdsOf(messages: readonly JSONRPCMessage[]): RequestId[] {
  const ids: RequestId[] = [];
  for (const m of messages) if (isRequest(m)) ids.push((m as { id: RequestId }).id);
  return ids;
}
