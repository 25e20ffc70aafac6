import { performance } from 'node:perf_hooks';
import { ListToolsRequestSchema } from '@modelcontextprotocol/core';
import type { Server, Tool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Board } from '../core/types.js';
import { errors as domainErrors, type PlainError } from '../domain/errors.js';
import { agentKey, argumentNames, describeIssues, markParsed } from '../domain/schemas.js';
import { nestedShapes } from '../tools/shapes.js';
import { toolsFor, type ToolAnswer, type ToolContext, type ToolDef } from '../tools/index.js';
import { toolsAllowed, type ToolsetChoice, type ToolsetName } from '../tools/toolsets.js';
import {
  forbiddenIdentity,
  toClientError,
  toolErrorResult,
  toolOutsideToolsets,
  unknownTool,
} from './errors.js';
import { compactInputSchema, exactOutputSchema, openRoot } from './compact-schema.js';
import { BOARD_APP_TOOL_META, BOARD_APP_TOOLS } from './app.js';
import { handleRequest, handleToolCalls, type RequestContext } from './requests.js';
import type { ClientLog } from './logging.js';
import { pageOf } from './pagination.js';
import type { McpDeps, McpSessionContext } from './types.js';

type JsonObject = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  delete js.$schema;
  return js;
}

/**
 * Optional arguments many tools share: the server's instructions (src/mcp/server.ts) explain them once, so each
 * tool's schema shows them by name and type only (docs/tools.md has the full text).
 */
export const SHARED_OPTIONAL_ARGUMENTS = ['idempotency_key', 'lease_id', 'lease_seconds'] as const;

/** Aliases the schema shows instead of the argument they stand for: `task_id` rather than TinyTask's bare `id`. */
function shownAliases(def: ToolDef): Array<[alias: string, target: string]> {
  return Object.entries(def.aliases ?? {}).filter(([, target]) => target === 'id');
}

export function inputJsonSchema(def: ToolDef): Tool['inputSchema'] {
  const js = compactInputSchema(jsonSchema(def.input, 'input'));
  const required = (js.required as string[] | undefined) ?? [];
  const properties = js.properties as Record<string, JsonObject>;
  for (const name of def.hidden ?? []) if (!required.includes(name)) delete properties[name];
  for (const name of SHARED_OPTIONAL_ARGUMENTS) delete properties[name]?.description;
  for (const [alias, target] of shownAliases(def)) {
    js.properties = Object.fromEntries(
      Object.entries(js.properties as JsonObject).map(([k, v]) => [k === target ? alias : k, v]),
    );
    if (Array.isArray(js.required)) js.required = js.required.map((r) => (r === target ? alias : r));
  }
  return js as Tool['inputSchema'];
}

/**
 * The tool's output schema (src/mcp/compact-schema.ts exactOutputSchema): its success answer, exact, with the root
 * left open so that a failed call's envelope (`{error: {code, message}}`, codes in docs/errors.md) validates too.
 */
export function outputJsonSchema(def: ToolDef): NonNullable<Tool['outputSchema']> {
  const js = exactOutputSchema(
    z.toJSONSchema(def.output, {
      io: 'output',
      unrepresentable: 'any',
      metadata: nestedShapes,
    }) as JsonObject,
  );
  const { $schema: _schema, $defs, ...root } = js;
  const defs = { ...($defs as Record<string, JsonObject> | undefined) };
  const ref = typeof root.$ref === 'string' ? root.$ref.slice('#/$defs/'.length) : undefined;
  if (ref === undefined) return withDefs(root, defs);
  // A root that is one of the nested shapes: written out in place (open), unless the shape nests itself (TaskTree).
  if (JSON.stringify(defs[ref]).includes(`"#/$defs/${ref}"`)) {
    return withDefs({ type: 'object', anyOf: [root, { required: ['error'] }] }, defs);
  }
  const { [ref]: shape, ...others } = defs;
  return withDefs(openRoot(shape!), others);
}

function withDefs(root: JsonObject, defs: Record<string, JsonObject>): NonNullable<Tool['outputSchema']> {
  const out = Object.keys(defs).length > 0 ? { ...root, $defs: defs } : root;
  return out as NonNullable<Tool['outputSchema']>;
}

/**
 * The hints that differ from MCP's defaults (readOnly false, destructive true, idempotent false); destructive and
 * idempotent only mean something for a tool that writes. `openWorldHint` is left out: every tool works on the
 * board alone, which the server's instructions say once instead of 38 times.
 */
function annotationsOf(def: ToolDef): NonNullable<Tool['annotations']> {
  const a = def.annotations;
  if (a.readOnlyHint) return { readOnlyHint: true };
  return {
    ...(a.destructiveHint ? {} : { destructiveHint: false }),
    ...(a.idempotentHint ? { idempotentHint: true } : {}),
  };
}

/**
 * A tool as tools/list shows it. No `title`: clients fall back to the name, and 38 display titles would cost every
 * agent about 1 KB of context (docs/tools.md carries them).
 */
export function toolDescriptor(def: ToolDef): Tool {
  return {
    name: def.name,
    description: def.description,
    inputSchema: inputJsonSchema(def),
    outputSchema: outputJsonSchema(def),
    // MCP's defaults (a destructive write) need no annotations at all.
    ...(Object.keys(annotationsOf(def)).length > 0 ? { annotations: annotationsOf(def) } : {}),
    // Hosts that render MCP Apps may show the live board with this tool's results.
    ...(BOARD_APP_TOOLS.has(def.name) ? { _meta: { ...BOARD_APP_TOOL_META } } : {}),
  };
}

/**
 * What a tools/list answer costs an agent, in JSON bytes: the whole answer, and the part a model reads (name,
 * title, description, inputSchema, annotations; output schemas are for the client). test/mcp-tool-budget.test.ts
 * holds these under the budget of docs/tools.md.
 */
export function toolListSizes(tools: readonly Tool[]): { whole: number; modelVisible: number } {
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
  return {
    whole: bytes({ tools }),
    modelVisible: bytes(
      tools.map(({ name, title, description, inputSchema, annotations }) => ({
        name,
        title,
        description,
        inputSchema,
        annotations,
      })),
    ),
  };
}

export interface Catalogue {
  /** Every tool the server has (history permitting), whether or not this session may call it. */
  all: ReadonlyMap<string, ToolDef>;
  /** The tools this session may call. */
  byName: ReadonlyMap<string, ToolDef>;
  descriptors: readonly Tool[];
}

const descriptorCache = new WeakMap<ToolDef, Tool>();
const catalogues = new Map<string, Catalogue>();

function descriptorOf(def: ToolDef): Tool {
  let d = descriptorCache.get(def);
  if (!d) {
    d = toolDescriptor(def);
    descriptorCache.set(def, d);
  }
  return d;
}

/**
 * The tools a session sees: those the board offers, narrowed by every toolset choice. Descriptors are built
 * once per process (JSON Schema generation is not free and sessions are many), catalogues once per combination.
 */
export function toolCatalogue(historyEnabled: boolean, choices: readonly ToolsetChoice[] = []): Catalogue {
  const key = `${historyEnabled}|${choices.map((c) => [...c.toolsets].sort().join(',')).join('|')}`;
  let catalogue = catalogues.get(key);
  if (!catalogue) {
    const defs = toolsFor(historyEnabled);
    const allowed = toolsAllowed(defs, choices);
    catalogue = {
      all: new Map(defs.map((d) => [d.name, d])),
      byName: new Map(allowed.map((d) => [d.name, d])),
      descriptors: allowed.map(descriptorOf),
    };
    catalogues.set(key, catalogue);
  }
  return catalogue;
}

/** The toolset choices in force for a session: the deployment's, then the token's and the connection's. */
export function sessionToolsetChoices(
  deployment: readonly ToolsetName[],
  session: McpSessionContext,
): ToolsetChoice[] {
  return [
    { source: 'deployment', toolsets: deployment },
    ...(session.tokenToolsets ? [{ source: 'token' as const, toolsets: session.tokenToolsets }] : []),
    ...(session.connectionToolsets
      ? [{ source: 'connection' as const, toolsets: session.connectionToolsets }]
      : []),
  ];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `args` with every alias replaced by the argument it stands for; both given and different is an error. */
function resolveAliases(def: ToolDef, args: JsonObject): JsonObject {
  if (!def.aliases) return args;
  const out: JsonObject = { ...args };
  for (const [alias, target] of Object.entries(def.aliases)) {
    if (!(alias in out)) continue;
    if (target in out && JSON.stringify(out[target]) !== JSON.stringify(out[alias])) {
      throw domainErrors.invalidArgument(
        `Invalid arguments: ${alias} and ${target} name the same task but differ; pass only ${alias}.`,
      );
    }
    out[target] = out[alias];
    delete out[alias];
  }
  return out;
}

/** Argument names as the agent sees them (schema names, shown aliases first), for messages. */
function shownNames(def: ToolDef): { known: string[]; rename: (name: string) => string } {
  const shown = new Map(shownAliases(def).map(([alias, target]) => [target, alias]));
  const rename = (name: string) => shown.get(name) ?? name;
  const known = [...argumentNames(def.input).map(rename), ...Object.keys(def.aliases ?? {})];
  return { known: [...new Set(known)], rename };
}

/** The arguments after aliases and identity defaults, validated, and checked against the bound agent. */
function prepareArgs(def: ToolDef, raw: unknown, session: McpSessionContext): unknown {
  let args: unknown = raw ?? {};
  if (isObject(args)) args = resolveAliases(def, args);
  const agent = session.agent;
  if (agent !== undefined && isObject(args) && def.identityDefaults) {
    const withDefaults: JsonObject = { ...args };
    for (const field of def.identityDefaults)
      if (withDefaults[field] === undefined) withDefaults[field] = agent;
    args = withDefaults;
  }
  const parsed = def.input.safeParse(args, { reportInput: true });
  if (!parsed.success) {
    const { known, rename } = shownNames(def);
    const issues: z.core.$ZodIssue[] = parsed.error.issues.map((i) =>
      i.path.length > 0 && typeof i.path[0] === 'string'
        ? { ...i, path: [rename(i.path[0]), ...i.path.slice(1)] }
        : i,
    );
    // zod reports unknown keys only when nothing else failed; a misspelt required argument shows up as missing,
    // so the unknown one is named too, with its likely meaning.
    const unknown = isObject(args) ? Object.keys(args).filter((k) => !known.includes(k)) : [];
    if (unknown.length > 0 && !issues.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0)) {
      issues.unshift({
        code: 'unrecognized_keys',
        keys: unknown,
        path: [],
        message: '',
        input: args as JsonObject,
      });
    }
    throw domainErrors.invalidArgument(describeIssues(issues, known));
  }
  const data = parsed.data as JsonObject;
  let respelt = false;
  // Operators may act as any agent.
  if (agent !== undefined && !session.operator && def.identity) {
    for (const field of def.identity) {
      const given = data[field];
      if (typeof given !== 'string') continue;
      if (agentKey(given) !== agentKey(agent)) throw forbiddenIdentity(agent, field, given);
      if (given !== agent) {
        data[field] = agent; // the token's spelling of the same agent
        respelt = true;
      }
    }
  }
  // The board validates only what this parse did not produce: arguments are checked once per call.
  if (!respelt) markParsed(def.input, data);
  return data;
}

/**
 * The handler's view of the request: a signal that fires when the client cancels it or when the session ends
 * (built only when a handler asks for it), and progress notifications when the client sent a `progressToken`.
 */
function toolContext(extra: RequestContext, sessionEnd: AbortSignal, logger: McpDeps['logger']) {
  let combined: AbortController | undefined;
  let detach = (): void => undefined;
  const token = extra.mcpReq._meta?.progressToken;
  const reqSignal = extra.mcpReq.signal;
  const ctx: ToolContext = {
    get signal() {
      if (!combined) {
        const controller = new AbortController();
        combined = controller;
        const abort = () => controller.abort();
        if (reqSignal.aborted || sessionEnd.aborted) abort();
        reqSignal.addEventListener('abort', abort, { once: true });
        sessionEnd.addEventListener('abort', abort, { once: true });
        detach = () => {
          reqSignal.removeEventListener('abort', abort);
          sessionEnd.removeEventListener('abort', abort);
        };
      }
      return combined.signal;
    },
    progress:
      token === undefined
        ? undefined
        : (progress, total, message) => {
            if (reqSignal.aborted) return;
            extra.mcpReq
              .notify({
                method: 'notifications/progress',
                params: {
                  progressToken: token,
                  progress,
                  ...(total === undefined ? {} : { total }),
                  message,
                },
              })
              .catch((err: unknown) => logger.debug({ err }, 'progress notification not sent'));
          },
  };
  return { ctx, release: () => detach() };
}

/** Writes from a caller bound to an agent run on its behalf: the writer checks ownership against it. */
export function actingBoard(board: Board, session: McpSessionContext): Board {
  return session.agent === undefined
    ? board
    : board.actingAs({ agent: session.agent, operator: session.operator === true });
}

export type ToolOutcome =
  { ok: true; answer: ToolAnswer; seconds: number } | { ok: false; error: PlainError; seconds: number };

/**
 * Runs one tool call the way every front does (MCP `tools/call`, the REST API): identity defaults and checks
 * against the caller's bound agent, input validation, the board operation, metrics and the debug log. Never
 * rejects: a failure comes back as a `PlainError` safe to show to the client. `deps.board` is the board acting for
 * the caller (`actingBoard`).
 */
export async function invokeTool(
  deps: McpDeps,
  def: ToolDef,
  rawArgs: unknown,
  session: McpSessionContext,
  ctx: ToolContext,
): Promise<ToolOutcome> {
  const { board, logger, metrics } = deps;
  const name = def.name;
  const started = performance.now();
  let result: { ok: true; answer: ToolAnswer } | { ok: false; error: PlainError };
  try {
    const args = prepareArgs(def, rawArgs, session);
    result = { ok: true, answer: await def.run(board, args as never, ctx) };
  } catch (err) {
    result = { ok: false, error: toClientError(err, logger, { tool: name }) };
  }
  const seconds = (performance.now() - started) / 1000;
  metrics.toolLatency.observe({ tool: name }, seconds);
  // Labels in alphabetical order: the exposition shows them in the order given.
  if (!result.ok) {
    metrics.toolCalls.inc({ code: result.error.code, outcome: 'error', tool: name });
    logger.debug(
      { tool: name, durationMs: seconds * 1000, code: result.error.code, agent: session.agent },
      'tool call failed',
    );
  } else {
    metrics.toolCalls.inc({ outcome: 'ok', tool: name });
    logger.debug({ tool: name, durationMs: seconds * 1000, agent: session.agent }, 'tool call');
  }
  return { ...result, seconds };
}

export function registerTools(
  server: Server,
  deps: McpDeps,
  session: McpSessionContext,
  clientLog: ClientLog,
  sessionEnd: AbortSignal,
): void {
  const { config, logger } = deps;
  const board = actingBoard(deps.board, session);
  const acting: McpDeps = { ...deps, board };
  const choices = sessionToolsetChoices(config.toolsets, session);
  const catalogue = toolCatalogue(board.historyEnabled, choices);

  handleRequest(server, ListToolsRequestSchema, async (request) => {
    const { page, nextCursor } = pageOf(
      'tools',
      catalogue.descriptors,
      request.params?.cursor,
      config.pageSize,
    );
    return nextCursor ? { tools: [...page], nextCursor } : { tools: [...page] };
  });

  handleToolCalls(server, async (params, extra) => {
    const name = params.name;
    const def = catalogue.byName.get(name);
    if (!def) {
      const elsewhere = catalogue.all.get(name);
      logger.debug({ tool: name.slice(0, 100), outsideToolsets: !!elsewhere }, 'unknown tool called');
      throw elsewhere ? toolOutsideToolsets(elsewhere, choices) : unknownTool(name);
    }
    const { ctx, release } = toolContext(extra, sessionEnd, logger);
    const outcome = await invokeTool(acting, def, params.arguments, session, ctx).finally(release);
    if (!outcome.ok) {
      const failure = outcome.error;
      clientLog.send(
        failure.code === 'INTERNAL' ? 'error' : 'warning',
        { event: 'tool_error', tool: name, code: failure.code, message: failure.message },
        extra,
      );
      return toolErrorResult(failure);
    }
    clientLog.send(
      def.annotations.readOnlyHint ? 'debug' : 'info',
      { event: 'tool_call', tool: name, durationMs: Math.round(outcome.seconds * 1e6) / 1e3 },
      extra,
    );
    const answer = outcome.answer;
    return {
      content: [{ type: 'text', text: answer.text ?? JSON.stringify(answer.structured) }],
      structuredContent: answer.structured,
    };
  });
}
