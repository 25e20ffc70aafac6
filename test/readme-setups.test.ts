import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT } from './cli-harness.js';

/**
 * The README's stdio set-ups must work from a clone: the package is not on the registry, so no client config may
 * tell users to run `npx -y tinytask-mcp`, and the `node …/dist/cli.js` form must really serve MCP.
 */
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const stdioSection = readme.slice(
  readme.indexOf('## Connect an agent (stdio)'),
  readme.indexOf('## Performance'),
);

interface ServerEntry {
  command: string;
  args?: string[];
  env?: Record<string, string>;
}

function clientConfigs(): ServerEntry[] {
  return [...stdioSection.matchAll(/```json\n([\s\S]*?)```/g)].map(
    (m) => (JSON.parse(m[1]!) as { mcpServers: Record<string, ServerEntry> }).mcpServers.tinytask!,
  );
}

describe('README stdio set-ups', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 120_000);

  it('run the server from a clone (node dist/cli.js or the installed bin), never the unpublished npx package', () => {
    const configs = clientConfigs();
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const c of configs) {
      expect(c.command).not.toBe('npx');
      if (c.command === 'node') expect(c.args?.[0]).toMatch(/\/dist\/cli\.js$/);
      else expect(c.command).toBe('tinytask-mcp');
      expect(c.env).toMatchObject({ TINYTASK_MODE: 'stdio' });
    }
    const claudeCode = /claude mcp add --transport stdio[\s\S]*?tinytask -- (.*)\n/.exec(stdioSection);
    expect(claudeCode?.[1]).toMatch(/^node "\$HOME\/src\/tinytask-mcp\/dist\/cli\.js"$/);
    expect(stdioSection).toMatch(/not on the npm registry yet/);
    expect(stdioSection).toContain('npm install -g .');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin['tinytask-mcp']).toBe('dist/cli.js');
  });

  it('the node form serves MCP over stdio', async () => {
    const entry = clientConfigs().find((c) => c.command === 'node')!;
    const dir = mkdtempSync(join(tmpdir(), 'tinytask-readme-'));
    const client = new Client({ name: 'readme-check', version: '1.0.0' });
    try {
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [CLI],
          env: { PATH: process.env.PATH ?? '', ...entry.env, TINYTASK_DB_PATH: join(dir, 'tinytask.db') },
          stderr: 'ignore',
        }),
      );
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('create_task');
    } finally {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
