import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, ensureBuilt, isStartLine, runCli } from './cli-harness.js';

/**
 * Start-up: it never hangs (an unusable database path stops it with exit code 2 and a message), it waits for the
 * writer and every reader thread before the port opens, and its log line names the full MCP URL.
 */
describe('start-up', () => {
  let dir: string;
  const procs: CliProcess[] = [];
  const busy: ChildProcess[] = [];
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-startup-'));
  }, 120_000);
  afterAll(() => {
    for (const b of busy) b.kill('SIGKILL');
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (env: Record<string, string>) => {
    const p = runCli([], { TINYTASK_PORT: '0', TINYTASK_READ_THREADS: '2', ...env });
    procs.push(p);
    return p;
  };

  it.each([
    ['a directory under /proc', () => '/proc/tinytask-test/data/tasks.db', /cannot create the directory/],
    ['a file under /proc', () => '/proc/tinytask-test.db', /cannot be opened for reading and writing/],
    [
      'a path through a regular file',
      () => {
        writeFileSync(join(dir, 'plain-file'), 'x');
        return join(dir, 'plain-file', 'tasks.db');
      },
      /exists and is not a directory/,
    ],
    [
      'a directory in place of the database file',
      () => {
        mkdirSync(join(dir, 'db-is-a-dir'), { recursive: true });
        return join(dir, 'db-is-a-dir');
      },
      /not a regular file/,
    ],
  ])('stops with exit code 2 and a clear message for %s', async (_what, path, message) => {
    const dbPath = path();
    const p = run({ TINYTASK_DB_PATH: dbPath });
    const exit = await p.exited;
    expect(exit.code).toBe(2);
    expect(p.stderr()).toMatch(message);
    expect(p.stderr()).toContain('TINYTASK_DB_PATH');
    expect(p.stderr()).toContain(dbPath);
    expect(p.logs.some(isStartLine)).toBe(false);
  });

  it.skipIf(process.getuid?.() === 0)(
    'names the uid and the chown command when the data directory is not writable',
    async () => {
      const locked = join(dir, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o500);
      const p = run({ TINYTASK_DB_PATH: join(locked, 'tasks.db') });
      expect((await p.exited).code).toBe(2);
      expect(p.stderr()).toContain(`uid ${process.getuid?.()}`);
      expect(p.stderr()).toContain(`chown ${process.getuid?.()}:${process.getgid?.()} ${locked}`);
    },
  );

  it('logs the full MCP URL and that the threads are ready', async () => {
    const p = run({ TINYTASK_DB_PATH: join(dir, 'url', 'tasks.db') });
    const line = await p.waitForLog(isStartLine);
    expect(line.mcpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(line.msg).toContain(` on ${String(line.mcpUrl)},`);
    expect(line.msg).toContain('writer and 2 reader threads ready');
    expect(line.threadsReady).toBe(true);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });

  it('answers /ready and /health with 200 on the first request after the start-up line, with both CPUs busy', async () => {
    for (let i = 0; i < 2; i++) {
      busy.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    }
    const p = run({ TINYTASK_DB_PATH: join(dir, 'busy', 'tasks.db') });
    const line = await p.waitForLog(isStartLine);
    const base = String(line.address);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status, await ready.clone().text()).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    for (const b of busy.splice(0)) b.kill('SIGKILL');
  }, 120_000);
});
