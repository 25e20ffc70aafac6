import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { raw, startTestServer, type TestServer } from './http-harness.js';

/**
 * A legacy SSE client that stops reading while it keeps asking for large results must not make the server hold
 * them all: once more than the backlog limit (4 MiB) waits, the session's stream is closed and the session ends.
 */
describe('legacy SSE: a client that stops reading', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('is cut off once large results pile up, instead of buffering them without bound', async () => {
    server = await startTestServer({ enableSse: true });
    // 250 tasks with 20,000-character descriptions: each list_tasks with descriptions is about 5 MB.
    const description = 'x'.repeat(20_000);
    await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        server!.board.createTask({ title: `big ${i}`, created_by: 'seed', description }),
      ),
    );

    // Open the stream, read up to the endpoint event, then stop reading.
    const { port } = new URL(server.url);
    const endpoint = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/sse',
        headers: { accept: 'text/event-stream' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        const onData = (chunk: Buffer) => {
          text += chunk.toString('utf8');
          const match = /event: endpoint\ndata: (.*)\n\n/.exec(text);
          if (match) {
            res.off('data', onData);
            res.pause();
            resolve(match[1]!);
          }
        };
        res.on('data', onData);
        res.on('error', () => undefined);
      });
      req.end();
    });

    let id = 0;
    const post = (method: string, params: unknown, withId = true) =>
      raw(server!.url, {
        method: 'POST',
        path: endpoint,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', ...(withId ? { id: ++id } : {}), method, params }),
      });
    expect(
      (
        await post('initialize', {
          protocolVersion: '2024-11-05',
          capabilities: {},
          clientInfo: { name: 'slow', version: '1' },
        })
      ).status,
    ).toBe(202);
    expect((await post('notifications/initialized', undefined, false)).status).toBe(202);

    const big = { name: 'list_tasks', arguments: { include_description: true, limit: 1000 } };
    for (let i = 0; i < 6; i++) {
      const status = (await post('tools/call', big)).status;
      if (status === 404) break;
      expect(status).toBe(202);
    }
    // The session ends once the backlog passes the limit: its endpoint then answers 404.
    await expect
      .poll(async () => (await post('ping', {})).status, { timeout: 8_000, interval: 100 })
      .toBe(404);
  });
});
