import { performance } from 'node:perf_hooks';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Board } from '../core/types.js';
import { errors as domainErrors, type PlainError } from '../domain/errors.js';
import { describeIssues } from '../domain/schemas.js';
import { toolsFor, type ToolAnswer, type ToolDef } from '../tools/index.js';
import { toolErrorShape } from '../tools/shapes.js';
import { BOARD_APP_TOOL_META, BOARD_APP_TOOLS } from './app.js';
import { forbiddenIdentity, toClientError, toolErrorResult, unknownTool } from './errors.js';
import { handleRequest } from './requests.js';
import type { ClientLog } from './logging.js';
import { pageOf } from './pagination.js';
import type { McpDeps, McpSessionContext } from './types.js';

type JsonObject = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  delete js.$schema;
  return js;
}

export function inputJsonSchema(def: ToolDef): Tool['inputSchema'] {
  return jsonSchema(def.input, 'input') as Tool['inputSchema'];
}

/**
 * The tool's output schema: its success shape, plus the error envelope as an alternative, because a failed call
 * also carries `structuredContent` (`{error: {code, message}}`) and clients validate whatever they get against this
 * schema. Root properties list both; `anyOf` says which are required in each case.
 */
export function outputJsonSchema(def: ToolDef): NonNullable<Tool['outputSchema']> {
  let js = jsonSchema(def.output, 'output');
  if (typeof js.$ref === 'string' && js.$ref.startsWith('#/$defs/')) {
    const defs = js.$defs as Record<string, JsonObject>;
    js = { ...defs[js.$ref.slice('#/$defs/'.length)], $defs: defs };
  }
  const errorProperty = (jsonSchema(toolErrorShape, 'output').properties as JsonObject).error;
  const { required, ...rest } = js;
  return {
    ...rest,
    type: 'object',
    properties: { ...(js.properties as JsonObject), error: errorProperty },
    anyOf: [{ required: required ?? [], not: { required: ['error'] } }, { required: ['error'] }],
  } as NonNullable<Tool['outputSchema']>;
}

export function toolDescriptor(def: ToolDef): Tool {
  return {
    name: def.name,
    title: def.title,
    description: def.description,
    inputSchema: inputJsonSchema(def),
    outputSchema: outputJsonSchema(def),
    annotations: { title: def.title, ...def.annotations, openWorldHint: false },
    // Hosts that render MCP Apps may show the live board with this tool's results.
    ...(BOARD_APP_TOOLS.has(def.name) ? { _meta: { ...BOARD_APP_TOOL_META } } : {}),
  };
}

interface Catalogue {
  byName: ReadonlyMap<string, ToolDef>;
  descriptors: readonly Tool[];
}

const catalogues = new Map<boolean, Catalogue>();

/** Descriptors are built once per process (JSON Schema generation is not free and sessions are many). */
export function toolCatalogue(historyEnabled: boolean): Catalogue {
  let catalogue = catalogues.get(historyEnabled);
  if (!catalogue) {
    const defs = toolsFor(historyEnabled);
    catalogue = { byName: new Map(defs.map((d) => [d.name, d])), descriptors: defs.map(toolDescriptor) };
    catalogues.set(historyEnabled, catalogue);
  }
  return catalogue;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The arguments after identity defaults, validated, and checked against the bound agent. */
function prepareArgs(def: ToolDef, raw: unknown, session: McpSessionContext): unknown {
  let args: unknown = raw ?? {};
  const agent = session.agent;
  if (agent !== undefined && isObject(raw) && def.identityDefaults) {
    const withDefaults: JsonObject = { ...raw };
    for (const field of def.identityDefaults)
      if (withDefaults[field] === undefined) withDefaults[field] = agent;
    args = withDefaults;
  }
  const parsed = def.input.safeParse(args, { reportInput: true });
  if (!parsed.success) throw domainErrors.invalidArgument(describeIssues(parsed.error.issues));
  // Operators may act as any agent.
  if (agent !== undefined && !session.operator && def.identity) {
    const data = parsed.data as JsonObject;
    for (const field of def.identity) {
      const given = data[field];
      if (typeof given === 'string' && given !== agent) throw forbiddenIdentity(agent, field, given);
    }
  }
  return parsed.data;
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
): Promise<ToolOutcome> {
  const { board, logger, metrics } = deps;
  const name = def.name;
  const started = performance.now();
  let result: { ok: true; answer: ToolAnswer } | { ok: false; error: PlainError };
  try {
    const args = prepareArgs(def, rawArgs, session);
    result = { ok: true, answer: await def.run(board, args as never) };
  } catch (err) {
    result = { ok: false, error: toClientError(err, logger, { tool: name }) };
  }
  const seconds = (performance.now() - started) / 1000;
  metrics.toolLatency.observe(seconds, { tool: name });
  if (!result.ok) {
    metrics.toolCalls.inc({ tool: name, outcome: 'error', code: result.error.code });
    logger.debug(
      { tool: name, durationMs: seconds * 1000, code: result.error.code, agent: session.agent },
      'tool call failed',
    );
  } else {
    metrics.toolCalls.inc({ tool: name, outcome: 'ok' });
    logger.debug({ tool: name, durationMs: seconds * 1000, agent: session.agent }, 'tool call');
  }
  return { ...result, seconds };
}

export function registerTools(
  server: Server,
  deps: McpDeps,
  session: McpSessionContext,
  clientLog: ClientLog,
): void {
  const { config, logger } = deps;
  const board = actingBoard(deps.board, session);
  const acting: McpDeps = { ...deps, board };
  const catalogue = toolCatalogue(board.historyEnabled);

  handleRequest(server, ListToolsRequestSchema, async (request) => {
    const { page, nextCursor } = pageOf(
      'tools',
      catalogue.descriptors,
      request.params?.cursor,
      config.pageSize,
    );
    return nextCursor ? { tools: [...page], nextCursor } : { tools: [...page] };
  });

  handleRequest(server, CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const def = catalogue.byName.get(name);
    if (!def) {
      logger.debug({ tool: name.slice(0, 100) }, 'unknown tool called');
      throw unknownTool(name);
    }
    const outcome = await invokeTool(acting, def, request.params.arguments, session);
    if (!outcome.ok) {
      const failure = outcome.error;
      clientLog.send(
        failure.code === 'INTERNAL' ? 'error' : 'warning',
        { event: 'tool_error', tool: name, code: failure.code, message: failure.message },
        extra.requestId,
      );
      return toolErrorResult(failure);
    }
    clientLog.send(
      def.annotations.readOnlyHint ? 'debug' : 'info',
      { event: 'tool_call', tool: name, durationMs: Math.round(outcome.seconds * 1e6) / 1e3 },
      extra.requestId,
    );
    const answer = outcome.answer;
    return {
      content: [{ type: 'text', text: answer.text ?? JSON.stringify(answer.structured) }],
      structuredContent: answer.structured,
    };
  });
}
