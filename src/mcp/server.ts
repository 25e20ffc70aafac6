import { createRequire } from 'node:module';
import { type CacheHint, type LoggingLevel, Server } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { registerCompletions } from './completions.js';
import { installClientLog } from './logging.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { onResourceChanges, registerSubscriptions } from './subscriptions.js';
import { registerTools } from './tools.js';
import type { McpDeps, McpSessionContext } from './types.js';

export type { McpDeps, McpSessionContext } from './types.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { name: string; version: string };

export const SERVER_INFO = { name: pkg.name, title: 'TinyTask', version: pkg.version } as const;

const INSTRUCTIONS = [
  'TinyTask is a task board shared by many agents.',
  'Typical loop: claim_next_task (with your queue_name, if you take team work) claims your next ready task with a',
  'lease → get_task to read it with its comments → work, noting progress with add_comment and artifacts with',
  'add_link, and heartbeat_task before the lease expires → update_task status "complete", or move_task to hand it',
  'to another agent with a comment saying what is done and what is left. Pass the lease_id on writes to the task.',
  'Nothing to claim? Call wait_for_task with claim true instead of polling: it answers when work arrives.',
  'Break big work down with create_subtask; a parent’s status follows its subtasks.',
  'Find tasks with search_tasks. Tasks are named by task_id. Arguments naming the acting agent (created_by,',
  'agent_name, current_agent, updated_by, requeued_by) take your own name; agent names match case-insensitively.',
  'Every tool acts on this board only. lease_seconds sets a lease’s length; a write with a lease_id fails with',
  'LEASE_LOST once someone else holds the task.',
  'Every tool that writes takes an optional idempotency_key (e.g. a UUID): after a timeout, retry with the same key',
  'and the same arguments and the change is applied once.',
  'Failed calls return isError with {"error": {"code", "message"}}: the message says what to change.',
].join(' ');

/**
 * The SDK validates elicitation answers with it; by default each Server builds its own Ajv (~2 ms), which is
 * paid on every request in stateless HTTP mode. One per process is enough.
 */
let sharedValidator: AjvJsonSchemaValidator | undefined;

/** How long a result that changes only with a new deployment may be cached: a day. */
const DEPLOYMENT_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a view of the board (task lists, a task) may be cached: a second, then it must be read again. */
const BOARD_TTL_MS = 1000;

/**
 * The 2026-07-28 cache hints (`ttlMs`/`cacheScope`) of each cacheable result. Tools, prompts, templates and the
 * discover answer change only with the deployment; they are private when the caller's token or connection picks
 * them (toolsets, a bound agent), public otherwise. Resource lists and reads show the board: private and short.
 */
function cacheHints(session: McpSessionContext): Partial<Record<string, CacheHint>> {
  const perCaller =
    session.agent !== undefined ||
    session.operator === true ||
    session.tokenToolsets !== undefined ||
    session.connectionToolsets !== undefined;
  const deployment: CacheHint = { ttlMs: DEPLOYMENT_TTL_MS, cacheScope: perCaller ? 'private' : 'public' };
  const board: CacheHint = { ttlMs: BOARD_TTL_MS, cacheScope: 'private' };
  return {
    'server/discover': deployment,
    'tools/list': deployment,
    'prompts/list': deployment,
    'resources/templates/list': deployment,
    'resources/list': board,
    'resources/read': board,
  };
}

export interface CreateServerOptions {
  /**
   * A server that serves many 2026-07-28 HTTP exchanges one after another (the SDK connects it to one per-request
   * transport at a time): no per-session state (no 2025 subscriptions, no session end), and closing its exchange
   * does not end it.
   */
  reusable?: boolean;
}

/**
 * One MCP server: every TinyTask tool, the resources, subscriptions, completions, prompts and log notifications,
 * over whatever SDK transport it is connected to. One per 2025-11-25 session or stdio connection, closed with it
 * (closing it removes its board listeners); `reusable` ones serve 2026-07-28 HTTP requests from a pool.
 */
export function createMcpServer(
  deps: McpDeps,
  session: McpSessionContext = {},
  options: CreateServerOptions = {},
): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: {
      tools: { listChanged: false },
      resources: { subscribe: true, listChanged: false },
      prompts: { listChanged: false },
      completions: {},
      logging: {},
    },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: (sharedValidator ??= new AjvJsonSchemaValidator()),
    cacheHints: cacheHints(session),
  });
  const clientLog = installClientLog(server);
  const sessionEnd = new AbortController();
  registerTools(server, deps, session, clientLog, sessionEnd.signal);
  registerResources(server, deps);
  registerPrompts(server, deps);
  registerCompletions(server, deps);
  if (options.reusable) return server;
  sessionEnds.set(server, sessionEnd);
  const subscriptions = registerSubscriptions(server, deps.board, deps.logger);
  sessionStates.set(server, {
    get logLevel() {
      return clientLog.level;
    },
    subscriptions: () => subscriptions.uris(),
  });
  chainOnClose(server, () => {
    sessionEnd.abort();
    subscriptions.cleanup();
  });
  return server;
}

/**
 * What a 2025-11-25 client set on its session's server after `initialize`: a server rebuilt for the same session
 * (a hibernated HTTP session waking up) is brought back to it with `logging/setLevel` and `resources/subscribe`.
 */
export interface SessionState {
  readonly logLevel: LoggingLevel;
  subscriptions(): string[];
}

const sessionStates = new WeakMap<Server, SessionState>();

/** The session state of a server made by `createMcpServer` (undefined for a `reusable` one). */
export function sessionStateOf(server: Server): SessionState | undefined {
  return sessionStates.get(server);
}

/**
 * Sends `notifications/resources/updated` for every URI each board change touches, for a 2026-07-28 stdio
 * connection: the SDK's listen router forwards each to the `subscriptions/listen` streams that asked for its URI and
 * drops the rest. Returns the function that stops it.
 */
export function feedResourceUpdates(server: Server, deps: McpDeps): () => void {
  return onResourceChanges(deps.board, deps.logger, (uris) => {
    for (const uri of uris) {
      server
        .notification({ method: 'notifications/resources/updated', params: { uri } })
        .catch(() => undefined);
    }
  });
}

const sessionEnds = new WeakMap<Server, AbortController>();

/**
 * Ends the session's long-held calls (`wait_for_task`) at once, before the server itself closes: a session that is
 * going away (stdin ended) answers its waits now instead of holding its shutdown until their timeouts.
 */
export function endSessionWaits(server: Server): void {
  sessionEnds.get(server)?.abort();
}

/**
 * Runs `cleanup` when the server closes (server.close() or its transport closing), whichever `onclose` the code
 * that owns the server assigns later: the property keeps the owner's callback and calls both.
 */
function chainOnClose(server: Server, cleanup: () => void): void {
  let ownerCallback: (() => void) | undefined;
  let done = false;
  const combined = () => {
    if (!done) {
      done = true;
      cleanup();
    }
    ownerCallback?.();
  };
  Object.defineProperty(server, 'onclose', {
    configurable: true,
    enumerable: true,
    get: () => combined,
    set: (fn: (() => void) | undefined) => {
      ownerCallback = fn;
    },
  });
}
