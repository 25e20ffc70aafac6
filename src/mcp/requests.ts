import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { ServerResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { describeIssues } from '../domain/schemas.js';
import { invalidParams } from './errors.js';

type Extra = Parameters<Parameters<Server['setRequestHandler']>[1]>[1];

/** An SDK request schema: a zod object with a literal `method`. */
type RequestSchema = z.ZodObject<{ method: z.ZodLiteral<string> } & z.ZodRawShape>;

/** Built once per method: servers are created per session (per request in stateless HTTP). */
const looseSchemas = new Map<
  string,
  z.ZodObject<{ method: z.ZodLiteral<string>; params: z.ZodOptional<z.ZodUnknown> }, z.core.$loose>
>();

/**
 * Registers a request handler whose params are validated here, so that malformed params get a JSON-RPC
 * InvalidParams error naming the problem. (Registered with the SDK's own schema, a malformed request fails
 * inside the SDK with InternalError and a raw zod dump.)
 */
export function handleRequest<S extends RequestSchema>(
  server: Server,
  schema: S,
  handler: (request: z.output<S>, extra: Extra) => Promise<ServerResult>,
): void {
  const method = schema.shape.method.value;
  let loose = looseSchemas.get(method);
  if (!loose) {
    loose = z.looseObject({ method: z.literal(method), params: z.unknown().optional() });
    looseSchemas.set(method, loose);
  }
  server.setRequestHandler(loose, async (request, extra) => {
    const parsed = schema.safeParse(request);
    if (!parsed.success) {
      throw invalidParams(
        `Invalid ${method} request. ${describeIssues(parsed.error.issues).replace(/^Invalid arguments: /, '')}`,
      );
    }
    return handler(parsed.data, extra);
  });
}
