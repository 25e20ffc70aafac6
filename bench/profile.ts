/**
 * `npm run bench:profile`: the agent workflow against a server started with `node --cpu-prof`, then a summary of
 * every thread's profile (main thread, writer, readers): self time by area (our modules, each dependency, V8/Node
 * internals, GC) and the top functions. The raw .cpuprofile files stay in the output directory for DevTools.
 */
import { mkdirSync, readdirSync } from 'node:fs';
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
import { summariseProfile, type ProfileSummary } from './lib/cpuprofile.js';
import { describeMachine } from './lib/machine.js';
import { headline, mdTable } from './lib/report.js';
import { REPO_DIR } from './lib/server.js';
import { runAgents } from './agents/run.js';

const flags = defineFlags({
  agents: { type: 'number', default: 100, help: 'Simulated agents' },
  duration: { type: 'number', default: 10, help: 'Measured seconds' },
  warmup: { type: 'number', default: 2, help: 'Warm-up seconds' },
  thinkMs: { type: 'number', default: 0, help: 'Mean pause of an agent between calls (0 = back to back)' },
  variant: { type: 'string', default: 'real', help: 'real or inline' },
  readThreads: { type: 'number', default: 1, help: 'TINYTASK_READ_THREADS' },
  top: { type: 'number', default: 25, help: 'Functions listed per thread' },
  ...PIN_FLAGS,
  ...OUT_FLAG,
});

function section(s: ProfileSummary, top: number): string[] {
  const lines = [`### ${path.basename(s.file)}`, ''];
  lines.push(
    `Busy ${(s.busyMs / 1000).toFixed(1)} s of ${(s.totalMs / 1000).toFixed(1)} s profiled (idle or waiting for work ${(s.idleMs / 1000).toFixed(1)} s).`,
    '',
  );
  lines.push('Self time by area:', '');
  lines.push(
    mdTable(
      ['area', 'self ms', '% of busy'],
      s.areas.map((a) => [a.name, a.ms.toFixed(0), a.percent.toFixed(1)]),
    ),
    '',
  );
  lines.push(`Top ${top} functions by self time:`, '');
  lines.push(
    mdTable(
      ['function', 'self ms', '% of busy'],
      s.functions.slice(0, top).map((f) => [`\`${f.name}\``, f.ms.toFixed(0), f.percent.toFixed(1)]),
    ),
    '',
  );
  if (s.inclusive.length > 0) {
    lines.push(
      `Top ${top} functions of the app, the MCP SDK, piscina and zod by total time (with callees):`,
      '',
    );
    lines.push(
      mdTable(
        ['function', 'total ms', '% of busy'],
        s.inclusive.slice(0, top).map((f) => [`\`${f.name}\``, f.ms.toFixed(0), f.percent.toFixed(1)]),
      ),
      '',
    );
  }
  return lines;
}

cliMain(
  'npm run bench:profile --',
  'Profiles the server (node --cpu-prof) under the agent workflow.',
  flags,
  async (f) => {
    checkBuild();
    if (f.variant !== 'real' && f.variant !== 'inline') throw new Error('--variant must be real or inline');
    const pin = setupPinning(f);
    const name = `profile-${stamp()}`;
    const dir = path.resolve(REPO_DIR, f.out, name);
    mkdirSync(dir, { recursive: true });
    const result = await runAgents({
      agents: f.agents,
      durationS: f.duration,
      warmupS: f.warmup,
      thinkMs: f.thinkMs,
      server: {
        variant: f.variant,
        cpus: pin.serverCpus,
        readThreads: f.readThreads,
        nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
      },
      onProgress: progressPrinter(`[profile ${f.agents} agents]`),
    });
    endProgress();
    for (const w of result.warnings) warn(w);
    const files = readdirSync(dir)
      .filter((n) => n.endsWith('.cpuprofile'))
      .map((n) => path.join(dir, n));
    if (files.length === 0)
      throw new Error(`no .cpuprofile written in ${dir} (did the server exit cleanly?)`);
    const summaries = files.map((file) => summariseProfile(file, f.top)).sort((a, b) => b.busyMs - a.busyMs);
    const lines = ['# Server CPU profile', ''];
    lines.push(`- Command: \`${commandLine('bench:profile')}\``);
    lines.push(`- Machine: ${describeMachine(result.machine)}`);
    lines.push(`- Run (with the profiler on, so slower than unprofiled): ${headline(result)}`);
    lines.push(
      `- Profiles (one per thread, busiest first; open in Chrome DevTools → Performance): ${path.relative(process.cwd(), dir)}`,
      '',
    );
    for (const s of summaries) lines.push(...section(s, f.top));
    const md = lines.join('\n');
    const file = writeResult(f.out, `${name}.md`, md);
    process.stdout.write(`\n${md}\n`);
    process.stderr.write(`Report: ${file}\n`);
    return 0;
  },
);
