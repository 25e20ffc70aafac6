import {
  type AuthInfo,
  createMcpHandler,
  InMemoryServerEventBus,
  type McpHttpHandler,
  type Server,
  type ServerEvent,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import { createMcpServer } from '../../mcp/server.js';
import { onResourceChanges } from '../../mcp/subscriptions.js';
import type { McpDeps, McpSessionContext } from '../../mcp/types.js';

/** Idle servers kept per caller binding; more are built under load and dropped when they return past it. */
const IDLE_SERVERS_PER_BINDING = 8;

/** What the SDK's handler passes back to our factory for one request (through `authInfo.extra`). */
interface Lease {
  context: McpSessionContext;
  server?: Server;
  returned?: boolean;
}

const LEASE = 'tinytask.lease';

/**
 * MCP 2026-07-28 over HTTP: the SDK's `createMcpHandler` in strict modern mode (`legacy: 'reject'`; 2025-11-25
 * traffic never reaches it, the sessionful transport serves that). The SDK does the 2026 request ladder: the
 * `_meta` envelope, `MCP-Protocol-Version`/`Mcp-Method`/`Mcp-Name` header validation with the spec's statuses,
 * `server/discover`, cache hints on cacheable results, per-request log level and `subscriptions/listen`.
 *
 * The SDK asks a factory for a server per request. Building one (registering every handler, the tool catalogue
 * lookup) per request would cost more than the call itself, so the factory lends a pooled server, built once per
 * caller binding (agent, role, toolsets), which the SDK connects to that request's transport and which comes back
 * to the pool when the exchange closes.
 *
 * Resource updates: while at least one `subscriptions/listen` stream is open, every board change is published on the
 * handler's bus as the URIs it touches (the same URIs 2025 subscriptions get, task://hierarchy ancestors and the
 * ready views included); the SDK's listen router sends each to the streams that asked for it.
 */
export class ModernHttp {
  readonly handler: McpHttpHandler;
  private readonly idle = new Map<string, Server[]>();
  private stopFeed: (() => void) | undefined;

  constructor(private readonly deps: McpDeps) {
    const inner = new InMemoryServerEventBus((err) =>
      deps.logger.warn({ err }, 'subscription listener failed'),
    );
    let listeners = 0;
    const bus: ServerEventBus = {
      publish: (event: ServerEvent) => inner.publish(event),
      subscribe: (listener) => {
        const unsubscribe = inner.subscribe(listener);
        if (listeners++ === 0) this.startFeed();
        let done = false;
        return () => {
          if (done) return;
          done = true;
          unsubscribe();
          if (--listeners === 0) this.stopFeedNow();
        };
      },
    };
    this.handler = createMcpHandler((ctx) => this.lend(ctx.authInfo), {
      legacy: 'reject',
      bus,
      maxRequestBodySize: deps.config.maxBodyBytes,
      onerror: (err) => deps.logger.debug({ err }, 'MCP 2026-07-28 request refused or failed'),
    });
  }

  /** Serves one 2026-07-28 request. `context` is the caller's binding; `authInfo` is passed to handlers as is. */
  async fetch(
    request: Request,
    parsedBody: unknown,
    context: McpSessionContext,
    auth?: AuthInfo,
  ): Promise<Response> {
    const lease: Lease = { context };
    const authInfo: AuthInfo = {
      token: auth?.token ?? '',
      clientId: auth?.clientId ?? 'anonymous',
      scopes: auth?.scopes ?? [],
      extra: { ...auth?.extra, [LEASE]: lease },
    };
    try {
      return await this.handler.fetch(request, { parsedBody, authInfo });
    } finally {
      // A server lent but never connected (a refused request, a subscriptions/listen the SDK serves itself) returns
      // now; a connected one returns when its exchange closes.
      if (lease.server?.transport === undefined) this.giveBack(lease);
    }
  }

  private lend(authInfo: AuthInfo | undefined): Server {
    const lease = (authInfo?.extra?.[LEASE] as Lease | undefined) ?? { context: {} };
    const server =
      this.idle.get(keyOf(lease.context))?.pop() ??
      createMcpServer(this.deps, lease.context, { reusable: true });
    server.onclose = () => this.giveBack(lease);
    lease.server = server;
    return server;
  }

  /** Returns a lent server to the pool, once per lease. */
  private giveBack(lease: Lease): void {
    const server = lease.server;
    if (!server || lease.returned) return;
    lease.returned = true;
    server.onclose = undefined;
    const key = keyOf(lease.context);
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    if (list.length < IDLE_SERVERS_PER_BINDING) list.push(server);
  }

  private startFeed(): void {
    this.stopFeed ??= onResourceChanges(this.deps.board, this.deps.logger, (uris) => {
      for (const uri of uris) this.handler.notify.resourceUpdated(uri);
    });
  }

  private stopFeedNow(): void {
    this.stopFeed?.();
    this.stopFeed = undefined;
  }

  async close(): Promise<void> {
    this.stopFeedNow();
    await this.handler.close();
    this.idle.clear();
  }
}

function keyOf(context: McpSessionContext): string {
  return JSON.stringify([
    context.agent ?? null,
    context.operator === true,
    context.tokenToolsets ?? null,
    context.connectionToolsets ?? null,
  ]);
}
