/**
 * search_tasks latency on a large board: seeds `--tasks` tasks (default 100,000) with titles, descriptions and
 * one comment in five, straight into SQLite after the migrations (the FTS index is filled by the same triggers the
 * writer uses), then opens the board (writer thread + read pool) and times `--runs` searches per query through
 * the board, sequentially. Reports medians and p95 in milliseconds.
 *
 *   npm run bench:search
 *   npm run bench:search -- --tasks 20000 --runs 20
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { configWith } from '../src/config.js';
import { createBoard } from '../src/core/board.js';
import { migrate } from '../src/db/migrate.js';
import { silentLogger } from '../src/logger.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '30' },
  },
});
const TASKS = Number(values.tasks);
const RUNS = Number(values.runs);

const WORDS = [
  'login',
  'payment',
  'refund',
  'invoice',
  'search',
  'cache',
  'timeout',
  'retry',
  'deploy',
  'schema',
  'index',
  'render',
  'upload',
  'export',
  'import',
  'report',
  'billing',
  'session',
  'token',
  'queue',
  'worker',
  'latency',
  'memory',
  'crash',
  'layout',
  'button',
  'mobile',
  'email',
  'audit',
  'backup',
];
let seed = 42;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};
const phrase = (n: number) => Array.from({ length: n }, () => WORDS[rand(WORDS.length)]).join(' ');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tinytask-bench-search-'));
  const dbPath = join(dir, 'board.db');
  try {
    const started = performance.now();
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    migrate(db);
    const now = new Date().toISOString();
    const task = db.prepare(
      `INSERT INTO tasks (title, description, assigned_to, created_by, priority, tags, queue_name, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const comment = db.prepare(
      'INSERT INTO comments (task_id, content, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (let i = 1; i <= TASKS; i++) {
        const id = Number(
          task.run(
            `${phrase(3)} ${i}`,
            phrase(20),
            `agent-${rand(100)}`,
            `planner-${rand(5)}`,
            rand(10),
            JSON.stringify([WORDS[rand(WORDS.length)]]),
            ['dev', 'qa', 'ops'][rand(3)],
            now,
            now,
          ).lastInsertRowid,
        );
        if (i % 5 === 0) comment.run(id, phrase(12), `agent-${rand(100)}`, now, now);
      }
    })();
    db.close();
    const seededMs = performance.now() - started;

    const board = await createBoard({
      config: configWith({ dbPath, readThreads: 1 }),
      logger: silentLogger(),
    });
    const queries: Array<{ label: string; args: Record<string, unknown> }> = [
      { label: 'one common word', args: { query: 'payment' } },
      { label: 'two words', args: { query: 'payment timeout' } },
      { label: 'phrase', args: { query: '"cache retry"' } },
      { label: 'prefix', args: { query: 'invo*' } },
      { label: 'rare (a task number)', args: { query: '77777' } },
      { label: 'word + assignee filter', args: { query: 'login', assigned_to: 'agent-7' } },
      { label: 'word + queue + status', args: { query: 'crash', queue_name: 'qa', status: 'idle' } },
    ];
    const rows: string[] = [];
    for (const q of queries) {
      await board.searchTasks(q.args); // warm the statement and the page cache
      const times: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        await board.searchTasks(q.args);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      rows.push(
        `| ${q.label} | \`${JSON.stringify(q.args)}\` | ${percentile(times, 0.5).toFixed(1)} | ${percentile(times, 0.95).toFixed(1)} |`,
      );
    }
    await board.close();
    console.log(
      `seeded ${TASKS} tasks (${TASKS / 5} comments) in ${(seededMs / 1000).toFixed(1)} s; ${RUNS} runs per query; ${cpus()[0]?.model ?? '?'}`,
    );
    console.log('| Query | Arguments | Median ms | p95 ms |');
    console.log('| --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
