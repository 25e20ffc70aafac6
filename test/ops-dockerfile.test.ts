import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Copy, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

// Static rules for the production image, checked on the parsed Dockerfile (dockerfile-ast) rather than by
// grepping text. The container CI (.ci/container-checks.sh) runs this file too, then builds and runs the image.

const ROOT = join(import.meta.dirname, '..');
const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');

interface Stage {
  name: string | null;
  /** The base image with build arguments resolved. */
  base: string;
  instructions: Instruction[];
}

function stagesOf(df: Dockerfile): Stage[] {
  const stages: Stage[] = [];
  for (const ins of df.getInstructions()) {
    if (ins.getKeyword() === 'FROM') {
      const from = df.getFROMs().find((f) => f.getRange().start.line === ins.getRange().start.line)!;
      const line = ins.getRange().start.line;
      const base = (from.getImage() ?? '').replace(
        /\$\{?(\w+)\}?/g,
        (_, v: string) => df.resolveVariable(v, line) ?? '',
      );
      stages.push({ name: from.getBuildStage(), base, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return stages;
}

const args = (ins: Instruction) => ins.getArgumentsContent() ?? '';
const ofKind = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.getKeyword() === keyword);
const indexOf = (stage: Stage, pred: (i: Instruction) => boolean) => stage.instructions.findIndex(pred);

/** The exec-form JSON array of a CMD/ENTRYPOINT/HEALTHCHECK CMD, or undefined for the shell form. */
function execForm(text: string): string[] | undefined {
  const m = /^\s*(?:--\S+\s+)*(?:CMD\s+)?(\[.*\])\s*$/s.exec(text);
  if (!m) return undefined;
  try {
    const parsed: unknown = JSON.parse(m[1]!);
    return Array.isArray(parsed) && parsed.every((s) => typeof s === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `.dockerignore` semantics (Go filepath.Match plus `**`, last matching line wins, `!` re-includes). */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      // `**/` matches zero or more directories, `**` anything.
      const re = pattern
        .split('**/')
        .join('<globstar-dir>')
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*')
        .replace(/<globstar-dir>/g, '(.*/)?');
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negate;
    return excluded;
  };
}

const SECRET_NAME = /(SECRET|TOKEN|PASSW(OR)?D|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)/i;

describe('Dockerfile (production image)', () => {
  const text = read('Dockerfile');
  const df = DockerfileParser.parse(text);
  const stages = stagesOf(df);
  const builder = stages[0]!;
  const runtime = stages[stages.length - 1]!;

  it('parses without errors and has no parser directive (a `# syntax` line makes BuildKit pull a frontend)', () => {
    const errors = validate(text).filter((d) => d.severity === 1);
    expect(errors.map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(df.getDirectives()).toEqual([]);
  });

  it('is multi-stage: a named builder stage and a runtime stage, both on node:20-bookworm-slim (glibc)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(builder.name).toBe('builder');
    for (const stage of stages) {
      expect(stage.base).toBe('node:20-bookworm-slim');
      expect(stage.base).not.toMatch(/alpine|musl/);
    }
  });

  it('builds better-sqlite3 with a toolchain, installs from the lockfile and prunes dev dependencies', () => {
    const runs = ofKind(builder, 'RUN').map(args).join('\n');
    expect(runs).toMatch(/apt-get install[^\n]*\bpython3\b[^\n]*\bmake\b[^\n]*\bg\+\+/);
    expect(runs).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/npm run build/);
    expect(runs).toMatch(/npm prune --omit=dev/);
  });

  it('caches dependencies: package*.json is copied and installed before the sources', () => {
    const copyManifest = indexOf(
      builder,
      (i) => i.getKeyword() === 'COPY' && /package-lock\.json/.test(args(i)),
    );
    const npmCi = indexOf(builder, (i) => i.getKeyword() === 'RUN' && /\bnpm ci\b/.test(args(i)));
    const copySrc = indexOf(builder, (i) => i.getKeyword() === 'COPY' && /(^|\s)src(\s|$)/.test(args(i)));
    expect(copyManifest).toBeGreaterThanOrEqual(0);
    expect(npmCi).toBeGreaterThan(copyManifest);
    expect(copySrc).toBeGreaterThan(npmCi);
    expect(ofKind(builder, 'COPY').map(args)).not.toContain('. .');
  });

  it('fails the build when a native module (uWebSockets.js, better-sqlite3) would not load', () => {
    const runs = ofKind(builder, 'RUN').map(args).join('\n');
    expect(runs).toMatch(/require\('uWebSockets\.js'\)\.getParts/);
    expect(runs).toMatch(/require\('better-sqlite3'\)/);
  });

  it('the runtime stage gets only package.json, production node_modules, dist and dumb-init from the builder', () => {
    const copies = ofKind(runtime, 'COPY') as Copy[];
    expect(ofKind(runtime, 'ADD')).toEqual([]);
    for (const c of copies) expect(c.getFromFlag()?.getValue()).toBe('builder');
    const sources = copies.map((c) => c.getArguments()[0]?.getValue());
    expect(sources.sort()).toEqual([
      '/app/dist',
      '/app/node_modules',
      '/app/package.json',
      '/usr/bin/dumb-init',
    ]);
    // No compiler or package installation in the runtime stage.
    expect(ofKind(runtime, 'RUN').map(args).join('\n')).not.toMatch(/apt-get|npm (ci|install)/);
  });

  it('runs as a fixed non-root uid:gid', () => {
    const users = ofKind(runtime, 'USER').map(args);
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1]!;
    expect(last).toMatch(/^\d+:\d+$/);
    expect(
      last
        .split(':')
        .map(Number)
        .every((n) => n >= 1000),
    ).toBe(true);
    const userIdx = indexOf(runtime, (i) => i.getKeyword() === 'USER');
    const cmdIdx = indexOf(runtime, (i) => i.getKeyword() === 'CMD');
    expect(userIdx).toBeLessThan(cmdIdx);
    // The user is created with that uid and owns /data.
    const uid = last.split(':')[0]!;
    const runs = ofKind(runtime, 'RUN').map(args).join('\n');
    expect(runs).toMatch(new RegExp(`useradd[^\\n]*--uid ${uid}\\b`));
    expect(runs).toMatch(/chown [^\n]*\/data/);
  });

  it('starts node under dumb-init as PID 1, in exec form', () => {
    const entry = ofKind(runtime, 'ENTRYPOINT').map((i) => execForm(args(i)));
    expect(entry).toHaveLength(1);
    expect(entry[0]?.[0]).toMatch(/(^|\/)dumb-init$/);
    const cmd = execForm(args(ofKind(runtime, 'CMD').at(-1)!));
    expect(cmd?.[0]).toBe('node');
    expect(cmd?.at(-1)).toMatch(/dist\/cli\.js$/);
    // A small young generation for the main thread (docs/performance.md, "Node flags"); the heap-growing factor
    // is set by the server itself (src/heap.ts).
    expect(cmd).toContain('--max-semi-space-size=2');
  });

  it('has a HEALTHCHECK against /health that needs no curl or wget', () => {
    const checks = ofKind(runtime, 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const content = args(checks[0]!);
    const flags = Object.fromEntries(
      df
        .getHEALTHCHECKs()[0]!
        .getFlags()
        .map((f) => [f.getName(), f.getValue()]),
    );
    expect(flags).toMatchObject({
      interval: expect.stringMatching(/^\d+s$/),
      timeout: expect.stringMatching(/^\d+s$/),
    });
    expect(content).not.toMatch(/\b(curl|wget)\b/);
    const cmd = execForm(content);
    expect(cmd?.[0]).toBe('node');
    expect(cmd?.[1]).toMatch(/dist\/healthcheck\.js$/);
    // The probe it runs asks /health.
    expect(read('src/healthcheck.ts')).toMatch(/path: '\/health'/);
  });

  it('exposes 3000, declares /data a volume and sets the container defaults', () => {
    expect(ofKind(runtime, 'EXPOSE').map(args)).toContain('3000');
    expect(ofKind(runtime, 'VOLUME').map(args).join(' ')).toMatch(/\/data/);
    const env = new Map<string, string | null>();
    for (const e of df.getENVs())
      if (runtime.instructions.includes(e))
        for (const p of e.getProperties()) env.set(p.getName(), p.getValue());
    expect(Object.fromEntries(env)).toMatchObject({
      NODE_ENV: 'production',
      TINYTASK_MODE: 'http',
      TINYTASK_HOST: '0.0.0.0',
      TINYTASK_DB_PATH: '/data/tinytask.db',
    });
  });

  it('carries OCI labels', () => {
    const labels = new Set<string>();
    for (const l of ofKind(runtime, 'LABEL'))
      for (const m of args(l).matchAll(/(org\.opencontainers\.image\.[a-z.]+)=/g)) labels.add(m[1]!);
    for (const name of ['title', 'description', 'version', 'revision', 'created', 'licenses'])
      expect(labels).toContain(`org.opencontainers.image.${name}`);
  });

  it('puts no secrets in ENV or ARG and no CI-only TLS workarounds in the image', () => {
    for (const e of df.getENVs())
      for (const p of e.getProperties()) expect(p.getName()).not.toMatch(SECRET_NAME);
    for (const a of df.getARGs()) expect(a.getProperty()?.getName() ?? '').not.toMatch(SECRET_NAME);
    expect(text).not.toMatch(
      /NODE_EXTRA_CA_CERTS|NODE_TLS_REJECT_UNAUTHORIZED|strict-ssl|ca-certificates\.crt|--insecure/,
    );
    expect(text).not.toMatch(/npm_config_(nodedir|build_from_source)/i);
  });
});

describe('.dockerignore', () => {
  const ignored = dockerignore(read('.dockerignore'));

  it('keeps data, build output, modules, tests, benches, git, env files and docs out of the build context', () => {
    for (const path of [
      'data/tinytask.db',
      'backups/tinytask-20260101-020000.db.gz',
      'tinytask.db-wal',
      'dist/cli.js',
      'node_modules/zod/package.json',
      'test/ops-dockerfile.test.ts',
      'bench/results/run.json',
      '.git/HEAD',
      '.env',
      '.env.production',
      'docs/deployment.md',
      'coverage/index.html',
    ])
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: true });
  });

  it('sends what the build needs, and the README', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'scripts/copy-assets.mjs',
      'src/cli.ts',
      'src/db/migrations/001_initial.sql',
      'README.md',
    ])
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: false });
  });
});

describe('Dockerfile.dev (development image)', () => {
  const text = read('Dockerfile.dev');
  const df = DockerfileParser.parse(text);
  const stage = stagesOf(df).at(-1)!;

  it('parses, runs the sources with reload on change and the inspector on 9229', () => {
    expect(validate(text).filter((d) => d.severity === 1)).toEqual([]);
    expect(df.getDirectives()).toEqual([]);
    expect(stage.base).toBe('node:20-bookworm-slim');
    expect(ofKind(stage, 'EXPOSE').map(args).join(' ')).toMatch(/\b9229\b/);
    const cmd = execForm(args(ofKind(stage, 'CMD').at(-1)!));
    expect(cmd).toEqual(
      expect.arrayContaining(['--inspect=0.0.0.0:9229', '--watch', '--import', 'tsx', 'src/cli.ts']),
    );
    const users = ofKind(stage, 'USER').map(args);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });
});
