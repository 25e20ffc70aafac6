import type { Server, ServerContext, ServerResult } from '@modelcontextprotocol/server';
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
