import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, ensureBuilt, isStartLine, runCli } from './cli-harness.js';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** The `tinytask-mcp` command line: configuration errors exit 2 naming the variable, help, version, backup. */
describe('tinytask-mcp command line', () => {
  let dir: string;
  const procs: CliProcess[] = [];
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-cli-config-'));
  }, 120_000);
  afterAll(() => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], env: Record<string, string> = {}) => {
    const p = runCli(args, {
      TINYTASK_DB_PATH: join(dir, 'tasks.db'),
      TINYTASK_PORT: '0',
      TINYTASK_READ_THREADS: '1',
      ...env,
    });
    procs.push(p);
    return p;
  };

  it.each([
    ['TINYTASK_PORT', 'eighty', /TINYTASK_PORT must be a whole number from 0 to 65535/],
    ['TINYTASK_PORT', '70000', /TINYTASK_PORT must be a whole number from 0 to 65535/],
    ['TINYTASK_MODE', 'websocket', /TINYTASK_MODE must be one of stdio, http, both/],
    ['TINYTASK_LOG_LEVEL', 'loud', /TINYTASK_LOG_LEVEL must be one of trace, debug, info, warn, error/],
    ['TINYTASK_ENABLE_SSE', 'maybe', /TINYTASK_ENABLE_SSE must be one of true, false/],
    ['TINYTASK_READ_THREADS', '0', /TINYTASK_READ_THREADS must be a whole number from 1 to 64/],
  ])('exits 2 when %s=%s, naming the variable', async (name, value, message) => {
    const p = run([], { [name]: value });
    const exit = await p.exited;
    expect(exit.code).toBe(2);
    expect(p.stderr()).toMatch(message);
    expect(p.stderr()).toContain(JSON.stringify(value));
    expect(p.stdout()).toBe('');
  });

  it('exits 2 when the auth tokens file is missing or malformed', async () => {
    const missing = run([], { TINYTASK_AUTH_TOKENS_FILE: join(dir, 'nope.json') });
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toMatch(/TINYTASK_AUTH_TOKENS_FILE/);
    const file = join(dir, 'bad-tokens.json');
    writeFileSync(file, JSON.stringify({ tok: 42 }));
    const bad = run([], { TINYTASK_AUTH_TOKENS_FILE: file });
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toMatch(/TINYTASK_AUTH_TOKENS_FILE must map each non-empty token/);
  });

  it('treats the legacy TINYTASK_MODE=sse as http with the SSE transport, with a deprecation warning', async () => {
    const p = run([], { TINYTASK_MODE: 'sse' });
    const line = await p.waitForLog(isStartLine);
    expect(line).toMatchObject({ mode: 'http', sse: true });
    expect(p.logs.some((l) => l.level === 'warn' && /TINYTASK_MODE=sse is deprecated/.test(l.msg))).toBe(
      true,
    );
    const sse = await fetch(`http://127.0.0.1:${line.port as number}/sse`);
    expect(sse.status).toBe(200);
    await sse.body?.cancel();
    p.child.kill('SIGTERM');
    expect(await p.exited, p.stderr()).toEqual({ code: 0, signal: null });
  });

  it('prints help and version; unknown commands exit 2', async () => {
    const help = run(['--help']);
    expect((await help.exited).code).toBe(0);
    expect(help.stdout()).toMatch(/^Usage: tinytask-mcp/);
    expect(help.stdout()).toMatch(/backup <file>/);
    const version = run(['--version']);
    expect((await version.exited).code).toBe(0);
    expect(version.stdout().trim()).toBe(pkg.version);
    const unknown = run(['frobnicate']);
    expect((await unknown.exited).code).toBe(2);
    expect(unknown.stderr()).toMatch(/unknown command/);
  });

  it('backs up the database to a new file and refuses to overwrite one', async () => {
    // A server run creates the database.
    const server = run([]);
    await server.waitForLog(isStartLine);
    server.child.kill('SIGTERM');
    expect(await server.exited, server.stderr()).toEqual({ code: 0, signal: null });

    const dest = join(dir, 'backups', 'copy.db');
    const backup = run(['backup', dest]);
    expect(await backup.exited, backup.stderr()).toEqual({ code: 0, signal: null });
    expect(existsSync(dest)).toBe(true);
    expect(backup.stderr()).toMatch(/written to/);
    const again = run(['backup', dest]);
    expect((await again.exited).code).toBe(1);
    expect(again.stderr()).toMatch(/already exists/);
  });
});
