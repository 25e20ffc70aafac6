import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, chromiumAvailable, launchChromium, presetToken } from './browser-harness.js';
import { raw, startTestServer, toolJson, type TestServer } from './http-harness.js';

const TOKEN = 'board-page-token';
const FOREIGN_HOST = 'foreign.example';

// Browser globals inside page.evaluate callbacks (the test program has no DOM types).
declare const window: unknown;
declare const document: { querySelector(s: string): { textContent: string } | null };

interface CardText {
  textContent: string;
}

/** Empties a filter input the way a user would, so the page sees an input event. */
async function clearInput(page: Page, selector: string): Promise<void> {
  await page.$eval(selector, (n) => {
    const input = n as unknown as { value: string; dispatchEvent(e: unknown): void };
    input.value = '';
    input.dispatchEvent(new (window as { Event: new (t: string) => unknown }).Event('input'));
  });
}

describe('the live board page in headless Chromium', () => {
  let server: TestServer;
  let client: Client;
  let browser: Browser;
  let page: Page;
  let foreign: Server;
  let foreignPort: number;
  let navigations = 0;

  beforeAll(async () => {
    server = await startTestServer({ authToken: TOKEN });
    client = await server.client('board-page-test', { Authorization: `Bearer ${TOKEN}` });
    // A page on another origin that tries to use the board's API and socket.
    foreign = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>foreign</title>');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    foreignPort = (foreign.address() as AddressInfo).port;
    if (!chromiumAvailable()) throw new Error('chromium is not installed (apt-get install chromium)');
    // foreign.example resolves to this machine, so a real non-loopback origin can be tried.
    browser = await launchChromium([`--host-resolver-rules=MAP ${FOREIGN_HOST} 127.0.0.1`]);
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => foreign?.close(resolve));
    await server?.close();
  });

  async function create(args: Record<string, unknown>): Promise<{ id: number }> {
    const result = await client.callTool({ name: 'create_task', arguments: args });
    expect(result.isError).toBeFalsy();
    return toolJson<{ id: number }>(result);
  }

  it('asks for the token, refuses the API without it, and renders the board once it is given', async () => {
    await create({
      title: 'Write the release notes',
      created_by: 'alice',
      assigned_to: 'bob',
      priority: 2,
      tags: ['docs'],
    });
    const claimed = await create({
      title: 'Fix the flaky login test',
      created_by: 'alice',
      assigned_to: 'carol',
    });
    await client.callTool({ name: 'update_task', arguments: { id: claimed.id, status: 'working' } });

    const unauthorized = await raw(server.url, { path: '/api/v1/tasks' });
    expect(unauthorized.status).toBe(401);

    await page.goto(`${server.url}/`);
    page.on('framenavigated', () => (navigations += 1));
    const form = await page.waitForSelector('[data-testid="token-form"]');
    expect(form).not.toBeNull();
    expect(await page.evaluate(() => document.querySelector('[data-testid="connection"]')?.textContent)).toBe(
      'signed out',
    );

    await page.type('[data-testid="token-form"] input', TOKEN);
    await page.click('[data-testid="token-form"] button');
    await page.waitForSelector('[data-testid="connection"].conn-live');
    const idle = await page.waitForSelector('[data-testid="column-idle"] .card');
    expect(await idle!.evaluate((n) => (n as unknown as CardText).textContent)).toContain(
      'Write the release notes',
    );
    const working = await page.waitForSelector('[data-testid="column-working"] .card');
    expect(await working!.evaluate((n) => (n as unknown as CardText).textContent)).toContain('@carol');
    // The token is kept for this tab only.
    expect(
      await page.evaluate(() =>
        (window as { sessionStorage: { getItem(k: string): string } }).sessionStorage.getItem(
          'tinytask.board.token',
        ),
      ),
    ).toBe(TOKEN);
  });

  it('shows a task created through MCP within one second, without a reload', async () => {
    const before = navigations;
    const task = await create({ title: 'Pushed live to the board', created_by: 'dave', assigned_to: 'erin' });
    const started = Date.now();
    await page.waitForSelector(`[data-testid="column-idle"] [data-task-id="${task.id}"]`, { timeout: 1000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(navigations).toBe(before);
  });

  it('opens the detail with comments, links and lease/attempts, and follows new comments live', async () => {
    const task = await create({ title: 'Hand-off with notes', created_by: 'alice', assigned_to: 'bob' });
    await client.callTool({
      name: 'add_comment',
      arguments: { task_id: task.id, content: 'Step 1 done; the parser is next.', created_by: 'alice' },
    });
    await client.callTool({
      name: 'add_link',
      arguments: {
        task_id: task.id,
        url: 'https://example.com/pr/7',
        description: 'PR',
        created_by: 'alice',
      },
    });
    // A locator retries when a live re-render replaces the card between finding it and clicking it.
    await page.locator(`[data-task-id="${task.id}"]`).click();
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="comments"]')?.textContent.includes('the parser is next') ??
        false,
    );
    const detail = await page.$eval('[data-testid="detail"]', (n) => (n as unknown as CardText).textContent);
    expect(detail).toContain('Hand-off with notes');
    expect(detail).toContain('https://example.com/pr/7');
    expect(detail).toContain('Lease and attempts');
    await client.callTool({
      name: 'add_comment',
      arguments: { task_id: task.id, content: 'Parser done too.', created_by: 'bob' },
    });
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="comments"]')?.textContent.includes('Parser done too.') ?? false,
    );
    await page.screenshot({ path: join(artifactsDir(), 'board-detail.png') });
    await page.keyboard.press('Escape');
  });

  it('filters by agent and text', async () => {
    await page.type('input[aria-label="Agent"]', 'carol');
    await page.waitForFunction(() => {
      const cards = (document as unknown as { querySelectorAll(s: string): CardText[] }).querySelectorAll(
        '.card',
      );
      return cards.length === 1 && cards[0]!.textContent.includes('flaky login');
    });
    await clearInput(page, 'input[aria-label="Agent"]');
    await page.type('input[aria-label="Text"]', 'release notes');
    await page.waitForFunction(() => {
      const cards = (document as unknown as { querySelectorAll(s: string): CardText[] }).querySelectorAll(
        '.card',
      );
      return cards.length === 1 && cards[0]!.textContent.includes('release notes');
    });
    await clearInput(page, 'input[aria-label="Text"]');
    await page.waitForFunction(
      () =>
        (document as unknown as { querySelectorAll(s: string): CardText[] }).querySelectorAll('.card')
          .length > 3,
    );
    await page.screenshot({ path: join(artifactsDir(), 'board.png') });
  });

  it('is usable on a phone: one column at a time, chosen with tabs', async () => {
    const phone = await browser.newPage();
    await phone.setViewport({
      width: 390,
      height: 844,
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    await presetToken(phone, TOKEN);
    await phone.goto(`${server.url}/`);
    await phone.waitForSelector('[data-testid="connection"].conn-live');
    await phone.waitForSelector('[data-testid="column-working"] .card', { visible: true });
    expect(await phone.$('[data-testid="column-idle"] .card')).not.toBeNull();
    expect(
      await phone.$eval(
        '[data-testid="column-idle"]',
        (n) => (n as unknown as { offsetParent: unknown }).offsetParent,
      ),
    ).toBeNull();
    await phone.tap('.tab[data-status="idle"]');
    await phone.waitForSelector('[data-testid="column-idle"] .card', { visible: true });
    const width = await phone.evaluate(
      () => (document as unknown as { documentElement: { scrollWidth: number } }).documentElement.scrollWidth,
    );
    expect(width).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(artifactsDir(), 'board-phone.png') });
    await phone.close();
  });

  it('refuses a foreign origin: the page, the API and the socket', async () => {
    const pageRes = await raw(server.url, { path: '/', headers: { origin: `http://${FOREIGN_HOST}` } });
    expect(pageRes.status).toBe(403);
    const other = await browser.newPage();
    await other.goto(`http://${FOREIGN_HOST}:${foreignPort}/`);
    const outcome = await other.evaluate(
      async (board, token) => {
        const w = window as {
          fetch(u: string, i: unknown): Promise<{ status: number }>;
          WebSocket: new (
            u: string,
            p: string[],
          ) => { onopen: () => void; onclose: (e: { code: number }) => void };
          btoa(s: string): string;
        };
        let api: string;
        try {
          const res = await w.fetch(`${board}/api/v1/tasks`, {
            headers: { Authorization: `Bearer ${token}` },
          });
          api = `status ${res.status}`;
        } catch {
          api = 'blocked';
        }
        const socket = await new Promise<string>((resolve) => {
          const b64 = w.btoa(token).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
          const ws = new w.WebSocket(`${board.replace('http', 'ws')}/board/ws`, [
            'tinytask.board.v1',
            `tinytask.bearer.${b64}`,
          ]);
          ws.onopen = () => resolve('open');
          ws.onclose = (e) => resolve(`closed ${e.code}`);
        });
        return { api, socket };
      },
      server.url,
      TOKEN,
    );
    // The preflight is refused (403 without CORS headers), so the browser never sends the request.
    expect(outcome.api).toBe('blocked');
    expect(outcome.socket).toBe('closed 1006');
    await other.close();
  });
});
