import { invalidCursor } from './errors.js';

/**
 * Opaque cursors for the MCP list methods. A cursor is base64url JSON naming the list it belongs to, so a cursor
 * from one list cannot be replayed on another; anything that does not decode is refused with InvalidParams.
 */

export function encodeCursor(list: string, position: Record<string, number | string>): string {
  return Buffer.from(JSON.stringify({ l: list, ...position }), 'utf8').toString('base64url');
}

export function decodeCursor(list: string, cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof value !== 'object' || value === null || (value as { l?: unknown }).l !== list)
    throw invalidCursor();
  return value as Record<string, unknown>;
}

/** One page of a fixed list (tools, prompts, templates). */
export function pageOf<T>(list: string, items: readonly T[], cursor: string | undefined, pageSize: number) {
  const position = decodeCursor(list, cursor);
  let offset = 0;
  if (position) {
    const o = position.o;
    if (typeof o !== 'number' || !Number.isInteger(o) || o < 0 || o > items.length) throw invalidCursor();
    offset = o;
  }
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize < items.length ? encodeCursor(list, { o: offset + pageSize }) : undefined;
  return { page, nextCursor: next };
}
