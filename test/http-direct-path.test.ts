import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_ACCEPT, rawSession, startTestServer, type TestServer } from './http-harness.js';

/**
 * A single request in a session, the commonest request of all, through the one path (src/transport/http/streamable.ts
 * and uws-streamable.ts): the answers the SDK's own transport gave before it was replaced — same body, same headers,
 * same refusals for anything unusual.
 */
describe('HTTP direct request path', () => {
  let server: TestServer;
  let session: string;
  beforeAll(async () => {
    server = await startTestServer();
    session = await rawSession(server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: MCP_ACCEPT,
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-11-25',
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('answers a tool call with plain JSON, the session id header and the request id (string ids too)', async () => {
    const res = await post({
      jsonrpc: '2.0',
      id: 'call-1',
      method: 'tools/call',
      params: { name: 'list_queues', arguments: {} },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('mcp-session-id')).toBe(session);
    const body = (await res.json()) as { jsonrpc: string; id: unknown; result: { content: unknown[] } };
    expect(body.jsonrpc).toBe('2.0');
    expect(body.id).toBe('call-1');
    expect(Array.isArray(body.result.content)).toBe(true);
  });

  it('answers protocol errors (unknown method) as JSON-RPC errors with the request id', async () => {
    const res = await post({ jsonrpc: '2.0', id: 9, method: 'no/such/method', params: {} });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: unknown; error: { code: number } };
    expect(body.id).toBe(9);
    expect(body.error.code).toBe(-32601);
  });

  it('refuses a malformed JSON-RPC request as the SDK transport did (400, -32700, id null)', async () => {
    const res = await post({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: 'not an object' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { id: unknown; error: { code: number } };
    expect(body.id).toBeNull();
    expect(body.error.code).toBe(-32700);
  });

  it('sends a request after DELETE to 404, not to the closed session', async () => {
    const other = await rawSession(server.url);
    const del = await fetch(`${server.url}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': other, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(del.status).toBe(200);
    const res = await post({ jsonrpc: '2.0', id: 11, method: 'ping' }, { 'mcp-session-id': other });
    expect(res.status).toBe(404);
  });
});
