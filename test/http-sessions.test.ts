import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  initializeBody,
  MCP_ACCEPT,
  rawSession,
  startTestServer,
  type TestServer,
  openGetStream,
} from './http-harness.js';

const headers = (session?: string): Record<string, string> => ({
  'content-type': 'application/json',
  accept: MCP_ACCEPT,
  ...(session ? { 'mcp-session-id': session } : {}),
});

async function waitForActiveSessions(url: string, n: number): Promise<void> {
  for (;;) {
    const api = (await (await fetch(`${url}/api/metrics`)).json()) as { connections: { active: number } };
    if (api.connections.active === n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const listTools = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });

describe('Streamable HTTP sessions', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('expires an idle session: its id answers 404 and the client re-initializes', async () => {
    server = await startTestServer({ sessionIdleTimeoutMs: 300 });
    const session = await rawSession(server.url);
    // Wait (polling the metrics, which does not touch the session) until the sweeper has closed it.
    await waitForActiveSessions(server.url, 0);
    const gone = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: headers(session),
      body: listTools,
    });
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: number } }).error.code).toBe(-32001);

    const again = await rawSession(server.url);
    expect(again).not.toBe(session);
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: headers(again),
      body: listTools,
    });
    expect(res.status).toBe(200);
    await res.text();
  });

  it('lets the SDK client recover from an expired session by reconnecting', async () => {
    server = await startTestServer({ sessionIdleTimeoutMs: 300 });
    const transport = new StreamableHTTPClientTransport(server.mcpUrl);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(transport);
    await client.close(); // closes the GET stream: the session can now go idle
    const sessionId = transport.sessionId!;
    await waitForActiveSessions(server.url, 0);
    const gone = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: headers(sessionId),
      body: listTools,
    });
    expect(gone.status).toBe(404);
    await gone.text();
    const fresh = new Client({ name: 'c', version: '1' });
    await fresh.connect(new StreamableHTTPClientTransport(server.mcpUrl));
    expect((await fresh.listTools()).tools.length).toBeGreaterThan(0);
    await fresh.close();
  });

  it('ends a session on DELETE', async () => {
    server = await startTestServer();
    const session = await rawSession(server.url);
    const del = await fetch(`${server.url}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': session },
    });
    expect(del.status).toBe(200);
    await del.text();
    const after = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: headers(session),
      body: listTools,
    });
    expect(after.status).toBe(404);
    await after.text();
    const api = (await (await fetch(`${server.url}/api/metrics`)).json()) as {
      connections: { active: number };
    };
    expect(api.connections.active).toBe(0);
  });

  it('terminates through the SDK client (terminateSession)', async () => {
    server = await startTestServer();
    const transport = new StreamableHTTPClientTransport(server.mcpUrl);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(transport);
    const id = transport.sessionId!;
    await transport.terminateSession();
    await client.close();
    const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers: headers(id), body: listTools });
    expect(res.status).toBe(404);
    await res.text();
  });

  it('refuses initialize past the session cap with 503 and a JSON-RPC error, and accepts again once one ends', async () => {
    server = await startTestServer({ maxSessions: 2 });
    const a = await rawSession(server.url);
    const b = await rawSession(server.url);
    // Sessions holding an open GET stream are never evicted to make room (see http-session-eviction.test.ts).
    const streams = await Promise.all([a, b].map((id) => openGetStream(server!.url, id)));
    const refused = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: headers(),
      body: initializeBody(),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    const body = (await refused.json()) as { jsonrpc: string; error: { code: number; message: string } };
    expect(body.jsonrpc).toBe('2.0');
    expect(body.error.message).toMatch(/too many open sessions/);

    const del = await fetch(`${server.url}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': a } });
    await del.text();
    expect(await rawSession(server.url)).toBeTruthy();
    for (const ac of streams) ac.abort();
  });
});
