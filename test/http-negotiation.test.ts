import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_ACCEPT, raw, rawSession, startTestServer, type TestServer } from './http-harness.js';

/** JSON answers when nothing needs streaming; SSE when the client only takes SSE or the server has more to say. */
describe('Streamable HTTP: JSON or SSE answers', () => {
  let server: TestServer;
  let session: string;
  beforeAll(async () => {
    server = await startTestServer();
    session = await rawSession(server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  const call = (id: number, name: string, args: Record<string, unknown>): string =>
    JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  const post = (accept: string, body: string) =>
    raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { 'content-type': 'application/json', accept, 'mcp-session-id': session },
      body,
    });
  const sseMessages = (body: string): Array<Record<string, unknown>> =>
    body
      .split('\n\n')
      .map((event) => event.split('\n').find((l) => l.startsWith('data: ')))
      .filter((l): l is string => !!l)
      .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);

  it('answers a plain tool call with JSON when the client accepts both', async () => {
    const res = await post(MCP_ACCEPT, call(1, 'create_task', { title: 'json please', created_by: 'a' }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['mcp-session-id']).toBe(session);
    const body = JSON.parse(res.body) as { id: number; result: { isError?: boolean } };
    expect(body.id).toBe(1);
    expect(body.result.isError).toBeFalsy();
  });

  it('answers with SSE when the client accepts only text/event-stream', async () => {
    const res = await post('text/event-stream', call(2, 'list_queues', {}));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const messages = sseMessages(res.body);
    expect(messages.at(-1)).toMatchObject({ jsonrpc: '2.0', id: 2 });
  });

  it('switches to SSE when the server sends a message for the request (a log notification on a tool error)', async () => {
    const res = await post(MCP_ACCEPT, call(3, 'get_task', { id: 987654 }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const messages = sseMessages(res.body);
    expect(messages[0]).toMatchObject({ method: 'notifications/message', params: { level: 'warning' } });
    expect(messages.at(-1)).toMatchObject({ id: 3, result: { isError: true } });
  });

  it('keeps JSON for a client that accepts only JSON (server messages for the request are dropped)', async () => {
    const res = await post('application/json', call(4, 'get_task', { id: 987654 }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toMatchObject({ id: 4, result: { isError: true } });
  });

  it('answers a JSON-RPC batch with a JSON array', async () => {
    const res = await post(
      MCP_ACCEPT,
      JSON.stringify([
        { jsonrpc: '2.0', id: 10, method: 'tools/list', params: {} },
        { jsonrpc: '2.0', id: 11, method: 'ping' },
      ]),
    );
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as Array<{ id: number }>;
    expect(body.map((m) => m.id).sort()).toEqual([10, 11]);
  });

  it('treats a missing Accept header as accepting both', async () => {
    const res = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { 'content-type': 'application/json', 'mcp-session-id': session },
      body: JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'ping' }),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ jsonrpc: '2.0', id: 12, result: {} });
  });
});
