import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, ensureBuilt, isStartLine, ROOT, runCli } from './cli-harness.js';

// The provisioned Grafana dashboard and the Prometheus scrape job only help if the series they query exist:
// every metric named in deploy/grafana/dashboards/tinytask.json must be in the built server's /metrics.

let dir: string;
let server: CliProcess;
let base: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'tinytask-ops-metrics-'));
  server = runCli([], {
    TINYTASK_MODE: 'http',
    TINYTASK_HOST: '127.0.0.1',
    TINYTASK_PORT: '0',
    TINYTASK_DB_PATH: join(dir, 'tinytask.db'),
  });
  const started = await server.waitForLog(isStartLine);
  base = `http://127.0.0.1:${String(started.port)}`;
});

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Grafana dashboard against the live /metrics', () => {
  it('queries only metrics the server exports, under the names and labels it uses', async () => {
    // One tool call and one error, so the labelled series and histograms exist.
    const client = new Client({ name: 'metrics-probe', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    await client.callTool({ name: 'create_task', arguments: { title: 'probe', created_by: 'probe' } });
    await client.callTool({ name: 'get_task', arguments: { id: 999_999 } });
    await client.close();

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const exposition = await res.text();
    const exported = new Set([...exposition.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => m[1]!));
    const series = exposition.split('\n').filter((l) => l && !l.startsWith('#'));

    const dashboard = JSON.parse(
      readFileSync(join(ROOT, 'deploy/grafana/dashboards/tinytask.json'), 'utf8'),
    ) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const used = new Set<string>();
    for (const panel of dashboard.panels)
      for (const { expr } of panel.targets)
        for (const [name] of expr.matchAll(/\btinytask_[a-z0-9_]+/g))
          used.add(name.replace(/_(bucket|sum|count)$/, ''));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect({ name, exported: exported.has(name) }).toEqual({ name, exported: true });

    // Label names the dashboard groups by are present on the series.
    const labelled = (metric: string, label: string) =>
      series.some((l) => l.startsWith(`${metric}{`) && l.includes(`${label}="`));
    expect(labelled('tinytask_tool_calls_total', 'tool')).toBe(true);
    expect(labelled('tinytask_tool_calls_total', 'code')).toBe(true);
    expect(labelled('tinytask_tool_call_duration_seconds_bucket', 'le')).toBe(true);
    expect(labelled('tinytask_sessions_open', 'transport')).toBe(true);
    expect(labelled('tinytask_http_requests_total', 'route')).toBe(true);
    expect(labelled('tinytask_event_loop_lag_seconds', 'stat')).toBe(true);
  });
});
