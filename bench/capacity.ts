/**
 * `npm run bench:capacity`: ramps the agent workflow over agent counts (10 → 50 → 100 → 200 → 500 → 1,000 by
 * default), a fresh server per step, and finds the largest count that meets the service level (p99 and errors).
 * Writes a Markdown report and an SVG chart of throughput, p99 and peak RSS against agents.
 */
import path from 'node:path';
import { defineFlags } from './lib/args.js';
import {
  checkBuild,
  cliMain,
  commandLine,
  endProgress,
  OUT_FLAG,
  PIN_FLAGS,
  progressPrinter,
  setupPinning,
  stamp,
  warn,
  writeResult,
} from './lib/cli.js';
import { describeMachine } from './lib/machine.js';
import { capacitySvg, fmtInt, fmtMb, fmtMs, headline, mdTable, type CapacityPoint } from './lib/report.js';
import { REPO_DIR } from './lib/server.js';
import { runAgents, type AgentsRunResult } from './agents/run.js';

const flags = defineFlags({
  steps: { type: 'numbers', default: [10, 50, 100, 200, 500, 1000], help: 'Agent counts to ramp through' },
  duration: { type: 'number', default: 10, help: 'Measured seconds per step' },
  warmup: { type: 'number', default: 3, help: 'Warm-up seconds per step' },
  p99: { type: 'number', default: 50, help: 'Service level: p99 latency over all tool calls, ms' },
  maxErrors: { type: 'number', default: 0, help: 'Service level: failed calls allowed per step' },
  thinkMs: { type: 'number', default: 0, help: 'Mean pause of an agent between calls (0 = back to back)' },
  workers: {
    type: 'number',
    default: undefined,
    help: 'Load-generator processes (default: one per generator CPU)',
  },
  url: {
    type: 'string',
    default: undefined,
    help: 'Target a running server instead of starting one per step',
  },
  token: { type: 'string', default: undefined, help: 'Bearer token for --url' },
  serverPid: { type: 'number', default: undefined, help: 'With --url: the server pid, to sample CPU/RSS' },
  readThreads: { type: 'number', default: 1, help: 'TINYTASK_READ_THREADS of the started servers' },
  example: { type: 'boolean', default: false, help: 'Also write the chart to docs/capacity-example.svg' },
  ...PIN_FLAGS,
  ...OUT_FLAG,
});

cliMain(
  'npm run bench:capacity --',
  'Finds how many agents one server serves within the service level.',
  flags,
  async (f) => {
    if (!f.url) checkBuild();
    const pin = setupPinning(f);
    const steps = [...f.steps].sort((a, b) => a - b);
    process.stderr.write(
      `bench:capacity — steps ${steps.join(' → ')} agents, ${f.duration} s each (+${f.warmup} s warm-up), ` +
        `service level p99 ≤ ${f.p99} ms and ≤ ${f.maxErrors} errors; ${pin.note}\n`,
    );
    const results: AgentsRunResult[] = [];
    const points: CapacityPoint[] = [];
    for (const [i, agents] of steps.entries()) {
      const result = await runAgents({
        agents,
        durationS: f.duration,
        warmupS: f.warmup,
        workers: f.workers,
        thinkMs: f.thinkMs,
        url: f.url,
        headers: f.token ? { Authorization: `Bearer ${f.token}` } : {},
        serverPid: f.serverPid,
        server: { cpus: pin.serverCpus, readThreads: f.readThreads },
        onProgress: progressPrinter(`[step ${i + 1}/${steps.length}: ${agents} agents]`),
      });
      endProgress();
      const errors = result.errors.http + result.errors.rpc + result.errors.tool + result.errors.init;
      const passed = result.overall.p99 <= f.p99 && errors <= f.maxErrors && result.ok;
      results.push(result);
      points.push({
        agents,
        callsPerSec: result.callsPerSec,
        p99: result.overall.p99,
        peakRssMb: result.server ? result.server.peakRssBytes / 2 ** 20 : undefined,
        errors,
        passed,
      });
      process.stderr.write(`  ${passed ? 'meets' : 'MISSES'} the service level — ${headline(result)}\n`);
      for (const w of result.warnings) warn(w);
    }

    const passing = points.filter((p) => p.passed).map((p) => p.agents);
    const capacity = passing.length > 0 ? Math.max(...passing) : undefined;
    const firstFail = points.find((p) => !p.passed)?.agents;
    const machine = results[0]?.machine;
    const title = `tinytask-mcp capacity: agent workflow, server on ${pin.serverCpus !== undefined ? `CPU ${pin.serverCpus}` : 'any CPU'}`;
    const subtitle = machine
      ? `${machine.cpuModel}, Node ${machine.node}, commit ${machine.commit}, ${machine.date.slice(0, 10)}; ${f.duration} s per step`
      : '';
    const svg = capacitySvg(points, {
      title,
      subtitle,
      p99LimitMs: f.p99,
      capacity,
      rssGuides: [
        { mb: 200, label: 'goal at 1,000 agents: 200 MB' },
        { mb: 512, label: 'container limit 512 MB' },
      ],
    });

    const base = `capacity-${stamp()}`;
    const svgFile = writeResult(f.out, `${base}.svg`, svg);
    const lines: string[] = [];
    lines.push('# Capacity', '');
    lines.push(`- Command: \`${commandLine('bench:capacity')}\``);
    if (machine) lines.push(`- Machine: ${describeMachine(machine)}`);
    lines.push(
      `- Pinning: ${pin.note}; a fresh server and database per step${f.url ? ' (here: the given --url)' : ''}`,
    );
    lines.push(
      `- Service level: p99 ≤ ${f.p99} ms over all tool calls, at most ${f.maxErrors} failed calls, board verification passes`,
    );
    lines.push(`- Think time: ${f.thinkMs} ms mean between an agent's calls`, '');
    lines.push(
      capacity !== undefined
        ? `**Capacity: ${capacity} agents** meet the service level${firstFail !== undefined && firstFail < capacity ? ` (note: ${firstFail} agents missed it)` : ''}${
            firstFail !== undefined && firstFail > capacity ? `; ${firstFail} agents miss it` : ''
          }.`
        : `**No step met the service level.**`,
      '',
    );
    lines.push(
      mdTable(
        [
          'agents',
          'calls/s',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'max ms',
          'errors',
          'server CPU %',
          'CPU-ms/call',
          'peak RSS MB',
          'generator CPU %',
          'verified',
          'service level',
        ],
        results.map((r, i) => {
          const p = points[i] as CapacityPoint;
          return [
            r.config.agents,
            fmtInt(r.callsPerSec),
            fmtMs(r.overall.p50),
            fmtMs(r.overall.p90),
            fmtMs(r.overall.p99),
            fmtMs(r.overall.max),
            p.errors,
            r.server ? r.server.cpuPercent.toFixed(0) : '-',
            r.server ? r.server.cpuMsPerCall.toFixed(3) : '-',
            r.server ? fmtMb(r.server.peakRssBytes) : '-',
            `${r.generator.cpuPercent.toFixed(0)}${r.generator.saturated ? ' (saturated)' : ''}`,
            r.verification ? (r.verification.ok ? 'yes' : '**NO**') : '-',
            p.passed ? 'meets' : '**misses**',
          ];
        }),
      ),
      '',
    );
    lines.push(`![capacity chart](${path.basename(svgFile)})`, '');
    const warnings = results.flatMap((r) => r.warnings.map((w) => `${r.config.agents} agents: ${w}`));
    if (warnings.length > 0) {
      lines.push('## Warnings', '');
      for (const w of warnings) lines.push(`- ${w}`);
      lines.push('');
    }
    const md = lines.join('\n');
    const mdFile = writeResult(f.out, `${base}.md`, md);
    writeResult(
      f.out,
      `${base}.json`,
      JSON.stringify({ capacity, p99LimitMs: f.p99, maxErrors: f.maxErrors, points, results }, null, 2),
    );
    if (f.example) {
      writeResult(path.join(REPO_DIR, 'docs'), 'capacity-example.svg', svg);
      process.stderr.write('Example chart written to docs/capacity-example.svg\n');
    }
    process.stdout.write(`\n${md}\n`);
    process.stderr.write(`Report: ${mdFile}\nChart:  ${svgFile}\n`);
    return results.every((r) => r.verification?.ok ?? true) ? 0 : 1;
  },
);
