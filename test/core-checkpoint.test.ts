import { readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWriterConnection, type Connection } from '../src/db/connection.js';
import { migrate } from '../src/db/migrate.js';
import { CheckpointPolicy } from '../src/db/writer/group-commit.js';
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

describe('the writer connection: checkpoint policy (the writer owns checkpoints), journals', () => {
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

  const insert = (n: number) => {
    const stmt = db.prepare(
      "INSERT INTO tasks (title, created_by, created_at, updated_at) VALUES ('t', 'c', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
    );
    db.transaction(() => {
      for (let i = 0; i < n; i++) stmt.run();
    })();
  };

  it('automatic checkpoints are off and the pragmas are set', () => {
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(db.pragma('journal_size_limit', { simple: true })).toBe(64 * 1024 * 1024);
    expect(db.pragma('temp_store', { simple: true })).toBe(2);
  });

  it("keeps a write's savepoint journal in memory, never in a temporary file", () => {
    const insert = db.prepare(
      "INSERT INTO tasks (title, description, created_by, created_at, updated_at) VALUES (?, ?, 'c', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
    );
    db.prepare('BEGIN IMMEDIATE').run();
    // Enough rows before the savepoint that the change below rewrites pages that already exist (those are journaled).
    for (let i = 0; i < 2_000; i++) insert.run(`task ${i}`, 'words to index '.repeat(20));
    db.prepare('SAVEPOINT cmd').run();
    db.prepare("UPDATE tasks SET title = title || ' changed', description = 'other words'").run();
    expect(openTempFiles()).toEqual([]);
    db.prepare('RELEASE cmd').run();
    db.prepare('COMMIT').run();
  });

  it('runs a PASSIVE checkpoint once enough writes have accumulated, copying every WAL frame back', () => {
    const policy = new CheckpointPolicy(db, { everyWrites: 100, minGapMs: 0, everyMs: 60_000 });
    insert(50);
    policy.afterBatch(50);
    expect(policy.lastResult).toBeNull();
    insert(50);
    policy.afterBatch(50);
    expect(policy.lastResult).not.toBeNull();
    expect(policy.lastResult?.busy).toBe(0);
    expect(policy.lastResult?.log).toBeGreaterThan(0);
    expect(policy.lastResult?.checkpointed).toBe(policy.lastResult?.log);
    expect(policy.lastResult?.mode).toBe('PASSIVE');
  });

  it('waits for the minimum gap after the last checkpoint however many writes come, so back-to-back writes checkpoint at most a few times a second', () => {
    let clock = 1_000;
    const policy = new CheckpointPolicy(db, { now: () => clock });
    insert(10);
    clock += 249;
    policy.afterBatch(500); // more than the 200 writes, but only 249 ms since the start
    expect(policy.lastResult).toBeNull();
    clock += 1;
    policy.afterBatch(1);
    expect(policy.lastResult).toMatchObject({ mode: 'PASSIVE', busy: 0 });
    expect(policy.lastResult?.checkpointed).toBeGreaterThan(0);

    // After it: 199 writes are not enough however long ago it was, up to the 10 s time limit.
    const first = policy.lastResult;
    insert(1);
    clock += 5_000;
    policy.afterBatch(199);
    expect(policy.lastResult).toBe(first);
    clock += 5_000;
    policy.afterBatch(0);
    expect(policy.lastResult).not.toBe(first);
    expect(policy.lastResult?.mode).toBe('PASSIVE');
  });

  it('runs a RESTART checkpoint when the WAL file has grown past its limit, so the next write reuses it from the start', () => {
    const walPath = join(dir, 'board.db-wal');
    const policy = new CheckpointPolicy(db, { everyWrites: 1, minGapMs: 0, walPath, walLimitBytes: 1024 });
    insert(200);
    const grown = statSync(walPath).size;
    expect(grown).toBeGreaterThan(1024);
    policy.afterBatch(200);
    expect(policy.lastResult).toMatchObject({ mode: 'RESTART', busy: 0 });
    insert(1);
    // The WAL restarted from its first frame: it did not grow beyond what it was.
    expect(statSync(walPath).size).toBeLessThanOrEqual(grown);
    const [after] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const framesBefore = (grown - 32) / (pageSize + 24);
    expect(after?.log).toBeLessThan(framesBefore);
  });

  it('runs one after enough time even with few writes, and TRUNCATE empties the WAL file', () => {
    const policy = new CheckpointPolicy(db, { everyWrites: 1_000_000, everyMs: 0 });
    insert(1);
    policy.afterBatch(1);
    expect(policy.lastResult?.checkpointed).toBeGreaterThan(0);
    insert(10);
    expect(statSync(join(dir, 'board.db-wal')).size).toBeGreaterThan(0);
    policy.run('TRUNCATE');
    expect(statSync(join(dir, 'board.db-wal')).size).toBe(0);
  });
});
