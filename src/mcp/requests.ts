import type {
  CallToolRequestParams,
  CallToolResult,
  Server,
  ServerContext,
  ServerResult,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { describeIssues } from '../domain/schemas.js';
import { invalidParams } from './errors.js';

export type RequestContext = ServerContext;

/** An SDK request schema: a zod object with a literal `method`. */
type RequestSchema = z.ZodObject<{ method: z.ZodLiteral<string> } & z.ZodRawShape>;

/** Accepts any params: the handler validates the whole request with the method's own schema and its own message. */
const anyParams = z.unknown();

/**
 * Registers a request handler whose params are validated here, so that malformed params get a JSON-RPC
 * InvalidParams error naming the problem. (Registered with the SDK's two-argument form, a malformed request fails
 * inside the SDK with InternalError and a raw zod dump.)
 */
export function handleRequest<S extends RequestSchema>(
  server: Server,
  schema: S,
  handler: (request: z.output<S>, ctx: RequestContext) => Promise<ServerResult>,
): void {
  const method = schema.shape.method.value;
  server.setRequestHandler(method, { params: anyParams }, async (params, ctx) => {
    const parsed = schema.safeParse(params === undefined ? { method } : { method, params });
    if (!parsed.success) {
      throw invalidParams(
        `Invalid ${method} request. ${describeIssues(parsed.error.issues).replace(/^Invalid arguments: /, '')}`,
      );
    }
    return handler(parsed.data, ctx);
  });
}

/**
 * Registers the `tools/call` handler. The SDK's `Server` checks every tools/call request against the served
 * revision's wire schema before any handler runs (a string `name`, an object of `arguments`; InvalidParams
 * otherwise, test/mcp-bad-input.test.ts), so the handler takes the params as they are: a second parse of the
 * commonest request would find nothing new.
 */
export function handleToolCalls(
  server: Server,
  handler: (params: CallToolRequestParams, ctx: RequestContext) => Promise<CallToolResult>,
): void {
  server.setRequestHandler('tools/call', { params: anyParams }, (params, ctx) =>
    handler(params as CallToolRequestParams, ctx),
  );
}
