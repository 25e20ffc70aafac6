/**
 * One workflow on three set-ups, in one run: one front on SQLite, one front on PostgreSQL, two fronts on one
 * PostgreSQL database. Each agent loops create → claim_next_task → update_task(complete) through the board API (the
 * same path the MCP tools take, without HTTP), agents spread evenly over the fronts. Reports ops/s and p50 per op.
 *
 *   TINYTASK_BENCH_DATABASE_URL=postgres://user:pw@host/db  (a role that may CREATE DATABASE)
 *   node --import tsx bench/backends.ts [agents=20] [rounds=15]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { configWith, type Config } from '../src/config.js';
import { createBoard, type CoreBoard } from '../src/core/board.js';
import { silentLogger } from '../src/logger.js';

const AGENTS = Number(process.argv[2] ?? 20);
const ROUNDS = Number(process.argv[3] ?? 15);
const ADMIN = process.env.TINYTASK_BENCH_DATABASE_URL;
if (!ADMIN) throw new Error('set TINYTASK_BENCH_DATABASE_URL');

async function pgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tinytask_bench_${Date.now().toString(36)}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: ADMIN });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await admin(`CREATE DATABASE ${name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`);
  const url = new URL(ADMIN as string);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE ${name} WITH (FORCE)`) };
}

async function run(label: string, configs: Array<Partial<Config>>) {
  const fronts: CoreBoard[] = [];
  for (const c of configs)
    fronts.push(await createBoard({ config: configWith({ readThreads: 1, ...c }), logger: silentLogger() }));
  const latencies: number[] = [];
  const timed = async <T>(p: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const v = await p();
    latencies.push(performance.now() - t);
    return v;
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: AGENTS }, async (_, i) => {
      const board = fronts[i % fronts.length] as CoreBoard;
      const agent = `agent-${i}`;
      for (let r = 0; r < ROUNDS; r++) {
        await timed(() => board.createTask({ title: `t ${i}.${r}`, created_by: agent, queue_name: 'bench' }));
        const task = await timed(() => board.claimNextTask({ agent_name: agent, queue_name: 'bench' }));
        if (task) await timed(() => board.updateTask({ id: task.id, status: 'complete', updated_by: agent }));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(fronts.map((f) => f.close()));
  latencies.sort((a, b) => a - b);
  const p50 = latencies[Math.floor(latencies.length / 2)] ?? 0;
  const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
  console.log(
    `${label.padEnd(26)} ${String(latencies.length).padStart(5)} ops  ${(latencies.length / seconds).toFixed(0).padStart(6)} ops/s  p50 ${p50.toFixed(1)} ms  p99 ${p99.toFixed(1)} ms`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'tinytask-bench-'));
await run('1 front, SQLite', [{ dbPath: join(dir, 'bench.db') }]);
const one = await pgDatabase();
await run('1 front, PostgreSQL', [{ databaseUrl: one.url, databasePoolSize: 1 }]);
await one.drop();
const two = await pgDatabase();
await run('2 fronts, PostgreSQL', [
  { databaseUrl: two.url, databasePoolSize: 1 },
  { databaseUrl: two.url, databasePoolSize: 1 },
]);
await two.drop();
rmSync(dir, { recursive: true, force: true });
