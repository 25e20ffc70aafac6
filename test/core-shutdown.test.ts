import { existsSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { expectCode, inspect, MODES, openBoard, type TestBoard } from './core-support.js';
import { TEST_BACKEND } from './pg-support.js';

describe.each(MODES)('shutdown and checkpoints ($mode)', ({ inline }) => {
  let t: TestBoard | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('close() drains queued writes, truncates the WAL to 0 bytes, and is idempotent', async () => {
    t = await openBoard({ inline });
    const writes = Array.from({ length: 200 }, (_, i) =>
      t!.board.createTask({ title: `t${i}`, created_by: 'c' }),
    );
    const closing = [t.board.close(), t.board.close()];
    const results = await Promise.allSettled(writes);
    await Promise.all(closing);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const wal = `${t.dbPath}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    expect(inspect(t.dbPath, (db) => db.prepare('SELECT count(*) FROM tasks').pluck().get())).toBe(200);
    await t.board.close();
  });

  it('writes and reads after close() are refused with UNAVAILABLE', async () => {
    t = await openBoard({ inline });
    await t.board.close();
    await expectCode(t.board.createTask({ title: 'late', created_by: 'c' }), 'UNAVAILABLE');
    await expectCode(t.board.listTasks({}), 'UNAVAILABLE');
    const health = await t.board.health();
    expect(health.writer.ok).toBe(false);
    expect(health.readers.ok).toBe(false);
  });

  // SQLite's WAL: PostgreSQL checkpoints are the server's own business.
  it.skipIf(TEST_BACKEND === 'postgres')(
    'a checkpoint while open moves the WAL into the database file',
    async () => {
      t = await openBoard({ inline });
      for (let i = 0; i < 20; i++) await t.board.createTask({ title: `t${i}`, created_by: 'c' });
      const result = await t.board.checkpoint('TRUNCATE');
      expect(result.busy).toBe(0);
      expect(statSync(`${t.dbPath}-wal`).size).toBe(0);
    },
  );
});
