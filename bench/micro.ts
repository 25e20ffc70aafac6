/**
 * `npm run bench:micro`: one tool at a time with autocannon — get_task, list_tasks, get_my_queue, create_task,
 * signup_for_task, add_comment — each connection with its own initialized MCP session, hammering `tools/call`
 * POSTs; plus two floors for the ratio: the raw uWebSockets.js reply (bench/servers/floor-server.mjs, a constant
 * JSON answer to the same POST) and `/healthz` on the real server. A fresh seeded server per target.
 */
import autocannon, { type Client, type Request, type Result } from 'autocannon';
import { defineFlags } from './lib/args.js';
import {
  checkBuild,
  cliMain,
  commandLine,
  OUT_FLAG,
  PIN_FLAGS,
  setupPinning,
  stamp,
  warn,
  writeResult,
} from './lib/cli.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { McpHttpSession, PROTOCOL_VERSION, taskOf } from './lib/mcp-session.js';
import { ProcSampler, readProc } from './lib/proc.js';
import { fmtInt, mdTable, median } from './lib/report.js';
import { startServer, type RunningServer } from './lib/server.js';

const TOOL_TARGETS = [
  'get_task',
  'list_tasks',
  'get_my_queue',
  'create_task',
  'signup_for_task',
  'add_comment',
] as const;
const FLOOR_TARGETS = ['uws_floor', 'healthz'] as const;
type Target = (typeof TOOL_TARGETS)[number] | (typeof FLOOR_TARGETS)[number];

const flags = defineFlags({
  targets: { type: 'strings', default: [...FLOOR_TARGETS, ...TOOL_TARGETS], help: 'What to bench' },
  connections: { type: 'number', default: 100, help: 'Connections (each its own MCP session)' },
  duration: { type: 'number', default: 10, help: 'Seconds per run' },
  runs: { type: 'number', default: 1, help: 'Runs per target; medians are reported' },
  tasksPerAgent: { type: 'number', default: 10, help: 'Tasks seeded per session agent' },
  claimSeed: { type: 'number', default: 200, help: 'Extra idle tasks per agent seeded for signup_for_task' },
  readThreads: { type: 'number', default: 1, help: 'TINYTASK_READ_THREADS of the server' },
  ...PIN_FLAGS,
  ...OUT_FLAG,
});

interface Row {
  target: Target;
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  socketErrors: number;
  rpcErrors: number;
  toolErrors: number;
  serverCpuPercent: number;
  serverCpuMsPerReq: number;
  peakRssMb: number;
  generatorCpuPercent: number;
  note: string;
}

async function parallel<T>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

function rpcBody(id: number, name: string, args: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
}

function runAutocannon(opts: Parameters<typeof autocannon>[0]): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function benchTarget(
  target: Target,
  f: { connections: number; duration: number; tasksPerAgent: number; claimSeed: number; readThreads: number },
  cpus: string | undefined,
): Promise<Row> {
  const server: RunningServer = await startServer({
    variant: target === 'uws_floor' ? 'floor' : 'real',
    cpus,
    readThreads: f.readThreads,
  });
  try {
    if (server.native === false) warn(`${target}: uWebSockets.js runs its JS fallback — not representative.`);
    const counters = { rpc: 0, tool: 0 };
    const onResponse = (_status: number, body: string): void => {
      if (body.includes('"isError":true')) counters.tool++;
      else if (body.includes('"error":{')) counters.rpc++;
    };
    let setupClient: ((client: Client) => void) | undefined;
    let method = 'POST';
    let path = '/mcp';
    let note = '';

    if (target === 'healthz') {
      method = 'GET';
      path = '/healthz';
    } else if (target !== 'uws_floor') {
      // One initialized session per connection, seeded with tasks assigned to its agent.
      const sessions = Array.from(
        { length: f.connections },
        (_, i) => new McpHttpSession({ url: server.url, clientName: `micro-agent-${i + 1}` }),
      );
      await parallel(sessions, 50, (s) => s.initialize());
      const taskIds: number[][] = sessions.map(() => []);
      const seedPerAgent = f.tasksPerAgent + (target === 'signup_for_task' ? f.claimSeed : 0);
      await parallel(sessions, 50, async (s, i) => {
        for (let k = 0; k < seedPerAgent; k++) {
          const out = await s.callTool('create_task', {
            title: `micro seed ${i + 1}.${k + 1}`,
            description: 'Seeded for the micro benchmark.',
            assigned_to: `micro-agent-${i + 1}`,
            created_by: `micro-agent-${i + 1}`,
            priority: k % 5,
            tags: ['bench'],
          });
          if (!out.ok) throw new Error(`seeding failed: ${out.message}`);
          const t = taskOf(out.value);
          if (t) (taskIds[i] as number[]).push(t.id);
        }
      });
      for (const s of sessions) s.conn.close();
      const bodiesFor = (i: number): string[] => {
        const agent = `micro-agent-${i + 1}`;
        const ids = taskIds[i] as number[];
        const pick = (k: number) => ids[k % Math.min(ids.length, f.tasksPerAgent)] as number;
        return Array.from({ length: 16 }, (_, k) => {
          const id = k + 2;
          switch (target) {
            case 'get_task':
              return rpcBody(id, 'get_task', { id: pick(k) });
            case 'list_tasks':
              return rpcBody(id, 'list_tasks', { assigned_to: agent, limit: 20 });
            case 'get_my_queue':
              return rpcBody(id, 'get_my_queue', { agent_name: agent });
            case 'create_task':
              return rpcBody(id, 'create_task', {
                title: `micro task ${k}`,
                description: 'Benchmark task: implement the thing, then hand it back with a short report.',
                assigned_to: `micro-agent-${((i + k) % f.connections) + 1}`,
                created_by: agent,
                priority: k % 5,
                tags: ['bench'],
              });
            case 'signup_for_task':
              return rpcBody(id, 'signup_for_task', { agent_name: agent });
            default:
              return rpcBody(id, 'add_comment', {
                task_id: pick(k),
                content: `${agent}: progress note ${k}`,
                created_by: agent,
              });
          }
        });
      };
      let next = 0;
      setupClient = (client) => {
        const i = next++ % sessions.length;
        const headers = {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Mcp-Session-Id': (sessions[i] as McpHttpSession).sessionId as string,
          'MCP-Protocol-Version': PROTOCOL_VERSION,
        };
        client.setRequests(
          bodiesFor(i).map((body): Request => ({ method: 'POST', path: '/mcp', headers, body, onResponse })),
        );
      };
      if (target === 'signup_for_task') note = `${f.claimSeed + f.tasksPerAgent} idle tasks seeded per agent`;
    }

    const sampler = new ProcSampler(server.pid);
    sampler.start();
    const mark = sampler.mark();
    const cpu0 = process.cpuUsage();
    const result = await runAutocannon({
      url: server.baseUrl + path,
      connections: f.connections,
      duration: f.duration,
      method,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: target === 'uws_floor' ? rpcBody(1, 'get_task', { id: 1 }) : undefined,
      setupClient,
    });
    const win = sampler.window(mark);
    const genCpu = process.cpuUsage(cpu0);
    sampler.stop();

    if (target === 'signup_for_task') {
      const probe = new McpHttpSession({ url: server.url });
      await probe.initialize();
      const out = await probe.callTool('list_tasks', { status: 'working', limit: 1 });
      await probe.close();
      const claimed = out.ok ? ((out.value as { total?: number }).total ?? NaN) : NaN;
      note += `; ${fmtInt(claimed)} of ${fmtInt(result.requests.total ?? result['2xx'])} claims got a task (the rest found the queue empty)`;
    }

    const failed = result.non2xx + result.errors + counters.rpc + counters.tool;
    if (failed > 0 || !win) {
      // Keep the evidence: the server's last log lines and whether it is still alive.
      const alive = readProc(server.pid) !== undefined;
      warn(
        `${target}: ${failed} failed requests; server process ${alive ? 'still running' : 'GONE (exited during the run)'}. Last server log lines:\n` +
          server.logTail().slice(-15).join('\n'),
      );
    }
    const seconds = win?.seconds ?? f.duration;
    const requests = (result.requests.total ?? result.requests.average * f.duration) || 1;
    return {
      target,
      reqPerSec: result.requests.average,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      non2xx: result.non2xx,
      socketErrors: result.errors,
      rpcErrors: counters.rpc,
      toolErrors: counters.tool,
      serverCpuPercent: win?.cpuPercent ?? NaN,
      serverCpuMsPerReq: win ? win.cpuMs / requests : NaN,
      peakRssMb: win ? win.peakRssBytes / 2 ** 20 : NaN,
      generatorCpuPercent: ((genCpu.user + genCpu.system) / 1000 / (seconds * 1000)) * 100,
      note,
    };
  } finally {
    await server.stop();
  }
}

cliMain(
  'npm run bench:micro --',
  'autocannon per tool (one MCP session per connection) and the raw uWS floor.',
  flags,
  async (f) => {
    checkBuild();
    const pin = setupPinning(f);
    const targets = f.targets as Target[];
    for (const t of targets) {
      if (![...TOOL_TARGETS, ...FLOOR_TARGETS].includes(t)) throw new Error(`unknown target ${t}`);
    }
    const machine = machineInfo();
    process.stderr.write(
      `bench:micro — ${targets.join(', ')}; ${f.connections} connections, ${f.duration} s × ${f.runs} run(s); ${pin.note}\n`,
    );
    const runs = new Map<Target, Row[]>();
    for (let run = 1; run <= f.runs; run++) {
      for (const t of targets) {
        process.stderr.write(`  [run ${run}/${f.runs}] ${t} ...`);
        const row = await benchTarget(t, f, pin.serverCpus);
        process.stderr.write(
          ` ${fmtInt(row.reqPerSec)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, server CPU ${row.serverCpuPercent.toFixed(0)} %, generator CPU ${row.generatorCpuPercent.toFixed(0)} %\n`,
        );
        if (row.generatorCpuPercent >= 90)
          warn(
            `${t}: the load generator (autocannon) used ${row.generatorCpuPercent.toFixed(0)} % of its core — it may be the bottleneck.`,
          );
        if (row.non2xx + row.socketErrors + row.rpcErrors + row.toolErrors > 0) {
          warn(
            `${t}: ${row.non2xx} non-2xx, ${row.socketErrors} socket errors, ${row.rpcErrors} JSON-RPC errors, ${row.toolErrors} tool errors`,
          );
        }
        runs.set(t, [...(runs.get(t) ?? []), row]);
      }
    }
    const med = (t: Target, pick: (r: Row) => number) => median((runs.get(t) ?? []).map(pick));
    const floor = runs.has('uws_floor') ? med('uws_floor', (r) => r.reqPerSec) : NaN;
    const lines = ['# Micro benchmarks', ''];
    lines.push(`- Command: \`${commandLine('bench:micro')}\``);
    lines.push(`- Machine: ${describeMachine(machine)}`);
    lines.push(
      `- autocannon, ${f.connections} connections (one MCP session each), ${f.duration} s, ${f.runs} run(s), medians; ${pin.note}`,
      '',
    );
    lines.push(
      mdTable(
        [
          'target',
          'req/s',
          'vs uWS floor',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'max ms',
          'errors',
          'server CPU %',
          'server CPU-ms/req',
          'peak RSS MB',
          'generator CPU %',
          'runs (req/s)',
        ],
        targets.map((t) => {
          const rows = runs.get(t) ?? [];
          const rate = med(t, (r) => r.reqPerSec);
          return [
            t,
            fmtInt(rate),
            Number.isFinite(floor) ? `${((rate / floor) * 100).toFixed(1)} %` : '-',
            med(t, (r) => r.p50),
            med(t, (r) => r.p90),
            med(t, (r) => r.p99),
            med(t, (r) => r.max),
            rows.reduce((n, r) => n + r.non2xx + r.socketErrors + r.rpcErrors + r.toolErrors, 0),
            med(t, (r) => r.serverCpuPercent).toFixed(0),
            med(t, (r) => r.serverCpuMsPerReq).toFixed(3),
            med(t, (r) => r.peakRssMb).toFixed(0),
            med(t, (r) => r.generatorCpuPercent).toFixed(0),
            rows.map((r) => fmtInt(r.reqPerSec)).join(', '),
          ];
        }),
      ),
      '',
    );
    const notes = targets.flatMap((t) =>
      (runs.get(t) ?? []).filter((r) => r.note).map((r) => `- ${t}: ${r.note}`),
    );
    if (notes.length > 0) lines.push(...notes, '');
    const md = lines.join('\n');
    const name = `micro-${stamp()}`;
    const file = writeResult(f.out, `${name}.md`, md);
    writeResult(f.out, `${name}.json`, JSON.stringify({ machine, runs: Object.fromEntries(runs) }, null, 2));
    process.stdout.write(`\n${md}\n`);
    process.stderr.write(`Report: ${file}\n`);
    const errors = [...runs.values()]
      .flat()
      .reduce((n, r) => n + r.non2xx + r.socketErrors + r.rpcErrors + r.toolErrors, 0);
    return errors > 0 ? 1 : 0;
  },
);
