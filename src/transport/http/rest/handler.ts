import type { ErrorCode, PlainError } from '../../../domain/errors.js';
import { actingBoard, invokeTool } from '../../../mcp/tools.js';
import { type BodyResult, type HeaderList, type HttpContext, sendJson } from '../adapter.js';
import type { HttpEnv } from '../env.js';
import { type Credential, sessionContextOf } from '../security.js';
import { mediaType } from '../streamable.js';
import { type ArgSpec, hasBody, matchPath, REST_PREFIX, type RestRoute } from './routes.js';
import { codeOfStatus, HTTP_STATUS, retryAfter } from './status.js';

/**
 * Serves one REST request: finds the row of the route table, assembles the operation's arguments from the path,
 * the query string or the JSON body, and runs the operation through `invokeTool` — the very path an MCP
 * `tools/call` takes (identity checks, validation, the board, metrics). Answers are the tool's structured result;
 * failures are `{error: {code, message}}` with the status of HTTP_STATUS.
 */

type JsonObject = Record<string, unknown>;

/** Sends `{error: {code, message}}`; the codes worth retrying after a pause carry `Retry-After` (`retryAfter`). */
export function sendRestError(
  ctx: HttpContext,
  status: number,
  error: PlainError,
  headers: HeaderList = [],
  opts: { close?: boolean } = {},
): void {
  const retry = retryAfter(error.code);
  const hasRetry = headers.some(([k]) => k.toLowerCase() === 'retry-after');
  sendJson(
    ctx,
    status,
    { error: { code: error.code, message: error.message } },
    retry && !hasRetry ? [...headers, ['Retry-After', retry]] : headers,
    opts,
  );
}

/** A refusal by the HTTP front before any operation ran (auth, Host/Origin, method, shutdown, unknown path). */
export function sendRestRefusal(
  ctx: HttpContext,
  status: number,
  message: string,
  headers: HeaderList,
): void {
  sendRestError(ctx, status, { code: codeOfStatus(status), message }, headers);
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: ErrorCode = 'INVALID_ARGUMENT',
  ) {
    super(message);
  }
}

function allowsType(schema: JsonObject, type: string): boolean {
  const t = schema.type;
  if (t === type || (Array.isArray(t) && t.includes(type))) return true;
  if (type === 'number' && (t === 'integer' || (Array.isArray(t) && t.includes('integer')))) return true;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.some((s) => allowsType(s as JsonObject, type))) return true;
  }
  return false;
}

/**
 * A query-string value as the JSON value the operation's schema expects: `true`/`false` for booleans, numbers for
 * numeric-only fields, arrays from repeated or comma-separated values. Anything else stays a string, so the
 * schema reports what is wrong with it in its own words.
 */
function queryValue(arg: ArgSpec, values: string[]): unknown {
  const { schema, name } = arg;
  if (allowsType(schema, 'array')) {
    const items = values.flatMap((v) => v.split(','));
    return items.length === 1 && allowsType(schema, 'string') ? items[0] : items;
  }
  if (values.length > 1)
    throw new BadRequest(400, `Query parameter ${name} was given more than once; give it once.`);
  const value = values[0]!;
  if (allowsType(schema, 'boolean')) {
    if (value === 'true' || value === '1' || value === '') return true;
    if (value === 'false' || value === '0') return false;
    return value;
  }
  if (allowsType(schema, 'number') && !allowsType(schema, 'string') && /^-?\d+(\.\d+)?$/.test(value)) {
    return Number(value);
  }
  return value;
}

function queryArgs(route: RestRoute, query: string): JsonObject {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(query)) {
    const list = grouped.get(key);
    if (list) list.push(value);
    else grouped.set(key, [value]);
  }
  const args: JsonObject = {};
  for (const [key, values] of grouped) {
    const arg = route.otherArgs.find((a) => a.name === key);
    // Unknown names go through as they are: the operation's schema names them in its error.
    args[key] = arg ? queryValue(arg, values) : values.length === 1 ? values[0] : values;
  }
  return args;
}

async function bodyArgs(
  ctx: HttpContext,
  env: HttpEnv,
  body: Promise<BodyResult> | undefined,
): Promise<JsonObject | undefined> {
  const read = body ? await body : ({ kind: 'ok', body: Buffer.alloc(0) } as const);
  if (read.kind === 'aborted') return undefined;
  if (read.kind === 'too-large') {
    throw new BadRequest(
      413,
      `Payload Too Large: the body must not exceed ${env.config.maxBodyBytes} bytes.`,
    );
  }
  if (ctx.query !== '') {
    throw new BadRequest(
      400,
      `${ctx.method} ${ctx.path} takes its arguments in the JSON body, not in the query string.`,
    );
  }
  const text = read.body.toString('utf8');
  if (text.trim() === '') return {};
  if (mediaType(ctx.header('content-type')) !== 'application/json') {
    throw new BadRequest(
      415,
      'Unsupported Media Type: send the body as JSON with Content-Type: application/json.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BadRequest(400, `The body is not valid JSON (${(err as Error).message}).`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequest(400, 'The body must be a JSON object of the operation’s arguments.');
  }
  return parsed as JsonObject;
}

/** Path parameters are arguments too; the body or query may repeat one only with the same value. */
function withPathArgs(args: JsonObject, route: RestRoute, params: Record<string, string>): JsonObject {
  for (const { name } of route.pathArgs) {
    const value = params[name]!;
    if (name in args && String(args[name]) !== value) {
      throw new BadRequest(
        400,
        `${name} is given by the path (${JSON.stringify(value)}) and differently in the request (${JSON.stringify(args[name])}); leave it out of the request.`,
      );
    }
    args[name] = value;
  }
  return args;
}

/** The `Idempotency-Key` header is the operation's `idempotency_key` argument, where it has one. */
function withIdempotencyKey(args: JsonObject, route: RestRoute, header: string | undefined): JsonObject {
  if (header === undefined) return args;
  if (!route.otherArgs.some((a) => a.name === 'idempotency_key')) {
    throw new BadRequest(
      400,
      `${route.def.name} takes no idempotency key; leave out the Idempotency-Key header.`,
    );
  }
  if (args.idempotency_key !== undefined && args.idempotency_key !== header) {
    throw new BadRequest(
      400,
      'The Idempotency-Key header and the idempotency_key argument differ; send the key once.',
    );
  }
  args.idempotency_key = header;
  return args;
}

/** With a token bound to an agent, the acting agent comes from the token: identity arguments default to it. */
function withIdentity(args: JsonObject, route: RestRoute, agent: string | undefined): JsonObject {
  if (agent === undefined) return args;
  for (const field of route.def.identity ?? []) if (args[field] === undefined) args[field] = agent;
  return args;
}

function expand(template: string, structured: JsonObject): string | undefined {
  const id = structured.id;
  return typeof id === 'number' ? `${REST_PREFIX}${template.replace('{id}', String(id))}` : undefined;
}

/** The REST route that serves `method` on `path`, and the methods the path accepts (for 405 and `Allow`). */
export function resolveRest(
  method: string,
  path: string,
): { methods: string[]; label: string; route?: RestRoute; params?: Record<string, string> } | undefined {
  const matches = matchPath(path);
  if (matches.length === 0) return undefined;
  const methods = [...new Set(matches.map((m) => m.route.method))];
  const hit = matches.find((m) => m.route.method === method);
  return hit
    ? { methods, label: hit.route.template, route: hit.route, params: hit.params }
    : { methods, label: matches[0]!.route.template };
}

export async function handleRest(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
  body: Promise<BodyResult> | undefined,
): Promise<void> {
  const found = resolveRest(ctx.method, ctx.path);
  const route = found?.route;
  if (!route) {
    // The front checked path and method before calling; this only happens if the table changed under it.
    sendRestRefusal(ctx, 404, `Not Found: ${ctx.path}`, []);
    return;
  }
  let args: JsonObject;
  try {
    const given = hasBody(route.method) ? await bodyArgs(ctx, env, body) : queryArgs(route, ctx.query);
    if (given === undefined) return; // the client went away while sending the body
    args = withIdentity(
      withIdempotencyKey(withPathArgs(given, route, found.params!), route, ctx.header('idempotency-key')),
      route,
      credential?.agent,
    );
  } catch (err) {
    if (!(err instanceof BadRequest)) throw err;
    sendRestError(ctx, err.status, { code: err.code, message: err.message }, [], {
      close: err.status === 413,
    });
    return;
  }
  const session = sessionContextOf(credential);
  const deps = { ...env.deps, board: actingBoard(env.deps.board, session) };
  // A client that goes away cancels its call, as an MCP client's `notifications/cancelled` would.
  const cancel = new AbortController();
  ctx.onAbort(() => cancel.abort());
  const outcome = await invokeTool(deps, route.def, args, session, {
    signal: cancel.signal,
    progress: undefined,
  });
  if (!outcome.ok) {
    sendRestError(ctx, HTTP_STATUS[outcome.error.code], outcome.error);
    return;
  }
  const structured = outcome.answer.structured;
  const location = route.location ? expand(route.location, structured) : undefined;
  sendJson(ctx, route.created ? 201 : 200, structured, location ? [['Location', location]] : []);
}
