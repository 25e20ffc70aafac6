import { SERVER_INFO } from '../../mcp/server.js';
import type { McpDeps } from '../../mcp/types.js';
import {
  type BodyResult,
  captureRequest,
  type HeaderList,
  type HttpContext,
  readBody,
  send,
  sendJson,
  sendJsonRpcError,
} from './adapter.js';
import type { HttpEnv } from './env.js';
import { ModernHttp } from './modern.js';
import { HealthChecker, handleHealth, handleLiveness, handleReady } from './health.js';
import { openSseSession, postSseMessage } from './legacy-sse.js';
import { RuntimeMetrics } from './metrics.js';
import { handleRest, resolveRest, sendRestRefusal } from './rest/handler.js';
import { openApiDocument } from './rest/openapi.js';
import { REST_PREFIX } from './rest/routes.js';
import {
  CORS_ALLOW_HEADERS,
  type Credential,
  createRequestPolicy,
  loadTokenStore,
  type TokenStore,
} from './security.js';
import { SessionRegistry } from './sessions.js';
import { BOARD_SOCKET_PATH, startBoardSocket } from './board-socket.js';
import { BoardStatsFeed } from './board-stats.js';
import { loadBoardAssets, serveStatic } from './static.js';
import { handleMcp } from './streamable.js';
import { loadUws, type TemplatedApp, type us_listen_socket } from './uws.js';

export interface HttpServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Whether uWebSockets.js runs its native binary (false: the slow JS fallback). */
  native: boolean;
  /** `http://host:port` as bound. */
  url: string;
  /** Stops accepting, lets in-flight requests finish (bounded), closes sessions and connections. Idempotent. */
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

export interface HttpServerOptions {
  /** Token store to use; by default built from the config (`TINYTASK_AUTH_TOKEN`, `TINYTASK_AUTH_TOKENS_FILE`). */
  tokens?: TokenStore;
}

type Handler = (
  ctx: HttpContext,
  credential: Credential | undefined,
  body: Promise<BodyResult> | undefined,
) => Promise<void> | void;

interface Route {
  methods: string[];
  /** Requires a bearer token when auth is configured. */
  auth: boolean;
  /** Exempt from Host/Origin checks (health probes carry whatever Host the orchestrator uses). */
  probe: boolean;
  /** Long-lived streams are not waited for at shutdown; they are closed. */
  longLived?: (method: string) => boolean;
  /** Answers errors with a JSON-RPC body (MCP routes). */
  jsonRpc: boolean;
  /** Answers errors found before the handler its own way (the REST API's `{error: {code, message}}`). */
  refuse?: (ctx: HttpContext, status: number, message: string, headers: HeaderList) => void;
  handler: Handler;
}

/** The route serving a request and, when its path exists, the methods it accepts and its label for metrics. */
interface Resolved {
  route: Route;
  methods?: string[];
  label?: string;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Starts the HTTP front on uWebSockets.js: MCP Streamable HTTP at `/mcp`, the legacy SSE transport when enabled,
 * health, readiness and metrics endpoints, with Host/Origin validation, bearer auth, CORS and a body limit.
 */
export async function startHttpServer(deps: McpDeps, opts: HttpServerOptions = {}): Promise<HttpServer> {
  const { config, logger, board, metrics } = deps;
  const { uws, native } = await loadUws();
  const tokens = opts.tokens ?? loadTokenStore(config);
  const policy = createRequestPolicy(config);
  const sessions = new SessionRegistry({
    maxSessions: config.maxSessions,
    idleTimeoutMs: config.sessionIdleTimeoutMs,
    unusedTimeoutMs: config.unusedSessionTimeoutMs,
    hibernateAfterMs: config.sessionHibernateAfterMs,
    logger,
  });
  let shuttingDown = false;
  const modern = new ModernHttp(deps);
  const env: HttpEnv = { deps, config, logger, sessions, modern, shuttingDown: () => shuttingDown };
  const checker = new HealthChecker(board);
  const inflight = new Set<Promise<void>>();
  const runtime = new RuntimeMetrics(board, metrics, sessions, logger, () => inflight.size);
  const streams = new Set<Promise<void>>();

  const routes = new Map<string, Route>();
  routes.set('/mcp', {
    methods: config.stateless ? ['POST'] : ['GET', 'POST', 'DELETE'],
    auth: true,
    probe: false,
    jsonRpc: true,
    longLived: (m) => m === 'GET',
    handler: (ctx, credential, body) => handleMcp(ctx, env, credential, body),
  });
  if (config.enableSse) {
    routes.set('/sse', {
      methods: ['GET'],
      auth: true,
      probe: false,
      jsonRpc: true,
      longLived: () => true,
      handler: (ctx, credential) => openSseSession(ctx, env, credential),
    });
    routes.set('/messages', {
      methods: ['POST'],
      auth: true,
      probe: false,
      jsonRpc: true,
      handler: (ctx, credential, body) => postSseMessage(ctx, env, credential, body!),
    });
  }
  const head = (ctx: HttpContext) => ctx.method === 'HEAD';
  routes.set('/health', {
    methods: ['GET', 'HEAD'],
    auth: false,
    probe: true,
    jsonRpc: false,
    handler: (ctx) => handleHealth(ctx, checker, head(ctx)),
  });
  routes.set('/healthz', {
    methods: ['GET', 'HEAD'],
    auth: false,
    probe: true,
    jsonRpc: false,
    handler: (ctx) => handleLiveness(ctx, head(ctx)),
  });
  routes.set('/ready', {
    methods: ['GET', 'HEAD'],
    auth: false,
    probe: true,
    jsonRpc: false,
    handler: (ctx) => handleReady(ctx, checker, () => shuttingDown, head(ctx)),
  });
  routes.set('/metrics', {
    methods: ['GET'],
    auth: true,
    probe: false,
    jsonRpc: false,
    handler: (ctx) => runtime.prometheus(ctx),
  });
  routes.set('/api/metrics', {
    methods: ['GET'],
    auth: true,
    probe: false,
    jsonRpc: false,
    handler: (ctx) => runtime.json(ctx),
  });

  // The live board: the page and its files (no auth: the page asks for the token and sends it on every request).
  const assets = loadBoardAssets();
  if (assets.size === 0) logger.warn('live board files not found (dist/web): the board at / is not served');
  for (const [path, file] of assets) {
    routes.set(path, {
      methods: ['GET', 'HEAD'],
      auth: false,
      probe: false,
      jsonRpc: false,
      handler: (ctx) => serveStatic(ctx, file),
    });
  }
  routes.set(BOARD_SOCKET_PATH, {
    methods: ['GET'],
    auth: false,
    probe: false,
    jsonRpc: false,
    handler: (ctx) =>
      sendJson(ctx, 426, { error: `Upgrade Required: ${BOARD_SOCKET_PATH} is a WebSocket` }, [
        ['Upgrade', 'websocket'],
      ]),
  });

  // The REST API: every path under REST_PREFIX, routed by its own table (rest/routes.ts).
  const restRoute: Route = {
    methods: [],
    auth: true,
    probe: false,
    jsonRpc: false,
    refuse: sendRestRefusal,
    handler: (ctx, credential, body) => handleRest(ctx, env, credential, body),
  };
  const openApi: Route = {
    methods: ['GET'],
    auth: true,
    probe: false,
    jsonRpc: false,
    refuse: sendRestRefusal,
    handler: (ctx) => sendJson(ctx, 200, openApiDocument(SERVER_INFO.version)),
  };
  const isRestPath = (path: string) => path === REST_PREFIX || path.startsWith(`${REST_PREFIX}/`);

  /** The route of a path; a REST path no row matches still gets the REST route (its 404 is a REST error). */
  function resolve(ctx: HttpContext): Resolved | undefined {
    const exact = routes.get(ctx.path);
    if (exact) return { route: exact, methods: exact.methods, label: ctx.path };
    if (ctx.path === `${REST_PREFIX}/openapi.json`) {
      return { route: openApi, methods: openApi.methods, label: ctx.path };
    }
    if (!isRestPath(ctx.path)) return undefined;
    const rest = resolveRest(ctx.method, ctx.path);
    return rest ? { route: restRoute, methods: rest.methods, label: rest.label } : { route: restRoute };
  }

  function fail(
    ctx: HttpContext,
    route: Route | undefined,
    status: number,
    message: string,
    headers: HeaderList = [],
  ): void {
    if (route?.refuse) route.refuse(ctx, status, message, headers);
    else if (route?.jsonRpc) sendJsonRpcError(ctx, status, -32000, message, headers);
    else sendJson(ctx, status, { error: message }, headers);
  }

  function onError(ctx: HttpContext, err: unknown): void {
    logger.error({ err, method: ctx.method, path: ctx.path }, 'HTTP request failed');
    if (ctx.aborted || ctx.finished) return;
    if (!ctx.started) {
      const route = resolve(ctx)?.route;
      if (route?.jsonRpc) sendJsonRpcError(ctx, 500, -32603, 'Internal error');
      else fail(ctx, route, 500, 'Internal error');
    } else {
      ctx.finished = true;
      ctx.res.close();
    }
  }

  /** Synchronous part of every request: copy, check, start reading the body, hand over to the route. */
  function dispatch(ctx: HttpContext): void {
    const resolved = resolve(ctx);
    ctx.route = resolved?.label ?? 'other';
    ctx.onStatus = (status) => metrics.httpRequests.inc({ route: ctx.route, status: String(status) });

    if (!resolved?.route.probe) {
      const host = ctx.header('host');
      if (!policy.hostAllowed(host)) {
        fail(
          ctx,
          resolved?.route,
          403,
          `Forbidden: Host ${JSON.stringify(host ?? '')} is not allowed (TINYTASK_ALLOWED_HOSTS)`,
        );
        return;
      }
      const origin = ctx.header('origin');
      if (!policy.originAllowed(origin)) {
        fail(
          ctx,
          resolved?.route,
          403,
          `Forbidden: Origin ${JSON.stringify(origin)} is not allowed (TINYTASK_ALLOWED_ORIGINS)`,
        );
        return;
      }
      ctx.extraHeaders = policy.corsHeaders(origin);
    }
    if (!resolved?.methods) {
      fail(ctx, resolved?.route, 404, `Not Found: ${ctx.path}`);
      return;
    }
    const { route, methods } = resolved;
    const allow = [...methods, 'OPTIONS'].join(', ');
    if (ctx.method === 'OPTIONS') {
      const headers: HeaderList = [['Allow', allow]];
      if (ctx.extraHeaders.length > 0) {
        headers.push(
          ['Access-Control-Allow-Methods', allow],
          ['Access-Control-Allow-Headers', CORS_ALLOW_HEADERS],
          ['Access-Control-Max-Age', '600'],
        );
      }
      send(ctx, 204, headers);
      return;
    }
    if (!methods.includes(ctx.method)) {
      fail(ctx, route, 405, `Method Not Allowed: ${ctx.path} accepts ${methods.join(', ')}`, [
        ['Allow', allow],
      ]);
      return;
    }
    let credential: Credential | undefined;
    if (route.auth && tokens.enabled) {
      credential = tokens.authenticate(ctx.header('authorization'));
      if (!credential) {
        fail(ctx, route, 401, 'Unauthorized: send Authorization: Bearer <token>', [
          ['WWW-Authenticate', 'Bearer realm="tinytask-mcp"'],
        ]);
        return;
      }
    }
    if (shuttingDown && route.auth) {
      fail(ctx, route, 503, 'Service Unavailable: the server is shutting down', [['Retry-After', '5']]);
      return;
    }
    const body =
      ctx.method === 'POST' || ctx.method === 'PUT' || ctx.method === 'PATCH'
        ? readBody(ctx, config.maxBodyBytes)
        : undefined;
    const work = (async () => route.handler(ctx, credential, body))().catch((err: unknown) =>
      onError(ctx, err),
    );
    const bucket = route.longLived?.(ctx.method) ? streams : inflight;
    bucket.add(work);
    void work.finally(() => bucket.delete(work));
  }

  const app: TemplatedApp = uws.App();
  const boardSocket =
    typeof app.ws === 'function'
      ? startBoardSocket({
          app,
          board,
          policy,
          tokens,
          logger,
          stats: new BoardStatsFeed(board, metrics, () => runtime.boardStats()),
          server: { name: SERVER_INFO.name, version: SERVER_INFO.version },
          shuttingDown: () => shuttingDown,
        })
      : undefined;
  if (!boardSocket)
    logger.warn('this uWebSockets.js build has no WebSocket server: the board will not update live');
  app.any('/*', (res, req) => {
    let ctx: HttpContext | undefined;
    try {
      ctx = captureRequest(res, req);
      dispatch(ctx);
    } catch (err) {
      if (ctx) onError(ctx, err);
      else {
        logger.error({ err }, 'HTTP request could not be read');
        try {
          res.close();
        } catch {
          // Nothing more can be done for this connection.
        }
      }
    }
  });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(config.host, config.port, (socket) => {
      if (socket) resolve(socket);
      else
        reject(new Error(`Cannot listen on ${config.host}:${config.port} (address in use or not available)`));
    });
  });
  const port = uws.us_socket_local_port(listenSocket);
  const hostForUrl =
    config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  if (!native) {
    logger.warn(
      'uWebSockets.js is running its slow JavaScript fallback, not the native binary: expect a fraction of the normal throughput',
    );
  }

  let closing: Promise<void> | undefined;
  async function close(closeOpts: { timeoutMs?: number } = {}): Promise<void> {
    closing ??= (async () => {
      const timeoutMs = closeOpts.timeoutMs ?? config.shutdownTimeoutMs;
      shuttingDown = true;
      uws.us_listen_socket_close(listenSocket);
      if (inflight.size > 0) {
        logger.info({ inflight: inflight.size, timeoutMs }, 'waiting for in-flight requests');
        const finished = await Promise.race([
          Promise.allSettled([...inflight]).then(() => true),
          delay(timeoutMs).then(() => false),
        ]);
        if (!finished)
          logger.warn(
            { inflight: inflight.size },
            'shutdown timeout: closing sessions with requests in flight',
          );
      }
      boardSocket?.close();
      await sessions.closeAll('shutdown');
      await modern.close();
      await Promise.race([Promise.allSettled([...streams, ...inflight]), delay(1000)]);
      runtime.close();
      // This may run in a microtask inside a uWS callback, before uWS flushes that callback's corked writes:
      // leave the callback first, then force-close what is left (idle keep-alive connections).
      await new Promise((resolve) => setImmediate(resolve));
      const closeAll = (app as unknown as { close?: () => void }).close;
      if (typeof closeAll === 'function') closeAll.call(app); // the JS fallback has no close()
    })();
    return closing;
  }

  return { port, native, url, close };
}
