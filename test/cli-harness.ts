import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

/**
 * Builds dist/ when it is missing or older than src/ (`npm test` builds first; this covers running one file), with
 * the script `npm start` uses.
 * A lock directory keeps two test files from building at once.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(
    tmpdir(),
    `tinytask-build-lock-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`,
  );
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is taken over after two minutes.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-stale.mjs')], {
      cwd: ROOT,
      stdio: 'ignore',
    });
  } finally {
    rmdirSync(lock);
  }
}

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A spawned `node dist/cli.js` with its stderr parsed as JSON log lines. */
export interface CliProcess {
  child: ChildProcess;
  logs: LogLine[];
  stderr(): string;
  stdout(): string;
  /** Resolves with the first log line matching `predicate` (rejects if the process exits first). */
  waitForLog(predicate: (line: LogLine) => boolean): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runCli(
  args: string[],
  env: Record<string, string>,
  opts: { stdin?: 'pipe' | 'ignore' } = {},
): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let err = '';
  let out = '';
  let partial = '';
  const waiters: Array<{
    predicate: (l: LogLine) => boolean;
    resolve: (l: LogLine) => void;
    reject: (e: Error) => void;
  }> = [];
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => {
    const text = c.toString('utf8');
    err += text;
    partial += text;
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      let parsed: LogLine | undefined;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        parsed = undefined;
      }
      if (!parsed) continue;
      logs.push(parsed);
      for (const w of [...waiters]) {
        if (w.predicate(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`process exited (${code}) before the log line; stderr:\n${err}`));
      resolve({ code, signal });
    });
  });
  return {
    child,
    logs,
    stderr: () => err,
    stdout: () => out,
    waitForLog(predicate) {
      const found = logs.find(predicate);
      if (found) return Promise.resolve(found);
      if (child.exitCode !== null)
        return Promise.reject(new Error(`process already exited; stderr:\n${err}`));
      return new Promise((resolve, reject) => waiters.push({ predicate, resolve, reject }));
    },
    exited,
  };
}

export const isStartLine = (l: LogLine): boolean =>
  typeof l.msg === 'string' && l.msg.startsWith('tinytask-mcp started');
