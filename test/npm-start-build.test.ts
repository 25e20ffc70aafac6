import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './cli-harness.js';

/**
 * `npm start` builds only when dist/ is missing or older than the sources (scripts/build-if-stale.mjs). Checked in a
 * scratch project whose `build` script records each run, so the real checkout is never rebuilt by this test.
 */
describe('npm start builds only when needed', () => {
  let dir: string;
  const builds = () => readFileSync(join(dir, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
  const prestart = () =>
    spawnSync(process.execPath, [join(dir, 'scripts', 'build-if-stale.mjs')], { cwd: dir, encoding: 'utf8' });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinytask-prestart-'));
    mkdirSync(join(dir, 'scripts'));
    mkdirSync(join(dir, 'src'));
    copyFileSync(join(ROOT, 'scripts', 'build-if-stale.mjs'), join(dir, 'scripts', 'build-if-stale.mjs'));
    writeFileSync(join(dir, 'src', 'cli.ts'), 'export {};\n');
    writeFileSync(join(dir, 'builds.log'), '');
    const build =
      "const fs=require('fs');fs.mkdirSync('dist',{recursive:true});fs.writeFileSync('dist/cli.js','');fs.appendFileSync('builds.log','built\\n')";
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'scratch', private: true, scripts: { build: `node -e "${build}"` } }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is what `npm start` runs first', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.prestart).toBe('node scripts/build-if-stale.mjs');
    // The same Node flags as the image's CMD: a small heap (docs/performance.md, "Node flags").
    expect(pkg.scripts.start).toBe('node --max-semi-space-size=2 dist/cli.js');
  });

  it('builds when dist/ is missing, not on the next start, and again once a source is newer', () => {
    const first = prestart();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('dist/ is missing; building');
    expect(builds()).toBe(1);

    const second = prestart();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toBe('');
    expect(builds()).toBe(1);

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'src', 'cli.ts'), later, later);
    const third = prestart();
    expect(third.stderr).toContain('dist/ is older than the sources; building');
    expect(builds()).toBe(2);
    expect(
      spawnSync(process.execPath, [join(dir, 'scripts', 'build-if-stale.mjs'), '--check'], { cwd: dir })
        .status,
    ).toBe(1);
  });
});
