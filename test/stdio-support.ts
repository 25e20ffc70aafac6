/** Shared by the tests that run the built server (stdio workflow, packed tarball): makes sure dist/ is current. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  return !existsSync(CLI) || statSync(CLI).mtimeMs < newestMtime(join(ROOT, 'src'));
}

/**
 * Builds dist/ (`npm run build`) unless it is newer than every source file. `npm test` builds before running, so
 * this only builds when a test file is run on its own after a source change. The build runs under a file lock so
 * that two test files never build at the same time.
 */
export function ensureBuilt(): void {
  if (!stale()) return;
  const lock = join(tmpdir(), `tinytask-build-${Buffer.from(ROOT).toString('hex').slice(-32)}.lock`);
  // Re-checked under the lock: another test file may have built while this one waited.
  const buildIfStale = `
    const { existsSync, readdirSync, statSync } = require('node:fs');
    const { join } = require('node:path');
    const newest = (d) => readdirSync(d, { withFileTypes: true }).reduce((m, e) =>
      Math.max(m, e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs), 0);
    const cli = join('dist', 'cli.js');
    if (!existsSync(cli) || statSync(cli).mtimeMs < newest('src')) {
      require('node:child_process').execFileSync('npm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
    }`;
  execFileSync('flock', [lock, process.execPath, '-e', buildIfStale], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
