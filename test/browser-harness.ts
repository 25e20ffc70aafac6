import { existsSync, mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * Real headless Chromium for the board tests (Debian's `chromium`, installed by .ci/run), driven by puppeteer-core.
 * `CHROMIUM_PATH` points elsewhere when needed.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start; the pages are our own, served from 127.0.0.1.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', ...extraArgs],
  });
}

/** The board's token as if entered earlier in this tab (sessionStorage), for pages opened after this call. */
export async function presetToken(page: Page, token: string): Promise<void> {
  await page.evaluateOnNewDocument((t) => {
    (
      globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }
    ).sessionStorage.setItem('tinytask.board.token', t);
  }, token);
}

/**
 * Where screenshots go: `BOARD_ARTIFACTS_DIR` (.ci/run sets it under its log directory and prints it), else a
 * directory under the system temp dir.
 */
export function artifactsDir(): string {
  const dir = process.env.BOARD_ARTIFACTS_DIR ?? join(tmpdir(), 'tinytask-board-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Sends a WebSocket upgrade request and answers the status the server gave (101 when it upgraded). */
export function upgradeStatus(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; protocol?: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: target.hostname,
      port: target.port,
      path,
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      const protocol = res.headers['sec-websocket-protocol'];
      socket.destroy();
      resolve({
        status: res.statusCode ?? 101,
        body: '',
        ...(protocol ? { protocol: String(protocol) } : {}),
      });
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** `tinytask.bearer.<base64url(token)>`: how a browser passes the token to the board socket. */
export function bearerProtocol(token: string): string {
  return `tinytask.bearer.${Buffer.from(token, 'utf8').toString('base64url')}`;
}
