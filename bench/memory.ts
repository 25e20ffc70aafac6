/**
 * `npm run bench:memory -- --sessions 2000 --agents 100 --duration 20`: where the server's memory goes, per
 * thread. Starts the built server with bench/lib/memprobe.mjs preloaded (every thread — main, writer, each reader —
 * then reports its own V8 heap), and measures three moments:
 *
 *   1. idle after start (as it comes, and after a full GC in every thread);
 *   2. with `--sessions` open idle sessions (each initialized, one call made, its keep-alive connection held):
 *      the cost of one idle session = the RSS and main-heap growth after a GC, divided by the count;
 *   3. under `--agents` back-to-back agents (bench:agents against this server): the peak of every figure.
 *
 * Process figures come from `/proc/<pid>/status` (VmRSS, VmHWM) and `/proc/<pid>/smaps_rollup` (anonymous vs.
 * file-backed), the per-thread ones from V8's heap statistics inside each thread.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineFlags } from './lib/args.js';
import {
  checkBuild,
  cliMain,
  commandLine,
  OUT_FLAG,
  parseEnvList,
  PIN_FLAGS,
  setupPinning,
  stamp,
  writeResult,
} from './lib/cli.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { McpHttpSession } from './lib/mcp-session.js';
import { readProc } from './lib/proc.js';
import { mdTable } from './lib/report.js';
import { PRODUCT_NODE_ARGS, REPO_DIR, startServer } from './lib/server.js';
import { runAgents } from './agents/run.js';

const flags = defineFlags({
  sessions: { type: 'number', default: 2000, help: 'Idle sessions opened to measure the cost of one' },
  agents: { type: 'number', default: 100, help: 'Back-to-back agents of the load phase (0 skips it)' },
  duration: { type: 'number', default: 20, help: 'Measured seconds of the load phase' },
  nodeArgs: {
    type: 'string',
    default: undefined,
    help: `Node flags of the server, space-separated (default: ${PRODUCT_NODE_ARGS.join(' ')})`,
  },
  serverEnv: {
    type: 'string',
    default: undefined,
    help: 'Extra settings of the server, NAME=value pairs separated by commas',
  },
  serverEntry: { type: 'string', default: undefined, help: "Another build's cli.js to measure instead" },
  ...PIN_FLAGS,
  ...OUT_FLAG,
});

const MB = 2 ** 20;
const mb = (b: number | undefined): string => (b === undefined ? '—' : (b / MB).toFixed(1));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface ThreadSample {
  threadId: number;
  /** OS thread id (Linux), to match per-thread CPU from /proc. */
  tid?: number;
  role: string;
  at: number;
  afterGc: boolean;
  gcRequest?: string;
  heap: {
    total_heap_size: number;
    used_heap_size: number;
    total_physical_size: number;
    external_memory: number;
    malloced_memory: number;
  };
  spaces: Record<string, { size: number; used: number; physical: number }>;
  process?: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}

interface ProcessMemory {
  rss: number;
  hwm: number;
  anonymous: number;
  fileBacked: number;
  threads: number;
}

function processMemory(pid: number): ProcessMemory {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(rollup);
    return m ? Number(m[1]) * 1024 : 0;
  };
  const p = readProc(pid);
  const rss = kb('Rss');
  return {
    rss,
    hwm: p?.peakRssBytes ?? 0,
    anonymous: kb('Anonymous'),
    fileBacked: rss - kb('Anonymous'),
    threads: p?.threads ?? 0,
  };
}

function readThreads(dir: string, gcOnly: boolean): ThreadSample[] {
  const out: ThreadSample[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.startsWith('thread-') || gcOnly !== f.endsWith('-gc.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ThreadSample);
    } catch {
      // Being rewritten right now: the next read gets it.
    }
  }
  return out.sort((a, b) => a.threadId - b.threadId);
}

/** Asks every thread for a full GC and waits for all of them to report after it. */
let gcRequests = 0;

async function gcAll(dir: string, threads: number, session: McpHttpSession): Promise<ThreadSample[]> {
  const request = String(++gcRequests);
  writeFileSync(path.join(dir, 'gc-request'), request);
  for (let i = 0; i < 600; i++) {
    await sleep(100);
    // Reads wake the reader threads, which only look for the request when they answer (see memprobe.mjs).
    await Promise.all(Array.from({ length: 4 }, () => session.callTool('list_tasks', { limit: 1 })));
    const got = readThreads(dir, true).filter((s) => s.gcRequest === request);
    if (got.length >= threads) return got;
  }
  throw new Error('the server threads did not report after a GC request within 60 s');
}

function threadRows(samples: ThreadSample[]): Array<Array<string | number>> {
  return samples.map((s) => [
    s.tid === undefined ? s.role : `${s.role} (tid ${s.tid})`,
    mb(s.heap.total_physical_size),
    mb(s.heap.used_heap_size),
    mb(s.spaces.new_space?.physical),
    mb(s.spaces.old_space?.physical),
    mb(s.heap.external_memory),
    mb(s.heap.malloced_memory),
  ]);
}

const THREAD_HEADERS = [
  'thread',
  'V8 heap (physical) MB',
  'heap used MB',
  'young MB',
  'old MB',
  'external MB',
  'V8 malloc MB',
];

function processRow(label: string, m: ProcessMemory): Array<string | number> {
  return [label, mb(m.rss), mb(m.anonymous), mb(m.fileBacked), mb(m.hwm), m.threads];
}

const PROCESS_HEADERS = [
  'moment',
  'RSS MB',
  'anonymous MB',
  'file-backed MB',
  'peak (VmHWM) MB',
  'OS threads',
];

cliMain(
  'npm run bench:memory --',
  'Prints where the server memory goes, per thread: idle, per open idle session, and under load.',
  flags,
  async (f) => {
    checkBuild();
    const pin = setupPinning(f);
    const machine = machineInfo();
    const probeDir = mkdtempSync(path.join(os.tmpdir(), 'tinytask-memprobe-'));
    const env = { ...parseEnvList(f.serverEnv), TINYTASK_MEMPROBE_DIR: probeDir };
    const baseArgs = f.nodeArgs === undefined ? PRODUCT_NODE_ARGS : f.nodeArgs.split(' ').filter(Boolean);
    const server = await startServer({
      cpus: pin.serverCpus,
      readThreads: 1,
      maxSessions: Math.max(10_000, f.sessions * 2),
      startTimeoutMs: 120_000,
      entry: f.serverEntry,
      nodeArgs: [...baseArgs, '--import', path.join(REPO_DIR, 'bench', 'lib', 'memprobe.mjs')],
      env,
    });
    const md: string[] = [
      '# Memory breakdown',
      '',
      `Command: \`${commandLine('bench:memory')}\``,
      `Machine: ${describeMachine(machine)}`,
      `Server: ${f.serverEntry ?? 'dist/cli.js'} with \`${baseArgs.join(' ') || '(no flags)'}\`${f.serverEnv ? `, ${f.serverEnv}` : ''}, pinned to ${pin.serverCpus ?? '(none)'}`,
      '',
    ];
    const sessions: McpHttpSession[] = [];
    const probe = new McpHttpSession({
      url: server.url,
      headers: {},
      timeoutMs: 60_000,
      clientName: 'memprobe',
    });
    try {
      await probe.initialize();
      // 1. Idle after start.
      let threads = 0;
      for (let i = 0; i < 100 && threads < 3; i++) {
        await sleep(100);
        threads = readThreads(probeDir, false).length;
      }
      await sleep(3000);
      const idle = processMemory(server.pid);
      const idleThreads = readThreads(probeDir, false);
      threads = idleThreads.length;
      const idleGc = await gcAll(probeDir, threads, probe);
      const idleAfterGc = processMemory(server.pid);
      md.push(
        '## Process',
        '',
        '',
        '## Idle after start, per thread (as it comes / after a full GC)',
        '',
        mdTable(THREAD_HEADERS, threadRows(idleThreads)),
        '',
        mdTable(THREAD_HEADERS, threadRows(idleGc)),
        '',
      );
      const processRows = [
        processRow('idle after start', idle),
        processRow('idle, after a full GC', idleAfterGc),
      ];

      // 2. Idle sessions.
      if (f.sessions > 0) {
        let next = 0;
        let failures = 0;
        for (let i = 0; i < f.sessions; i++)
          sessions.push(
            new McpHttpSession({ url: server.url, headers: {}, timeoutMs: 60_000, clientName: `idle-${i}` }),
          );
        const open = async (): Promise<void> => {
          while (next < sessions.length) {
            const s = sessions[next++] as McpHttpSession;
            try {
              await s.initialize();
              // One call: an agent that did some work and went quiet (never-used sessions are reaped early).
              const out = await s.callTool('get_my_queue', { agent_name: 'idle-agent' });
              if (!out.ok) failures++;
            } catch {
              failures++;
            }
          }
        };
        await Promise.all(Array.from({ length: 50 }, open));
        await sleep(2000);
        const withSessions = processMemory(server.pid);
        const sessionsGc = await gcAll(probeDir, threads, probe);
        const withSessionsGc = processMemory(server.pid);
        const mainBefore = idleGc.find((s) => s.role === 'main');
        const mainAfter = sessionsGc.find((s) => s.role === 'main');
        const perSessionRss = (withSessionsGc.rss - idleAfterGc.rss) / f.sessions;
        const perSessionHeap =
          mainBefore && mainAfter
            ? (mainAfter.heap.used_heap_size - mainBefore.heap.used_heap_size) / f.sessions
            : NaN;
        processRows.push(
          processRow(`${f.sessions} idle sessions open`, withSessions),
          processRow(`${f.sessions} idle sessions, after a full GC`, withSessionsGc),
        );
        md.push(
          `## ${f.sessions} open idle sessions (each with its keep-alive connection), after a full GC`,
          '',
          mdTable(THREAD_HEADERS, threadRows(sessionsGc)),
          '',
          `Per open idle session: **${(perSessionRss / 1024).toFixed(1)} KB of RSS**, ` +
            `${(perSessionHeap / 1024).toFixed(1)} KB of main-thread heap (after a full GC; ${failures} failures).`,
          '',
        );
        await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
        sessions.length = 0;
      }

      // 3. Under load.
      if (f.agents > 0) {
        const peaks = new Map<number, ThreadSample>();
        const track = setInterval(() => {
          for (const s of readThreads(probeDir, false)) {
            const prev = peaks.get(s.threadId);
            if (!prev || s.heap.total_physical_size > prev.heap.total_physical_size) peaks.set(s.threadId, s);
          }
        }, 500);
        const result = await runAgents({
          agents: f.agents,
          durationS: f.duration,
          warmupS: 3,
          url: server.url,
          serverPid: server.pid,
          verify: false,
        });
        clearInterval(track);
        const loaded = processMemory(server.pid);
        processRows.push(processRow(`after ${f.agents} back-to-back agents (${f.duration} s)`, loaded));
        md.push(
          `## Under ${f.agents} back-to-back agents: each thread at its largest`,
          '',
          mdTable(THREAD_HEADERS, threadRows([...peaks.values()].sort((a, b) => a.threadId - b.threadId))),
          '',
          `Load: ${result.callsPerSec.toFixed(0)} calls/s, p99 ${result.overall.p99.toFixed(1)} ms, ` +
            `peak RSS ${mb(result.server?.peakRssBytes)} MB, server CPU ${result.server?.cpuPercent.toFixed(0) ?? '?'} %.`,
          '',
        );
      }
      md.splice(md.indexOf('## Process') + 2, 0, mdTable(PROCESS_HEADERS, processRows));
    } finally {
      await probe.close().catch(() => undefined);
      await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
      await server.stop();
      rmSync(probeDir, { recursive: true, force: true });
    }
    const text = md.join('\n');
    const file = writeResult(f.out, `memory-${stamp()}.md`, text);
    process.stdout.write(`${text}\nReport: ${file}\n`);
    return 0;
  },
);
