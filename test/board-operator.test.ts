import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, presetToken } from './browser-harness.js';
import { startTestServer, type TestServer } from './http-harness.js';

// Browser globals inside page.evaluate callbacks (the test program has no DOM types).
declare const document: { querySelector(s: string): { textContent: string } | null };

const OPS = 'ops-token';
const ALICE = 'alice-token';

async function openBoard(browser: Browser, url: string, token: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 800 });
  await presetToken(page, token);
  await page.goto(`${url}/`);
  await page.waitForSelector('[data-testid="connection"].conn-live');
  return page;
}

function text(page: Page, selector: string): Promise<string> {
  return page.evaluate((s) => document.querySelector(s)?.textContent ?? '', selector);
}

describe('the live board: operator actions and reconnection', () => {
  let dir: string;
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinytask-board-ops-'));
    const tokensFile = join(dir, 'tokens.json');
    writeFileSync(
      tokensFile,
      JSON.stringify({ [OPS]: { agent: 'ops', role: 'operator' }, [ALICE]: 'alice' }),
    );
    server = await startTestServer({ authTokensFile: tokensFile });
    if (!chromiumAvailable()) throw new Error('chromium is not installed (apt-get install chromium)');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is read-only for an agent token: no operator actions', async () => {
    const task = await server.board.createTask({
      title: 'Alice’s task',
      created_by: 'alice',
      assigned_to: 'alice',
    });
    const page = await openBoard(browser, server.url, ALICE);
    expect(await text(page, '.identity')).toBe('alice · read-only');
    await page.locator(`[data-task-id="${task.id}"]`).click();
    await page.waitForFunction(() => document.querySelector('.detail h3') !== null);
    const detail = await text(page, '[data-testid="detail"]');
    expect(detail).toContain('Lease and attempts');
    expect(detail).not.toContain('Operator actions');
    await page.close();
  });

  it('lets an operator reassign a task from the detail, through the REST API', async () => {
    const task = await server.board.createTask({
      title: 'Move me',
      created_by: 'alice',
      assigned_to: 'alice',
    });
    const page = await openBoard(browser, server.url, OPS);
    expect(await text(page, '.identity')).toBe('ops · operator');
    await page.locator(`[data-task-id="${task.id}"]`).click();
    await page.waitForSelector('.actions input[aria-label="Reassign to"]');
    await page.type('.actions input[aria-label="Reassign to"]', 'bob');
    await page.click('.actions .reassign button');
    await page.waitForFunction(
      (id) => document.querySelector(`[data-task-id="${id}"]`)?.textContent.includes('@bob') ?? false,
      {},
      task.id,
    );
    expect((await server.board.getTask({ id: task.id })).assigned_to).toBe('bob');
    await page.close();
  });

  it('highlights a lease about to expire, and lets an operator release it (requeue_task over REST)', async () => {
    const task = await server.board.createTask({
      title: 'Short lease',
      created_by: 'alice',
      queue_name: 'ops-q',
    });
    const ops = server.board.actingAs({ agent: 'ops', operator: true });
    await ops.claimNextTask({ agent_name: 'alice', task_id: task.id, lease_seconds: 60 });
    const page = await openBoard(browser, server.url, OPS);
    const card = `[data-testid="column-working"] [data-task-id="${task.id}"]`;
    await page.waitForSelector(`${card}.stuck`);
    expect(await text(page, `${card} .badges`)).toContain('lease in');
    expect(await text(page, '[data-testid="stuck"] [data-kind="expiring"] b')).toBe('1');
    await page.locator(card).click();
    await page.locator('.actions button[title^="End the claim"]').click();
    await page.waitForSelector(`[data-testid="column-idle"] [data-task-id="${task.id}"]`);
    const after = await server.board.getTask({ id: task.id });
    expect(after.status).toBe('idle');
    expect(after.lease_expires_at).toBeNull();
    await page.close();
  });

  it('reconnects by itself when the connection drops, and shows what changed meanwhile', async () => {
    // The page talks to the server through a TCP relay, so the test can cut every connection like a network would.
    const target = new URL(server.url);
    const links = new Set<Socket>();
    let cut = false;
    const relay = createNetServer((inbound) => {
      if (cut) return inbound.destroy();
      const outbound = connect(Number(target.port), target.hostname);
      for (const s of [inbound, outbound]) {
        links.add(s);
        s.on('close', () => links.delete(s));
        s.on('error', () => undefined);
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    try {
      const page = await openBoard(browser, relayUrl, OPS);
      cut = true;
      for (const s of links) s.destroy();
      await page.waitForFunction(() => !document.querySelector('[data-testid="connection"].conn-live'));
      const task = await server.board.createTask({
        title: 'Written while the page was cut off',
        created_by: 'ops',
      });
      cut = false;
      await page.waitForSelector('[data-testid="connection"].conn-live', { timeout: 20_000 });
      await page.waitForSelector(`[data-task-id="${task.id}"]`);
      await page.close();
    } finally {
      for (const s of links) s.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});
