import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterEach, describe, expect, it } from 'vitest';
import { raw, startTestServer, type TestServer, toolJson } from './http-harness.js';

describe('legacy HTTP+SSE transport (2024-11-05)', () => {
  let server: TestServer | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
    await server?.close();
    server = undefined;
  });

  async function sseClient(url: string, headers?: Record<string, string>): Promise<Client> {
    const client = new Client({ name: 'old-client', version: '1' });
    const init = headers
      ? {
          requestInit: { headers },
          eventSourceInit: {
            fetch: (u: string | URL, i?: RequestInit) =>
              fetch(u, { ...i, headers: { ...(i?.headers as Record<string, string>), ...headers } }),
          },
        }
      : undefined;
    await client.connect(new SSEClientTransport(new URL(`${url}/sse`), init));
    clients.push(client);
    return client;
  }

  it('is off by default', async () => {
    server = await startTestServer();
    expect((await raw(server.url, { path: '/sse' })).status).toBe(404);
  });

  it('serves the SDK SSE client: tools, calls, and writes seen by a Streamable HTTP session', async () => {
    server = await startTestServer({ enableSse: true });
    const old = await sseClient(server.url);
    expect((await old.listTools()).tools.length).toBeGreaterThan(0);
    const task = toolJson<{ id: number }>(
      await old.callTool({ name: 'create_task', arguments: { title: 'from SSE', created_by: 'legacy' } }),
    );
    const modern = await server.client('modern');
    const seen = toolJson<{ id: number; title: string }>(
      await modern.callTool({ name: 'get_task', arguments: { id: task.id } }),
    );
    expect(seen.title).toBe('from SSE');

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/tinytask_sessions_open\{transport="sse"\} 1/);
  });

  it('sends the endpoint event first and answers POST /messages with 202; the result arrives on the stream', async () => {
    server = await startTestServer({ enableSse: true });
    const controller = new AbortController();
    const res = await fetch(`${server.url}/sse`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const nextEvent = async (): Promise<string> => {
      for (;;) {
        const events = text.split('\n\n');
        const complete = events.slice(0, -1).find((e) => e.includes('event: '));
        if (complete) {
          text = text.slice(text.indexOf(complete) + complete.length + 2);
          return complete;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value, { stream: true });
      }
    };
    const endpoint = await nextEvent();
    expect(endpoint).toMatch(/^event: endpoint\ndata: \/messages\?sessionId=[0-9a-f-]{36}$/m);
    const path = /data: (.*)/.exec(endpoint)![1]!;

    const post = (body: string, contentType = 'application/json') =>
      raw(server!.url, { method: 'POST', path, headers: { 'content-type': contentType }, body });
    const init = await post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2024-11-05',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    );
    expect(init.status).toBe(202);
    const answer = await nextEvent();
    expect(answer).toMatch(/^event: message/);
    expect(JSON.parse(/data: (.*)/.exec(answer)![1]!)).toMatchObject({
      id: 1,
      result: { protocolVersion: '2024-11-05' },
    });

    expect((await post('{bad')).status).toBe(400);
    expect((await post('{"x":1}')).status).toBe(400);
    expect((await post('{}', 'text/plain')).status).toBe(415);
    const unknown = await raw(server.url, {
      method: 'POST',
      path: '/messages?sessionId=00000000-0000-0000-0000-000000000000',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(
      (
        await raw(server.url, {
          method: 'POST',
          path: '/messages',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(400);

    // Closing the stream ends the session.
    controller.abort();
    for (;;) {
      const again = await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      if (again.status === 404) break;
      expect(again.status).toBe(202);
    }
  });

  it('requires the token on /sse and /messages and binds the session to it', async () => {
    server = await startTestServer({ enableSse: true, authToken: 'tok' });
    expect((await raw(server.url, { path: '/sse' })).status).toBe(401);
    const client = await sseClient(server.url, { authorization: 'Bearer tok' });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });
});
