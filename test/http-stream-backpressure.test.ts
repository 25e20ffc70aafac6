import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MCP_ACCEPT, rawSession, startTestServer, type TestServer } from './http-harness.js';

/**
 * A client that opens the GET stream and then stops reading must not make the server buffer its notifications
 * without bound: once the backlog passes the stream limit the server drops the stream (the client reconnects and
 * re-reads state), and the session stops counting it.
 */
describe('Streamable HTTP: a GET stream whose client stops reading', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** 2048 spellings of `queue://stats/<queue>`: each of the first 11 characters plain or percent-encoded. */
  function spellings(queue: string): string[] {
    let out = [''];
    for (const ch of queue.slice(0, 11)) {
      const enc = `%${ch.charCodeAt(0).toString(16)}`;
      out = out.flatMap((prefix) => [prefix + ch, prefix + enc]);
    }
    return out.map((name) => `queue://stats/${name}${queue.slice(11)}`);
  }

  it('is closed by the server once its backlog passes the limit', async () => {
    server = await startTestServer({ maxBodyBytes: 4 * 1024 * 1024 });
    const s = server;
    const session = await rawSession(s.url);
    const headers = { 'content-type': 'application/json', accept: MCP_ACCEPT, 'mcp-session-id': session };
    // 2048 subscriptions that all fire on every write to the queue: each write queues ~2048 notifications.
    const queue = `backlogged!${'q'.repeat(89)}`;
    const uris = spellings(queue);
    for (let from = 0; from < uris.length; from += 64) {
      await Promise.all(
        uris.slice(from, from + 64).map(async (uri, i) => {
          const res = await fetch(`${s.url}/mcp`, {
            method: 'POST',
            headers,
            body: JSON.stringify({
              jsonrpc: '2.0',
              id: from + i + 1,
              method: 'resources/subscribe',
              params: { uri },
            }),
          });
          expect(res.status).toBe(200);
          await res.text();
        }),
      );
    }

    // The GET stream, from a socket that stops reading once the stream is open.
    const socket: Socket = connect(s.http.port, '127.0.0.1');
    const ended = new Promise<void>((resolve) => {
      socket.on('close', () => resolve());
      socket.on('end', () => resolve());
    });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      let head = '';
      const onData = (d: Buffer): void => {
        head += d.toString('latin1');
        if (head.includes('\r\n\r\n')) {
          socket.off('data', onData);
          socket.pause();
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write(
        `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: ${session}\r\n\r\n`,
      );
    });
    expect(await server.metrics.registry.render()).toMatch(
      /tinytask_sessions_open\{transport="streamable_http"\} 1/,
    );

    // ~200 writes × 2048 notifications of ~250 bytes (100 MB): far more than socket buffers and the stream limit.
    for (let i = 0; i < 200; i++) {
      await s.board.createTask({ title: `t${i}`, created_by: 'writer', queue_name: queue });
    }
    // A request on the session after the writes: every notification has been handed to the stream by now.
    const ping = await fetch(`${s.url}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 'ping', method: 'ping' }),
    });
    expect(ping.status).toBe(200);
    await ping.text();

    socket.on('data', () => undefined);
    socket.resume();
    await ended;
    socket.destroy();
    // ~400,000 notifications through a real socket: minutes on a loaded 2-CPU machine, seconds on an idle one. The
    // generous bound keeps the assertion (the server drops the stream) without failing on a busy machine.
  }, 180_000);

  it('still delivers one result larger than the limit to a client that reads (SSE-only POST)', async () => {
    server = await startTestServer();
    const s = server;
    const description = 'd'.repeat(19_000);
    for (let i = 0; i < 250; i++) {
      await s.board.createTask({ title: `big ${i}`, created_by: 'writer', description });
    }
    const session = await rawSession(s.url);
    const res = await fetch(`${s.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'mcp-session-id': session },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'list_tasks', arguments: { include_description: true, limit: 250 } },
      }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024);
    const data = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { id?: number; result?: { content: Array<{ text: string }> } });
    const answer = data.find((m) => m.id === 1);
    expect(answer?.result?.content[0]?.text).toContain(description);
  }, 60_000);
});
