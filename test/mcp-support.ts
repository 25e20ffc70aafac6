/** Shared set-up of the MCP tests: a real board on a temp SQLite file, an MCP server, the SDK's real Client. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { configWith, type Config } from '../src/config.js';
import { createBoard } from '../src/core/board.js';
import type { Board } from '../src/core/types.js';
import { silentLogger } from '../src/logger.js';
import { createMcpServer, type McpDeps, type McpSessionContext } from '../src/mcp/server.js';
import { toolCatalogue } from '../src/mcp/tools.js';
import { createServerMetrics } from '../src/metrics.js';
import { testDatabase } from './pg-support.js';

export interface Harness {
  deps: McpDeps;
  board: Board;
  dir: string;
  /** Connects a new client (one server per client, like one session each). */
  connect(
    session?: McpSessionContext,
    clientOptions?: ConstructorParameters<typeof Client>[1],
  ): Promise<Connection>;
  close(): Promise<void>;
}

export interface Connection {
  client: Client;
  server: Server;
  close(): Promise<void>;
}

export async function openHarness(config: Partial<Config> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'tinytask-mcp-'));
  const database = await testDatabase();
  const cfg = configWith({ dbPath: join(dir, 'board.db'), readThreads: 1, ...database.config, ...config });
  const logger = silentLogger();
  const metrics = createServerMetrics();
  const board = await createBoard({ config: cfg, logger, metrics });
  const deps: McpDeps = { board, config: cfg, logger, metrics };
  const connections = new Set<Connection>();
  return {
    deps,
    board,
    dir,
    async connect(session, clientOptions) {
      const server = createMcpServer(deps, session);
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      const client = new Client({ name: 'test-agent', version: '1.0.0' }, clientOptions);
      await server.connect(serverSide);
      await client.connect(clientSide);
      // Caches the output schemas, so the SDK client itself validates every structuredContent it receives.
      if (deps.config.pageSize >= 31) await client.listTools();
      const connection: Connection = {
        client,
        server,
        async close() {
          connections.delete(connection);
          await client.close();
          await server.close();
        },
      };
      connections.add(connection);
      return connection;
    },
    async close() {
      for (const c of [...connections]) await c.close();
      await board.close();
      rmSync(dir, { recursive: true, force: true });
      await database.drop();
    },
  };
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
const outputValidators = new Map<string, ValidateFunction>(
  toolCatalogue(true).descriptors.map((d) => [d.name, ajv.compile(d.outputSchema as object)]),
);

/** Tools whose text block is not the JSON of structuredContent (TinyTask's wording is kept). */
const TEXT_DIFFERS = new Set(['signup_for_task', 'move_subtask', 'get_task_history']);

/** Checks a result's structuredContent against the tool's declared outputSchema (JSON Schema 2020-12). */
export function expectMatchesOutputSchema(tool: string, result: CallToolResult): void {
  const validate = outputValidators.get(tool);
  if (!validate) throw new Error(`no output schema for ${tool}`);
  const valid = validate(result.structuredContent);
  expect(valid, `${tool}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

/** Calls a tool that must succeed; checks text and structuredContent against each other and the outputSchema. */
export async function callOk<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const block = result.content[0];
  if (result.isError) throw new Error(`${name} failed: ${block?.type === 'text' ? block.text : '?'}`);
  expect(result.content).toHaveLength(1);
  if (block?.type !== 'text') throw new Error(`${name}: no text block`);
  expect(result.structuredContent).toBeTypeOf('object');
  if (!TEXT_DIFFERS.has(name)) expect(JSON.parse(block.text)).toEqual(result.structuredContent);
  expectMatchesOutputSchema(name, result);
  return result.structuredContent as T;
}

/** Calls a tool that must fail with `code`; checks the error envelope; returns the message. */
export async function callErr(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  code: string,
): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  return failed(result, code, name);
}

/** Asserts a tool result is an error with `code`; returns its message. */
export function failed(result: unknown, code: string, tool?: string): string {
  const r = result as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBe(true);
  const block = r.content[0];
  if (block?.type !== 'text') throw new Error('error result without a text block');
  const parsed = JSON.parse(block.text) as { error: { code: string; message: string } };
  expect(parsed.error.code, parsed.error.message).toBe(code);
  expect(r.structuredContent).toEqual(parsed);
  if (tool) expectMatchesOutputSchema(tool, r);
  return parsed.error.message;
}

/** Awaits a JSON-RPC request that must fail with `code`; returns the error. */
export async function rpcError(
  request: Promise<unknown>,
  code: number,
): Promise<{ code: number; message: string; data?: unknown }> {
  const err = await request.then(
    () => {
      throw new Error(`expected JSON-RPC error ${code}, but the request succeeded`);
    },
    (e: unknown) => e as { code: number; message: string; data?: unknown },
  );
  expect(err.code, err.message).toBe(code);
  return err;
}

/** Resolves once `cond()` holds, checking in-process state every few milliseconds (a condition, not a sleep). */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
