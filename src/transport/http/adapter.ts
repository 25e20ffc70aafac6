import { STATUS_CODES } from 'node:http';
import type { HttpRequest, HttpResponse } from './uws.js';

/**
 * The bridge between uWebSockets.js callbacks and the rest of the server. It follows the uWS object-lifetime rules
 * (docs/architecture.md):
 *
 *  - `HttpRequest` lives only during the synchronous route callback: `captureRequest` copies method, path, query
 *    and headers out of it before anything else runs.
 *  - `HttpResponse` is invalid once aborted: `onAborted` is registered in `captureRequest`, before the first await,
 *    and every later write checks `ctx.aborted` first.
 *  - Writes outside the route callback are wrapped in `res.cork` so status, headers and body leave in one syscall.
 *  - Streams respect backpressure: when `write` reports a full buffer the producer waits for `onWritable`.
 *  - Nothing here throws into uWS: callers run their async work under a catch that answers 500 (see server.ts).
 */

export type HeaderList = Array<[string, string]>;

export interface HttpContext {
  readonly res: HttpResponse;
  /** Upper-case method. */
  readonly method: string;
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query: string;
  /** Request headers, names lower-case, in arrival order (repeated names kept). */
  readonly headers: HeaderList;
  /** Route label for metrics (a known path or `other`). */
  route: string;
  aborted: boolean;
  /** Status line and headers have been written. */
  started: boolean;
  /** The response is complete (ended) or the client went away. */
  finished: boolean;
  /** Set while the body of a request refused as too large is being read and thrown away. */
  discard?: { bytes: number; ended: boolean };
  /** Headers added to every response of this request (CORS). */
  extraHeaders: HeaderList;
  /** Called once with the status when the response starts, for metrics. */
  onStatus?: (status: number) => void;
  header(name: string): string | undefined;
  /** Registers a callback for client abort (runs at most once). */
  onAbort(fn: () => void): void;
}

/**
 * Headers read one by one when `HttpRequest.forEach` is unavailable (uWS's JavaScript fallback does not implement
 * it): every header the server looks at.
 */
const KNOWN_HEADERS = [
  'host',
  'origin',
  'accept',
  'content-type',
  'content-length',
  'transfer-encoding',
  'authorization',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
  'idempotency-key',
  'access-control-request-method',
  'access-control-request-headers',
  'user-agent',
  'if-none-match',
];

/** Copies everything needed from the stack-allocated `HttpRequest` and arms the abort handler. Synchronous. */
export function captureRequest(res: HttpResponse, req: HttpRequest): HttpContext {
  const headers: HeaderList = [];
  try {
    req.forEach((key, value) => {
      headers.push([key, value]);
    });
  } catch {
    for (const name of KNOWN_HEADERS) {
      const value = req.getHeader(name);
      if (value) headers.push([name, String(value)]);
    }
  }
  // The native module returns the path without the query; the fallback returns both and cannot parse the query.
  let path = req.getUrl();
  let query = '';
  const mark = path.indexOf('?');
  if (mark !== -1) {
    query = path.slice(mark + 1);
    path = path.slice(0, mark);
  } else {
    try {
      query = req.getQuery() ?? '';
    } catch {
      query = '';
    }
  }
  const abortListeners: Array<() => void> = [];
  const ctx: HttpContext = {
    res,
    method: req.getMethod().toUpperCase(),
    path,
    query,
    headers,
    route: 'other',
    aborted: false,
    started: false,
    finished: false,
    extraHeaders: [],
    header(name: string) {
      for (const [k, v] of headers) if (k === name) return v;
      return undefined;
    },
    onAbort(fn: () => void) {
      if (ctx.aborted) fn();
      else abortListeners.push(fn);
    },
  };
  res.onAborted(() => {
    ctx.aborted = true;
    ctx.finished = true;
    for (const fn of abortListeners.splice(0)) {
      try {
        fn();
      } catch {
        // An abort listener must not break the others; they only release resources.
      }
    }
  });
  return ctx;
}

export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

/** Headers uWS computes itself or that do not apply to a uWS response. */
const SKIPPED_RESPONSE_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'date',
]);

function writeHead(ctx: HttpContext, status: number, headers: HeaderList): void {
  ctx.res.writeStatus(statusLine(status));
  for (const [k, v] of headers) if (!SKIPPED_RESPONSE_HEADERS.has(k.toLowerCase())) ctx.res.writeHeader(k, v);
  for (const [k, v] of ctx.extraHeaders) ctx.res.writeHeader(k, v);
  ctx.started = true;
  ctx.onStatus?.(status);
}

export interface SendOptions {
  /** Close the connection after this response (e.g. a 413 sent before the body was read). */
  close?: boolean;
  /** HEAD: headers only. */
  headOnly?: boolean;
}

/** Sends a complete response. A no-op when the client is gone or a response was already sent. */
export function send(
  ctx: HttpContext,
  status: number,
  headers: HeaderList,
  body?: string | Uint8Array,
  opts: SendOptions = {},
): void {
  if (ctx.aborted || ctx.finished || ctx.started) return;
  // A HEAD response never has a body, whatever its status (errors included): uWS would send it, and a keep-alive
  // client would read it as the start of the next response.
  const headOnly = opts.headOnly || ctx.method === 'HEAD';
  ctx.res.cork(() => {
    writeHead(ctx, status, headers);
    if (headOnly) {
      // The length goes in as a header: `endWithoutBody(length)` makes uWS wait for that many body bytes, so the
      // response never completes and the keep-alive connection dies on the next request.
      ctx.res.writeHeader('Content-Length', String(body === undefined ? 0 : Buffer.byteLength(body)));
      try {
        ctx.res.endWithoutBody();
      } catch {
        ctx.res.end('', opts.close ?? false); // the JS fallback lacks endWithoutBody; Node drops HEAD bodies
      }
    } else ctx.res.end(body ?? '', opts.close ?? false);
  });
  ctx.finished = true;
}

export function sendJson(
  ctx: HttpContext,
  status: number,
  value: unknown,
  headers: HeaderList = [],
  opts: SendOptions = {},
): void {
  send(ctx, status, [['Content-Type', 'application/json'], ...headers], JSON.stringify(value), opts);
}

/** A JSON-RPC error body (`id: null`), as MCP clients expect on transport-level failures. */
export function sendJsonRpcError(
  ctx: HttpContext,
  status: number,
  code: number,
  message: string,
  headers: HeaderList = [],
  opts: SendOptions = {},
): void {
  sendJson(ctx, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers, opts);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export type JsonBody = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Parses a JSON request body. Bytes that are not UTF-8 are refused (JSON-RPC -32700) rather than decoded to U+FFFD:
 * text must never be altered on its way to the board.
 */
export function parseJsonBody(body: Uint8Array): JsonBody {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    return { ok: false, message: 'Parse error: the body is not valid UTF-8; encode the JSON as UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: 'Parse error: Invalid JSON' };
  }
}

export type BodyResult = { kind: 'ok'; body: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Bytes of an oversized body read and thrown away after its 413, at most. A client that is still sending when the
 * server closes the connection gets a reset, and a reset makes it lose the 413 it has not read yet: the rest of
 * the body is read and discarded so the client can read its answer, up to this bound (beyond it the connection
 * is closed: that much data is not worth reading).
 */
export const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Reads the request body into one buffer, at most `limit` bytes. Must be called synchronously from the route
 * callback (uWS delivers body chunks only to a handler attached before the callback returns). Chunks are copied:
 * uWS neuters them when the data callback returns. A body over the limit (declared or counted) resolves
 * `too-large` at once; its remaining bytes are discarded (see DISCARD_LIMIT_BYTES and `sendPayloadTooLarge`).
 */
export function readBody(ctx: HttpContext, limit: number): Promise<BodyResult> {
  const declared = Number(ctx.header('content-length'));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let discarding = false;
    const tooLarge = () => {
      done = true;
      discarding = true;
      ctx.discard = { bytes: 0, ended: false };
      resolve({ kind: 'too-large' });
    };
    ctx.onAbort(() => {
      if (done) return;
      done = true;
      resolve({ kind: 'aborted' });
    });
    ctx.res.onData((chunk, isLast) => {
      if (discarding) {
        const discard = ctx.discard!;
        discard.bytes += chunk.byteLength;
        if (isLast) discard.ended = true;
        if (ctx.finished && !ctx.aborted && (isLast || discard.bytes > DISCARD_LIMIT_BYTES)) {
          discarding = false;
          finishDiscard(ctx);
        }
        return;
      }
      if (done) return;
      size += chunk.byteLength;
      if (size > limit) {
        tooLarge();
        return;
      }
      if (chunk.byteLength > 0) chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) {
        done = true;
        resolve({ kind: 'ok', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
      }
    });
    if (Number.isFinite(declared) && declared > limit) tooLarge();
  });
}

/** Ends a connection whose oversized body was being discarded: the answer is out, the body read or too big. */
function finishDiscard(ctx: HttpContext): void {
  if (ctx.discard?.ended) return; // the whole body was read: the connection stays usable (keep-alive)
  try {
    ctx.res.close();
  } catch {
    // Already gone.
  }
}

/**
 * Answers 413 to a request whose body is over the limit, in a way the client can read: `answer` sends the refusal
 * at once, the rest of the body is read and discarded (up to DISCARD_LIMIT_BYTES), and only then, if the body was
 * not complete, is the connection closed.
 */
export function sendPayloadTooLarge(ctx: HttpContext, answer: () => void): void {
  answer();
  if (ctx.discard && (ctx.discard.ended || ctx.discard.bytes > DISCARD_LIMIT_BYTES)) finishDiscard(ctx);
}

/**
 * A chunked response written piece by piece (SSE). The status line, the headers and an SSE comment go out at once so
 * the client sees the stream open before the first event. `write` resolves when uWS has room for more: a producer
 * that awaits it never grows the socket buffer past one chunk.
 */
export class ResponseStream {
  private drained: (() => void) | undefined;
  private readonly closeListeners: Array<() => void> = [];
  private noDrainEvents = false;
  closed = false;

  constructor(
    private readonly ctx: HttpContext,
    status: number,
    headers: HeaderList,
  ) {
    if (ctx.aborted || ctx.started) {
      this.closed = true;
      return;
    }
    ctx.res.cork(() => {
      writeHead(ctx, status, headers);
      ctx.res.write(': stream open\n\n');
    });
    try {
      ctx.res.onWritable(() => {
        const resume = this.drained;
        this.drained = undefined;
        resume?.();
        return true;
      });
    } catch {
      // The JS fallback has no onWritable; its writes go to a Node stream that buffers on its own.
      this.noDrainEvents = true;
    }
    ctx.onAbort(() => this.markClosed());
  }

  /** Writes one chunk; resolves `false` when the stream is closed (client gone or ended). */
  async write(chunk: string | Uint8Array): Promise<boolean> {
    if (this.closed) return false;
    let ok = true;
    this.ctx.res.cork(() => {
      ok = this.ctx.res.write(chunk);
    });
    if (!ok && !this.closed && !this.noDrainEvents) {
      await new Promise<void>((resolve) => (this.drained = resolve));
    }
    return !this.closed;
  }

  /** Drops the connection at once (a client too slow to keep up); what uWS still buffers for it is discarded. */
  abort(): void {
    if (this.closed) return;
    this.ctx.finished = true;
    this.markClosed();
    if (!this.ctx.aborted) this.ctx.res.close();
  }

  end(): void {
    if (this.closed) return;
    this.ctx.res.cork(() => this.ctx.res.end());
    this.ctx.finished = true;
    this.markClosed();
  }

  /** Runs when the stream ends for any reason (end, client abort). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  private markClosed(): void {
    this.closed = true;
    const resume = this.drained;
    this.drained = undefined;
    resume?.();
    for (const fn of this.closeListeners.splice(0)) fn();
  }
}

/** Response headers of a web `Response` as a list. */
export function responseHeaders(response: Response): HeaderList {
  const out: HeaderList = [];
  response.headers.forEach((value, key) => out.push([key, value]));
  return out;
}

/**
 * Bytes read from a stream's producer and not yet taken by the client, past which the client is dropped. The SDK
 * enqueues into its `ReadableStream` without regard to backpressure, so a client that stops reading an open GET
 * stream would otherwise make every notification for it accumulate in memory for as long as the connection lives.
 */
export const MAX_STREAM_BACKLOG_BYTES = 4 * 1024 * 1024;

/**
 * Pipes a web `ReadableStream` into a `ResponseStream`. Chunks are read as the producer makes them and written one
 * after the other, each waiting for uWS to drain the previous one. When more than `maxBacklog` bytes are already
 * waiting as the next chunk arrives, the connection is dropped instead; a chunk of any size is taken while the
 * backlog is under the limit, so one large message (a big tool result) is never refused.
 */
export async function pipeToStream(
  body: ReadableStream<Uint8Array>,
  stream: ResponseStream,
  maxBacklog = MAX_STREAM_BACKLOG_BYTES,
): Promise<void> {
  const reader = body.getReader();
  stream.onClose(() => {
    reader.cancel().catch(() => undefined);
  });
  let backlog = 0;
  let writing = Promise.resolve(true);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || stream.closed) break;
      if (backlog > maxBacklog) {
        stream.abort();
        break;
      }
      backlog += value.byteLength;
      writing = writing.then(async (open) => {
        const ok = open && (await stream.write(value));
        backlog -= value.byteLength;
        return ok;
      });
    }
    await writing;
  } catch {
    // The producer failed or was cancelled: the stream ends below either way.
  } finally {
    stream.end();
  }
}

/** Sends a web `Response`: SSE bodies stream, anything else is buffered and sent in one write. */
export async function sendWebResponse(ctx: HttpContext, response: Response): Promise<void> {
  if (ctx.aborted || ctx.finished) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const headers = responseHeaders(response);
  const contentType = response.headers.get('content-type') ?? '';
  if (response.body && contentType.startsWith('text/event-stream')) {
    await pipeToStream(response.body, new ResponseStream(ctx, response.status, headers));
    return;
  }
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
  send(ctx, response.status, headers, body);
}
