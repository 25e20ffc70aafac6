import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_PROTOCOL, BOARD_SOCKET_PATH } from '../src/transport/http/board-socket.js';
import { bucketQuantile } from '../src/transport/http/board-stats.js';
import { bearerProtocol, chromiumAvailable, launchChromium, upgradeStatus } from './browser-harness.js';
import { raw, startTestServer, type TestServer } from './http-harness.js';

const TOKEN = 'board-socket-token';

// Browser globals inside page.evaluate callbacks (the test program has no DOM types).
declare const window: unknown;
declare const location: { host: string };

describe('live board: static files and the board socket', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer({ authToken: TOKEN });
    if (!chromiumAvailable()) throw new Error('chromium is not installed (apt-get install chromium)');
    browser = await launchChromium();
    page = await browser.newPage();
    // Any same-origin page will do as the place the socket is opened from.
    await page.goto(`${server.url}/board/icon.svg`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves the page without a token, with a strict CSP, an ETag and 304 on revalidation', async () => {
    const res = await raw(server.url, { path: '/' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('/board/board.js');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    const etag = String(res.headers.etag);
    const again = await raw(server.url, { path: '/', headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    const js = await raw(server.url, { path: '/board/board.js' });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await raw(server.url, { path: '/board/nope.js' })).status).toBe(404);
  });

  it('refuses a foreign origin and a foreign Host for the page and the socket', async () => {
    const page403 = await raw(server.url, { path: '/', headers: { origin: 'http://evil.example' } });
    expect(page403.status).toBe(403);
    expect(page403.body).toContain('Origin');
    const host403 = await raw(server.url, { path: '/', headers: { host: 'evil.example' } });
    expect(host403.status).toBe(403);
    const ws = await upgradeStatus(server.url, BOARD_SOCKET_PATH, {
      Origin: 'http://evil.example',
      'Sec-WebSocket-Protocol': `${BOARD_PROTOCOL}, ${bearerProtocol(TOKEN)}`,
    });
    expect(ws.status).toBe(403);
    expect(ws.body).toContain('Origin');
    const wsHost = await upgradeStatus(server.url, BOARD_SOCKET_PATH, {
      Host: 'evil.example',
      'Sec-WebSocket-Protocol': `${BOARD_PROTOCOL}, ${bearerProtocol(TOKEN)}`,
    });
    expect(wsHost.status).toBe(403);
  });

  it('refuses the socket without a token or with a wrong one, and upgrades with the right one', async () => {
    const none = await upgradeStatus(server.url, BOARD_SOCKET_PATH, {
      'Sec-WebSocket-Protocol': BOARD_PROTOCOL,
    });
    expect(none.status).toBe(401);
    const wrong = await upgradeStatus(server.url, BOARD_SOCKET_PATH, {
      'Sec-WebSocket-Protocol': `${BOARD_PROTOCOL}, ${bearerProtocol('nope')}`,
    });
    expect(wrong.status).toBe(401);
    const ok = await upgradeStatus(server.url, BOARD_SOCKET_PATH, {
      Origin: server.url,
      'Sec-WebSocket-Protocol': `${BOARD_PROTOCOL}, ${bearerProtocol(TOKEN)}`,
    });
    expect(ok.status).toBe(101);
    // The token subprotocol is never echoed back.
    expect(ok.protocol).toBe(BOARD_PROTOCOL);
    const header = await upgradeStatus(server.url, BOARD_SOCKET_PATH, { Authorization: `Bearer ${TOKEN}` });
    expect(header.status).toBe(101);
    const plain = await raw(server.url, { path: BOARD_SOCKET_PATH });
    expect(plain.status).toBe(426);
  });

  it('pushes hello, stats and the writer change events to a browser, and a browser without a token is refused', async () => {
    await page.evaluate(
      (path, protocols) => {
        const w = window as unknown as { msgs: unknown[]; closed: boolean };
        w.msgs = [];
        w.closed = false;
        const ws = new WebSocket(`ws://${location.host}${path}`, protocols);
        ws.onmessage = (e) => w.msgs.push(JSON.parse(String(e.data)));
        ws.onclose = () => (w.closed = true);
      },
      BOARD_SOCKET_PATH,
      [BOARD_PROTOCOL, bearerProtocol(TOKEN)],
    );
    await page.waitForFunction(() =>
      (window as unknown as { msgs: Array<{ type: string }> }).msgs.some((m) => m.type === 'hello'),
    );
    const task = await server.board.createTask({ title: 'pushed', created_by: 'alice' });
    const change = await page.waitForFunction(
      (id) =>
        (window as unknown as { msgs: Array<{ type: string; tasks?: number[] }> }).msgs.find(
          (m) => m.type === 'change' && m.tasks?.includes(id),
        ),
      {},
      task.id,
    );
    expect(await change.jsonValue()).toMatchObject({ type: 'change', tasks: [task.id], reload: false });
    const msgs = await page.evaluate(() => (window as unknown as { msgs: Array<{ type: string }> }).msgs);
    expect(msgs[0]).toMatchObject({ type: 'hello', operator: false, agent: null });
    await page.waitForFunction(() =>
      (window as unknown as { msgs: Array<{ type: string }> }).msgs.some((m) => m.type === 'stats'),
    );

    const refused = await page.evaluate(
      (path, protocol) =>
        new Promise<{ opened: boolean; code: number }>((resolve) => {
          let opened = false;
          const ws = new WebSocket(`ws://${location.host}${path}`, [protocol]);
          ws.onopen = () => (opened = true);
          ws.onclose = (e) => resolve({ opened, code: e.code });
        }),
      BOARD_SOCKET_PATH,
      BOARD_PROTOCOL,
    );
    expect(refused).toEqual({ opened: false, code: 1006 });
  });

  it('computes latency percentiles from histogram buckets', () => {
    const bounds = [0.001, 0.01, 0.1];
    expect(bucketQuantile(bounds, [0, 0, 0], 0, 0.5)).toBeNull();
    expect(bucketQuantile(bounds, [10, 10, 10], 10, 0.5)).toBeCloseTo(0.0005);
    expect(bucketQuantile(bounds, [0, 10, 10], 10, 0.95)).toBeCloseTo(0.001 + 0.009 * 0.95);
    expect(bucketQuantile(bounds, [0, 0, 0], 4, 0.5)).toBe(0.1);
  });
});
