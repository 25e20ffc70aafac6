import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { statsTtlMs } from '../src/transport/http/metrics.js';
import { raw, startTestServer, type TestServer } from './http-harness.js';

describe('health, readiness and metrics endpoints', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('/health reports a real database check in the TinyTask shape', async () => {
    server = await startTestServer();
    const res = await raw(server.url, { path: '/health' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'healthy', database: 'connected' });
    expect(typeof body.uptime).toBe('number');
    expect(new Date(body.timestamp as string).toISOString()).toBe(body.timestamp);
    expect(body.checks).toMatchObject({ writer: { ok: true }, readers: { ok: true } });
    const head = await raw(server.url, { method: 'HEAD', path: '/health' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('/health and /ready turn 503 when the database is gone', async () => {
    server = await startTestServer();
    await server.board.close();
    const health = await raw(server.url, { path: '/health' });
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'unhealthy', database: 'disconnected' });
    const ready = await raw(server.url, { path: '/ready' });
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).reason).toMatch(/writer thread/);
    // Liveness does not depend on the database.
    expect((await raw(server.url, { path: '/healthz' })).status).toBe(200);
  });

  it('/ready is 200 when writer and readers answer, /healthz is 200 {status:"ok"}', async () => {
    server = await startTestServer();
    const ready = await raw(server.url, { path: '/ready' });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready' });
    const live = await raw(server.url, { path: '/healthz' });
    expect(JSON.parse(live.body)).toMatchObject({ status: 'ok' });
  });

  it('/ready answers 503 while shutdown waits for an in-flight request', async () => {
    server = await startTestServer({ shutdownTimeoutMs: 10_000 });
    const target = new URL(server.url);
    // A keep-alive connection opened before shutdown can still ask /ready afterwards.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: target.hostname, port: target.port, path, agent }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    expect((await get('/ready')).status).toBe(200);

    // An in-flight request: a POST whose body has not finished arriving.
    const slow = request({
      host: target.hostname,
      port: target.port,
      method: 'POST',
      path: '/mcp',
      agent: false,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'transfer-encoding': 'chunked',
      },
    });
    slow.on('error', () => undefined);
    const slowAnswer = new Promise<number>((resolve) =>
      slow.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }),
    );
    slow.write('{"jsonrpc":"2.0",');
    for (;;) {
      const api = JSON.parse((await get('/api/metrics')).body) as {
        connections: { requests_in_flight: number };
      };
      if (api.connections.requests_in_flight >= 2) break; // the slow POST and this request
    }

    const closing = server.http.close();
    const during = await get('/ready');
    expect(during.status).toBe(503);
    expect(JSON.parse(during.body)).toEqual({ status: 'not_ready', reason: 'shutting down' });

    // The in-flight request still completes (here: its body ends and it gets its answer), then shutdown finishes.
    slow.end('"id":1,"method":"ping"}');
    expect(await slowAnswer).toBe(400);
    await closing;
    agent.destroy();
  });

  it('/metrics renders Prometheus text with tool, writer, pool, session, task and process series', async () => {
    server = await startTestServer();
    const client = await server.client();
    await client.callTool({ name: 'create_task', arguments: { title: 'a', created_by: 'x' } });
    await client.callTool({
      name: 'create_task',
      arguments: { title: 'b', created_by: 'x', assigned_to: 'y' },
    });
    await client.callTool({ name: 'signup_for_task', arguments: { agent_name: 'y' } });
    const res = await raw(server.url, { path: '/metrics' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
    const text = res.body;
    for (const series of [
      /tinytask_tool_calls_total\{outcome="ok",tool="create_task"\} 2/,
      /tinytask_tool_call_duration_seconds_count\{tool="create_task"\} 2/,
      /tinytask_writer_batch_size_count \d+/,
      /tinytask_writer_queue_depth 0/,
      /tinytask_writer_last_batch_size \d+/,
      /tinytask_read_pool_utilization [\d.e-]+/,
      /tinytask_read_queue_depth \d+/,
      /tinytask_sessions_open\{transport="streamable_http"\} 1/,
      /tinytask_tasks\{status="idle"\} 1/,
      /tinytask_tasks\{status="working"\} 1/,
      /tinytask_process_resident_memory_bytes \d+/,
      /tinytask_process_heap_used_bytes \d+/,
      /tinytask_uptime_seconds [\d.]+/,
      /tinytask_event_loop_lag_seconds\{stat="p99"\} [\d.e-]+/,
      /tinytask_http_requests_total\{route="\/mcp",status="200"\} \d+/,
    ]) {
      expect(text).toMatch(series);
    }
  });

  it('/api/metrics returns the operational JSON summary', async () => {
    server = await startTestServer();
    const client = await server.client();
    await client.callTool({
      name: 'create_task',
      arguments: { title: 'a', created_by: 'x', assigned_to: 'x' },
    });
    await client.callTool({ name: 'signup_for_task', arguments: { agent_name: 'x' } });
    const res = await raw(server.url, { path: '/api/metrics' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as Record<string, Record<string, unknown>>;
    expect(body.connections).toMatchObject({ active: 1, total_opened: 1 });
    expect(body.tasks).toMatchObject({
      total: 1,
      working: 1,
      completed_today: 0,
      by_status: { idle: 0, working: 1, complete: 0 },
    });
    expect(body.performance!.tool_calls_total).toBe(2);
    expect(body.performance!.avg_query_time_ms).toBeGreaterThan(0);
    expect(body.system!.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(body.system!.memory_usage_mb).toBeGreaterThan(0);
    expect(body.system!.rss_mb).toBeGreaterThan(0);
  });

  it('board counts are reused for a second, or 50 times as long as counting took on a large board, at most 30 s', () => {
    expect(statsTtlMs(2)).toBe(1000);
    expect(statsTtlMs(20)).toBe(1000);
    expect(statsTtlMs(80)).toBe(4000);
    expect(statsTtlMs(5000)).toBe(30_000);
  });
});
