import { request as httpRequest } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_ACCEPT, rawSession, startTestServer, type TestServer } from './http-harness.js';
import { until } from './mcp-support.js';

interface WaitAnswer {
  task: { id: number } | null;
  outcome: string;
  claimed: boolean;
}

describe('wait_for_task over Streamable HTTP', () => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer();
  });

  afterAll(async () => {
    await s.close();
  });

  it('a wait held longer than the HTTP idle timeout of uWebSockets.js (10 s) still wakes and answers', async () => {
    const waiter = await s.client('waiter');
    const lead = await s.client('lead');
    const pending = waiter.callTool(
      { name: 'wait_for_task', arguments: { agent_name: 'patient', timeout_seconds: 30 } },
      undefined,
      { timeout: 60_000 },
    );
    await until(() => s.board.waiters === 1, 'the wait is held');
    // The behaviour under test is a request that stays silent for longer than uWS's idle timeout.
    await new Promise((r) => setTimeout(r, 11_000));
    expect(s.board.waiters).toBe(1);
    const created = (await lead.callTool({
      name: 'create_task',
      arguments: { title: 'finally', created_by: 'lead', assigned_to: 'patient' },
    })) as CallToolResult;
    const answer = ((await pending) as CallToolResult).structuredContent as unknown as WaitAnswer;
    expect(answer.outcome).toBe('ready');
    expect(answer.task?.id).toBe((created.structuredContent as { id: number }).id);
  }, 60_000);

  it('progress notifications reach an HTTP client (the answer switches to an event stream)', async () => {
    const client = await s.client('progress');
    const seen: number[] = [];
    const result = (await client.callTool(
      { name: 'wait_for_task', arguments: { agent_name: 'progress-agent', timeout_seconds: 1 } },
      undefined,
      { onprogress: (p) => seen.push(p.progress) },
    )) as CallToolResult;
    expect((result.structuredContent as unknown as WaitAnswer).outcome).toBe('timeout');
    expect(seen[0]).toBe(0);
  });

  it('a client that disconnects while its wait is held frees the waiter at once', async () => {
    const sessionId = await rawSession(s.url);
    const req = httpRequest({
      host: s.mcpUrl.hostname,
      port: s.mcpUrl.port,
      method: 'POST',
      path: '/mcp',
      agent: false,
      headers: {
        'content-type': 'application/json',
        accept: MCP_ACCEPT,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
    });
    req.on('error', () => undefined);
    req.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'wait_for_task', arguments: { agent_name: 'leaver', timeout_seconds: 60 } },
      }),
    );
    await until(() => s.board.waiters === 1, 'the wait is held');
    const held = await (await fetch(`${s.url}/metrics`)).text();
    expect(held).toMatch(/^tinytask_waiters 1$/m);
    const json = (await (await fetch(`${s.url}/api/metrics`)).json()) as { connections: { waiters: number } };
    expect(json.connections.waiters).toBe(1);
    req.destroy();
    await until(() => s.board.waiters === 0, 'the waiter is freed', 5_000);
    const after = await (await fetch(`${s.url}/metrics`)).text();
    expect(after).toMatch(/^tinytask_waiters 0$/m);
    expect(after).toMatch(/^tinytask_waits_total\{outcome="cancelled"\} 1$/m);
    expect(after).toMatch(/^tinytask_waits_total\{outcome="timeout"\} 1$/m);
    expect(after).toMatch(/^tinytask_waits_total\{outcome="ready"\} 1$/m);
    expect(after).toMatch(/^tinytask_wait_duration_seconds_count\{outcome="ready"\} 1$/m);
    expect(after).toMatch(/^tinytask_wait_wakeups_total\{source="change"\} [1-9]/m);
  });
});
