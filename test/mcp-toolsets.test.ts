import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolCatalogue } from '../src/mcp/tools.js';
import { allTools } from '../src/tools/index.js';
import { inToolsets } from '../src/tools/toolsets.js';
import { initializeBody, MCP_ACCEPT, raw, startTestServer, type TestServer } from './http-harness.js';
import { CLI, ensureBuilt, ROOT } from './stdio-support.js';

const WORKER = allTools.filter((t) => inToolsets(t, ['worker'])).map((t) => t.name);
const PLANNER = allTools.filter((t) => inToolsets(t, ['planner'])).map((t) => t.name);

/** A refused call: JSON-RPC -32602 whose message names the tool and the toolset that holds it. */
async function expectRefused(client: Client, tool: string, toolset: string): Promise<string> {
  const err = await client.callTool({ name: tool, arguments: {} }).then(
    () => {
      throw new Error(`${tool} was not refused`);
    },
    (e: unknown) => e as { code: number; message: string },
  );
  expect(err.code).toBe(-32602);
  expect(err.message).toContain(tool);
  expect(err.message).toContain(`toolsets=${toolset}`);
  return err.message;
}

describe('toolsets', () => {
  it('worker holds what assigned work needs; planner what planning needs; all holds everything', () => {
    for (const name of ['get_task', 'add_comment', 'update_task', 'move_task'])
      expect(WORKER, name).toContain(name);
    for (const name of ['create_task', 'create_subtask', 'search_tasks', 'list_queues', 'get_queue_tasks'])
      expect(PLANNER, name).toContain(name);
    expect(toolCatalogue(true, [{ source: 'deployment', toolsets: ['all'] }]).descriptors).toHaveLength(
      allTools.length,
    );
  });

  describe('over stdio (TINYTASK_TOOLSETS)', () => {
    let dir: string;
    let client: Client;
    beforeAll(async () => {
      ensureBuilt();
      dir = mkdtempSync(join(tmpdir(), 'tinytask-toolsets-'));
      client = new Client({ name: 'worker-agent', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [CLI],
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            TINYTASK_MODE: 'stdio',
            TINYTASK_DB_PATH: join(dir, 'board.db'),
            TINYTASK_TOOLSETS: 'worker',
          },
          stderr: 'ignore',
        }),
      );
    });
    afterAll(async () => {
      await client?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('lists only the worker tools and refuses the others with -32602 naming their toolset', async () => {
      const listed = (await client.listTools()).tools.map((t) => t.name);
      expect(listed.sort()).toEqual([...WORKER].sort());
      const message = await expectRefused(client, 'create_task', 'planner');
      expect(message).toMatch(/deployment: worker/);
      await expectRefused(client, 'delete_task', 'all');
      // A tool in the set works as usual.
      const ok = (await client.callTool({
        name: 'get_task',
        arguments: { task_id: 999 },
      })) as CallToolResult;
      expect(ok.isError).toBe(true);
      expect(JSON.stringify(ok.structuredContent)).toContain('NOT_FOUND');
    });
  });

  describe('over HTTP (deployment, token and ?toolsets=)', () => {
    let server: TestServer;
    let dir: string;
    const clients: Client[] = [];
    async function connect(query: string, token: string): Promise<Client> {
      const client = new Client({ name: 'agent', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp${query}`), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      clients.push(client);
      return client;
    }
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tinytask-toolsets-http-'));
      const tokens = join(dir, 'tokens.json');
      writeFileSync(
        tokens,
        JSON.stringify({
          'token-open': 'Planner',
          'token-worker': { agent: 'Bob', toolsets: ['worker'] },
        }),
      );
      server = await startTestServer({ authTokensFile: tokens, toolsets: ['worker', 'planner'] });
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('the deployment setting bounds every session', async () => {
      const client = await connect('', 'token-open');
      const listed = (await client.listTools()).tools.map((t) => t.name);
      expect(listed.sort()).toEqual([...new Set([...WORKER, ...PLANNER])].sort());
      await expectRefused(client, 'delete_task', 'all');
    });

    it('a connection narrows with ?toolsets=', async () => {
      const client = await connect('?toolsets=planner', 'token-open');
      const listed = (await client.listTools()).tools.map((t) => t.name);
      expect(listed.sort()).toEqual([...PLANNER].sort());
      const message = await expectRefused(client, 'signup_for_task', 'worker');
      expect(message).toMatch(/connection: planner/);
    });

    it('a token from the tokens file narrows to its toolsets', async () => {
      const client = await connect('', 'token-worker');
      const listed = (await client.listTools()).tools.map((t) => t.name);
      expect(listed.sort()).toEqual([...WORKER].sort());
      const message = await expectRefused(client, 'create_task', 'planner');
      expect(message).toMatch(/token: worker/);
    });

    it('an unknown toolset is refused at initialize with a message naming the known ones', async () => {
      const unknown = await raw(server.url, {
        method: 'POST',
        path: '/mcp?toolsets=wrker',
        headers: {
          Authorization: 'Bearer token-open',
          Accept: MCP_ACCEPT,
          'Content-Type': 'application/json',
        },
        body: initializeBody(),
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toContain('-32602');
      expect(unknown.body).toMatch(/unknown toolset \\"wrker\\"; known toolsets: worker, planner, all/);
    });

    it('token and connection choices intersect', async () => {
      const client = await connect('?toolsets=planner', 'token-worker');
      const listed = (await client.listTools()).tools.map((t) => t.name);
      expect(listed.sort()).toEqual(WORKER.filter((t) => PLANNER.includes(t)).sort());
      expect(listed.length).toBeGreaterThan(0);
    });
  });
});
