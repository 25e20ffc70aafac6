/**
 * The synchronous PostgreSQL connection's batching (src/db/pg/sync-connection.ts) on a real server: statements
 * whose answer is not needed yet travel with the next one that needs an answer, and that changes neither what is
 * written nor which command a failure belongs to.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../src/db/pg/migrate.js';
import { PgSyncConnection } from '../src/db/pg/sync-connection.js';
import { codeOf } from './core-support.js';
import { freshPgDatabase, PG_ADMIN_URL, PG_SKIP_REASON, type PgDatabase } from './pg-support.js';

describe.skipIf(!PG_ADMIN_URL)(
  `the synchronous PostgreSQL connection${PG_ADMIN_URL ? '' : ` (${PG_SKIP_REASON})`}`,
  () => {
    let database: PgDatabase;
    let db: PgSyncConnection;
    const name = (key: string) =>
      db.prepare<[string], string>('SELECT name FROM agents WHERE key = ?').pluck().get(key);
    const addAgent = (key: string) =>
      db.prepare('INSERT INTO agents (key, name) VALUES (?, ?)').run(key, key);

    beforeAll(async () => {
      database = await freshPgDatabase();
      await migratePostgres(database.url);
      db = await PgSyncConnection.open(database.url, { applicationName: 'tinytask test sync-connection' });
    });

    afterAll(async () => {
      db?.close();
      await database?.drop();
    });

    it('sends a transaction’s writes with its next read: one request per answer needed', () => {
      const before = db.requests;
      db.prepare('BEGIN IMMEDIATE').run();
      db.prepare('SAVEPOINT cmd').run();
      const added = addAgent('ann');
      const task = db
        .prepare('INSERT INTO tasks (title, created_by, created_at, updated_at) VALUES (?, ?, ?, ?)')
        .run('t', 'ann', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
      expect(db.requests).toBe(before);
      expect(name('ann')).toBe('ann');
      expect(db.requests).toBe(before + 1);
      expect(added.changes).toBe(1);
      expect(Number(task.lastInsertRowid)).toBeGreaterThan(0);
      // Nothing queued can fail any more: RELEASE waits for COMMIT, and COMMIT is waited for.
      db.prepare('RELEASE cmd').run();
      db.prepare('COMMIT').run();
      expect(db.requests).toBe(before + 2);
      expect(db.inTransaction).toBe(false);
    });

    it('reports a failing write inside its own savepoint, where rolling back undoes it alone', () => {
      db.prepare('BEGIN IMMEDIATE').run();
      db.prepare('SAVEPOINT cmd').run();
      addAgent('bob');
      db.prepare('RELEASE cmd').run();
      db.prepare('SAVEPOINT cmd').run();
      addAgent('bob'); // a duplicate key: fails on the server
      expect(codeOf(() => db.prepare('RELEASE cmd').run())).toBe('INTERNAL');
      db.prepare('ROLLBACK TO cmd').run();
      db.prepare('RELEASE cmd').run();
      db.prepare('SAVEPOINT cmd').run();
      addAgent('cid');
      db.prepare('RELEASE cmd').run();
      db.prepare('COMMIT').run();
      expect([name('bob'), name('cid')]).toEqual(['bob', 'cid']);
    });

    it('drops what a ROLLBACK TO undoes before it was ever sent', () => {
      const before = db.requests;
      db.prepare('BEGIN IMMEDIATE').run();
      db.prepare('SAVEPOINT cmd').run();
      const lost = addAgent('dan');
      db.prepare('ROLLBACK TO cmd').run();
      db.prepare('RELEASE cmd').run();
      expect(db.requests).toBe(before);
      expect(codeOf(() => lost.changes)).toBe('UNAVAILABLE');
      db.prepare('COMMIT').run();
      expect(name('dan')).toBeUndefined();
    });

    it('reads one snapshot in a read-only transaction and does not wait for its end', () => {
      addAgent('eve');
      const before = db.requests;
      const read = db.transaction(() => [name('eve'), name('ann')]);
      expect(read.deferred()).toEqual(['eve', 'ann']);
      // BEGIN with the first read, the second read, and the COMMIT that is not waited for.
      expect(db.requests).toBe(before + 3);
      expect(db.inTransaction).toBe(false);
      expect(name('eve')).toBe('eve');
      // A read-only transaction that read nothing never reaches the server.
      const idle = db.requests;
      db.transaction(() => 1).deferred();
      expect(db.requests).toBe(idle);
    });

    it('keeps statements prepared on the server, and prepares them afresh after a schema change', async () => {
      const row = () =>
        db.prepare<[string], Record<string, unknown>>('SELECT * FROM agents WHERE key = ?').get('ann');
      expect(row()).toEqual({ key: 'ann', name: 'ann' });
      // Prepared on the server under a name, in this connection's session.
      const kept = db
        .prepare<[string], number>('SELECT count(*) FROM pg_prepared_statements WHERE statement = ?')
        .pluck();
      expect(kept.get('SELECT * FROM agents WHERE key = $1')).toBe(1);
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      // Another front migrates: the prepared statement's row type is outdated. That call fails as retryable...
      await admin.query("ALTER TABLE agents ADD COLUMN note TEXT NOT NULL DEFAULT ''");
      await admin.end();
      expect(codeOf(row)).toBe('UNAVAILABLE');
      // ...and its retry runs on a new connection that prepares the statement again.
      expect(row()).toEqual({ key: 'ann', name: 'ann', note: '' });
    });

    /**
     * Ends the server process of this connection and waits until it is gone from the server, so that the next
     * statement surely meets a lost connection (the I/O thread has heard of it, or hears it then).
     */
    async function loseConnection(): Promise<void> {
      const pid = db.prepare<[], number>('SELECT pg_backend_pid()').pluck().get() as number;
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      while ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount)
        await new Promise((resolve) => setImmediate(resolve));
      await admin.end();
    }

    it('refuses to go on with a transaction whose connection was lost, then reconnects', async () => {
      db.prepare('BEGIN IMMEDIATE').run();
      addAgent('fay');
      await loseConnection();
      addAgent('gus');
      expect(codeOf(() => name('gus'))).toBe('UNAVAILABLE');
      // However the loss showed, the rest of the transaction is refused, never run outside it.
      expect(codeOf(() => addAgent('hal').changes)).toBe('UNAVAILABLE');
      db.prepare('ROLLBACK').run();
      expect(db.inTransaction).toBe(false);
      expect([name('fay'), name('gus'), name('hal')]).toEqual([undefined, undefined, undefined]);
    });

    it('fails the COMMIT of a transaction whose connection was lost after its last write went through', async () => {
      db.prepare('BEGIN IMMEDIATE').run();
      addAgent('ivy');
      expect(name('ivy')).toBe('ivy');
      await loseConnection();
      expect(codeOf(() => db.prepare('COMMIT').run())).toBe('UNAVAILABLE');
      expect(db.inTransaction).toBe(false);
      expect(name('ivy')).toBeUndefined();
    });
  },
);
