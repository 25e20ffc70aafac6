/**
 * `pg` (node-postgres) against `postgres` (porsager) on the same statements, same database, same run: the issue
 * asks for the PostgreSQL driver to be chosen by measurement. One connection per driver, one transaction at a
 * time, as each thread's I/O thread holds one connection and has one request in flight (src/db/pg/io-thread.mjs).
 *
 *   claim  a claim as the writer runs it: BEGIN; look the agent up; take the best ready task of a queue
 *          (FOR UPDATE SKIP LOCKED); UPDATE it; two task_history rows; COMMIT
 *   read   one task by id
 *
 * Each driver runs the claim two ways: `serial` (every statement waits for the one before, the I/O thread before
 * issue 14's batching) and `pipelined` (the statements that do not need an answer in between go together: BEGIN
 * with the two reads, the three writes, COMMIT: three round trips, as the batched writer sends them). `pg` runs
 * with unnamed statements (parsed and planned by the server every time, as io-thread.mjs first did) and with named
 * ones (parsed and planned once per connection, as io-thread.mjs does now); `postgres` runs its statements
 * prepared. Variants take turns, round after round, so load changes on a shared machine hit all of them; the
 * report gives each variant's median over rounds.
 *
 *   TINYTASK_BENCH_DATABASE_URL=postgres://user:pw@host/db  (a role that may CREATE DATABASE)
 *   node --import tsx bench/pg-drivers.ts [transactions per round=300] [rounds=5]
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import postgres from 'postgres';
import { migratePostgres } from '../src/db/pg/migrate.js';

const PER_ROUND = Number(process.argv[2] ?? 300);
const ROUNDS = Number(process.argv[3] ?? 5);
const ADMIN = process.env.TINYTASK_BENCH_DATABASE_URL;
if (!ADMIN) throw new Error('set TINYTASK_BENCH_DATABASE_URL');

const AGENT_SQL = 'SELECT name FROM agents WHERE key = $1';
const CLAIM_SQL = `SELECT t.* FROM tasks t WHERE t.status = 'idle' AND t.archived_at IS NULL AND t.assigned_to IS NULL
  AND t.queue_name = $1 ORDER BY t.priority DESC, t.created_at, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED`;
const UPDATE_SQL = `UPDATE tasks SET status = 'working', assigned_to = $1, attempts = attempts + 1, updated_at = $2
  WHERE id = $3`;
const HISTORY_SQL = `INSERT INTO task_history (task_id, field_name, old_value, new_value, changed_by, changed_at)
  VALUES ($1, $2, $3, $4, $5, $6)`;
const READ_SQL = 'SELECT * FROM tasks WHERE id = $1';

interface Variant {
  name: string;
  claim(agent: string): Promise<number | undefined>;
  read(id: number): Promise<unknown>;
  close(): Promise<void>;
}

async function pgVariant(url: string, mode: 'serial' | 'pipelined', named: boolean): Promise<Variant> {
  const client = new pg.Client({ connectionString: url, pipeline: mode === 'pipelined' });
  await client.connect();
  const q = (key: string, text: string, values: unknown[] = []) =>
    client.query<Record<string, unknown>>(
      named && values.length > 0 ? { name: key, text, values } : { text, values },
    );
  return {
    name: `pg ${mode}${named ? ', named' : ''}`,
    async claim(agent) {
      const now = new Date().toISOString();
      if (mode === 'serial') {
        await q('begin', 'BEGIN');
        await q('agent', AGENT_SQL, [agent]);
        const row = (await q('claim', CLAIM_SQL, ['bench'])).rows[0];
        if (row) {
          await q('update', UPDATE_SQL, [agent, now, row.id]);
          await q('history', HISTORY_SQL, [row.id, 'status', 'idle', 'working', agent, now]);
          await q('history', HISTORY_SQL, [row.id, 'assigned_to', null, agent, agent, now]);
        }
        await q('commit', 'COMMIT');
        return row?.id as number | undefined;
      }
      const [, , claimed] = await Promise.all([
        q('begin', 'BEGIN'),
        q('agent', AGENT_SQL, [agent]),
        q('claim', CLAIM_SQL, ['bench']),
      ]);
      const row = claimed.rows[0];
      if (row)
        await Promise.all([
          q('update', UPDATE_SQL, [agent, now, row.id]),
          q('history', HISTORY_SQL, [row.id, 'status', 'idle', 'working', agent, now]),
          q('history', HISTORY_SQL, [row.id, 'assigned_to', null, agent, agent, now]),
        ]);
      await q('commit', 'COMMIT');
      return row?.id as number | undefined;
    },
    read: (id) => q('read', READ_SQL, [id]),
    close: () => client.end(),
  };
}

/** `postgres` prepares (names) statements by default, except those given as text (`unsafe`): asked for here. */
const PREPARED = { prepare: true };

async function porsagerVariant(url: string, mode: 'serial' | 'pipelined'): Promise<Variant> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  return {
    name: `postgres ${mode}`,
    async claim(agent) {
      const now = new Date().toISOString();
      return sql.begin(async (tx) => {
        let row: Record<string, unknown> | undefined;
        if (mode === 'serial') {
          await tx.unsafe(AGENT_SQL, [agent], PREPARED);
          row = (await tx.unsafe(CLAIM_SQL, ['bench'], PREPARED))[0];
          if (row) {
            await tx.unsafe(UPDATE_SQL, [agent, now, row.id as number], PREPARED);
            await tx.unsafe(
              HISTORY_SQL,
              [row.id as number, 'status', 'idle', 'working', agent, now],
              PREPARED,
            );
            await tx.unsafe(
              HISTORY_SQL,
              [row.id as number, 'assigned_to', null, agent, agent, now],
              PREPARED,
            );
          }
        } else {
          const [, claimed] = await Promise.all([
            tx.unsafe(AGENT_SQL, [agent], PREPARED),
            tx.unsafe(CLAIM_SQL, ['bench'], PREPARED),
          ]);
          row = claimed[0];
          if (row)
            await Promise.all([
              tx.unsafe(UPDATE_SQL, [agent, now, row.id as number], PREPARED),
              tx.unsafe(HISTORY_SQL, [row.id as number, 'status', 'idle', 'working', agent, now], PREPARED),
              tx.unsafe(HISTORY_SQL, [row.id as number, 'assigned_to', null, agent, agent, now], PREPARED),
            ]);
        }
        return row?.id as number | undefined;
      });
    },
    read: (id) => sql.unsafe(READ_SQL, [id], PREPARED),
    close: () => sql.end(),
  };
}

async function database(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tinytask_drivers_${Date.now().toString(36)}`;
  const admin = async (text: string) => {
    const c = new pg.Client({ connectionString: ADMIN });
    await c.connect();
    await c.query(text);
    await c.end();
  };
  await admin(`CREATE DATABASE ${name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`);
  const url = new URL(ADMIN as string);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE ${name} WITH (FORCE)`) };
}

/** Enough idle tasks in queue `bench` for every claim of the run, and an agents row per agent. */
async function seed(url: string, tasks: number): Promise<number[]> {
  await migratePostgres(url);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const now = new Date().toISOString();
  await c.query(
    `INSERT INTO tasks (title, created_by, queue_name, created_at, updated_at)
     SELECT 'bench task ' || g, 'seed', 'bench', $1, $1 FROM generate_series(1, $2) g`,
    [now, tasks],
  );
  await c.query(
    `INSERT INTO agents (key, name) SELECT 'agent-' || g, 'agent-' || g FROM generate_series(0, 9) g`,
  );
  const ids = (await c.query<{ id: number }>('SELECT id FROM tasks ORDER BY id')).rows.map((r) => r.id);
  await c.query('ANALYZE');
  await c.end();
  return ids;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const db = await database();
try {
  const variants: Variant[] = [
    await pgVariant(db.url, 'serial', false),
    await pgVariant(db.url, 'pipelined', false),
    await pgVariant(db.url, 'pipelined', true),
    await porsagerVariant(db.url, 'serial'),
    await porsagerVariant(db.url, 'pipelined'),
  ];
  const ids = await seed(db.url, PER_ROUND * ROUNDS * variants.length + 100);
  const claims = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const reads = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  // Warm-up: connections, plans, prepared statements.
  for (const v of variants) {
    for (let i = 0; i < 20; i++) await v.read(ids[i] as number);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      let t = performance.now();
      for (let i = 0; i < PER_ROUND; i++) {
        const claimed = await v.claim(`agent-${i % 10}`);
        if (claimed === undefined) throw new Error(`${v.name}: the queue ran dry`);
      }
      claims.get(v.name)?.push((PER_ROUND / (performance.now() - t)) * 1000);
      t = performance.now();
      for (let i = 0; i < PER_ROUND; i++) await v.read(ids[(i * 7919) % ids.length] as number);
      reads.get(v.name)?.push((PER_ROUND / (performance.now() - t)) * 1000);
    }
  }
  console.log(`${PER_ROUND} claims and ${PER_ROUND} reads per variant per round, ${ROUNDS} rounds; medians:`);
  console.log('| driver, mode | claims/s | ms per claim | reads/s | ms per read |');
  console.log('| ------------ | -------: | -----------: | ------: | ----------: |');
  for (const v of variants) {
    const c = median(claims.get(v.name) ?? []);
    const r = median(reads.get(v.name) ?? []);
    console.log(
      `| ${v.name} | ${c.toFixed(0)} | ${(1000 / c).toFixed(2)} | ${r.toFixed(0)} | ${(1000 / r).toFixed(3)} |`,
    );
  }
  for (const v of variants) await v.close();
} finally {
  await db.drop();
}
