/**
 * `npm run bench:wait`: what idle agents cost when they wait for work with `wait_for_task` instead of polling.
 * Starts the built server, opens N Streamable HTTP sessions (one socket each), and has every session hold a
 * `wait_for_task` for its own agent (or, with `--queue`, for one shared team queue). Reports:
 *   - waiters held (the server's `tinytask_waiters` gauge) and the time to get them all held;
 *   - the server's CPU and RSS while the N waits are held and nothing happens, against the idle server;
 *   - wake-up latency: from sending a `create_task` that matches one waiter to that waiter's answer (end to end,
 *     measured by the client), next to the create's own latency;
 *   - that every wait ends (sessions closed → gauge back to 0).
 */
import { defineFlags } from './lib/args.js';
import {
  checkBuild,
  cliMain,
  commandLine,
  OUT_FLAG,
  PIN_FLAGS,
  setupPinning,
  stamp,
  writeResult,
} from './lib/cli.js';
import { HttpConnection } from './lib/http-client.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { McpHttpSession, taskOf } from './lib/mcp-session.js';
import { ProcSampler } from './lib/proc.js';
import { fmtMb, fmtMs, mdTable, median } from './lib/report.js';
import { startServer, type RunningServer } from './lib/server.js';

const flags = defineFlags({
  waiters: { type: 'number', default: 1000, help: 'Sessions, each holding one wait_for_task' },
  hold: { type: 'number', default: 10, help: 'Seconds the idle waits are held while CPU is measured' },
  idle: { type: 'number', default: 5, help: 'Seconds the server is measured idle, before any wait' },
  wakes: { type: 'number', default: 20, help: 'Creates that each wake one waiter (latency samples)' },
  queue: {
    type: 'boolean',
    default: false,
    help: 'All waiters wait on one team queue with claim:true (each create wakes the queue; one claims)',
  },
  ...PIN_FLAGS,
  ...OUT_FLAG,
});

const WAIT_SECONDS = 60;

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function metric(server: RunningServer, name: string): Promise<number> {
  const conn = new HttpConnection('127.0.0.1', server.port, 5_000);
  try {
    const res = await conn.request('GET', '/metrics', {});
    const m = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(res.body);
    return m ? Number(m[1]) : NaN;
  } finally {
    conn.close();
  }
}

async function until(cond: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

interface Waiter {
  index: number;
  agent: string;
  session: McpHttpSession;
  /** Resolvers of whoever awaits this waiter's next answer. */
  onAnswer: ((taskId: number | null, at: number) => void) | undefined;
  answers: number;
  failures: string[];
}

cliMain(
  'npm run bench:wait --',
  'Cost of N idle wait_for_task calls and their wake-up latency.',
  flags,
  async (f) => {
    checkBuild();
    const pin = setupPinning(f);
    const machine = machineInfo();
    const server = await startServer({
      cpus: pin.serverCpus,
      readThreads: 1,
      env: { TINYTASK_MAX_WAITERS: String(Math.max(10_000, f.waiters + 10)) },
    });
    const sampler = new ProcSampler(server.pid, 250);
    sampler.start();
    const log = (msg: string) => process.stderr.write(`${msg}\n`);
    let closing = false;
    try {
      // 1. The idle server, for comparison.
      await new Promise((r) => setTimeout(r, 1_000));
      const idleFrom = sampler.mark();
      await new Promise((r) => setTimeout(r, f.idle * 1000));
      const idle = sampler.window(idleFrom);
      log(`idle: CPU ${idle?.cpuPercent.toFixed(2)} %, RSS ${fmtMb(idle?.maxRssBytes ?? 0)} MB`);

      // 2. N sessions, each holding one wait.
      const waiters: Waiter[] = Array.from({ length: f.waiters }, (_, index) => ({
        index,
        agent: `waiter-${index}`,
        session: new McpHttpSession({ url: server.url, timeoutMs: (WAIT_SECONDS + 30) * 1000 }),
        onAnswer: undefined,
        answers: 0,
        failures: [],
      }));
      await inBatches(waiters, 50, (w) => w.session.initialize());
      const sessionsRss = sampler.window(sampler.mark())?.maxRssBytes ?? 0;
      const arm = (w: Waiter): void => {
        const args = f.queue
          ? { agent_name: w.agent, queue_name: 'bench', claim: true, timeout_seconds: WAIT_SECONDS }
          : { agent_name: w.agent, claim: true, timeout_seconds: WAIT_SECONDS };
        void w.session.callTool('wait_for_task', args).then((out) => {
          const at = performance.now();
          w.answers += 1;
          if (!out.ok) {
            if (!closing) w.failures.push(out.message);
            return;
          }
          const value = out.value as { task: unknown; outcome: string };
          w.onAnswer?.(taskOf(value.task)?.id ?? null, at);
          if (!closing) arm(w);
        });
      };
      const armStarted = performance.now();
      for (const w of waiters) arm(w);
      await until(
        async () => (await metric(server, 'tinytask_waiters')) >= f.waiters,
        'every wait held',
        60_000,
      );
      const armMs = performance.now() - armStarted;
      const held = await metric(server, 'tinytask_waiters');
      log(`${held} waits held after ${fmtMs(armMs)} ms`);

      // 3. Nothing happens: what do the held waits cost?
      const holdFrom = sampler.mark();
      await new Promise((r) => setTimeout(r, f.hold * 1000));
      const hold = sampler.window(holdFrom);
      const stillHeld = await metric(server, 'tinytask_waiters');
      log(
        `held: CPU ${hold?.cpuPercent.toFixed(2)} %, RSS ${fmtMb(hold?.maxRssBytes ?? 0)} MB, still held ${stillHeld}`,
      );

      // 4. Wake-ups: each create matches one waiter (its agent, or the shared queue).
      const creator = new McpHttpSession({ url: server.url });
      await creator.initialize();
      const wakeMs: number[] = [];
      const createMs: number[] = [];
      for (let i = 0; i < f.wakes; i++) {
        const target = waiters[(i * 7919) % waiters.length] as Waiter;
        const answered = new Promise<{ taskId: number | null; at: number; by: Waiter }>((resolve) => {
          const candidates = f.queue ? waiters : [target];
          for (const w of candidates)
            w.onAnswer = (taskId, at) => {
              if (taskId === null) return;
              for (const c of candidates) c.onAnswer = undefined;
              resolve({ taskId, at, by: w });
            };
        });
        const sent = performance.now();
        const created = await creator.callTool('create_task', {
          title: `wake ${i}`,
          created_by: 'bench',
          ...(f.queue ? { queue_name: 'bench' } : { assigned_to: target.agent }),
        });
        const createdAt = performance.now();
        if (!created.ok) throw new Error(`create_task failed: ${created.message}`);
        const woke = await answered;
        if (woke.taskId !== taskOf(created.value)?.id)
          throw new Error('a waiter got another task than created');
        wakeMs.push(woke.at - sent);
        createMs.push(createdAt - sent);
        // Let the woken waiter re-arm before the next sample.
        await until(async () => (await metric(server, 'tinytask_waiters')) >= f.waiters, 're-armed', 30_000);
      }
      log(`wake-up: median ${fmtMs(median(wakeMs))} ms (create alone ${fmtMs(median(createMs))} ms)`);
      const claims = await metric(server, 'tinytask_waits_total{outcome="claimed"}');

      // 5. Every wait ends with its session.
      closing = true;
      const failures = waiters.flatMap((w) => w.failures);
      await inBatches(waiters, 100, (w) => w.session.close());
      await creator.close();
      await until(async () => (await metric(server, 'tinytask_waiters')) === 0, 'waits freed', 30_000);
      log('all waits freed after the sessions closed');

      const perWaiterBytes = ((hold?.maxRssBytes ?? 0) - sessionsRss) / f.waiters;
      const md = [
        `# wait_for_task: ${f.waiters} idle waiters${f.queue ? ' on one queue (claim)' : ' (one agent each, claim)'}`,
        '',
        `Command: \`${commandLine('bench:wait')}\``,
        '',
        `Machine: ${describeMachine(machine)}; ${pin.note}.`,
        '',
        mdTable(
          ['measure', 'value'],
          [
            ['waits held (server gauge)', `${held} of ${f.waiters}`],
            ['time to hold them all (from the first call)', `${fmtMs(armMs)} ms`],
            ['server CPU, idle, no waits', `${idle?.cpuPercent.toFixed(2)} % of one core over ${f.idle} s`],
            [
              `server CPU, ${f.waiters} waits held, nothing happening`,
              `${hold?.cpuPercent.toFixed(2)} % of one core over ${f.hold} s`,
            ],
            ['server RSS, idle', `${fmtMb(idle?.maxRssBytes ?? 0)} MB`],
            [`server RSS, ${f.waiters} sessions open`, `${fmtMb(sessionsRss)} MB`],
            [`server RSS, ${f.waiters} waits held`, `${fmtMb(hold?.maxRssBytes ?? 0)} MB`],
            ['RSS per held wait (held − sessions open)', `${(perWaiterBytes / 1024).toFixed(1)} KB`],
            [
              `wake-up latency, create sent → waiter's answer (${wakeMs.length} samples)`,
              `median ${fmtMs(median(wakeMs))} ms, p90 ${fmtMs(percentile(wakeMs, 90))} ms, max ${fmtMs(Math.max(...wakeMs))} ms`,
            ],
            [
              'create_task alone, for comparison',
              `median ${fmtMs(median(createMs))} ms, p90 ${fmtMs(percentile(createMs, 90))} ms`,
            ],
            ['waits ended by a claim', String(claims)],
            ['failed wait calls', String(failures.length)],
          ],
        ),
        '',
      ].join('\n');
      const file = writeResult(f.out, `wait-${stamp()}.md`, md);
      process.stdout.write(`${md}\nwritten to ${file}\n`);
      if (failures.length > 0) {
        process.stderr.write(`failures (first 5): ${failures.slice(0, 5).join(' | ')}\n`);
        return 1;
      }
      return held >= f.waiters ? 0 : 1;
    } finally {
      closing = true;
      sampler.stop();
      await server.stop();
    }
  },
);
