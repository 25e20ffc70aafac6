import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './http-harness.js';

/**
 * A response to HEAD carries headers only (RFC 9110 §9.3.2), whatever its status: a body after it would be read as
 * the start of the next response on a keep-alive connection. Two requests in turn on one socket show it: the second
 * status line must follow the first response's headers directly.
 */
function inTurn(port: number, first: string, second: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let sentSecond = false;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      if (!sentSecond && text.includes('\r\n\r\n')) {
        sentSecond = true;
        socket.write(second);
      }
      // Stop once the second response (a /healthz JSON body) is complete.
      if ((text.match(/HTTP\/1\.1 /g) ?? []).length >= 2 && text.endsWith('}')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.write(first);
  });
}

describe('HEAD responses have no body', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const next = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  it.each([
    ['/mcp', 405],
    ['/metrics', 405],
    ['/nowhere', 404],
  ])('HEAD %s (%i) then GET on the same connection', async (path, status) => {
    const text = await inTurn(server.http.port, `HEAD ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, next);
    const end = text.indexOf('\r\n\r\n');
    expect(text.slice(0, 12)).toBe(`HTTP/1.1 ${status}`);
    expect(text.slice(end + 4, end + 4 + 15)).toBe('HTTP/1.1 200 OK');
  });

  it.each(['/health', '/healthz', '/ready'])(
    'HEAD %s completes and keeps the connection usable, with the length of the GET body',
    async (path) => {
      const text = await inTurn(server.http.port, `HEAD ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, next);
      const end = text.indexOf('\r\n\r\n');
      expect(text.slice(0, 15)).toBe('HTTP/1.1 200 OK');
      expect(Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1])).toBeGreaterThan(0);
      expect(text.slice(end + 4, end + 4 + 15)).toBe('HTTP/1.1 200 OK');
    },
  );

  it('HEAD with a forbidden Host gets 403 without a body', async () => {
    const text = await inTurn(server.http.port, 'HEAD /mcp HTTP/1.1\r\nHost: evil.example\r\n\r\n', next);
    const end = text.indexOf('\r\n\r\n');
    expect(text.slice(0, 12)).toBe('HTTP/1.1 403');
    expect(text.slice(end + 4, end + 4 + 15)).toBe('HTTP/1.1 200 OK');
  });
});
