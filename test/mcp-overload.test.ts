import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callOk,
  expectMatchesOutputSchema,
  openHarness,
  type Connection,
  type Harness,
} from './mcp-support.js';

describe('a full writer queue over MCP', () => {
  let h: Harness;
  let c: Connection;
  beforeAll(async () => {
    h = await openHarness({ writeQueueLimit: 1 });
    c = await h.connect();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers OVERLOADED as a tool error (retryable, nothing written) while the other calls commit', async () => {
    const results = (await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        c.client.callTool({ name: 'create_task', arguments: { title: `burst ${i}`, created_by: 'burst' } }),
      ),
    )) as CallToolResult[];
    const overloaded = results.filter((r) => r.isError);
    const succeeded = results.filter((r) => !r.isError);
    expect(overloaded.length).toBeGreaterThan(0);
    expect(succeeded.length).toBeGreaterThan(0);
    for (const r of overloaded) {
      expect(r.structuredContent).toMatchObject({ error: { code: 'OVERLOADED' } });
      expectMatchesOutputSchema('create_task', r);
    }
    const stored = await callOk<{ total: number }>(c.client, 'list_tasks', { limit: 1 });
    expect(stored.total).toBe(succeeded.length);
    expect(
      h.deps.metrics.toolCalls.value({ tool: 'create_task', outcome: 'error', code: 'OVERLOADED' }),
    ).toBe(overloaded.length);
  });
});
