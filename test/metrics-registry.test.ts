import { describe, expect, it } from 'vitest';
import { createServerMetrics, MetricsRegistry } from '../src/metrics.js';

// The registry is prom-client's; these pin what the dashboard, the monitoring checks and the JSON endpoints rely
// on: names, label sets, cumulative buckets, values read at render time, and the synchronous summaries.

describe('metrics registry (prom-client)', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', async () => {
    const m = createServerMetrics();
    m.toolCalls.inc({ outcome: 'ok', tool: 'create_task' });
    m.toolCalls.inc({ outcome: 'ok', tool: 'create_task' });
    m.toolCalls.inc({ code: 'NOT_FOUND', outcome: 'error', tool: 'get_task' });
    m.toolLatency.observe({ tool: 'create_task' }, 0.003);
    m.toolLatency.observe({ tool: 'create_task' }, 0.02);
    m.waiters.set(3);
    m.coordination.claims.inc({}, 5);

    const text = await m.registry.render();
    expect(m.registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain('# TYPE tinytask_tool_calls_total counter');
    expect(text).toContain('tinytask_tool_calls_total{outcome="ok",tool="create_task"} 2');
    expect(text).toContain('tinytask_tool_calls_total{code="NOT_FOUND",outcome="error",tool="get_task"} 1');
    expect(text).toContain('# TYPE tinytask_tool_call_duration_seconds histogram');
    // Buckets are cumulative: 0.003 falls in le=0.005, 0.02 in le=0.025.
    expect(text).toContain('tinytask_tool_call_duration_seconds_bucket{le="0.0025",tool="create_task"} 0');
    expect(text).toContain('tinytask_tool_call_duration_seconds_bucket{le="0.005",tool="create_task"} 1');
    expect(text).toContain('tinytask_tool_call_duration_seconds_bucket{le="0.025",tool="create_task"} 2');
    expect(text).toContain('tinytask_tool_call_duration_seconds_bucket{le="+Inf",tool="create_task"} 2');
    expect(text).toContain('tinytask_tool_call_duration_seconds_count{tool="create_task"} 2');
    expect(text).toContain('tinytask_waiters 3');
    expect(text).toContain('tinytask_claims_total 5');
    // An unlabelled counter that never moved is there at 0, so rate() sees its first increment.
    expect(text).toContain('tinytask_dead_letters_total 0');
  });

  it('reads values, summaries and totals synchronously', () => {
    const m = createServerMetrics();
    m.toolCalls.inc({ tool: 'list_tasks', outcome: 'ok' }, 4);
    expect(m.toolCalls.value({ tool: 'list_tasks', outcome: 'ok' })).toBe(4);
    expect(m.toolCalls.value({ tool: 'list_tasks', outcome: 'error' })).toBe(0);
    m.toolLatency.observe({ tool: 'a' }, 0.0002);
    m.toolLatency.observe({ tool: 'b' }, 0.2);
    m.toolLatency.observe({ tool: 'b' }, 20);
    expect(m.toolLatency.summary({ tool: 'b' })).toEqual({ count: 2, sum: 20.2 });
    expect(m.toolLatency.summary()).toEqual({ count: 3, sum: 20.2002 });
    const totals = m.toolLatency.totals();
    expect(totals.count).toBe(3);
    const at = (le: number) => totals.counts[m.toolLatency.buckets.indexOf(le)];
    expect(at(0.0001)).toBe(0);
    expect(at(0.00025)).toBe(1);
    expect(at(0.25)).toBe(2);
    expect(at(10)).toBe(2); // 20 s is above the last bucket: only in +Inf (the count)
  });

  it('reads collected metrics at render time and replaces the previous label sets', async () => {
    const r = new MetricsRegistry();
    let rows: Array<[Record<string, string>, number]> = [[{ status: 'idle' }, 2]];
    r.gauge('t_tasks', 'Tasks by status.', { labelNames: ['status'], collect: () => rows });
    let total = 7;
    r.counter('t_reads_total', 'Reads.', { collect: () => total });
    expect(await r.render()).toMatch(/t_tasks\{status="idle"\} 2\n[\s\S]*t_reads_total 7/);
    rows = [[{ status: 'working' }, 1]];
    total = 9;
    const text = await r.render();
    expect(text).toContain('t_tasks{status="working"} 1');
    expect(text).not.toContain('status="idle"');
    expect(text).toContain('t_reads_total 9');
  });

  it('returns the registered metric when a name is registered twice', () => {
    const r = new MetricsRegistry();
    const a = r.counter('t_total', 'A counter.');
    expect(r.counter('t_total', 'A counter.')).toBe(a);
  });

  it('refuses a label the metric did not declare', () => {
    const m = createServerMetrics();
    expect(() => m.toolCalls.inc({ tool: 'x', unknown: 'y' })).toThrow(/unknown/);
  });
});
