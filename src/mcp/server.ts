import { createRequire } from 'node:module';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import { registerCompletions } from './completions.js';
import { installClientLog } from './logging.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { registerSubscriptions } from './subscriptions.js';
import { registerTools } from './tools.js';
import type { McpDeps, McpSessionContext } from './types.js';

export type { McpDeps, McpSessionContext } from './types.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { name: string; version: string };

export const SERVER_INFO = { name: pkg.name, title: 'TinyTask', version: pkg.version } as const;

const INSTRUCTIONS = [
  'TinyTask is a task board shared by many agents.',
  'Typical loop: get_my_queue (or signup_for_task to claim your next idle task) → get_task to read it with its',
  'comments → work, noting progress with add_comment and artifacts with add_link → update_task status "complete",',
  'or move_task to hand it to another agent with a comment saying what is done and what is left.',
  'Break big work down with create_subtask; a parent’s status follows its subtasks.',
  'Every tool that writes takes an optional idempotency_key (e.g. a UUID): after a timeout, retry with the same key',
  'and the same arguments and the change is applied once.',
  'Failed calls return isError with {"error": {"code", "message"}}: the message says what to change.',
].join(' ');

/**
 * The SDK validates elicitation answers with it; by default each Server builds its own Ajv (~2 ms), which is
 * paid on every request in stateless HTTP mode. One per process is enough.
 */
let sharedValidator: AjvJsonSchemaValidator | undefined;

/**
 * One MCP server (one per session): every TinyTask tool, the resources, subscriptions, completions, prompts and
 * log notifications, over whatever SDK transport it is connected to. Closing it (or its transport closing)
 * removes its board listeners.
 */
export function createMcpServer(deps: McpDeps, session: McpSessionContext = {}): Server {
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
  });
  const clientLog = installClientLog(server);
  registerTools(server, deps, session, clientLog);
  registerResources(server, deps);
  registerPrompts(server, deps);
  registerCompletions(server, deps);
  const unsubscribeAll = registerSubscriptions(server, deps.board, deps.logger);
  chainOnClose(server, unsubscribeAll);
  return server;
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
