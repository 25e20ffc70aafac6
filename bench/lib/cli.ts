import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Progress } from '../agents/run.js';
import { parseArgs, usage, UsageError, type FlagSpecs, type Parsed } from './args.js';
import { pinSelf, taskset } from './proc.js';
import { REPO_DIR } from './server.js';

/** What every bench CLI shares: flags for pinning, the build check, progress lines and result files. */

export const PIN_FLAGS = {
  serverCpus: { type: 'string', default: '0', help: 'CPU list the server is pinned to (taskset -c)' },
  genCpus: { type: 'string', default: '1', help: 'CPU list the load generator is pinned to' },
  pin: { type: 'boolean', default: true, help: 'Pin server and generator (--no-pin to leave both unpinned)' },
} as const satisfies FlagSpecs;

export const OUT_FLAG = {
  out: { type: 'string', default: 'bench/results', help: 'Directory for the Markdown/JSON/SVG results' },
} as const satisfies FlagSpecs;

export function cliMain<S extends FlagSpecs>(
  command: string,
  summary: string,
  specs: S,
  main: (flags: Parsed<S>) => Promise<number>,
): void {
  let flags: Parsed<S>;
  try {
    flags = parseArgs(specs, process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${usage(command, summary, specs)}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (flags.help) {
    process.stdout.write(`${usage(command, summary, specs)}\n`);
    process.exit(0);
  }
  main(flags).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`\n${command} failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * Pins this process (the generator side) and says where the server goes. On a one-CPU machine, or without
 * taskset, nothing is pinned and a warning says so.
 */
export function setupPinning(flags: { pin: boolean; serverCpus: string; genCpus: string }): {
  serverCpus: string | undefined;
  note: string;
} {
  if (!flags.pin) return { serverCpus: undefined, note: 'not pinned (--no-pin)' };
  if (!taskset()) {
    warn('taskset is not installed (util-linux): server and generator run unpinned.');
    return { serverCpus: undefined, note: 'not pinned (no taskset)' };
  }
  if (os.availableParallelism() < 2) {
    warn('one CPU only: server and generator share it, unpinned; throughput figures include the generator.');
    return { serverCpus: undefined, note: 'not pinned (1 CPU)' };
  }
  if (!pinSelf(flags.genCpus)) {
    warn(`could not pin the generator to CPU ${flags.genCpus}; it runs unpinned.`);
    return { serverCpus: flags.serverCpus, note: `server on CPU ${flags.serverCpus}, generator unpinned` };
  }
  return {
    serverCpus: flags.serverCpus,
    note: `server on CPU ${flags.serverCpus}, generator on CPU ${flags.genCpus}`,
  };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The benches run the built server: refuse to run without it, warn when src/ is newer. */
export function checkBuild(): void {
  const cli = path.join(REPO_DIR, 'dist', 'cli.js');
  if (!existsSync(cli)) {
    throw new Error(
      'dist/cli.js is missing: run `npm run build` first (the benches measure the built server).',
    );
  }
  const src = path.join(REPO_DIR, 'src');
  if (existsSync(src) && newestMtime(src) > newestMtime(path.join(REPO_DIR, 'dist'))) {
    warn('src/ changed after the last build: run `npm run build` to measure the current code.');
  }
}

export function warn(message: string): void {
  process.stderr.write(`\n!!! ${message}\n`);
}

const isTty = process.stderr.isTTY === true;
let lastLen = 0;

/** A live progress line on a terminal (rewritten in place), one line every 5 s otherwise. */
export function progressPrinter(prefix: string): (p: Progress) => void {
  let lastPrinted = -Infinity;
  return (p) => {
    const parts = [`${prefix} ${p.phase.padEnd(10)} ${p.elapsedS.toFixed(0).padStart(4)} s`];
    if (p.phase === 'warmup' || p.phase === 'measuring') {
      parts.push(`${Math.round(p.callsPerSec).toLocaleString('en-US').padStart(7)} calls/s`);
      if (p.serverCpuPercent !== undefined)
        parts.push(`server CPU ${p.serverCpuPercent.toFixed(0).padStart(3)} %`);
      if (p.serverRssMb !== undefined) parts.push(`RSS ${p.serverRssMb.toFixed(0)} MB`);
    }
    const line = parts.join('  ');
    if (isTty) {
      process.stderr.write(`\r${line.padEnd(lastLen)}`);
      lastLen = line.length;
    } else if (p.elapsedS - lastPrinted >= 5 || p.phase !== 'measuring') {
      if (p.phase === 'warmup' && p.elapsedS - lastPrinted < 5) return;
      process.stderr.write(`${line}\n`);
      lastPrinted = p.elapsedS;
    }
  };
}

export function endProgress(): void {
  if (isTty && lastLen > 0) process.stderr.write('\n');
  lastLen = 0;
}

export function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
}

export function writeResult(dir: string, name: string, content: string): string {
  const abs = path.resolve(REPO_DIR, dir);
  mkdirSync(abs, { recursive: true });
  const file = path.join(abs, name);
  writeFileSync(file, content);
  return path.relative(process.cwd(), file) || file;
}

export function commandLine(script: string): string {
  return `npm run ${script}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
}

/** `NAME=value,NAME=value` (the --server-env flag) as an environment object. */
export function parseEnvList(list: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of (list ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--server-env takes NAME=value pairs separated by commas, not '${pair}'`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}
