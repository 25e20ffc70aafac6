import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, ensureBuilt, isStartLine, ROOT, runCli } from './cli-harness.js';

// The container's HEALTHCHECK command (`node dist/healthcheck.js`): exit 0 when the server on the configured port
// answers /health with 200, exit 1 with the reason on stderr otherwise. No curl or wget needed in the image.

const run = promisify(execFile);
const PROBE = join(ROOT, 'dist', 'healthcheck.js');

let dir: string;
let server: CliProcess;
let port: number;

async function probe(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return run(process.execPath, [PROBE], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port: p } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return p;
}

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'tinytask-ops-health-'));
  // Bound to all interfaces like in the container; the probe asks loopback.
  server = runCli([], {
    TINYTASK_HOST: '0.0.0.0',
    TINYTASK_PORT: '0',
    TINYTASK_DB_PATH: join(dir, 'tinytask.db'),
  });
  port = (await server.waitForLog(isStartLine)).port as number;
});

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dist/healthcheck.js', () => {
  it('exits 0 against a healthy server, on the port and host the settings name', async () => {
    expect(await probe({ TINYTASK_HOST: '0.0.0.0', TINYTASK_PORT: String(port) })).toEqual({
      code: 0,
      stderr: '',
    });
    // With a Host allow-list for the public name it still gets through.
    const allowed = await probe({
      TINYTASK_HOST: '0.0.0.0',
      TINYTASK_PORT: String(port),
      TINYTASK_ALLOWED_HOSTS: 'tasks.example.com',
    });
    expect(allowed.code).toBe(0);
  });

  it('exits 1 with the reason when nothing answers', async () => {
    const p = await closedPort();
    const res = await probe({ TINYTASK_HOST: '0.0.0.0', TINYTASK_PORT: String(p) });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`healthcheck: /health on 127\\.0\\.0\\.1:${p}: .*ECONNREFUSED`));
  });

  it('exits 1 on a configuration error, and 0 in stdio-only mode (no HTTP endpoint to probe)', async () => {
    const bad = await probe({ TINYTASK_PORT: 'eighty' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/TINYTASK_PORT/);
    expect((await probe({ TINYTASK_MODE: 'stdio' })).code).toBe(0);
  });
});
