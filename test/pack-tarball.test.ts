import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './stdio-support.js';
import { toolCatalogue } from '../src/mcp/tools.js';

describe('the packed tarball (npm pack)', () => {
  let dir: string;
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-pack-'));
    // --ignore-scripts: dist/ is already current (prepack would rebuild it under the other test files' feet).
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(dir, info!.filename);
    files = info!.files.map((f) => f.path);
  }, 120_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the built server, its migrations and the bin mapping, and no sources or tests', () => {
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/mcp/server.js');
    expect(files).toContain('dist/transport/stdio.js');
    expect(files.some((f) => /^dist\/db\/migrations\/\d+_.*\.sql$/.test(f))).toBe(true);
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    // Source maps point at src/*.ts, which is not shipped: none may be in the package.
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ 'tinytask-mcp': 'dist/cli.js' });
  });

  it('ships the MIT licence that package.json names', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('MIT');
    const licence = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(licence).toMatch(/^MIT License/);
    expect(licence).toContain('Permission is hereby granted, free of charge');
  });

  it('runs as `tinytask-mcp` over stdio from the unpacked tarball', async () => {
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
    const pkgDir = join(unpacked, 'package');
    const cli = join(pkgDir, 'dist', 'cli.js');
    expect(readFileSync(cli, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin['tinytask-mcp']).toBe('dist/cli.js');

    // What an install does, without the registry: dependencies resolvable from the package, the bin linked and
    // executable.
    symlinkSync(join(ROOT, 'node_modules'), join(pkgDir, 'node_modules'), 'dir');
    const binDir = join(unpacked, 'bin');
    mkdirSync(binDir);
    const bin = join(binDir, 'tinytask-mcp');
    symlinkSync(cli, bin);
    chmodSync(cli, 0o755);

    const transport = new StdioClientTransport({
      command: bin,
      args: [],
      cwd: unpacked,
      env: {
        PATH: process.env.PATH ?? '',
        TINYTASK_MODE: 'stdio',
        TINYTASK_DB_PATH: join(unpacked, 'data', 'board.db'),
      },
      stderr: 'ignore',
    });
    const client = new Client({ name: 'pack-check', version: '1.0.0' });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()).toMatchObject({ name: 'tinytask-mcp' });
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(toolCatalogue(false).descriptors.length);
      const created = await client.callTool({
        name: 'create_task',
        arguments: { title: 'from the tarball', created_by: 'pack' },
      });
      expect(created.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
