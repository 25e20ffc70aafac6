/**
 * `npm run bench:threading`: the agent workflow against three server builds, same pinning, runs interleaved:
 *   writer thread + 1 read thread (the design), writer + 2 read threads, and every database call on the main
 *   thread (bench/servers/inline-server.mjs). Reports medians and ratios against the design.
 */
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
import { fmtInt, fmtMs, headline, mdTable, median } from './lib/report.js';
import type { ServerOptions } from './lib/server.js';
import { runAgents, type AgentsRunResult } from './agents/run.js';

interface Variant {
  key: string;
  label: string;
  server: ServerOptions;
}

const VARIANTS: Variant[] = [
  {
    key: 'pool1',
    label: 'writer thread + 1 read thread (design)',
    server: { variant: 'real', readThreads: 1 },
  },
  { key: 'pool2', label: 'writer thread + 2 read threads', server: { variant: 'real', readThreads: 2 } },
  { key: 'inline', label: 'all database work on the main thread', server: { variant: 'inline' } },
];

const flags = defineFlags({
  agents: { type: 'numbers', default: [100], help: 'Agent counts (each variant runs at each count)' },
  duration: { type: 'number', default: 15, help: 'Measured seconds per run' },
  warmup: { type: 'number', default: 3, help: 'Warm-up seconds per run' },
  runs: { type: 'number', default: 3, help: 'Runs per variant (interleaved); medians are reported' },
  variants: {
    type: 'strings',
    default: VARIANTS.map((v) => v.key),
    help: `Variants: ${VARIANTS.map((v) => v.key).join(', ')}`,
  },
  workers: { type: 'number', default: undefined, help: 'Load-generator processes' },
  ...PIN_FLAGS,
  ...OUT_FLAG,
});

cliMain(
  'npm run bench:threading --',
  'Compares the writer-thread + read-pool design with all-on-main-thread.',
  flags,
  async (f) => {
    checkBuild();
    const pin = setupPinning(f);
    const chosen = f.variants.map((k) => {
      const v = VARIANTS.find((x) => x.key === k);
      if (!v) throw new Error(`unknown variant ${k}; choose from ${VARIANTS.map((x) => x.key).join(', ')}`);
      return v;
    });
    const all: Array<{ variant: Variant; agents: number; runs: AgentsRunResult[] }> = [];
    for (const agents of f.agents) for (const variant of chosen) all.push({ variant, agents, runs: [] });
    let failed = false;
    for (let run = 1; run <= f.runs; run++) {
      for (const entry of all) {
        const r = await runAgents({
          agents: entry.agents,
          durationS: f.duration,
          warmupS: f.warmup,
          workers: f.workers,
          server: { ...entry.variant.server, cpus: pin.serverCpus },
          label: entry.variant.label,
          onProgress: progressPrinter(`[${entry.variant.key} ${entry.agents} agents, run ${run}/${f.runs}]`),
        });
        endProgress();
        process.stderr.write(`  ${entry.variant.key}: ${headline(r)}\n`);
        for (const w of r.warnings) warn(w);
        if (!r.ok) failed = true;
        entry.runs.push(r);
      }
    }

    const lines: string[] = ['# Threading comparison', ''];
    lines.push(`- Command: \`${commandLine('bench:threading')}\``);
    const m = all[0]?.runs[0]?.machine;
    if (m) lines.push(`- Machine: ${describeMachine(m)}`);
    lines.push(
      `- Pinning: ${pin.note}; ${f.runs} interleaved runs per variant, ${f.duration} s measured each; medians`,
      '',
    );
    for (const agents of f.agents) {
      const rows = all.filter((e) => e.agents === agents);
      const base = rows[0];
      const med = (e: (typeof rows)[number], pick: (r: AgentsRunResult) => number) =>
        median(e.runs.map(pick));
      const baseRate = base ? med(base, (r) => r.callsPerSec) : NaN;
      lines.push(`## ${agents} agents`, '');
      lines.push(
        mdTable(
          [
            'variant',
            'calls/s',
            'vs design',
            'p50 ms',
            'p99 ms',
            'server CPU %',
            'CPU-ms/call',
            'peak RSS MB',
            'writes/txn',
            'runs (calls/s)',
            'generator saturated',
          ],
          rows.map((e) => {
            const rate = med(e, (r) => r.callsPerSec);
            return [
              e.variant.label,
              fmtInt(rate),
              `${(rate / baseRate).toFixed(2)}×`,
              fmtMs(med(e, (r) => r.overall.p50)),
              fmtMs(med(e, (r) => r.overall.p99)),
              med(e, (r) => r.server?.cpuPercent ?? NaN).toFixed(0),
              med(e, (r) => r.server?.cpuMsPerCall ?? NaN).toFixed(3),
              med(e, (r) => (r.server?.peakRssBytes ?? NaN) / 2 ** 20).toFixed(0),
              med(e, (r) => r.counters?.meanBatchSize ?? NaN).toFixed(1),
              e.runs.map((r) => fmtInt(r.callsPerSec)).join(', '),
              e.runs.some((r) => r.generator.saturated) ? '**yes**' : 'no',
            ];
          }),
        ),
        '',
      );
    }
    const md = lines.join('\n');
    const name = `threading-${stamp()}`;
    const file = writeResult(f.out, `${name}.md`, md);
    writeResult(
      f.out,
      `${name}.json`,
      JSON.stringify(
        all.map((e) => ({ variant: e.variant, agents: e.agents, runs: e.runs })),
        null,
        2,
      ),
    );
    process.stdout.write(`\n${md}\n`);
    process.stderr.write(`Report: ${file}\n`);
    return failed ? 1 : 0;
  },
);
