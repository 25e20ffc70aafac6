import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openBoard, type TestBoard } from './core-support.js';

/**
 * A writer thread stuck behind another process's write lock (an operator's sqlite3 shell in a transaction, say)
 * must make health checks fail within the health timeout, not hang them for the whole busy timeout.
 */
describe('health with a stuck writer', () => {
  let t: TestBoard | undefined;
  let intruder: Database.Database | undefined;
  afterEach(async () => {
    if (intruder?.inTransaction) intruder.prepare('ROLLBACK').run();
    intruder?.close();
    await t?.close();
  });

  it('answers unhealthy for the writer after the timeout (not after the 5 s busy timeout), then recovers', async () => {
    t = await openBoard({ healthTimeoutMs: 1000 });
    expect((await t.board.health()).writer.ok).toBe(true);

    intruder = new Database(t.dbPath);
    intruder.prepare('BEGIN IMMEDIATE').run();
    const stuck = await t.board.health();
    expect(stuck.writer).toMatchObject({ ok: false, error: 'no answer within 1000 ms' });

    intruder.prepare('ROLLBACK').run();
    // The ping queued behind the lock now completes; a fresh probe is healthy again.
    await expect.poll(async () => (await t!.board.health()).writer.ok, { timeout: 15_000 }).toBe(true);
  });
});
