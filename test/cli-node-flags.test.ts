import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerExecArgv } from '../src/db/worker-url.js';
import { CLI, ensureBuilt, ROOT } from './cli-harness.js';

describe('Node options and the database threads', () => {
  it('passes worker-safe options on and leaves V8 and process-wide ones to the main thread', () => {
    expect(
      workerExecArgv([
        '--max-old-space-size=256',
        '--enable-source-maps',
        '--max-semi-space-size',
        '4',
        '--import',
        'tsx',
        '--title=tinytask',
        '--input-type=module',
        '--conditions=dev',
        '--no-warnings',
      ]),
    ).toEqual(['--enable-source-maps', '--import', 'tsx', '--conditions=dev', '--no-warnings']);
  });

  it('passes the CPU profiler on, so bench:profile gets one profile per thread', () => {
    expect(workerExecArgv(['--cpu-prof', '--cpu-prof-dir', '/tmp/p', '--cpu-prof-interval=500'])).toEqual([
      '--cpu-prof',
      '--cpu-prof-dir',
      '/tmp/p',
      '--cpu-prof-interval=500',
    ]);
  });

  describe('the built server started with memory flags', () => {
    let dir: string;
    beforeAll(async () => {
      await ensureBuilt();
      dir = mkdtempSync(join(tmpdir(), 'tinytask-flags-'));
    }, 120_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('starts, serves and stops cleanly (operators cap the heap this way in containers)', async () => {
      const child = spawn(
        process.execPath,
        ['--max-old-space-size=256', '--max-semi-space-size=4', '--enable-source-maps', CLI],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            TINYTASK_PORT: '0',
            TINYTASK_DB_PATH: join(dir, 'tasks.db'),
            TINYTASK_READ_THREADS: '1',
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const port = await new Promise<number>((resolve, reject) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
          const match = /"port":(\d+)/.exec(stderr);
          if (match) resolve(Number(match[1]));
        });
        void exited.then((code) => reject(new Error(`exited ${code} before serving:\n${stderr}`)));
      });
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(ready.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });
});
