import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../src/domain/schemas.js';
import { callErr, callOk, openHarness, rpcError, type Connection, type Harness } from './mcp-support.js';

describe('bad input over MCP: a clear error with its code, and nothing written', () => {
  let h: Harness;
  let c: Connection;
  let taskId: number;
  let writesBefore: number;
  beforeAll(async () => {
    h = await openHarness();
    c = await h.connect();
    taskId = (await callOk<{ id: number }>(c.client, 'create_task', { title: 'Existing', created_by: 'x' }))
      .id;
    writesBefore = h.board.stats().writesTotal;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('an unknown tool is a JSON-RPC InvalidParams error naming it', async () => {
    const err = await rpcError(c.client.callTool({ name: 'make_coffee', arguments: {} }), -32602);
    expect(err.message).toContain('Unknown tool: make_coffee');
  });

  it('arguments that are not an object are a JSON-RPC InvalidParams error', async () => {
    await rpcError(
      c.client.request(
        {
          method: 'tools/call',
          params: { name: 'get_task', arguments: [1, 2] as unknown as Record<string, unknown> },
        },
        (await import('@modelcontextprotocol/sdk/types.js')).CallToolResultSchema,
      ),
      -32602,
    );
  });

  it('a tool call without a string name is a JSON-RPC InvalidParams error, and nothing is written', async () => {
    const { CallToolResultSchema } = await import('@modelcontextprotocol/sdk/types.js');
    for (const params of [{ arguments: {} }, { name: 7, arguments: {} }]) {
      const err = await rpcError(
        c.client.request(
          { method: 'tools/call', params: params as unknown as { name: string } },
          CallToolResultSchema,
        ),
        -32602,
      );
      expect(err.message).toMatch(/name/);
    }
    expect(h.board.stats().writesTotal).toBe(writesBefore);
  });

  it('missing required arguments are named', async () => {
    const msg = await callErr(c.client, 'create_task', {}, 'INVALID_ARGUMENT');
    expect(msg).toContain('title is required');
    expect(msg).toContain('created_by is required');
    expect(await callErr(c.client, 'move_task', { task_id: taskId }, 'INVALID_ARGUMENT')).toContain(
      'comment is required',
    );
  });

  it('unknown (extra) arguments are named', async () => {
    const msg = await callErr(
      c.client,
      'create_task',
      { title: 't', created_by: 'a', colour: 'red' },
      'INVALID_ARGUMENT',
    );
    expect(msg).toContain('"colour"');
  });

  it('wrongly typed arguments say what they must be', async () => {
    expect(
      await callErr(
        c.client,
        'create_task',
        { title: 't', created_by: 'a', priority: 'high' },
        'INVALID_ARGUMENT',
      ),
    ).toContain('priority must be an integer');
    expect(
      await callErr(c.client, 'create_task', { title: 't', created_by: 'a', tags: 'x' }, 'INVALID_ARGUMENT'),
    ).toContain('tags must be an array');
    expect(await callErr(c.client, 'get_task', { id: 'abc' }, 'INVALID_ARGUMENT')).toContain(
      'positive integer id',
    );
    for (const id of [0, -1, 1.5, '1e3', true, null]) {
      await callErr(c.client, 'get_task', { id }, 'INVALID_ARGUMENT');
    }
    expect(
      await callErr(c.client, 'update_task', { id: taskId, status: 'done' }, 'INVALID_ARGUMENT'),
    ).toContain('status must be one of idle, working, complete');
    await callErr(c.client, 'list_tasks', { include_archived: 'yes' }, 'INVALID_ARGUMENT');
    await callErr(c.client, 'list_tasks', { status: [] }, 'INVALID_ARGUMENT');
    await callErr(c.client, 'create_task', { title: '', created_by: 'a' }, 'INVALID_ARGUMENT');
  });

  it('oversized strings and lists are refused with their limit', async () => {
    const long = (n: number) => 'x'.repeat(n);
    expect(
      await callErr(
        c.client,
        'create_task',
        { title: long(LIMITS.title + 1), created_by: 'a' },
        'INVALID_ARGUMENT',
      ),
    ).toContain(`${LIMITS.title} characters`);
    await callErr(
      c.client,
      'add_comment',
      { task_id: taskId, content: long(LIMITS.comment + 1) },
      'INVALID_ARGUMENT',
    );
    await callErr(c.client, 'add_link', { task_id: taskId, url: long(LIMITS.url + 1) }, 'INVALID_ARGUMENT');
    await callErr(
      c.client,
      'create_task',
      { title: 't', created_by: 'a', tags: Array.from({ length: LIMITS.tags + 1 }, (_, i) => `t${i}`) },
      'INVALID_ARGUMENT',
    );
    await callErr(
      c.client,
      'create_task',
      { title: 't', created_by: 'a', tags: [long(LIMITS.tag + 1)] },
      'INVALID_ARGUMENT',
    );
    await callErr(
      c.client,
      'signup_for_task',
      { agent_name: long(LIMITS.agentName + 1) },
      'INVALID_ARGUMENT',
    );
  });

  it('negative, zero and huge limits and offsets are refused', async () => {
    for (const limit of [-1, 0, LIMITS.listLimit + 1, 1e9, 2.5]) {
      expect(await callErr(c.client, 'list_tasks', { limit }, 'INVALID_ARGUMENT')).toMatch(/limit/);
    }
    await callErr(c.client, 'list_tasks', { offset: -5 }, 'INVALID_ARGUMENT');
    await callErr(c.client, 'get_queue_tasks', { queue_name: 'q', limit: 5000 }, 'INVALID_ARGUMENT');
  });

  it('none of the bad calls reached the writer, and each was counted with its code', async () => {
    expect(h.board.stats().writesTotal).toBe(writesBefore);
    const list = await callOk<{ total: number }>(c.client, 'list_tasks', { include_archived: true });
    expect(list.total).toBe(1);
    expect(
      h.deps.metrics.toolCalls.value({ tool: 'create_task', outcome: 'error', code: 'INVALID_ARGUMENT' }),
    ).toBeGreaterThan(0);
  });
});
