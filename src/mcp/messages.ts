import { JSONRPCMessageSchema } from '@modelcontextprotocol/core';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';

type Parsed = ReturnType<typeof JSONRPCMessageSchema.safeParse>;

/** The keys a JSON-RPC request or notification may have (the SDK's schemas are strict at the top). */
const MESSAGE_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIdOrToken(value: unknown): boolean {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/**
 * A request or notification of the common shape — only JSON-RPC's own keys, `params` an object whose `_meta` is
 * absent or an object with nothing the schema would rewrite (no `__proto__` key, no related-task key, whose inner
 * object it strips) — exactly as `JSONRPCMessageSchema` would return it; undefined for anything else.
 */
function commonMessage(value: unknown): JSONRPCMessage | undefined {
  if (!isPlainObject(value) || value.jsonrpc !== '2.0' || typeof value.method !== 'string') return undefined;
  for (const key in value) if (!MESSAGE_KEYS.has(key) || !Object.hasOwn(value, key)) return undefined;
  if ('id' in value && !isIdOrToken(value.id)) return undefined;
  const params = value.params;
  if (params === undefined) return 'params' in value ? undefined : (value as JSONRPCMessage);
  if (!isPlainObject(params) || Object.hasOwn(params, '__proto__')) return undefined;
  const meta = params._meta;
  if (meta === undefined) return '_meta' in params ? undefined : (value as JSONRPCMessage);
  if (!isPlainObject(meta) || Object.hasOwn(meta, '__proto__')) return undefined;
  if (Object.hasOwn(meta, 'io.modelcontextprotocol/related-task')) return undefined;
  if ('progressToken' in meta && !isIdOrToken(meta.progressToken)) return undefined;
  return value as JSONRPCMessage;
}

/**
 * One inbound JSON value as a JSON-RPC message, as `JSONRPCMessageSchema.safeParse` gives it: every transport
 * validates each message it receives once, here. The commonest messages (a tool call, a notification) are
 * recognised by hand and passed on as they are, for them the schema's parse would return an equal copy (test/
 * jsonrpc-messages.test.ts compares the two); anything else is parsed by the schema, whose error says what is wrong.
 */
export function parseJsonRpcMessage(value: unknown): Parsed {
  const common = commonMessage(value);
  if (common !== undefined) return { success: true, data: common } as Parsed;
  return JSONRPCMessageSchema.safeParse(value);
}
