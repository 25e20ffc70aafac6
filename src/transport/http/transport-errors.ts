import { type HeaderList, type HttpContext, sendJsonRpcError, sendPayloadTooLarge } from './adapter.js';

/**
 * The MCP transport's error catalogue: every refusal `/mcp`, `/sse` and `/messages` answer themselves, with its
 * HTTP status, JSON-RPC error code and message, in one table (the domain errors have theirs in src/errors.ts).
 * Bodies are JSON-RPC errors with `id: null`, which is what MCP clients expect on transport-level failures.
 * A message that names a value is a function of that value.
 */
export interface TransportError {
  readonly status: number;
  readonly code: number;
  readonly message: string | ((detail: string) => string);
  /** Headers every answer of this kind carries. */
  readonly headers?: HeaderList;
}

/** Requests in one JSON-RPC batch, at most (the SDK's Streamable HTTP transport refuses more, and so do we). */
export const MAX_BATCH_SIZE = 100;

const RETRY_LATER: HeaderList = [['Retry-After', '5']];

export const TRANSPORT_ERRORS = {
  /** Body over TINYTASK_MAX_BODY_BYTES (detail: the limit); the connection is closed after the answer. */
  payloadTooLarge: {
    status: 413,
    code: -32000,
    message: (limit) => `Payload Too Large: the body must not exceed ${limit} bytes`,
  },
  /** POST whose Accept admits neither JSON nor SSE. */
  notAcceptable: {
    status: 406,
    code: -32000,
    message: 'Not Acceptable: the client must accept application/json or text/event-stream',
  },
  /** GET stream whose Accept does not admit SSE. */
  notAcceptableStream: {
    status: 406,
    code: -32000,
    message: 'Not Acceptable: the client must accept text/event-stream',
  },
  unsupportedMediaType: {
    status: 415,
    code: -32000,
    message: 'Unsupported Media Type: Content-Type must be application/json',
  },
  /** Not JSON, or not UTF-8 (detail: which). */
  parseError: { status: 400, code: -32700, message: (why) => why },
  /** JSON that is not a JSON-RPC message (or batch of them), in a session (the SDK transport's wording). */
  invalidMessage: { status: 400, code: -32700, message: 'Parse error: Invalid JSON-RPC message' },
  /** JSON that is not a JSON-RPC message, outside a session. */
  notJsonRpc: { status: 400, code: -32600, message: 'Invalid Request: the body is not a JSON-RPC message' },
  batchTooLarge: {
    status: 400,
    code: -32600,
    message: `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`,
  },
  sessionRequired: { status: 400, code: -32000, message: 'Bad Request: Mcp-Session-Id header is required' },
  sessionNotFound: {
    status: 404,
    code: -32001,
    message: 'Session not found: it expired or was closed; send initialize to start a new one',
  },
  alreadyInitialized: { status: 400, code: -32600, message: 'Invalid Request: Server already initialized' },
  oneInitialize: {
    status: 400,
    code: -32600,
    message: 'Invalid Request: Only one initialization request is allowed',
  },
  /** Detail: the version and the supported ones. */
  unsupportedProtocolVersion: {
    status: 400,
    code: -32000,
    message: (detail) => `Bad Request: Unsupported protocol version: ${detail}`,
  },
  streamConflict: {
    status: 409,
    code: -32000,
    message: 'Conflict: Only one SSE stream is allowed per session',
  },
  /** Detail: the id, as JSON. Answers are routed by request id, so an id in flight cannot be reused. */
  duplicateRequestId: {
    status: 409,
    code: -32600,
    message: (id) =>
      `Invalid Request: request id ${id} is already in use by a request in flight in this session`,
  },
  wrongCredential: {
    status: 403,
    code: -32000,
    message: 'Forbidden: this session was created with another credential',
  },
  sessionClosedBeforeAnswer: {
    status: 503,
    code: -32000,
    message: 'The session closed before the request was answered',
  },
  shuttingDown: {
    status: 503,
    code: -32000,
    message: 'Service Unavailable: the server is shutting down',
    headers: RETRY_LATER,
  },
  /** Detail: the limit. */
  tooManySessions: {
    status: 503,
    code: -32000,
    message: (limit) => `Service Unavailable: too many open sessions (limit ${limit}); retry later`,
    headers: RETRY_LATER,
  },
  /** Detail: what is wrong with the toolsets asked for. */
  invalidToolsets: { status: 400, code: -32602, message: (why) => why },
  /** Legacy SSE: `POST /messages` without `?sessionId=`. */
  sseSessionIdRequired: {
    status: 400,
    code: -32000,
    message: 'Bad Request: the sessionId query parameter is required',
  },
  sseSessionNotFound: {
    status: 404,
    code: -32001,
    message: 'Session not found: open a new stream with GET /sse',
  },
} as const satisfies Record<string, TransportError>;

export type TransportErrorName = keyof typeof TRANSPORT_ERRORS;

/** Names of the entries whose message takes a detail. */
type WithDetail = {
  [K in TransportErrorName]: (typeof TRANSPORT_ERRORS)[K]['message'] extends string ? never : K;
}[TransportErrorName];

/** Answers `ctx` with the catalogue's entry `name` (a no-op when the client is gone or an answer started). */
export function refuse(ctx: HttpContext, name: Exclude<TransportErrorName, WithDetail>): void;
export function refuse(ctx: HttpContext, name: WithDetail, detail: string, close?: boolean): void;
export function refuse(ctx: HttpContext, name: TransportErrorName, detail = '', close = false): void {
  const entry: TransportError = TRANSPORT_ERRORS[name];
  const message = typeof entry.message === 'string' ? entry.message : entry.message(detail);
  sendJsonRpcError(ctx, entry.status, entry.code, message, entry.headers ?? [], close ? { close } : {});
}

/** Answers 413 for a body over `limit` bytes (see `sendPayloadTooLarge`: the rest of the body is discarded). */
export function refuseTooLarge(ctx: HttpContext, limit: number): void {
  sendPayloadTooLarge(ctx, () => refuse(ctx, 'payloadTooLarge', String(limit)));
}
