import { ProtocolErrorCode as JsonRpcCode, type CallToolResult } from '@modelcontextprotocol/server';
import { isPlainError, TaskBoardError, type ErrorCode, type PlainError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { inToolsets, toolsetsHolding, type ToolsetChoice, type ToolsetMember } from '../tools/toolsets.js';

/**
 * The one place where failures become MCP answers:
 *  - a tool that ran and failed (bad arguments, a domain rule, overload) → a tool result with `isError: true` whose
 *    text and `structuredContent` are `{"error": {"code", "message"}}`, so the agent can read and self-correct;
 *  - a protocol fault (unknown tool, bad cursor, unknown resource, bad completion reference) → a JSON-RPC error.
 * Unexpected faults never show their internals: the client gets INTERNAL with a reference, the log the stack.
 */

/**
 * The code an unknown resource is thrown with (MCP 2025-11-25's "Resource not found"). On the wire the SDK sends it
 * as -32602 with `data.uri`, on both revisions (SEP-2164, adopted by 2026-07-28); thrown as -32002 so that it stays
 * distinct from INVALID_ARGUMENT here.
 */
export const RESOURCE_NOT_FOUND = -32002;
/** What a client receives for an unknown resource (SEP-2164): InvalidParams with the URI in `data.uri`. */
export const RESOURCE_NOT_FOUND_ON_WIRE = JsonRpcCode.InvalidParams;

/**
 * A JSON-RPC error the SDK sends as `{code, message, data}`. (The SDK's McpError would prefix its message with
 * "MCP error <code>:", which clients then prefix again.)
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

let faultCounter = 0;

/** Any thrown value as a `PlainError` safe to show to a client. Unexpected faults are logged with their stack. */
export function toClientError(err: unknown, logger: Logger, context: Record<string, unknown>): PlainError {
  if (err instanceof TaskBoardError) return err.toPlain();
  if (isPlainError(err)) return { code: err.code, message: err.message };
  const ref = `${Date.now().toString(36)}-${(++faultCounter).toString(36)}`;
  logger.error({ err, ref, ...context }, 'unexpected fault while serving an MCP request');
  return {
    code: 'INTERNAL',
    message: `Internal error (ref ${ref}); nothing more is known to the client. The call may be retried; the server log has the details.`,
  };
}

export function errorEnvelope(error: PlainError): { error: PlainError } {
  return { error: { code: error.code, message: error.message } };
}

/** A failed tool call as a tool result. */
export function toolErrorResult(error: PlainError): CallToolResult {
  const envelope = errorEnvelope(error);
  return {
    content: [{ type: 'text', text: JSON.stringify(envelope) }],
    structuredContent: envelope,
    isError: true,
  };
}

export function forbiddenIdentity(bound: string, field: string, given: string): PlainError {
  return {
    code: 'FORBIDDEN',
    message:
      `This connection's token belongs to agent ${JSON.stringify(bound)}, but ${field} is ${JSON.stringify(given)}. ` +
      `Pass ${field}: ${JSON.stringify(bound)}, or connect with ${given}'s own token.`,
  };
}

/** Client-supplied text echoed in an error, cut to a sane length. */
function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function unknownTool(name: string): RpcError {
  const shown = clip(name, 100);
  return new RpcError(
    JsonRpcCode.InvalidParams,
    `Unknown tool: ${shown}. Call tools/list for the available tools.`,
  );
}

/** A tool the server has but this session's toolsets leave out: name the toolsets that hold it. */
export function toolOutsideToolsets(tool: ToolsetMember, choices: readonly ToolsetChoice[]): RpcError {
  const holding = toolsetsHolding(tool);
  const narrow = holding[0] ?? 'all';
  const inForce = choices
    .filter((c) => !inToolsets(tool, c.toolsets))
    .map((c) => `${c.source}: ${c.toolsets.join(',')}`)
    .join('; ');
  return new RpcError(
    JsonRpcCode.InvalidParams,
    `Tool ${tool.name} is not offered in this session (${inForce}). It is in the toolset${holding.length > 1 ? 's' : ''} ` +
      `${holding.join(', ')}: start a session with toolsets=${narrow} (HTTP: /mcp?toolsets=${narrow}), ` +
      'or use the tools tools/list shows.',
    { tool: tool.name, toolsets: holding },
  );
}

export function invalidCursor(): RpcError {
  return new RpcError(
    JsonRpcCode.InvalidParams,
    'Invalid cursor: pass back exactly the nextCursor of the previous page, or no cursor to start over.',
  );
}

export function resourceNotFound(uri: string, why: string): RpcError {
  return new RpcError(RESOURCE_NOT_FOUND, `Resource not found: ${clip(uri)}. ${why}`, { uri: clip(uri) });
}

/**
 * A stdio line that is not JSON (Parse error) or JSON that is not a JSON-RPC message (Invalid Request), as the
 * error to answer with — without an id, since none could be read. Undefined for any other transport error.
 */
export function unreadableMessage(err: unknown): { code: number; message: string } | undefined {
  if (err instanceof SyntaxError)
    return { code: JsonRpcCode.ParseError, message: `Parse error: ${err.message}` };
  if (err instanceof Error && err.name === 'ZodError') {
    return {
      code: JsonRpcCode.InvalidRequest,
      message: 'Invalid Request: the line is JSON but not a JSON-RPC 2.0 message',
    };
  }
  return undefined;
}

export function invalidParams(message: string): RpcError {
  return new RpcError(JsonRpcCode.InvalidParams, message);
}

const RPC_CODE_OF: Partial<Record<ErrorCode, number>> = {
  NOT_FOUND: RESOURCE_NOT_FOUND,
  INVALID_ARGUMENT: JsonRpcCode.InvalidParams,
  // The request was understood but the board's state refuses it (e.g. a tree too deep to nest): not a server fault.
  CONFLICT: JsonRpcCode.InvalidParams,
  FORBIDDEN: JsonRpcCode.InvalidRequest,
  FEATURE_DISABLED: JsonRpcCode.InvalidRequest,
};

/**
 * A failure while reading a resource (or completing, or rendering a prompt) as a JSON-RPC error. Our stable code
 * travels in `data.code` so clients can tell OVERLOADED (retry) from NOT_FOUND. `notFoundAs: 'params'` reports
 * NOT_FOUND as InvalidParams, for requests where the missing thing was an argument rather than the resource.
 */
export function toRpcError(
  err: unknown,
  logger: Logger,
  context: Record<string, unknown> & { uri?: string },
  notFoundAs: 'resource' | 'params' = 'resource',
): RpcError {
  if (err instanceof RpcError) return err;
  const plain = toClientError(err, logger, context);
  let rpcCode = RPC_CODE_OF[plain.code] ?? JsonRpcCode.InternalError;
  if (rpcCode === RESOURCE_NOT_FOUND && notFoundAs === 'params') rpcCode = JsonRpcCode.InvalidParams;
  const message =
    rpcCode === RESOURCE_NOT_FOUND && context.uri
      ? `Resource not found: ${clip(context.uri)}. ${plain.message}`
      : plain.message;
  return new RpcError(rpcCode, message, {
    code: plain.code,
    ...(context.uri ? { uri: clip(context.uri) } : {}),
  });
}
