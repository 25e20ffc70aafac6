import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOk, openHarness, type Connection, type Harness } from './mcp-support.js';
import { toolCatalogue } from '../src/mcp/tools.js';

function logs(client: Client) {
  const seen: Array<{ level: string; data: Record<string, unknown> }> = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    seen.push({ level: n.params.level, data: n.params.data as Record<string, unknown> });
  });
  return seen;
}

describe('logging/setLevel and log notifications', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends tool errors at warning by default, and writes and reads once the client lowers the level', async () => {
    const c = await h.connect();
    const seen = logs(c.client);
    await callOk(c.client, 'create_task', { title: 'quiet', created_by: 'x' });
    await c.client.callTool({ name: 'get_task', arguments: { id: 999999 } });
    // Notifications of a call are sent before its answer, so they have arrived by now.
    expect(seen).toEqual([
      {
        level: 'warning',
        data: expect.objectContaining({ event: 'tool_error', tool: 'get_task', code: 'NOT_FOUND' }),
      },
    ]);

    seen.length = 0;
    await c.client.setLoggingLevel('debug');
    await callOk(c.client, 'create_task', { title: 'loud', created_by: 'x' });
    await callOk(c.client, 'list_tasks', {});
    expect(seen).toEqual([
      { level: 'info', data: expect.objectContaining({ event: 'tool_call', tool: 'create_task' }) },
      { level: 'debug', data: expect.objectContaining({ event: 'tool_call', tool: 'list_tasks' }) },
    ]);

    seen.length = 0;
    await c.client.setLoggingLevel('error');
    await c.client.callTool({ name: 'get_task', arguments: { id: 999999 } });
    await callOk(c.client, 'create_task', { title: 'silent', created_by: 'x' });
    expect(seen).toEqual([]);
  });

  it('keeps the level per session', async () => {
    const a = await h.connect();
    const b = await h.connect();
    const seenA = logs(a.client);
    const seenB = logs(b.client);
    await a.client.setLoggingLevel('debug');
    await callOk(a.client, 'list_tasks', {});
    await callOk(b.client, 'list_tasks', {});
    expect(seenA).toHaveLength(1);
    expect(seenB).toHaveLength(0);
  });

  it('records every tool call in the metrics, with outcome and code', async () => {
    const c = await h.connect();
    const before = h.deps.metrics.toolCalls.value({
      tool: 'get_comment',
      outcome: 'error',
      code: 'NOT_FOUND',
    });
    await c.client.callTool({ name: 'get_comment', arguments: { id: 999999 } });
    await callOk(c.client, 'list_queues', {});
    expect(h.deps.metrics.toolCalls.value({ tool: 'get_comment', outcome: 'error', code: 'NOT_FOUND' })).toBe(
      before + 1,
    );
    expect(h.deps.metrics.toolCalls.value({ tool: 'list_queues', outcome: 'ok' })).toBeGreaterThan(0);
    expect(h.deps.metrics.toolLatency.summary({ tool: 'list_queues' }).count).toBeGreaterThan(0);
    expect(await h.deps.metrics.registry.render()).toContain(
      'tinytask_tool_calls_total{code="NOT_FOUND",outcome="error",tool="get_comment"}',
    );
  });
});

describe('pagination of the list methods', () => {
  let h: Harness;
  let c: Connection;
  beforeAll(async () => {
    h = await openHarness({ pageSize: 7 });
    c = await h.connect();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('tools/list pages with opaque cursors and every tool appears exactly once', async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await c.client.listTools(cursor ? { cursor } : {});
      expect(page.tools.length).toBeLessThanOrEqual(7);
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    const total = toolCatalogue(false).descriptors.length;
    expect(total).toBeGreaterThan(21); // more than three pages' worth, so paging is exercised
    expect(pages).toBe(Math.ceil(total / 7));
    expect(names).toHaveLength(total);
    expect(new Set(names).size).toBe(total);
  });

  it('prompts/list fits one page and has no cursor', async () => {
    const page = await c.client.listPrompts();
    expect(page.prompts).toHaveLength(2);
    expect(page.nextCursor).toBeUndefined();
  });
});
