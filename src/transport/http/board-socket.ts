import type { Board } from '../../core/types.js';
import type { ChangeSet } from '../../domain/types.js';
import type { Logger } from '../../logger.js';
import type { BoardStatsFeed } from './board-stats.js';
import { statusLine } from './adapter.js';
import type { RequestPolicy, TokenStore, Credential } from './security.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';

/**
 * The live board's WebSocket (`/board/ws`): pushes the writer's change events and a throughput/latency summary to
 * every open board page. Nothing is read from the database here: a `change` message names what changed (task ids,
 * agents, queues) and the page fetches those through the REST API with its own token, so what a page sees is
 * exactly what the API lets that token see.
 *
 * Browsers cannot set `Authorization` on a WebSocket, so the bearer token travels as a subprotocol
 * (`tinytask.bearer.<base64url(token)>`, next to `tinytask.board.v1`); non-browser clients may send the header.
 * The upgrade is refused with the same Host, Origin and token checks as every HTTP route: 403 for a foreign
 * Host or Origin, 401 without a valid token.
 */

export const BOARD_SOCKET_PATH = '/board/ws';
export const BOARD_PROTOCOL = 'tinytask.board.v1';
export const BEARER_PROTOCOL_PREFIX = 'tinytask.bearer.';
/** The topic every board socket subscribes to. */
const TOPIC = 'board';
/** Change events are gathered for this long, then sent as one message (a burst of writes is one message). */
export const CHANGE_FLUSH_MS = 50;
/** How often the throughput/latency summary is pushed while a page is open. */
export const STATS_INTERVAL_MS = 5_000;
/** A page that stops reading is dropped once this much waits for it; it reconnects and reloads. */
const MAX_BACKPRESSURE_BYTES = 1024 * 1024;
/** Most task ids one change message lists; beyond this it says `reload` and the page reloads its view. */
export const MAX_IDS_PER_MESSAGE = 200;

/** Messages the server sends; the page's `board.js` reads them. */
export type BoardSocketMessage =
  | {
      type: 'hello';
      agent: string | null;
      role: string | null;
      operator: boolean;
      history: boolean;
      server: { name: string; version: string };
    }
  | { type: 'change'; tasks: number[]; agents: string[]; queues: string[]; reload: boolean }
  | { type: 'stats'; stats: unknown };

interface SocketData {
  credential: Credential | undefined;
}

export interface BoardSocketOptions {
  app: TemplatedApp;
  board: Board;
  policy: RequestPolicy;
  tokens: TokenStore;
  logger: Logger;
  stats: BoardStatsFeed;
  server: { name: string; version: string };
  /** True once the server began shutting down: new upgrades are refused with 503. */
  shuttingDown(): boolean;
}

export interface BoardSocket {
  /** Open board sockets. */
  readonly open: number;
  /** Closes every board socket (1001, going away) and stops listening to the board. */
  close(): void;
}

/** Reads the bearer token from the subprotocol list or the `Authorization` header. */
export function bearerFromUpgrade(
  protocols: string | undefined,
  authorization: string | undefined,
): string | undefined {
  for (const p of (protocols ?? '').split(',')) {
    const name = p.trim();
    if (name.startsWith(BEARER_PROTOCOL_PREFIX)) {
      const token = Buffer.from(name.slice(BEARER_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
      return token.length > 0 ? `Bearer ${token}` : undefined;
    }
  }
  return authorization;
}

function refuse(
  res: HttpResponse,
  status: number,
  message: string,
  headers: Array<[string, string]> = [],
): void {
  res.cork(() => {
    res.writeStatus(statusLine(status));
    for (const [k, v] of headers) res.writeHeader(k, v);
    res.writeHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ error: message }), true);
  });
}

export function startBoardSocket(opts: BoardSocketOptions): BoardSocket {
  const { app, board, policy, tokens, logger, stats } = opts;
  const log = logger.child({ component: 'board-socket' });
  const sockets = new Set<{ end(code?: number, message?: string): void }>();
  const pending = { tasks: new Set<number>(), agents: new Set<string>(), queues: new Set<string>() };
  let flushTimer: NodeJS.Timeout | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const publish = (message: BoardSocketMessage): void => {
    app.publish(TOPIC, JSON.stringify(message), false, false);
  };

  function flush(): void {
    flushTimer = undefined;
    if (sockets.size === 0) return;
    const tasks = [...pending.tasks];
    const reload = tasks.length > MAX_IDS_PER_MESSAGE;
    publish({
      type: 'change',
      tasks: reload ? [] : tasks,
      agents: [...pending.agents],
      queues: [...pending.queues],
      reload,
    });
    pending.tasks.clear();
    pending.agents.clear();
    pending.queues.clear();
  }

  const onChange = (changes: ChangeSet): void => {
    if (sockets.size === 0) return;
    for (const id of changes.tasks) pending.tasks.add(id);
    for (const a of changes.agents) pending.agents.add(a);
    for (const q of changes.queues) pending.queues.add(q);
    flushTimer ??= setTimeout(flush, CHANGE_FLUSH_MS);
  };
  board.on('change', onChange);

  const pushStats = (): void => {
    void stats
      .summary()
      .then((summary) => {
        if (!closed && sockets.size > 0) publish({ type: 'stats', stats: summary });
      })
      .catch((err: unknown) => log.warn({ err }, 'board statistics could not be pushed'));
  };

  function upgrade(res: HttpResponse, req: HttpRequest, context: unknown): void {
    // HttpRequest is only valid now: copy what is needed before anything else.
    const host = req.getHeader('host');
    const origin = req.getHeader('origin');
    const key = req.getHeader('sec-websocket-key');
    const protocols = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const authorization = req.getHeader('authorization');
    if (!policy.hostAllowed(host || undefined)) {
      refuse(res, 403, `Forbidden: Host ${JSON.stringify(host)} is not allowed (TINYTASK_ALLOWED_HOSTS)`);
      return;
    }
    if (!policy.originAllowed(origin || undefined)) {
      refuse(
        res,
        403,
        `Forbidden: Origin ${JSON.stringify(origin)} is not allowed (TINYTASK_ALLOWED_ORIGINS)`,
      );
      return;
    }
    let credential: Credential | undefined;
    if (tokens.enabled) {
      credential = tokens.authenticate(bearerFromUpgrade(protocols, authorization || undefined));
      if (!credential) {
        refuse(
          res,
          401,
          'Unauthorized: send the bearer token as the tinytask.bearer.<base64url> subprotocol',
          [['WWW-Authenticate', 'Bearer realm="tinytask-mcp"']],
        );
        return;
      }
    }
    if (closed || opts.shuttingDown()) {
      refuse(res, 503, 'Service Unavailable: the server is shutting down', [['Retry-After', '5']]);
      return;
    }
    const offered = protocols.split(',').map((p) => p.trim());
    // Answering with a subprotocol the client did not offer makes browsers fail the connection; the token
    // subprotocol is never echoed back.
    const chosen = offered.includes(BOARD_PROTOCOL) ? BOARD_PROTOCOL : '';
    const data: SocketData = { credential };
    res.upgrade(data, key, chosen, extensions, context as never);
  }

  app.ws<SocketData>(BOARD_SOCKET_PATH, {
    idleTimeout: 60,
    sendPingsAutomatically: true,
    maxPayloadLength: 1024,
    maxBackpressure: MAX_BACKPRESSURE_BYTES,
    closeOnBackpressureLimit: 1,
    upgrade,
    open(ws) {
      sockets.add(ws);
      ws.subscribe(TOPIC);
      const { credential } = ws.getUserData();
      const hello: BoardSocketMessage = {
        type: 'hello',
        agent: credential?.agent ?? null,
        role: credential?.operator ? 'operator' : credential?.agent ? 'agent' : null,
        // Operator tokens (tokens file, "role": "operator") may release, requeue and reassign from the page.
        operator: credential?.operator === true,
        history: board.historyEnabled,
        server: opts.server,
      };
      ws.send(JSON.stringify(hello), false, false);
      if (sockets.size === 1) {
        statsTimer = setInterval(pushStats, STATS_INTERVAL_MS);
        statsTimer.unref();
      }
      // The newcomer gets a summary now rather than in up to five seconds.
      void stats
        .summary()
        .then((summary) => {
          if (sockets.has(ws)) ws.send(JSON.stringify({ type: 'stats', stats: summary }), false, false);
        })
        .catch((err: unknown) => log.warn({ err }, 'board statistics unavailable'));
    },
    message(ws) {
      // The socket is one-way; a page has nothing to say. Anything sent is a misbehaving client.
      ws.end(1008, 'this socket only sends');
    },
    close(ws) {
      sockets.delete(ws);
      if (sockets.size === 0 && statsTimer) {
        clearInterval(statsTimer);
        statsTimer = undefined;
      }
    },
  });

  return {
    get open() {
      return sockets.size;
    },
    close() {
      if (closed) return;
      closed = true;
      board.off('change', onChange);
      if (flushTimer) clearTimeout(flushTimer);
      if (statsTimer) clearInterval(statsTimer);
      for (const ws of [...sockets]) {
        try {
          ws.end(1001, 'server shutting down');
        } catch {
          // Already closed by the peer.
        }
      }
      sockets.clear();
    },
  };
}
