import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Histogram, type HistogramJSON, type LatencySummary } from '../lib/histogram.js';
import { machineInfo, type MachineInfo } from '../lib/machine.js';
import { HttpConnection } from '../lib/http-client.js';
import { McpHttpSession } from '../lib/mcp-session.js';
import { readdirSync, statSync } from 'node:fs';
import {
  counterWindow,
  readServerCounters,
  readServerGauges,
  type ServerCounterWindow,
} from '../lib/server-metrics.js';
import { allowedCpus, ProcSampler, readProc, type ProcWindow } from '../lib/proc.js';
import { startServer, type RunningServer, type ServerOptions } from '../lib/server.js';
import { verifyBoard, type Verification } from './verify.js';
import type { FromWorker, ToWorker } from './worker.js';
import { TOOLS, type ErrorCounts, type GroupResult } from './workflow.js';

/**
 * Runs the agent workflow once: starts the server (or targets a URL), forks the load-generator processes,
 * warms up, measures a window, stops the agents, verifies the board and returns every figure of the run.
 */

export interface AgentsRunOptions {
  agents: number;
  durationS: number;
  warmupS: number;
  /** Load-generator processes; default one per CPU this process may use, at most one per 25 agents. */
  workers?: number | undefined;
  thinkMs?: number;
  /** Target an already running server instead of starting one. */
  url?: string | undefined;
  headers?: Record<string, string>;
  /** With `url`: the server's pid on this machine, to sample its CPU and memory. */
  serverPid?: number | undefined;
  server?: ServerOptions;
  verify?: boolean;
  timeoutMs?: number;
  label?: string;
  /**
   * Agents are named `<runId>-agent-N`; by default a fresh id per run. Reusing an earlier run's id drives the same
   * agents again (their queues and histories), e.g. a board grown back to back and then worked with think time.
   */
  runId?: string | undefined;
  onProgress?: (p: Progress) => void;
  /** Every `everyS` seconds from the start of the load: the server's resources and the interval's latency. */
  sample?: { everyS: number; onSample: (s: RunSample) => void };
}

/** One periodic sample of a long run (bench:soak). */
export interface RunSample {
  elapsedS: number;
  phase: Progress['phase'];
  rssBytes: number | undefined;
  /** Open file descriptors of the server process. */
  fds: number | undefined;
  /** Size of the `-wal` file beside the database (started servers only). */
  walBytes: number | undefined;
  sessions: number | undefined;
  tasks: number | undefined;
  calls: number;
  p99: number;
  p50: number;
}

export interface Progress {
  phase: 'starting' | 'connecting' | 'warmup' | 'measuring' | 'stopping' | 'verifying';
  elapsedS: number;
  callsPerSec: number;
  serverCpuPercent: number | undefined;
  serverRssMb: number | undefined;
}

export interface ToolFigures extends LatencySummary {
  perSec: number;
  errors: ErrorCounts;
}

export interface AgentsRunResult {
  label: string;
  machine: MachineInfo;
  config: {
    agents: number;
    durationS: number;
    warmupS: number;
    thinkMs: number;
    workers: number;
    /** The agents were `<runId>-agent-1` .. `-N` (pass it to --run-id to drive them again). */
    runId: string;
    url: string;
    variant: string;
    readThreads: number | undefined;
    serverCpus: string | undefined;
    generatorCpus: number[];
  };
  windowS: number;
  calls: number;
  callsPerSec: number;
  overall: LatencySummary;
  perTool: Record<string, ToolFigures>;
  errors: ErrorCounts & { init: number; crashedAgents: number; samples: string[] };
  server:
    | (ProcWindow & {
        pid: number;
        native: boolean | undefined;
        cpuMsPerCall: number;
        exitCode?: number | string | undefined;
      })
    | undefined;
  generator: {
    processes: number;
    cpus: number;
    /** All generator processes together, % of one core. */
    cpuPercent: number;
    /** Busiest generator process, % of one core. */
    maxProcessCpuPercent: number;
    /** Highest event-loop utilisation of a generator process (0..1). */
    maxElu: number;
    saturated: boolean;
    reconnects: number;
  };
  /**
   * Without a pid to sample (a remote or containerised server): the highest `system.rss_mb` the server's own
   * /api/metrics reported during the window, polled once a second.
   */
  reportedRssMb: number | undefined;
  /** The server's own counters over the window (/metrics): committed writes, group-commit batches, reads. */
  counters: ServerCounterWindow | undefined;
  verification: Verification | undefined;
  /** Warnings the reader must see (generator saturated, uWS fallback, errors, ...). */
  warnings: string[];
  ok: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function tsxImport(): string {
  const require = createRequire(import.meta.url);
  return pathToFileURL(require.resolve('tsx')).href;
}

function forkWorker(): ChildProcess {
  return fork(path.join(here, 'worker.ts'), [], {
    execArgv: ['--import', tsxImport()],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function once<T extends FromWorker['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<FromWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMsg = (msg: FromWorker): void => {
      if (msg.type === type) {
        cleanup();
        resolve(msg as Extract<FromWorker, { type: T }>);
      } else if (msg.type === 'fatal') {
        cleanup();
        reject(new Error(`load generator failed: ${msg.message}`));
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`load generator exited (${code}) while waiting for '${type}'`));
    };
    const cleanup = (): void => {
      child.off('message', onMsg);
      child.off('exit', onExit);
    };
    child.on('message', onMsg);
    child.on('exit', onExit);
  });
}

/** Polls the server's /api/metrics for its resident memory when its process cannot be sampled from /proc. */
class ApiMetricsPoller {
  private maxRssMb: number | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly conn: HttpConnection;
  private busy = false;

  constructor(
    mcpUrl: string,
    private readonly headers: Record<string, string>,
  ) {
    const u = new URL(mcpUrl);
    this.conn = new HttpConnection(u.hostname, Number(u.port || 80), 5_000);
    this.timer = setInterval(() => void this.poll(), 1000);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const res = await this.conn.request('GET', '/api/metrics', this.headers);
      const rss = (JSON.parse(res.body) as { system?: { rss_mb?: number } }).system?.rss_mb;
      if (typeof rss === 'number') this.maxRssMb = Math.max(this.maxRssMb ?? 0, rss);
    } catch {
      // No /api/metrics (or not allowed): the report says the memory is unknown.
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<number | undefined> {
    clearInterval(this.timer);
    await this.poll();
    this.conn.close();
    return this.maxRssMb;
  }
}

/** Asks a generator for the latencies since its last answer (undefined if it does not answer in 5 s). */
function requestInterval(child: ChildProcess): Promise<HistogramJSON | undefined> {
  const answer = once(child, 'interval').then((m) => m.histogram);
  child.send({ type: 'interval' } satisfies ToWorker);
  return Promise.race([answer, sleep(5_000).then(() => undefined)]);
}

function countFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function defaultWorkers(agents: number): number {
  const cpus = Math.max(1, allowedCpus('self').length);
  return Math.max(1, Math.min(cpus, Math.ceil(agents / 25)));
}

export async function runAgents(opts: AgentsRunOptions): Promise<AgentsRunResult> {
  const machine = machineInfo();
  const thinkMs = opts.thinkMs ?? 0;
  const progress = opts.onProgress ?? (() => {});
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const warnings: string[] = [];

  let server: RunningServer | undefined;
  let url = opts.url;
  let serverPid = opts.serverPid;
  progress({
    phase: 'starting',
    elapsedS: 0,
    callsPerSec: 0,
    serverCpuPercent: undefined,
    serverRssMb: undefined,
  });
  if (!url) {
    server = await startServer({ maxSessions: Math.max(10_000, opts.agents * 2), ...opts.server });
    url = server.url;
    serverPid = server.pid;
    if (server.native === false)
      warnings.push(
        'uWebSockets.js runs its slow JS fallback, not the native binary: figures are not representative.',
      );
  }

  const runId = opts.runId ?? `b${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  const allAgents = Array.from({ length: opts.agents }, (_, i) => `${runId}-agent-${i + 1}`);
  const nWorkers = Math.max(1, Math.min(opts.workers ?? defaultWorkers(opts.agents), opts.agents));
  const children: ChildProcess[] = [];
  const sampler = serverPid ? new ProcSampler(serverPid) : undefined;
  const progressCalls = new Array<number>(nWorkers).fill(0);
  let progressTimer: NodeJS.Timeout | undefined;
  let sampleTimer: NodeJS.Timeout | undefined;

  try {
    progress({
      phase: 'connecting',
      elapsedS: elapsed(),
      callsPerSec: 0,
      serverCpuPercent: undefined,
      serverRssMb: undefined,
    });
    for (let w = 0; w < nWorkers; w++) {
      const child = forkWorker();
      children.push(child);
      child.on('message', (msg: FromWorker) => {
        if (msg.type === 'progress') progressCalls[w] = msg.calls;
      });
      const mine = allAgents.filter((_, i) => i % nWorkers === w);
      const job: ToWorker = {
        type: 'job',
        thinkMs,
        job: {
          url,
          headers: opts.headers ?? {},
          runId,
          agents: mine,
          allAgents,
          timeoutMs: opts.timeoutMs ?? 30_000,
        },
      };
      child.send(job);
    }
    const ready = await Promise.all(children.map((c) => once(c, 'ready')));
    const initFailures = ready.reduce((n, r) => n + r.initFailures, 0);

    sampler?.start();
    const remote = sampler ? undefined : new ApiMetricsPoller(url, opts.headers ?? {});
    for (const c of children) c.send({ type: 'start' } satisfies ToWorker);
    const results = children.map((c) => once(c, 'result'));

    // Progress once a second from the workers' running totals.
    let lastCalls = 0;
    let lastAt = performance.now();
    let phase: Progress['phase'] = 'warmup';
    progressTimer = setInterval(() => {
      const total = progressCalls.reduce((a, b) => a + b, 0);
      const now = performance.now();
      const rate = ((total - lastCalls) * 1000) / (now - lastAt);
      lastCalls = total;
      lastAt = now;
      const s = sampler?.samples.at(-1);
      progress({
        phase,
        elapsedS: elapsed(),
        callsPerSec: rate,
        serverCpuPercent: s?.cpuPercent,
        serverRssMb: s ? s.rssBytes / 2 ** 20 : undefined,
      });
    }, 1000);

    if (opts.sample) {
      const { everyS, onSample } = opts.sample;
      const pid = serverPid;
      const walPath = server ? `${server.dbPath}-wal` : undefined;
      const target = url;
      const startedAt = performance.now();
      sampleTimer = setInterval(() => {
        void (async () => {
          const hists = await Promise.all(children.map((c) => requestInterval(c)));
          const h = new Histogram();
          for (const j of hists) if (j) h.merge(Histogram.fromJSON(j));
          const proc = pid ? readProc(pid) : undefined;
          const gauges = await readServerGauges(target, opts.headers ?? {});
          onSample({
            elapsedS: (performance.now() - startedAt) / 1000,
            phase,
            rssBytes: proc?.rssBytes,
            fds: pid ? countFds(pid) : undefined,
            walBytes: walPath ? fileSize(walPath) : undefined,
            sessions: gauges?.sessions,
            tasks: gauges?.tasks,
            calls: h.count,
            p99: h.percentile(99),
            p50: h.percentile(50),
          });
        })().catch(() => undefined);
      }, everyS * 1000);
    }

    await sleep(opts.warmupS * 1000);
    phase = 'measuring';
    const cpuStart = process.cpuUsage();
    const countersFrom = await readServerCounters(url, opts.headers ?? {});
    const mark = sampler?.mark();
    for (const c of children) c.send({ type: 'window-start' } satisfies ToWorker);
    await sleep(opts.durationS * 1000);
    if (sampleTimer) clearInterval(sampleTimer);
    sampleTimer = undefined;
    for (const c of children) c.send({ type: 'window-end' } satisfies ToWorker);
    const serverWindow = sampler?.window(mark);
    const reportedRssMb = await remote?.stop();
    const counters = counterWindow(countersFrom, await readServerCounters(url, opts.headers ?? {}));
    const ownCpu = process.cpuUsage(cpuStart);
    phase = 'stopping';
    const groups: GroupResult[] = (await Promise.all(results)).map((r) => r.result);
    clearInterval(progressTimer);
    progressTimer = undefined;
    sampler?.stop();

    // Merge.
    const perToolHist = new Map<string, Histogram>();
    const overall = new Histogram();
    const errors: ErrorCounts = { http: 0, rpc: 0, tool: 0 };
    const perToolErrors = new Map<string, ErrorCounts>();
    for (const t of TOOLS) {
      perToolHist.set(t, new Histogram());
      perToolErrors.set(t, { http: 0, rpc: 0, tool: 0 });
    }
    const samples: string[] = [];
    for (const g of groups) {
      for (const t of TOOLS) {
        const h = Histogram.fromJSON(g.histograms[t] as never);
        (perToolHist.get(t) as Histogram).merge(h);
        overall.merge(h);
        const e = g.errors[t] as ErrorCounts;
        const pe = perToolErrors.get(t) as ErrorCounts;
        pe.http += e.http;
        pe.rpc += e.rpc;
        pe.tool += e.tool;
        errors.http += e.http;
        errors.rpc += e.rpc;
        errors.tool += e.tool;
      }
      for (const s of g.errorSamples) if (samples.length < 20) samples.push(s);
    }
    const windowS = Math.max(...groups.map((g) => g.windowMs)) / 1000 || opts.durationS;
    const calls = groups.reduce((n, g) => n + g.calls, 0);
    const perTool: Record<string, ToolFigures> = {};
    for (const t of TOOLS) {
      const h = perToolHist.get(t) as Histogram;
      perTool[t] = { ...h.summary(), perSec: h.count / windowS, errors: perToolErrors.get(t) as ErrorCounts };
    }

    const genCpus = allowedCpus('self');
    const procCpu = groups.map((g) => ((g.cpuUserMs + g.cpuSystemMs) / (g.windowMs || 1)) * 100);
    const ownPercent = ((ownCpu.user + ownCpu.system) / 1000 / (windowS * 1000)) * 100;
    const genPercent = procCpu.reduce((a, b) => a + b, 0) + ownPercent;
    const maxElu = Math.max(...groups.map((g) => g.elu));
    const maxProc = Math.max(...procCpu);
    const genCores = Math.max(1, genCpus.length);
    const saturated = genPercent >= 90 * Math.min(genCores, nWorkers + 1) || maxElu >= 0.9 || maxProc >= 90;
    if (saturated) {
      warnings.push(
        `THE LOAD GENERATOR IS THE BOTTLENECK, not (only) the server: generator CPU ${genPercent.toFixed(0)} % ` +
          `of one core over ${genCores} allowed core(s), busiest process ${maxProc.toFixed(0)} %, event-loop ` +
          `utilisation ${(maxElu * 100).toFixed(0)} %. Throughput and latency understate the server; trust server CPU-ms per call. ` +
          (genCores > nWorkers
            ? `Use more --workers (${genCores} cores available).`
            : 'Give the generator more cores (--gen-cpus).'),
      );
    }

    const crashed = groups.reduce((n, g) => n + g.crashed, 0);
    if (initFailures > 0) warnings.push(`${initFailures} agent(s) could not open a session.`);
    if (crashed > 0) warnings.push(`${crashed} agent loop(s) crashed (a bench bug).`);
    const errorTotal = errors.http + errors.rpc + errors.tool;
    if (errorTotal > 0)
      warnings.push(
        `${errorTotal} call(s) failed (HTTP ${errors.http}, JSON-RPC ${errors.rpc}, tool ${errors.tool}).`,
      );

    let verification: Verification | undefined;
    if (opts.verify !== false) {
      progress({
        phase: 'verifying',
        elapsedS: elapsed(),
        callsPerSec: 0,
        serverCpuPercent: undefined,
        serverRssMb: undefined,
      });
      const session = new McpHttpSession({
        url,
        headers: opts.headers ?? {},
        timeoutMs: 120_000,
        clientName: 'bench-verifier',
      });
      try {
        await session.initialize();
        verification = await verifyBoard(session, {
          agents: new Set(allAgents),
          created: groups.flatMap((g) => g.created),
          claims: groups.flatMap((g) => g.claims),
          completed: groups.flatMap((g) => g.completed),
        });
      } finally {
        await session.close();
      }
      if (!verification.ok)
        warnings.push(`BOARD VERIFICATION FAILED: ${verification.problems.slice(0, 5).join('; ')}`);
    }

    let exitCode: number | string | undefined;
    if (server) {
      exitCode = await server.stop();
      if (exitCode !== 0) warnings.push(`the server exited with ${exitCode} on SIGTERM (expected 0).`);
    }

    return {
      label: opts.label ?? `${opts.agents} agents`,
      machine,
      config: {
        agents: opts.agents,
        durationS: opts.durationS,
        warmupS: opts.warmupS,
        thinkMs,
        workers: nWorkers,
        runId,
        url,
        variant: server?.variant ?? 'external',
        readThreads: opts.server?.readThreads,
        serverCpus: server?.pinned,
        generatorCpus: genCpus,
      },
      windowS,
      calls,
      callsPerSec: calls / windowS,
      overall: overall.summary(),
      perTool,
      errors: { ...errors, init: initFailures, crashedAgents: crashed, samples },
      server:
        serverWindow && serverPid
          ? {
              ...serverWindow,
              pid: serverPid,
              native: server?.native,
              cpuMsPerCall: calls > 0 ? serverWindow.cpuMs / calls : 0,
              exitCode,
            }
          : undefined,
      generator: {
        processes: nWorkers,
        cpus: genCores,
        cpuPercent: genPercent,
        maxProcessCpuPercent: maxProc,
        maxElu,
        saturated,
        reconnects: groups.reduce((n, g) => n + g.reconnects, 0),
      },
      reportedRssMb,
      counters,
      verification,
      warnings,
      ok: errorTotal === 0 && initFailures === 0 && crashed === 0 && (verification?.ok ?? true),
    };
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    if (sampleTimer) clearInterval(sampleTimer);
    sampler?.stop();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
    if (server) await server.stop().catch(() => undefined);
  }
}
