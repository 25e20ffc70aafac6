import { afterEach, describe, expect, it } from 'vitest';
import {
  initializeBody,
  MCP_ACCEPT,
  rawSession,
  startTestServer,
  type TestServer,
  openGetStream,
} from './http-harness.js';

/** Abandoned sessions must not lock everyone out: eviction at the cap, and a short timeout for unused sessions. */
describe('session eviction', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const toolCall = (url: string, session: string, id: number) =>
    fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'mcp-session-id': session },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'list_queues', arguments: {} },
      }),
    });

  it('with TINYTASK_MAX_SESSIONS=300 and 300 abandoned sessions, a new client initializes and calls a tool', async () => {
    server = await startTestServer({ maxSessions: 300 });
    const s = server;
    // A worker that made a call, then 299 sessions abandoned right after initialize.
    const worker = await rawSession(s.url);
    expect((await toolCall(s.url, worker, 1)).status).toBe(200);
    const abandoned: string[] = [];
    for (let i = 0; i < 299; i++) abandoned.push(await rawSession(s.url));

    const client = await s.client('newcomer');
    const result = await client.callTool({
      name: 'create_task',
      arguments: { title: 't', created_by: 'newcomer' },
    });
    expect(result.isError).toBeFalsy();

    // The evicted session was the longest idle unused one; the working session kept its place.
    const first = await toolCall(s.url, abandoned[0]!, 2);
    expect(first.status).toBe(404);
    expect((await toolCall(s.url, worker, 3)).status).toBe(200);
    expect((await toolCall(s.url, abandoned.at(-1)!, 4)).status).toBe(200);
  });

  it('evicts the longest idle used session once no unused one is left, and never a busy one', async () => {
    server = await startTestServer({ maxSessions: 2 });
    const s = server;
    const older = await rawSession(s.url);
    expect((await toolCall(s.url, older, 1)).status).toBe(200);
    const newer = await rawSession(s.url);
    expect((await toolCall(s.url, newer, 2)).status).toBe(200);
    // Both used and idle: the third session takes the place of the one idle longest.
    const third = await rawSession(s.url);
    expect((await toolCall(s.url, older, 3)).status).toBe(404);
    expect((await toolCall(s.url, newer, 4)).status).toBe(200);

    // With every session holding an open GET stream, nothing can be evicted: 503.
    const streams = await Promise.all([newer, third].map((id) => openGetStream(s.url, id)));
    const refused = await fetch(`${s.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: MCP_ACCEPT },
      body: initializeBody(),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    for (const ac of streams) ac.abort();
  });

  it('closes a session that never made a call after TINYTASK_UNUSED_SESSION_TIMEOUT, keeping used ones', async () => {
    server = await startTestServer({ unusedSessionTimeoutMs: 300, sessionIdleTimeoutMs: 3_600_000 });
    const s = server;
    const used = await rawSession(s.url);
    expect((await toolCall(s.url, used, 1)).status).toBe(200);
    const unused = await rawSession(s.url);
    // Wait on the condition (the sweep closing it), not on a fixed sleep; /api/metrics does not touch sessions.
    const active = async () =>
      ((await (await fetch(`${s.url}/api/metrics`)).json()) as { connections: { active: number } })
        .connections.active;
    expect(await active()).toBe(2);
    for (let i = 0; i < 400 && (await active()) !== 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await active()).toBe(1);
    expect((await toolCall(s.url, unused, 2)).status).toBe(404);
    expect((await toolCall(s.url, used, 3)).status).toBe(200);
  });
});
