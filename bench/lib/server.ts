import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { taskset } from './proc.js';

/**
 * Starts a server under test as its own process: the built product (`dist/cli.js`) or one of the bench variants
 * in bench/servers/, on port 0 with a fresh database in a temp directory, pinned to `cpus` with taskset. The real
 * port is read from the start-up log on stderr.
 */

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type ServerVariant = 'real' | 'inline' | 'floor';

export const VARIANT_ENTRIES: Record<ServerVariant, string> = {
  real: path.join(REPO_DIR, 'dist', 'cli.js'),
  inline: path.join(REPO_DIR, 'bench', 'servers', 'inline-server.mjs'),
  floor: path.join(REPO_DIR, 'bench', 'servers', 'floor-server.mjs'),
};

/**
 * Node flags the product runs with (the same as `npm start` and the image's CMD, which tests check): a small
 * young generation for the main thread (docs/performance.md, "Node flags"; the server sets the heap-growing factor
 * itself, src/heap.ts). The real variant is started with them unless `nodeArgs` says otherwise.
 */
export const PRODUCT_NODE_ARGS = ['--max-semi-space-size=2'];

export interface ServerOptions {
  variant?: ServerVariant;
  /** Another build's entry (e.g. an old commit's dist/cli.js checked out beside) instead of the variant's. */
  entry?: string | undefined;
  /** CPU list for taskset (e.g. "0"); undefined leaves the process unpinned. */
  cpus?: string | undefined;
  readThreads?: number | undefined;
  maxSessions?: number;
  /** Extra TINYTASK_* settings (or anything else) for the server's environment. */
  env?: Record<string, string>;
  /** Node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

export interface RunningServer {
  pid: number;
  port: number;
  url: string;
  baseUrl: string;
  dbPath: string;
  variant: ServerVariant;
  /** Whether uWebSockets.js runs its native binary (undefined when the log does not say). */
  native: boolean | undefined;
  pinned: string | undefined;
  /** The last lines the server wrote on stderr. */
  logTail(): string[];
  /** SIGTERM, then SIGKILL after `timeoutMs`. Resolves with the exit code (or signal name). */
  stop(timeoutMs?: number): Promise<number | string>;
}

function findPort(line: string): { port?: number; native?: boolean } {
  const out: { port?: number; native?: boolean } = {};
  try {
    const obj = JSON.parse(line) as Record<string, unknown>;
    const search = (o: Record<string, unknown>, depth: number): void => {
      for (const [k, v] of Object.entries(o)) {
        if (k === 'port' && typeof v === 'number' && v > 0 && out.port === undefined) out.port = v;
        if (k === 'native' && typeof v === 'boolean') out.native = v;
        if (k === 'uws' && typeof v === 'string') out.native = v === 'native';
        if (typeof v === 'string' && out.port === undefined) {
          const m = /https?:\/\/[^\s"/]+:(\d{2,5})/.exec(v);
          if (m) out.port = Number(m[1]);
        }
        if (v && typeof v === 'object' && depth < 3) search(v as Record<string, unknown>, depth + 1);
      }
    };
    search(obj, 0);
  } catch {
    const m = /https?:\/\/[^\s"/]+:(\d{2,5})/.exec(line);
    if (m) out.port = Number(m[1]);
  }
  return out;
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const variant = opts.variant ?? 'real';
  const entry = opts.entry ?? VARIANT_ENTRIES[variant];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tinytask-bench-'));
  const dbPath = path.join(dir, 'bench.db');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('TINYTASK_') && !k.startsWith('NODE_OPTIONS')) env[k] = v;
  }
  Object.assign(env, {
    TINYTASK_MODE: 'http',
    TINYTASK_HOST: '127.0.0.1',
    TINYTASK_PORT: '0',
    TINYTASK_DB_PATH: dbPath,
    TINYTASK_LOG_LEVEL: 'info',
    TINYTASK_MAX_SESSIONS: String(opts.maxSessions ?? 10_000),
  });
  if (opts.readThreads !== undefined) env.TINYTASK_READ_THREADS = String(opts.readThreads);
  Object.assign(env, opts.env ?? {});

  const nodeArgs = [...(opts.nodeArgs ?? (variant === 'real' ? PRODUCT_NODE_ARGS : [])), entry];
  const bin = opts.cpus !== undefined ? taskset() : null;
  const child: ChildProcess = bin
    ? spawn(bin, ['-c', opts.cpus as string, process.execPath, ...nodeArgs], {
        env,
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, nodeArgs, { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

  const tail: string[] = [];
  let native: boolean | undefined;
  let exited: number | string | undefined;
  const exitPromise = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = code ?? signal ?? 'unknown';
      resolve(exited);
    });
  });
  child.stdout?.on('data', (d: Buffer) => {
    // Nothing belongs on stdout in HTTP mode; keep it for diagnostics.
    for (const line of d.toString().split('\n')) if (line.trim()) tail.push(`[stdout] ${line}`);
  });

  const port = await new Promise<number>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `server did not report its port within ${opts.startTimeoutMs ?? 20_000} ms:\n${tail.join('\n')}`,
          ),
        ),
      opts.startTimeoutMs ?? 20_000,
    );
    child.stderr?.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        tail.push(line);
        if (tail.length > 200) tail.shift();
        const found = findPort(line);
        if (found.native !== undefined) native = found.native;
        if (/fallback/i.test(line) && /uws|uWebSockets/i.test(line) && native === undefined) native = false;
        if (found.port !== undefined) {
          clearTimeout(timer);
          resolve(found.port);
        }
      }
    });
    void exitPromise.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it reported its port:\n${tail.join('\n')}`));
    });
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    pid: child.pid as number,
    port,
    url: `${baseUrl}/mcp`,
    baseUrl,
    dbPath,
    variant,
    native,
    pinned: bin ? opts.cpus : undefined,
    logTail: () => [...tail],
    async stop(timeoutMs = 15_000) {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exitPromise;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      return exitPromise;
    },
  };
}
