import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentsRunResult } from '../bench/agents/run.js';
import { TOOLS } from '../bench/agents/workflow.js';
import { defineFlags, parseArgs, UsageError } from '../bench/lib/args.js';
import { summariseProfile } from '../bench/lib/cpuprofile.js';
import { Histogram } from '../bench/lib/histogram.js';
import { readProc, parseCpuList } from '../bench/lib/proc.js';
import { agentsMarkdown, capacitySvg, mdTable, median } from '../bench/lib/report.js';

// The bench tooling's own pieces: histogram percentiles, flag parsing, /proc sampling, profile summaries, and the
// Markdown + SVG writers (valid structure; no timing assertions).

/** A small well-formedness check: every tag closes in order, attributes are quoted, entities are escaped. */
function assertWellFormedXml(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(xml))) {
    const between = xml.slice(last, m.index);
    expect(between, `stray markup before <${m[2]}>`).not.toMatch(/[<>]/);
    expect(between).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#\d+;)/);
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) expect(stack.pop(), `</${name}>`).toBe(name);
    else if (!selfClose) stack.push(name as string);
  }
  expect(xml.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
}

function fakeResult(): AgentsRunResult {
  const perTool: AgentsRunResult['perTool'] = {};
  for (const t of TOOLS) {
    perTool[t] = {
      count: 100,
      mean: 2,
      p50: 1.5,
      p90: 3,
      p99: 7.25,
      max: 12,
      perSec: 10,
      errors: { http: 0, rpc: 0, tool: 0 },
    };
  }
  return {
    label: '10 agents',
    machine: {
      date: '2026-01-01T00:00:00.000Z',
      cpus: 2,
      cpuModel: 'Test CPU',
      memoryGb: 4,
      node: 'v20.0.0',
      kernel: 'Linux 6',
      commit: 'abc1234',
      dirty: false,
    },
    config: {
      agents: 10,
      durationS: 10,
      warmupS: 2,
      thinkMs: 0,
      workers: 1,
      runId: 'b1',
      url: 'http://127.0.0.1:1/mcp',
      variant: 'real',
      readThreads: 1,
      serverCpus: '0',
      generatorCpus: [1],
    },
    windowS: 10,
    calls: 700,
    callsPerSec: 70,
    overall: { count: 700, mean: 2, p50: 1.5, p90: 3, p99: 7.25, max: 12 },
    perTool,
    errors: {
      http: 0,
      rpc: 0,
      tool: 1,
      init: 0,
      crashedAgents: 0,
      samples: ['get_task (tool): NOT_FOUND | with a pipe'],
    },
    server: {
      seconds: 10,
      cpuMs: 5000,
      cpuPercent: 50,
      maxRssBytes: 80 * 2 ** 20,
      peakRssBytes: 90 * 2 ** 20,
      threads: 12,
      pid: 1,
      native: true,
      cpuMsPerCall: 7.14,
      exitCode: 0,
    },
    generator: {
      processes: 1,
      cpus: 1,
      cpuPercent: 20,
      maxProcessCpuPercent: 19,
      maxElu: 0.2,
      saturated: false,
      reconnects: 0,
    },
    reportedRssMb: undefined,
    counters: { writes: 500, batches: 100, reads: 200, meanBatchSize: 5 },
    verification: {
      ok: true,
      created: 10,
      listed: 10,
      claims: 5,
      duplicateClaims: 0,
      completed: 5,
      completedNotComplete: 0,
      missing: 0,
      extra: 0,
      problems: [],
    },
    warnings: ['1 call(s) failed'],
    ok: false,
  };
}

describe('bench: tooling', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('histogram percentiles match a sorted array within the bucket precision, and merge', () => {
    const values = Array.from({ length: 20_000 }, (_, i) => ((i * 7919) % 20_000) / 100 + 0.05); // 0.05..200 ms
    const a = new Histogram();
    const b = new Histogram();
    values.forEach((v, i) => (i % 2 ? a : b).record(v));
    const h = Histogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON()))).merge(b);
    const sorted = [...values].sort((x, y) => x - y);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
      expect(Math.abs(h.percentile(p) - exact) / exact, `p${p}`).toBeLessThan(0.01);
    }
    expect(h.count).toBe(values.length);
    expect(h.max).toBeCloseTo(Math.max(...values), 2);
  });

  it('parses flags, including lists, negations and =values, and rejects unknown ones', () => {
    const spec = defineFlags({
      agents: { type: 'number', default: 100, help: '' },
      steps: { type: 'numbers', default: [1], help: '' },
      pin: { type: 'boolean', default: true, help: '' },
      url: { type: 'string', default: undefined, help: '' },
    });
    const f = parseArgs(spec, ['--agents', '5', '--steps=10,50', '--no-pin', '--url', 'http://x/mcp']);
    expect(f).toMatchObject({ agents: 5, steps: [10, 50], pin: false, url: 'http://x/mcp', help: false });
    expect(parseArgs(spec, []).agents).toBe(100);
    expect(() => parseArgs(spec, ['--agnets', '5'])).toThrow(UsageError);
    expect(() => parseArgs(spec, ['--agents', 'many'])).toThrow(/number/);
  });

  it('reads CPU time and memory of a process from /proc', () => {
    const s = readProc(process.pid);
    expect(s?.rssBytes).toBeGreaterThan(0);
    expect(s?.peakRssBytes).toBeGreaterThanOrEqual(s?.rssBytes ?? 0);
    expect(s?.threads).toBeGreaterThan(0);
    expect(parseCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
  });

  it('summarises a .cpuprofile by function and area, counting Atomics.wait as waiting', () => {
    const file = path.join(tmp, 'x.cpuprofile');
    const frame = (functionName: string, url = '') => ({
      functionName,
      url,
      lineNumber: 0,
      columnNumber: 0,
      scriptId: '0',
    });
    writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 5] },
          { id: 2, callFrame: frame('handle', 'file:///app/dist/transport/http/streamable.js') },
          { id: 3, callFrame: frame('parse', 'file:///app/node_modules/zod/v4/core/schemas.js') },
          { id: 4, callFrame: frame('atomicsWaitLoop', 'file:///app/node_modules/piscina/dist/worker.js') },
          { id: 5, callFrame: frame('(idle)') },
        ],
        startTime: 0,
        endTime: 1000,
        samples: [2, 2, 3, 4, 5, 2],
        timeDeltas: [0, 100, 100, 100, 100, 100],
      }),
    );
    const s = summariseProfile(file);
    // Each sample is charged the delta that follows it; the last one has none.
    expect(s.busyMs).toBeCloseTo(0.3, 5);
    expect(s.idleMs).toBeCloseTo(0.2, 5);
    expect(s.functions[0]?.name).toMatch(/^handle dist\/transport\/http\/streamable\.js:1$/);
    expect(s.areas.map((a) => a.name)).toEqual(['app: transport/http', 'zod']);
  });

  it('writes an agents report as Markdown tables with escaped cells', () => {
    const md = agentsMarkdown(fakeResult(), 'npm run bench:agents -- --agents 10');
    const tables = md.split('\n\n').filter((block) => block.startsWith('|'));
    expect(tables.length).toBeGreaterThanOrEqual(4);
    for (const t of tables) {
      const rows = t.split('\n');
      const cols = (r: string) => r.replace(/\\\|/g, '').split('|').length;
      expect(rows[1]).toMatch(/^\| (:?---:?( \| )?)+ \|$/);
      for (const r of rows) expect(cols(r)).toBe(cols(rows[0]!));
    }
    expect(md).toContain('| create_task | 100 | 10 | 1.50 | 3.00 | 7.25 | 12.0 | 0 | 0 | 0 |');
    expect(md).toContain('> **Warning:** 1 call(s) failed');
    expect(md).toContain('500 writes committed in 100 group-commit batches (5.0 writes per transaction)');
    expect(mdTable(['a', 'b'], [['x|y', 1]])).toBe('| a | b |\n| :--- | ---: |\n| x\\|y | 1 |');
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('draws the capacity chart as well-formed SVG with one line per metric and the service level', () => {
    const points = [10, 50, 100, 200, 500, 1000].map((agents, i) => ({
      agents,
      callsPerSec: 1000 + i * 300,
      p99: 5 * (i + 1) ** 2,
      peakRssMb: 80 + i * 20,
      errors: 0,
      passed: 5 * (i + 1) ** 2 <= 50,
    }));
    const svg = capacitySvg(points, {
      title: 'Capacity <test> & "quotes"',
      subtitle: 'machine & commit',
      p99LimitMs: 50,
      capacity: 100,
      rssGuides: [{ mb: 200, label: 'goal 200 MB' }],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    assertWellFormedXml(svg);
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    expect(svg).toContain('service level p99 ≤ 50 ms');
    expect(svg).toContain('goal 200 MB');
    expect(svg).toContain('Capacity &lt;test&gt; &amp; &quot;quotes&quot;');
    // Three points miss the service level: drawn hollow in each panel.
    expect(svg.match(/fill="#ffffff" stroke="#d62728"/g)).toHaveLength(9);
  });
});
