import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initializeBody,
  MCP_ACCEPT,
  raw,
  rawSession,
  startTestServer,
  type TestServer,
} from './http-harness.js';

/** Every wrong request to the HTTP front gets its status code and, on MCP routes, a JSON-RPC error body. */
describe('HTTP status codes (raw HTTP)', () => {
  let server: TestServer;
  let session: string;
  beforeAll(async () => {
    server = await startTestServer({ maxBodyBytes: 2048 });
    session = await rawSession(server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  const json = { 'content-type': 'application/json', accept: MCP_ACCEPT };
  const listTools = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} });
  const rpcError = (body: string): { code: number; message: string } => {
    const parsed = JSON.parse(body) as {
      jsonrpc: string;
      id: null;
      error: { code: number; message: string };
    };
    expect(parsed.jsonrpc).toBe('2.0');
    expect(parsed.id).toBeNull();
    return parsed.error;
  };

  it('405 with Allow for other methods', async () => {
    const put = await raw(server.url, { method: 'PUT', path: '/mcp', headers: json, body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST, DELETE, OPTIONS');
    expect(rpcError(put.body).message).toMatch(/Method Not Allowed/);
    const post = await raw(server.url, { method: 'POST', path: '/health', body: '' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('406 when neither JSON nor SSE is acceptable', async () => {
    const res = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { 'content-type': 'application/json', accept: 'text/html' },
      body: initializeBody(),
    });
    expect(res.status).toBe(406);
    expect(rpcError(res.body).message).toMatch(/Not Acceptable/);
    const get = await raw(server.url, {
      path: '/mcp',
      headers: { accept: 'application/json', 'mcp-session-id': session },
    });
    expect(get.status).toBe(406);
  });

  it('415 for a POST that is not application/json', async () => {
    const res = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { 'content-type': 'text/plain', accept: MCP_ACCEPT, 'mcp-session-id': session },
      body: listTools,
    });
    expect(res.status).toBe(415);
    expect(rpcError(res.body).message).toMatch(/Content-Type must be application\/json/);
  });

  it('400 with a JSON-RPC parse error for bad JSON, with and without a session', async () => {
    const fresh = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: json,
      body: '{"jsonrpc": ',
    });
    expect(fresh.status).toBe(400);
    expect(rpcError(fresh.body).code).toBe(-32700);
    const inSession = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, 'mcp-session-id': session },
      body: 'not json',
    });
    expect(inSession.status).toBe(400);
    expect(rpcError(inSession.body).code).toBe(-32700);
  });

  it('400 for JSON that is not JSON-RPC', async () => {
    const fresh = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: json,
      body: '{"hello":"world"}',
    });
    expect(fresh.status).toBe(400);
    expect(rpcError(fresh.body).code).toBe(-32600);
    const inSession = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, 'mcp-session-id': session },
      body: '{"hello":"world"}',
    });
    expect(inSession.status).toBe(400);
  });

  it('400 when a non-initialize request has no Mcp-Session-Id', async () => {
    const res = await raw(server.url, { method: 'POST', path: '/mcp', headers: json, body: listTools });
    expect(res.status).toBe(400);
    expect(rpcError(res.body).message).toMatch(/Mcp-Session-Id header is required/);
    const get = await raw(server.url, { path: '/mcp', headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(400);
  });

  it('413 past the body limit, declared or chunked', async () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'create_task', arguments: { title: 'x'.repeat(4000), created_by: 'a' } },
    });
    const declared = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, 'mcp-session-id': session, 'content-length': String(Buffer.byteLength(big)) },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(rpcError(declared.body).message).toMatch(/2048 bytes/);
    const chunked = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, 'mcp-session-id': session, 'transfer-encoding': 'chunked' },
      chunks: [
        Buffer.from(big.slice(0, 1500)),
        Buffer.from(big.slice(1500, 3000)),
        Buffer.from(big.slice(3000)),
      ],
    });
    expect(chunked.status).toBe(413);
    // Nothing was written.
    const count = JSON.parse((await raw(server.url, { path: '/api/metrics' })).body) as {
      tasks: { total: number };
    };
    expect(count.tasks.total).toBe(0);
  });

  it('404 for an unknown session and for an unknown path', async () => {
    const res = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, 'mcp-session-id': 'no-such-session' },
      body: listTools,
    });
    expect(res.status).toBe(404);
    expect(rpcError(res.body).code).toBe(-32001);
    const del = await raw(server.url, {
      method: 'DELETE',
      path: '/mcp',
      headers: { 'mcp-session-id': 'nope' },
    });
    expect(del.status).toBe(404);
    const path = await raw(server.url, { path: '/nothing-here' });
    expect(path.status).toBe(404);
    expect(JSON.parse(path.body)).toEqual({ error: 'Not Found: /nothing-here' });
  });

  it('202 for a notification, 409 for a second GET stream on one session', async () => {
    const note = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, 'mcp-session-id': session },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }),
    });
    expect(note.status).toBe(202);

    const controller = new AbortController();
    const first = await fetch(`${server.url}/mcp`, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': session },
      signal: controller.signal,
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    const second = await raw(server.url, {
      path: '/mcp',
      headers: { accept: 'text/event-stream', 'mcp-session-id': session },
    });
    expect(second.status).toBe(409);
    controller.abort();
  });

  it('409 for a request id already in flight in the session (here: repeated inside one batch)', async () => {
    const res = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, 'mcp-session-id': session },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 'same', method: 'ping' },
        { jsonrpc: '2.0', id: 'same', method: 'tools/list', params: {} },
      ]),
    });
    expect(res.status).toBe(409);
    expect(rpcError(res.body)).toMatchObject({
      code: -32600,
      message: expect.stringMatching(/"same" is already in use/),
    });
  });

  it('400 for an unsupported MCP-Protocol-Version header', async () => {
    const res = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, 'mcp-session-id': session, 'mcp-protocol-version': '1999-01-01' },
      body: listTools,
    });
    expect(res.status).toBe(400);
    expect(rpcError(res.body).message).toMatch(/Unsupported protocol version/);
  });
});
