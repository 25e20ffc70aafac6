import { JSONRPCMessageSchema } from '@modelcontextprotocol/core';
import { describe, expect, it } from 'vitest';
import { parseJsonRpcMessage } from '../src/mcp/messages.js';

/**
 * Every transport validates an inbound message with parseJsonRpcMessage (src/mcp/messages.ts), which recognises the
 * common shapes by hand and leaves the rest to the SDK's JSONRPCMessageSchema: on every message it must decide as the
 * schema does and give what the schema gives.
 */
const messages: string[] = [
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_task","arguments":{"task_id":1}}}',
  '{"jsonrpc":"2.0","id":"a-1","method":"tools/list"}',
  '{"jsonrpc":"2.0","id":0,"method":"ping","params":{}}',
  '{"jsonrpc":"2.0","method":"notifications/initialized"}',
  '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"gone"}}',
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":"p"}}}',
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":7,"k":[1]}}}',
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":1.5}}}',
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":null}}}',
  '{"jsonrpc":"2.0","id":2,"method":"t","params":{"_meta":{"io.modelcontextprotocol/related-task":{"taskId":"a","x":1}}}}',
  '{"jsonrpc":"2.0","id":2,"method":"t","params":{"_meta":{"io.modelcontextprotocol/related-task":{"x":1}}}}',
  '{"jsonrpc":"2.0","id":2,"method":"t","params":{"_meta":null}}',
  '{"jsonrpc":"2.0","id":2,"method":"t","params":{"_meta":[]}}',
  '{"jsonrpc":"2.0","id":2,"method":"t","params":{"__proto__":{"polluted":true}}}',
  '{"jsonrpc":"2.0","id":2,"method":"t","params":{"_meta":{"__proto__":{"polluted":true}}}}',
  '{"jsonrpc":"2.0","id":2,"method":"t","__proto__":{}}',
  '{"jsonrpc":"2.0","id":2,"method":"t","params":"not an object"}',
  '{"jsonrpc":"2.0","id":2,"method":"t","params":[1,2]}',
  '{"jsonrpc":"2.0","id":2,"method":"t","params":null}',
  '{"jsonrpc":"2.0","id":1.5,"method":"t"}',
  '{"jsonrpc":"2.0","id":null,"method":"t"}',
  '{"jsonrpc":"2.0","id":9007199254740993,"method":"t"}',
  '{"jsonrpc":"2.0","id":true,"method":"t"}',
  '{"jsonrpc":"2.0","id":{},"method":"t"}',
  '{"jsonrpc":"1.0","id":1,"method":"t"}',
  '{"id":1,"method":"t"}',
  '{"jsonrpc":"2.0","id":1,"method":5}',
  '{"jsonrpc":"2.0","id":1,"method":"t","extra":1}',
  '{"jsonrpc":"2.0","method":"t","extra":1}',
  '{"jsonrpc":"2.0","id":1,"result":{}}',
  '{"jsonrpc":"2.0","id":1,"result":{"_meta":{"x":1},"content":[]}}',
  '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}',
  '{"jsonrpc":"2.0","error":{"code":-32700,"message":"no","data":{"a":1}}}',
  '{"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"no"}}',
  '{"jsonrpc":"2.0","id":1,"result":{},"method":"t"}',
  '[]',
  '"tools/call"',
  'null',
  '42',
];

describe('parseJsonRpcMessage', () => {
  it.each(messages)('decides %s as the SDK schema does, with the same result', (text) => {
    const ours = parseJsonRpcMessage(JSON.parse(text));
    const sdk = JSONRPCMessageSchema.safeParse(JSON.parse(text));
    expect(ours.success).toBe(sdk.success);
    if (ours.success && sdk.success) expect(ours.data).toStrictEqual(sdk.data);
    if (!ours.success && !sdk.success) expect(ours.error.issues.length).toBeGreaterThan(0);
  });

  it('passes a tool call and a notification on as they are, without a copy', () => {
    for (const text of [messages[0]!, messages[3]!, messages[5]!]) {
      const value: unknown = JSON.parse(text);
      const parsed = parseJsonRpcMessage(value);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toBe(value);
    }
  });

  it('leaves no prototype polluted', () => {
    for (const text of messages) parseJsonRpcMessage(JSON.parse(text));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
