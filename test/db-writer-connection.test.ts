import { readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWriterConnection, type Connection } from '../src/db/connection.js';
import { migrate } from '../src/db/migrate.js';
import { tempDir } from './core-support.js';

/** SQLite's temporary files (sub-journals, spilled sorts) are named etilqs_*; they are unlinked at once but stay open. */
function openTempFiles(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.includes('etilqs_')) out.push(target);
    } catch {
      // The fd closed while we looked (readdir's own, for one).
    }
  }
  return out;
}

describe('the writer connection', () => {
  let dir: string;
  let db: Connection;
  beforeEach(() => {
    dir = tempDir();
    db = openWriterConnection(join(dir, 'board.db'));
    migrate(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a write's savepoint journal in memory, never in a temporary file", () => {
    expect(db.pragma('temp_store', { simple: true })).toBe(2);
    const insert = db.prepare(
      "INSERT INTO tasks (title, description, created_by, created_at, updated_at) VALUES (?, ?, 'c', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
    );
    db.prepare('BEGIN IMMEDIATE').run();
    // Enough rows before the savepoint that the one below changes pages that already exist (those are journaled).
    for (let i = 0; i < 2_000; i++) insert.run(`task ${i}`, 'words to index '.repeat(20));
    db.prepare('SAVEPOINT cmd').run();
    db.prepare("UPDATE tasks SET title = title || ' changed', description = 'other words'").run();
    expect(openTempFiles()).toEqual([]);
    db.prepare('RELEASE cmd').run();
    db.prepare('COMMIT').run();
  });
});
