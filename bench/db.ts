/**
 * Database core throughput: writes/s through the writer thread with group commit versus one transaction per write,
 * and reads/s through the piscina pool. Each scenario gets a fresh database seeded the same way, then a closed
 * loop of `--concurrency` callers runs the same operation mix for `--seconds`; `--reps` repetitions, medians.
 *
 *   npm run bench:db                     # = taskset -c 0 node --import tsx bench/db.ts (pinned to one core)
 *   npm run bench:db -- --seconds 3 --reps 3 --concurrency 64
 *
 * The per-write baseline is the same writer thread, the same handlers and the same messaging with
 * TINYTASK_WRITE_BATCH_MAX=1: every write is its own BEGIN IMMEDIATE … COMMIT. The inline rows run the same
 * handlers on the main thread (no worker threads) for the threading comparison.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { configWith } from '../src/config.js';
import { createBoard, type CoreBoard } from '../src/core/board.js';
import { silentLogger } from '../src/logger.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const REPS = Number(values.reps);
const CONCURRENCY = Number(values.concurrency);
const AGENTS = 50;
const SEED_TASKS = 2_000;

interface Scenario {
  name: string;
  kind: 'writes' | 'reads';
  inline: boolean;
  batchMax: number;
  readThreads: number;
  note: string;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'writes, group commit (writer thread)',
    kind: 'writes',
    inline: false,
    batchMax: 1000,
    readThreads: 1,
    note: 'default design',
  },
  {
    name: 'writes, one transaction per write (writer thread)',
    kind: 'writes',
    inline: false,
    batchMax: 1,
    readThreads: 1,
    note: 'baseline: TINYTASK_WRITE_BATCH_MAX=1',
  },
  {
    name: 'writes, group commit (inline, no threads)',
    kind: 'writes',
    inline: true,
    batchMax: 1000,
    readThreads: 1,
    note: 'threading comparison',
  },
  {
    name: 'writes, one transaction per write (inline)',
    kind: 'writes',
    inline: true,
    batchMax: 1,
    readThreads: 1,
    note: 'threading comparison',
  },
  {
    name: 'reads, piscina pool (1 reader thread)',
    kind: 'reads',
    inline: false,
    batchMax: 1000,
    readThreads: 1,
    note: 'default design on 1 CPU',
  },
  {
    name: 'reads, piscina pool (2 reader threads)',
    kind: 'reads',
    inline: false,
    batchMax: 1000,
    readThreads: 2,
    note: 'more threads than cores',
  },
  {
    name: 'reads, inline (main thread)',
    kind: 'reads',
    inline: true,
    batchMax: 1000,
    readThreads: 1,
    note: 'threading comparison',
  },
];

const agent = (i: number) => `agent-${i % AGENTS}`;
let seed = 42;
function random(n: number): number {
  // Deterministic (xorshift) so every scenario and repetition runs the same sequence.
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

async function seedBoard(board: CoreBoard): Promise<void> {
  for (let start = 0; start < SEED_TASKS; start += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, j) =>
        board.createTask({
          title: `seed task ${start + j}`,
          description: 'Seeded for the benchmark: a short description of some work to do.',
          created_by: 'lead',
          assigned_to: agent(start + j),
          priority: (start + j) % 5,
          tags: ['bench', `t${(start + j) % 7}`],
          queue_name: ['dev', 'qa', 'ops'][(start + j) % 3],
        }),
      ),
    );
  }
}

/** The write mix: create, update, claim, comment (a quarter each), like agents working a board. */
function writeOp(board: CoreBoard, i: number): Promise<unknown> {
  switch (i % 4) {
    case 0:
      return board.createTask({
        title: `new task ${i}`,
        created_by: agent(i),
        assigned_to: agent(i + 1),
        priority: i % 5,
        queue_name: 'dev',
      });
    case 1:
      return board.updateTask({ id: 1 + random(SEED_TASKS), priority: i % 9, updated_by: agent(i) });
    case 2:
      return board.signupForTask({ agent_name: agent(random(AGENTS)) });
    default:
      return board.addComment({
        task_id: 1 + random(SEED_TASKS),
        content: `progress note ${i}`,
        created_by: agent(i),
      });
  }
}

/** The read mix: get_task (with comments and links), a 20-task list page, an agent's queue. */
function readOp(board: CoreBoard, i: number): Promise<unknown> {
  switch (i % 3) {
    case 0:
      return board.getTask({ id: 1 + random(SEED_TASKS) });
    case 1:
      return board.listTasks({ queue_name: 'dev', limit: 20, offset: random(10) * 20 });
    default:
      return board.getMyQueue({ agent_name: agent(random(AGENTS)) });
  }
}

interface Result {
  opsPerSec: number;
  meanBatch: number | null;
  p50Ms: number;
  p99Ms: number;
}

async function runOnce(scenario: Scenario): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'tinytask-bench-db-'));
  const board = await createBoard({
    config: configWith({
      dbPath: join(dir, 'bench.db'),
      readThreads: scenario.readThreads,
      writeBatchMax: scenario.batchMax,
      writeQueueLimit: 100_000,
      enableHistory: false,
    }),
    logger: silentLogger(),
    inline: scenario.inline,
  });
  try {
    await seedBoard(board);
    await board.checkpoint('TRUNCATE');
    let batches = 0;
    let batched = 0;
    board.on('batch', (s) => {
      batches += 1;
      batched += s.size;
    });
    const op = scenario.kind === 'writes' ? writeOp : readOp;
    // Warm-up: JIT, statement caches, reader connections.
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => op(board, i)));
    batches = 0;
    batched = 0;
    const latencies: number[] = [];
    let count = 0;
    let i = 0;
    const started = performance.now();
    const end = started + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          await op(board, i++);
          latencies.push(performance.now() - t0);
          count += 1;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      opsPerSec: count / elapsed,
      meanBatch: scenario.kind === 'writes' && batches > 0 ? batched / batches : null,
      p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
      p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    };
  } finally {
    await board.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

const selected = SCENARIOS.filter((s) => !values.only || s.name.startsWith(values.only));
const runs = new Map<string, Result[]>(selected.map((s) => [s.name, []]));
for (let rep = 0; rep < REPS; rep++) {
  for (const scenario of selected) {
    seed = 42;
    const result = await runOnce(scenario);
    runs.get(scenario.name)?.push(result);
    process.stderr.write(`rep ${rep + 1}/${REPS} ${scenario.name}: ${result.opsPerSec.toFixed(0)} ops/s\n`);
  }
}

const rows = selected.map((s) => {
  const rs = runs.get(s.name) ?? [];
  const batch = rs.map((r) => r.meanBatch).filter((b): b is number => b !== null);
  return {
    scenario: s.name,
    note: s.note,
    opsPerSec: median(rs.map((r) => r.opsPerSec)),
    runs: rs.map((r) => Math.round(r.opsPerSec)),
    meanBatch: batch.length > 0 ? median(batch) : null,
    p50Ms: median(rs.map((r) => r.p50Ms)),
    p99Ms: median(rs.map((r) => r.p99Ms)),
  };
});

const groupCommit = rows.find((r) => r.scenario.startsWith('writes, group commit (writer'));
const perWrite = rows.find((r) => r.scenario.startsWith('writes, one transaction per write (writer'));
const machine = {
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  affinity: 'run under `taskset -c 0` by npm run bench:db',
  date: new Date().toISOString(),
};
if (values.json) {
  console.log(
    JSON.stringify({ machine, seconds: SECONDS, reps: REPS, concurrency: CONCURRENCY, rows }, null, 2),
  );
} else {
  console.log(
    `${SECONDS} s per run, ${REPS} runs, ${CONCURRENCY} concurrent callers, ${SEED_TASKS} seeded tasks, ${AGENTS} agents`,
  );
  console.log(`${machine.cpuModel}, ${machine.cpus} CPUs visible, Node ${machine.node}, ${machine.date}`);
  console.log('| Scenario | Median ops/s | Runs | Mean batch | p50 ms | p99 ms |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${Math.round(r.opsPerSec)} | ${r.runs.join(', ')} | ${r.meanBatch === null ? '–' : r.meanBatch.toFixed(1)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} |`,
    );
  }
  if (groupCommit && perWrite)
    console.log(
      `group commit / one transaction per write: ${(groupCommit.opsPerSec / perWrite.opsPerSec).toFixed(1)}×`,
    );
}
