import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { WEB_DIR } from '../../assets.js';
import { type HttpContext, send } from './adapter.js';

/**
 * The live board's files (src/web, copied to dist/web by scripts/copy-assets.mjs): read once at start-up, kept in
 * memory (a few tens of kilobytes) and served with an ETag, `no-cache` (revalidate, so an upgrade is seen at once)
 * and a strict Content-Security-Policy. `/` is the page; every other file is under `/board/`.
 */

export const BOARD_ASSET_PREFIX = '/board/';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** The board's files by URL path (`/` for index.html). Empty when the directory is missing. */
export function loadBoardAssets(dir = WEB_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name === 'index.html' ? '/' : `${BOARD_ASSET_PREFIX}${name}`, { body, type, etag });
  }
  return files;
}

/** The page may load its own files and talk to this server (HTTP and WebSocket) only; nobody may frame it. */
export function boardCsp(host: string | undefined): string {
  const self = host ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${self}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function serveStatic(ctx: HttpContext, file: StaticFile): void {
  const headers: Array<[string, string]> = [
    ['Content-Type', file.type],
    ['ETag', file.etag],
    ['Cache-Control', 'no-cache'],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
  ];
  if (file.type.startsWith('text/html')) {
    headers.push(['Content-Security-Policy', boardCsp(ctx.header('host'))], ['X-Frame-Options', 'DENY']);
  }
  const match = ctx.header('if-none-match');
  if (match !== undefined && match.split(',').some((t) => t.trim() === file.etag)) {
    send(ctx, 304, headers);
    return;
  }
  send(ctx, 200, headers, file.body);
}
