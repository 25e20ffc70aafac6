import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupDatabase } from '../src/db/backup.js';
import { expectCode, openBoard, type TestBoard } from './core-support.js';

describe('online backup', () => {
  let t: TestBoard;
  beforeEach(async () => {
    t = await openBoard();
  });
  afterEach(async () => {
    await t.close();
  });

  it('copies a consistent snapshot while writes go on', async () => {
    for (let i = 0; i < 50; i++) await t.board.createTask({ title: `before ${i}`, created_by: 'c' });
    let writing = true;
    const writer = (async () => {
      let i = 0;
      while (writing) {
        await Promise.all(
          Array.from({ length: 20 }, () => t.board.createTask({ title: `during ${i++}`, created_by: 'c' })),
        );
      }
      return i;
    })();
    const dest = join(t.dir, 'backups', 'copy.db');
    await t.board.backup(dest);
    writing = false;
    await writer;
    const copy = new Database(dest, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const count = copy.prepare('SELECT count(*) FROM tasks').pluck().get() as number;
      expect(count).toBeGreaterThanOrEqual(50);
      // Whole batches only: every batch above is 20 creates.
      expect((count - 50) % 20).toBe(0);
      expect(copy.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(1);
      expect(copy.pragma('journal_mode', { simple: true })).not.toBe('wal');
    } finally {
      copy.close();
    }
  });

  it('refuses an existing destination and a missing source', async () => {
    const dest = join(t.dir, 'exists.db');
    writeFileSync(dest, 'keep me');
    expect(await expectCode(t.board.backup(dest), 'CONFLICT')).toContain('already exists');
    await expectCode(backupDatabase(join(t.dir, 'missing.db'), join(t.dir, 'x.db')), 'INVALID_ARGUMENT');
    await expectCode(backupDatabase(t.dbPath, t.dbPath), 'INVALID_ARGUMENT');
  });
});
