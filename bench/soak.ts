/**
 * `npm run bench:soak -- --agents 100 --minutes 60 --think-ms 100`: a long agents run (not in CI) that samples
 * the server every `--every` seconds — RSS, open sessions, file descriptors, WAL size, tasks on the board and the
 * p99 of the calls of the interval — and charts them (SVG). It passes when RSS grew less than `--max-growth` %
 * after the warm-up: the median RSS of the last five minutes against that of the five minutes after the warm-up.
 * Samples are appended to a JSON-lines file as they come, so `--chart-only <file>` can redraw an interrupted run.
 */
import { appendFileSync, readFileSync } from 'node:fs';
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
import { describeMachine, machineInfo, type MachineInfo } from './lib/machine.js';
import { esc, fmtMs, mdTable, median } from './lib/report.js';
import { runAgents, type RunSample } from './agents/run.js';

const flags = defineFlags({
  agents: { type: 'number', default: 100, help: 'Simulated agents' },
  minutes: { type: 'number', default: 60, help: 'Length of the run' },
  thinkMs: {
    type: 'number',
    default: 100,
    help: 'Mean pause of an agent between calls (keeps a shared machine usable; 0 = back to back)',
  },
  every: { type: 'number', default: 10, help: 'Seconds between samples' },
  warmupMinutes: { type: 'number', default: 10, help: 'Minutes before growth is measured' },
  maxGrowth: { type: 'number', default: 5, help: 'RSS growth after the warm-up that fails the run (%)' },
  chart: { type: 'string', default: 'docs/soak.svg', help: 'Where the SVG chart is written (repo-relative)' },
  chartOnly: {
    type: 'string',
    default: undefined,
    help: 'Redraw the chart and report from a samples .jsonl file of an earlier run, without running',
  },
  ...PIN_FLAGS,
  ...OUT_FLAG,
});

interface SoakHeader {
  machine: MachineInfo;
  command: string;
  agents: number;
  thinkMs: number;
  minutes: number;
  every: number;
}

interface Growth {
  baseline: number;
  end: number;
  percent: number;
}

/** Median of a series in the five minutes after the warm-up against its median over the last five minutes. */
function growth(samples: RunSample[], pick: (s: RunSample) => number | undefined, warmupS: number): Growth {
  const lastS = samples.at(-1)?.elapsedS ?? 0;
  const values = (from: number, to: number): number[] =>
    samples
      .filter((s) => s.elapsedS >= from && s.elapsedS <= to)
      .map(pick)
      .filter((v): v is number => v !== undefined);
  const baseline = median(values(warmupS, warmupS + 300));
  const end = median(values(Math.max(warmupS, lastS - 300), lastS));
  return { baseline, end, percent: ((end - baseline) / baseline) * 100 };
}

const SERIES: Array<{
  key: string;
  title: string;
  color: string;
  pick: (s: RunSample) => number | undefined;
}> = [
  { key: 'rss', title: 'Server RSS (MB)', color: '#2ca02c', pick: (s) => mb(s.rssBytes) },
  { key: 'p99', title: 'p99 latency of the interval (ms)', color: '#d62728', pick: (s) => s.p99 },
  { key: 'sessions', title: 'Open MCP sessions', color: '#1f77b4', pick: (s) => s.sessions },
  { key: 'fds', title: 'Open file descriptors', color: '#9467bd', pick: (s) => s.fds },
  { key: 'wal', title: 'WAL file (MB)', color: '#8c564b', pick: (s) => mb(s.walBytes) },
  {
    key: 'tasks',
    title: 'Tasks on the board (thousands)',
    color: '#ff7f0e',
    pick: (s) => thousands(s.tasks),
  },
];

function mb(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes / 2 ** 20;
}

function thousands(n: number | undefined): number | undefined {
  return n === undefined ? undefined : n / 1000;
}

/** One panel per series, time (minutes) on the shared x axis, the warm-up shaded. */
function soakSvg(header: SoakHeader, samples: RunSample[], warmupS: number): string {
  const W = 760;
  const left = 70;
  const right = 20;
  const top = 70;
  const panelH = 110;
  const gap = 40;
  const H = top + SERIES.length * (panelH + gap) + 10;
  const plotW = W - left - right;
  const maxT = Math.max(60, samples.at(-1)?.elapsedS ?? 60);
  const xOf = (t: number): number => left + (t / maxT) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${left}" y="24" font-size="15" font-weight="600">Soak: ${header.agents} agents, think time ${header.thinkMs} ms, ${(maxT / 60).toFixed(0)} min, a sample every ${header.every} s</text>`,
    `<text x="${left}" y="42" fill="#555">${esc(header.command)}</text>`,
    `<text x="${left}" y="56" fill="#555">${esc(describeMachine(header.machine))}</text>`,
  ];
  SERIES.forEach((series, i) => {
    const y0 = top + i * (panelH + gap);
    const pts = samples
      .map((s) => [s.elapsedS, series.pick(s)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]));
    const maxV = Math.max(1e-9, ...pts.map((p) => p[1])) * 1.1;
    const yOf = (v: number): number => y0 + panelH - (v / maxV) * panelH;
    out.push(`<text x="${left}" y="${y0 - 8}" font-weight="600">${esc(series.title)}</text>`);
    out.push(
      `<rect x="${left}" y="${y0}" width="${xOf(Math.min(warmupS, maxT)) - left}" height="${panelH}" fill="#f2f2f2"/>`,
    );
    out.push(
      `<rect x="${left}" y="${y0}" width="${plotW}" height="${panelH}" fill="none" stroke="#999" stroke-width="0.5"/>`,
    );
    for (const f of [0, 0.5, 1]) {
      const v = (maxV / 1.1) * f;
      out.push(
        `<text x="${left - 6}" y="${yOf(v) + 4}" text-anchor="end" fill="#555">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`,
      );
    }
    if (pts.length > 1)
      out.push(
        `<polyline fill="none" stroke="${series.color}" stroke-width="1.3" points="${pts
          .map(([t, v]) => `${xOf(t).toFixed(1)},${yOf(v).toFixed(1)}`)
          .join(' ')}"/>`,
      );
    for (let m = 0; m <= maxT / 60; m += maxT > 1800 ? 10 : 5)
      out.push(
        `<text x="${xOf(m * 60)}" y="${y0 + panelH + 13}" text-anchor="middle" fill="#555">${m} min</text>`,
      );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function report(
  header: SoakHeader,
  samples: RunSample[],
  warmupS: number,
  maxGrowth: number,
): {
  md: string;
  ok: boolean;
} {
  const rows = SERIES.map((s) => {
    const g = growth(samples, s.pick, warmupS);
    const all = samples.map(s.pick).filter((v): v is number => v !== undefined);
    return [
      s.title,
      fmtMs(g.baseline),
      fmtMs(g.end),
      Number.isFinite(g.percent) ? `${g.percent >= 0 ? '+' : ''}${g.percent.toFixed(1)} %` : '—',
      all.length ? fmtMs(Math.max(...all)) : '—',
    ];
  });
  const rss = growth(samples, (s) => mb(s.rssBytes), warmupS);
  const ok = Number.isFinite(rss.percent) && rss.percent < maxGrowth;
  const calls = samples.reduce((n, s) => n + s.calls, 0);
  const lastS = samples.at(-1)?.elapsedS ?? 0;
  const md = [
    `# Soak: ${header.agents} agents, think time ${header.thinkMs} ms, ${(lastS / 60).toFixed(0)} minutes`,
    '',
    `Command: \`${header.command}\``,
    `Machine: ${describeMachine(header.machine)}`,
    '',
    `${samples.length} samples, every ${header.every} s; ${calls.toLocaleString('en-US')} calls ` +
      `(${(calls / Math.max(1, lastS)).toFixed(0)}/s). Growth: the median over the last 5 minutes against ` +
      `the median over the 5 minutes after a warm-up of ${warmupS / 60} minutes.`,
    '',
    mdTable(['series', 'after warm-up', 'last 5 min', 'growth', 'max'], rows),
    '',
    `RSS growth after warm-up: ${rss.percent.toFixed(1)} % (limit ${maxGrowth} %): ${ok ? 'PASS' : 'FAIL'}`,
  ].join('\n');
  return { md, ok };
}

cliMain(
  'npm run bench:soak --',
  'A long agents run, sampled every few seconds and charted; fails when RSS keeps growing after the warm-up.',
  flags,
  async (f) => {
    const warmupS = f.warmupMinutes * 60;
    if (f.chartOnly) {
      const lines = readFileSync(f.chartOnly, 'utf8').trim().split('\n');
      const header = JSON.parse(lines[0] as string) as SoakHeader;
      const samples = lines.slice(1).map((l) => JSON.parse(l) as RunSample);
      writeResult(path.dirname(f.chart), path.basename(f.chart), soakSvg(header, samples, warmupS));
      const { md, ok } = report(header, samples, warmupS, f.maxGrowth);
      process.stdout.write(`${md}\n`);
      return ok ? 0 : 1;
    }
    checkBuild();
    const pin = setupPinning(f);
    const header: SoakHeader = {
      machine: machineInfo(),
      command: commandLine('bench:soak'),
      agents: f.agents,
      thinkMs: f.thinkMs,
      minutes: f.minutes,
      every: f.every,
    };
    const base = `soak-${f.agents}-${stamp()}`;
    const samplesFile = writeResult(f.out, `${base}.jsonl`, `${JSON.stringify(header)}\n`);
    const samples: RunSample[] = [];
    process.stderr.write(
      `bench:soak — ${f.agents} agents, ${f.minutes} min, think ${f.thinkMs} ms, ${pin.note}; samples: ${samplesFile}\n`,
    );
    const result = await runAgents({
      agents: f.agents,
      durationS: f.minutes * 60 - 5,
      warmupS: 5,
      thinkMs: f.thinkMs,
      server: { cpus: pin.serverCpus },
      onProgress: progressPrinter(`[soak ${f.agents}]`),
      sample: {
        everyS: f.every,
        onSample: (s) => {
          samples.push(s);
          appendFileSync(samplesFile, `${JSON.stringify(s)}\n`);
        },
      },
    });
    endProgress();
    writeResult(path.dirname(f.chart), path.basename(f.chart), soakSvg(header, samples, warmupS));
    const { md, ok } = report(header, samples, warmupS, f.maxGrowth);
    const full = `${md}\n\nRun: ${result.calls.toLocaleString('en-US')} calls in the window, p99 ${fmtMs(result.overall.p99)} ms, server CPU ${result.server?.cpuPercent.toFixed(0) ?? '?'} %, board verification ${result.verification?.ok === false ? 'FAILED' : 'ok'}.\nChart: ${f.chart}\n`;
    const mdFile = writeResult(f.out, `${base}.md`, full);
    process.stdout.write(`\n${full}`);
    for (const w of result.warnings) warn(w);
    process.stderr.write(`Report: ${mdFile}\n`);
    return ok && result.ok ? 0 : 1;
  },
);
