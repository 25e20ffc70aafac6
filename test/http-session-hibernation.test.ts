import { afterEach, describe, expect, it } from 'vitest';
import { MCP_ACCEPT, rawSession, startTestServer, type TestServer } from './http-harness.js';

/**
 * Session hibernation (TINYTASK_HIBERNATE_AFTER): an idle Streamable HTTP session drops its MCP server and
 * transport and its next request rebuilds them in the same state. Here sessions hibernate after 100 ms; the tests
 * wait on the `tinytask_sessions_hibernated` gauge, never on a fixed sleep.
 */
describe('session hibernation', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const post = (s: TestServer, session: string, body: unknown, accept = 'application/json') =>
    fetch(`${s.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, 'mcp-session-id': session },
      body: JSON.stringify(body),
    });

  const toolCall = (
    s: TestServer,
    session: string,
    id: number,
    name: string,
    args: object,
    accept?: string,
  ) =>
    post(s, session, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }, accept);

  const gauge = async (s: TestServer, name: string): Promise<number> => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return Number(line?.split(' ').at(-1));
  };

  /** Polls `read` until it answers `want` (however slow the machine; the test's own timeout bounds it). */
  const until = async (read: () => Promise<number>, want: number): Promise<void> => {
    while ((await read()) !== want) await new Promise((r) => setTimeout(r, 25));
  };

  /** Waits (on the condition, polled) until `n` sessions are hibernated. */
  const hibernated = async (s: TestServer, n: number): Promise<void> => {
    await until(() => gauge(s, 'tinytask_sessions_hibernated'), n);
    expect(await gauge(s, 'tinytask_sessions_hibernated')).toBe(n);
  };

  it("a hibernated session's next tool call works, and so does one with a batch after it", async () => {
    server = await startTestServer({ sessionHibernateAfterMs: 100 });
    const s = server;
    const session = await rawSession(s.url);
    const created = await toolCall(s, session, 1, 'create_task', { title: 'before sleep', created_by: 'a' });
    expect(created.status).toBe(200);
    await hibernated(s, 1);

    const res = await toolCall(s, session, 2, 'list_tasks', {});
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBe(session);
    const answer = (await res.json()) as {
      id: number;
      result: { isError?: boolean; content: { text: string }[] };
    };
    expect(answer.id).toBe(2);
    expect(answer.result.isError).toBeFalsy();
    expect(answer.result.content[0]!.text).toContain('before sleep');

    // Notifications alone do not wake it, and a wrong version header is still refused while asleep.
    await hibernated(s, 1);
    const note = await post(s, session, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
    expect(await gauge(s, 'tinytask_sessions_hibernated')).toBe(1);
    const badVersion = await fetch(`${s.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'mcp-session-id': session,
        'mcp-protocol-version': '1999-01-01',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    expect(badVersion.status).toBe(400);

    // A batch wakes it once.
    const batch = await post(s, session, [
      { jsonrpc: '2.0', id: 4, method: 'tools/list' },
      { jsonrpc: '2.0', id: 5, method: 'ping' },
    ]);
    expect(batch.status).toBe(200);
    expect(((await batch.json()) as { id: number }[]).map((m) => m.id)).toEqual([4, 5]);

    // DELETE of a hibernated session ends it.
    await hibernated(s, 1);
    const del = await fetch(`${s.url}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': session } });
    expect(del.status).toBe(200);
    expect((await toolCall(s, session, 6, 'list_tasks', {})).status).toBe(404);
  });

  it('keeps its subscriptions: a GET stream opened after it hibernated gets the updates', async () => {
    server = await startTestServer({ sessionHibernateAfterMs: 100 });
    const s = server;
    const session = await rawSession(s.url);
    const created = (await (
      await toolCall(s, session, 1, 'create_task', { title: 'w', created_by: 'a' })
    ).json()) as {
      result: { content: { text: string }[] };
    };
    const taskId = (JSON.parse(created.result.content[0]!.text) as { id: number }).id;
    const uri = `task://${taskId}`;
    const sub = await post(s, session, {
      jsonrpc: '2.0',
      id: 2,
      method: 'resources/subscribe',
      params: { uri },
    });
    expect(sub.status).toBe(200);
    await hibernated(s, 1);

    const ac = new AbortController();
    const stream = await fetch(`${s.url}/mcp`, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': session },
      signal: ac.signal,
    });
    expect(stream.status).toBe(200);
    // The open stream keeps it awake.
    await hibernated(s, 0);

    const other = await rawSession(s.url);
    const comment = await toolCall(s, other, 1, 'add_comment', {
      task_id: taskId,
      content: 'hi',
      created_by: 'b',
    });
    expect(comment.status).toBe(200);
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('notifications/resources/updated')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain('notifications/resources/updated');
    expect(text).toContain(JSON.stringify(uri));
    ac.abort();
  });

  it('keeps its log level', async () => {
    server = await startTestServer({ sessionHibernateAfterMs: 100 });
    const s = server;
    const session = await rawSession(s.url);
    const set = await post(s, session, {
      jsonrpc: '2.0',
      id: 1,
      method: 'logging/setLevel',
      params: { level: 'debug' },
    });
    expect(set.status).toBe(200);
    await hibernated(s, 1);

    // At debug a read sends a log notification before its answer, so the answer comes as an event stream.
    const res = await toolCall(s, session, 2, 'list_tasks', {}, MCP_ACCEPT);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    expect(text).toContain('"method":"notifications/message"');
    expect(text).toContain('"level":"debug"');

    // A session left at the default level stays quiet after waking.
    const quiet = await rawSession(s.url);
    expect((await toolCall(s, quiet, 1, 'list_tasks', {})).status).toBe(200);
    await hibernated(s, 2);
    const calm = await toolCall(s, quiet, 2, 'list_tasks', {}, MCP_ACCEPT);
    expect(calm.headers.get('content-type')).toBe('application/json');
  });

  it('never hibernates a session with an open GET stream', async () => {
    server = await startTestServer({ sessionHibernateAfterMs: 100 });
    const s = server;
    const streaming = await rawSession(s.url);
    const ac = new AbortController();
    const stream = await fetch(`${s.url}/mcp`, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': streaming },
      signal: ac.signal,
    });
    expect(stream.status).toBe(200);
    // Created after the stream opened: idle for less time than the streaming one, so the sweep that hibernates it
    // would have hibernated the streaming one too, were it allowed.
    await rawSession(s.url);
    await hibernated(s, 1);
    expect((await toolCall(s, streaming, 1, 'list_tasks', {})).status).toBe(200);
    ac.abort();
  });

  it('hibernated sessions keep the cap, eviction and expiry rules of TINYTASK_MAX_SESSIONS', async () => {
    server = await startTestServer({ sessionHibernateAfterMs: 100, maxSessions: 2 });
    const s = server;
    const older = await rawSession(s.url);
    expect((await toolCall(s, older, 1, 'list_queues', {})).status).toBe(200);
    const newer = await rawSession(s.url);
    expect((await toolCall(s, newer, 1, 'list_queues', {})).status).toBe(200);
    await hibernated(s, 2);
    // Both used, both asleep: the third takes the place of the one idle longest.
    await rawSession(s.url);
    expect((await toolCall(s, older, 2, 'list_queues', {})).status).toBe(404);
    expect((await toolCall(s, newer, 2, 'list_queues', {})).status).toBe(200);
    expect(await gauge(s, 'tinytask_sessions_open{transport="streamable_http"}')).toBe(2);
  });

  it('expires a hibernated session after TINYTASK_UNUSED_SESSION_TIMEOUT / TINYTASK_SESSION_IDLE_TIMEOUT', async () => {
    server = await startTestServer({
      sessionHibernateAfterMs: 100,
      unusedSessionTimeoutMs: 600,
      sessionIdleTimeoutMs: 3_600_000,
    });
    const s = server;
    const used = await rawSession(s.url);
    expect((await toolCall(s, used, 1, 'list_queues', {})).status).toBe(200);
    const unused = await rawSession(s.url);
    await hibernated(s, 2);
    const open = () => gauge(s, 'tinytask_sessions_open{transport="streamable_http"}');
    await until(open, 1);
    expect(await open()).toBe(1);
    expect((await toolCall(s, unused, 1, 'list_queues', {})).status).toBe(404);
    expect((await toolCall(s, used, 2, 'list_queues', {})).status).toBe(200);
  });
});
