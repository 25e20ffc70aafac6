// Makes docs/board.png, the README's picture of the live board: a server on a temporary database, a small team's
// board written through MCP, and headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
//   npm run docs:board-screenshot [-- <output.png>]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import puppeteer from 'puppeteer-core';
import { configWith } from '../src/config.js';
import { createBoard } from '../src/core/board.js';
import { silentLogger } from '../src/logger.js';
import { createServerMetrics } from '../src/metrics.js';
import { startHttpServer } from '../src/transport/http/server.js';

const out = process.argv[2] ?? join(import.meta.dirname, '..', 'docs', 'board.png');
const dir = mkdtempSync(join(tmpdir(), 'tinytask-shot-'));
const config = configWith({
  dbPath: join(dir, 'tasks.db'),
  port: 0,
  host: '127.0.0.1',
  readThreads: 1,
  enableHistory: true,
});
const logger = silentLogger();
const metrics = createServerMetrics();
const board = await createBoard({ config, logger, metrics });
const http = await startHttpServer({ board, config, logger, metrics });
const client = new Client({ name: 'screenshot', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`)));

async function call(name: string, args: Record<string, unknown>): Promise<{ id: number }> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
  return result.structuredContent as { id: number };
}

const schema = await call('create_task', {
  title: 'Migrate the orders table to the new schema',
  created_by: 'planner',
  assigned_to: 'db-agent',
  queue_name: 'backend',
  priority: 3,
  tags: ['database'],
});
await call('create_task', {
  title: 'Backfill order totals after the migration',
  created_by: 'planner',
  queue_name: 'backend',
  priority: 2,
  tags: ['database'],
  blocked_by_task_id: schema.id,
});
await call('update_task', { id: schema.id, status: 'working', updated_by: 'db-agent' });
const api = await call('create_task', {
  title: 'Add pagination to GET /orders',
  created_by: 'planner',
  assigned_to: 'api-agent',
  queue_name: 'backend',
  priority: 2,
  tags: ['api'],
});
await call('update_task', { id: api.id, status: 'working', updated_by: 'api-agent' });
await call('add_comment', {
  task_id: api.id,
  content: 'Cursor-based; offset kept for old clients.',
  created_by: 'api-agent',
});
await call('create_task', {
  title: 'Write the release notes for 2.3',
  created_by: 'planner',
  assigned_to: 'docs-agent',
  queue_name: 'docs',
  priority: 1,
  tags: ['docs'],
});
await call('create_task', {
  title: 'Screenshot tests for the checkout page',
  created_by: 'planner',
  queue_name: 'frontend',
  tags: ['tests', 'ui'],
});
const done = await call('create_task', {
  title: 'Fix the flaky login test',
  created_by: 'planner',
  assigned_to: 'qa-agent',
  queue_name: 'frontend',
  tags: ['tests'],
});
await call('update_task', { id: done.id, status: 'complete', updated_by: 'qa-agent' });
const triage = await call('create_task', {
  title: 'Triage the 14 new bug reports',
  created_by: 'planner',
  assigned_to: 'triage-agent',
  priority: 1,
});
// A claim with a short lease: the board marks it as about to expire.
await call('claim_next_task', { agent_name: 'triage-agent', task_id: triage.id, lease_seconds: 90 });

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 760, deviceScaleFactor: 1 });
  await page.goto(`${http.url}/`);
  await page.waitForSelector('[data-testid="connection"].conn-live');
  await page.waitForSelector('[data-testid="column-complete"] .card');
  await page.click(`[data-task-id="${api.id}"]`);
  await page.waitForSelector('[data-testid="comments"]');
  await page.screenshot({ path: out });
  console.error(`wrote ${out}`);
} finally {
  await browser.close();
  await client.close();
  await http.close({ timeoutMs: 1000 });
  await board.close();
  rmSync(dir, { recursive: true, force: true });
}
