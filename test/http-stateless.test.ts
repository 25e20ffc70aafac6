import { afterEach, describe, expect, it } from 'vitest';
import {
  MCP_ACCEPT,
  initializeBody,
  raw,
  startTestServer,
  type TestServer,
  toolJson,
} from './http-harness.js';

describe('Streamable HTTP in stateless mode', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves the SDK client without sessions', async () => {
    server = await startTestServer({ stateless: true });
    const client = await server.client('stateless');
    const task = toolJson<{ id: number }>(
      await client.callTool({ name: 'create_task', arguments: { title: 'no session', created_by: 'a' } }),
    );
    const again = toolJson<{ title: string }>(
      await client.callTool({ name: 'get_task', arguments: { id: task.id } }),
    );
    expect(again.title).toBe('no session');
    const api = JSON.parse((await raw(server.url, { path: '/api/metrics' })).body) as {
      connections: { active: number };
    };
    expect(api.connections.active).toBe(0);
  });

  it('answers without Mcp-Session-Id; tools/call works without initialize; GET and DELETE are 405', async () => {
    server = await startTestServer({ stateless: true });
    const init = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { 'content-type': 'application/json', accept: MCP_ACCEPT },
      body: initializeBody(),
    });
    expect(init.status).toBe(200);
    expect(init.headers['mcp-session-id']).toBeUndefined();
    const call = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { 'content-type': 'application/json', accept: MCP_ACCEPT },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
    });
    expect(call.status).toBe(200);
    expect((JSON.parse(call.body) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(
      0,
    );
    for (const method of ['GET', 'DELETE']) {
      const res = await raw(server.url, { method, path: '/mcp', headers: { accept: 'text/event-stream' } });
      expect(res.status, method).toBe(405);
      expect(res.headers.allow).toBe('POST, OPTIONS');
    }
  });
});
