import type { AgentsRunResult } from '../agents/run.js';
import { TOOLS } from '../agents/workflow.js';
import { describeMachine } from './machine.js';

/** Markdown and SVG for the bench results: plain strings, no dependency. */

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

export function fmtMb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

export function mdTable(
  headers: string[],
  rows: Array<Array<string | number>>,
  align?: Array<'l' | 'r'>,
): string {
  const esc = (c: string | number) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const a = align ?? headers.map((_, i) => (i === 0 ? 'l' : 'r'));
  return [
    `| ${headers.map(esc).join(' | ')} |`,
    `| ${a.map((x) => (x === 'r' ? '---:' : ':---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The one-line summary of an agents run. */
export function headline(r: AgentsRunResult): string {
  const srv = r.server
    ? `, server CPU ${r.server.cpuPercent.toFixed(0)} % (${r.server.cpuMsPerCall.toFixed(3)} CPU-ms/call), peak RSS ${fmtMb(r.server.peakRssBytes)} MB`
    : '';
  const errors = r.errors.http + r.errors.rpc + r.errors.tool;
  return (
    `${r.config.agents} agents: ${fmtInt(r.callsPerSec)} calls/s, p50 ${fmtMs(r.overall.p50)} ms, p90 ${fmtMs(r.overall.p90)} ms, ` +
    `p99 ${fmtMs(r.overall.p99)} ms, max ${fmtMs(r.overall.max)} ms, ${errors} errors${srv}; ` +
    `generator ${r.generator.cpuPercent.toFixed(0)} % CPU${r.generator.saturated ? ' (SATURATED)' : ''}; ` +
    `verification ${r.verification ? (r.verification.ok ? 'passed' : 'FAILED') : 'skipped'}`
  );
}

export function agentsMarkdown(r: AgentsRunResult, command: string): string {
  const lines: string[] = [];
  lines.push(`# Agent workflow: ${r.config.agents} agents`, '');
  lines.push(`- Command: \`${command}\``);
  lines.push(`- Machine: ${describeMachine(r.machine)}`);
  lines.push(
    `- Server: ${r.config.variant === 'external' ? r.config.url : `${r.config.variant} (${r.config.readThreads ?? 'default'} read thread(s))`}` +
      `${r.config.serverCpus !== undefined ? `, pinned to CPU ${r.config.serverCpus}` : ', not pinned'}` +
      `${r.server?.native === false ? ', uWS JS FALLBACK' : r.server?.native ? ', uWS native' : ''}`,
  );
  lines.push(
    `- Load: ${r.config.agents} agents in ${r.config.workers} generator process(es) on CPU(s) ${r.config.generatorCpus.join(',') || 'any'}, ` +
      `warm-up ${r.config.warmupS} s, measured ${r.windowS.toFixed(1)} s, think time ${r.config.thinkMs} ms`,
  );
  lines.push('');
  if (r.warnings.length > 0) {
    for (const w of r.warnings) lines.push(`> **Warning:** ${w}`);
    lines.push('');
  }
  lines.push('## Result', '', headline(r), '');
  lines.push(
    mdTable(
      [
        'tool',
        'calls',
        'calls/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'HTTP err',
        'JSON-RPC err',
        'tool err',
      ],
      [
        ...TOOLS.map((t) => {
          const f = r.perTool[t];
          if (!f) return [t, 0, 0, '-', '-', '-', '-', 0, 0, 0];
          return [
            t,
            fmtInt(f.count),
            fmtInt(f.perSec),
            fmtMs(f.p50),
            fmtMs(f.p90),
            fmtMs(f.p99),
            fmtMs(f.max),
            f.errors.http,
            f.errors.rpc,
            f.errors.tool,
          ];
        }),
        [
          '**all**',
          fmtInt(r.calls),
          fmtInt(r.callsPerSec),
          fmtMs(r.overall.p50),
          fmtMs(r.overall.p90),
          fmtMs(r.overall.p99),
          fmtMs(r.overall.max),
          r.errors.http,
          r.errors.rpc,
          r.errors.tool,
        ],
      ],
    ),
    '',
  );
  if (r.server) {
    lines.push('## Server process', '');
    lines.push(
      mdTable(
        ['CPU %', 'CPU-ms per call', 'peak RSS MB (VmHWM)', 'max RSS in window MB', 'threads'],
        [
          [
            r.server.cpuPercent.toFixed(0),
            r.server.cpuMsPerCall.toFixed(3),
            fmtMb(r.server.peakRssBytes),
            fmtMb(r.server.maxRssBytes),
            r.server.threads,
          ],
        ],
      ),
      '',
    );
    const total = r.server.cpuMs;
    const busy = (r.server.perThread ?? []).filter((t) => t.cpuMs >= total * 0.01);
    if (busy.length > 0 && r.calls > 0) {
      lines.push(
        `CPU-ms per call by thread (creation order: #0 is the main thread, then V8/Node helpers, the writer, the readers): ${busy
          .map((t) => `#${t.rank} ${(t.cpuMs / r.calls).toFixed(3)}`)
          .join(', ')}.`,
        '',
      );
    }
  }
  if (r.counters) {
    lines.push(
      `Server counters over the window (/metrics): ${fmtInt(r.counters.writes)} writes committed in ${fmtInt(r.counters.batches)} group-commit batches ` +
        `(${r.counters.meanBatchSize.toFixed(1)} writes per transaction), ${fmtInt(r.counters.reads)} reads.`,
      '',
    );
  }
  if (!r.server && r.reportedRssMb !== undefined) {
    lines.push('## Server process', '');
    lines.push(
      `No pid to sample (pass --server-pid for CPU figures); highest RSS the server reported on /api/metrics during the window: ${r.reportedRssMb.toFixed(0)} MB.`,
      '',
    );
  }
  lines.push('## Load generator', '');
  lines.push(
    mdTable(
      [
        'processes',
        'cores',
        'CPU % (all)',
        'busiest process %',
        'max event-loop use',
        'reconnects',
        'saturated',
      ],
      [
        [
          r.generator.processes,
          r.generator.cpus,
          r.generator.cpuPercent.toFixed(0),
          r.generator.maxProcessCpuPercent.toFixed(0),
          `${(r.generator.maxElu * 100).toFixed(0)} %`,
          r.generator.reconnects,
          r.generator.saturated ? '**yes**' : 'no',
        ],
      ],
    ),
    '',
  );
  if (r.verification) {
    const v = r.verification;
    lines.push('## Board verification', '');
    lines.push(`**${v.ok ? 'Passed' : 'FAILED'}.**`, '');
    lines.push(
      mdTable(
        [
          'created',
          'listed',
          'missing',
          'extra',
          'claims',
          'claimed twice',
          'completed',
          'completed but not complete',
        ],
        [
          [
            v.created,
            v.listed,
            v.missing,
            v.extra,
            v.claims,
            v.duplicateClaims,
            v.completed,
            v.completedNotComplete,
          ],
        ],
      ),
      '',
    );
    if (v.problems.length > 0) {
      lines.push('Problems:', '');
      for (const p of v.problems) lines.push(`- ${p}`);
      lines.push('');
    }
  }
  if (r.errors.samples.length > 0) {
    lines.push('## Error samples', '');
    for (const s of r.errors.samples) lines.push(`- \`${s.replace(/`/g, "'")}\``);
    lines.push('');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Capacity chart

export interface CapacityPoint {
  agents: number;
  callsPerSec: number;
  p99: number;
  peakRssMb: number | undefined;
  errors: number;
  passed: boolean;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  p99LimitMs: number;
  /** Horizontal guides on the RSS panel, e.g. the goal and the container limit. */
  rssGuides?: Array<{ mb: number; label: string }>;
  /** Largest agent count meeting the service level (a vertical marker). */
  capacity?: number | undefined;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A y-axis top of 4 × a round step (1, 2, 2.5, 5 × 10^k) at or above `v`. */
function niceMax(v: number): number {
  if (!(v > 0)) return 4;
  const raw = v / 4;
  const exp = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= raw) return 4 * m * exp;
  return 40 * exp;
}

function tickLabel(v: number): string {
  if (v >= 10_000) return `${(v / 1000).toFixed(0)}k`;
  if (v >= 1000) return `${(v / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (v >= 10 || v === 0) return v.toFixed(0);
  return v.toFixed(1);
}

/**
 * Three stacked panels sharing the agents axis (log scale): throughput, p99 latency with the service level,
 * and peak RSS with its guides. Points that miss the service level are drawn hollow and red.
 */
export function capacitySvg(points: CapacityPoint[], opts: ChartOptions): string {
  const W = 760;
  const left = 78;
  const right = 24;
  const top = 86;
  const panelH = 170;
  const gap = 46;
  const panels = [
    { key: 'callsPerSec' as const, title: 'Throughput (tool calls/s)', color: '#1f77b4' },
    { key: 'p99' as const, title: 'p99 latency (ms)', color: '#d62728' },
    { key: 'peakRssMb' as const, title: 'Server peak RSS (MB)', color: '#2ca02c' },
  ];
  const H = top + panels.length * (panelH + gap) + 20;
  const plotW = W - left - right;
  const xs = points.map((p) => p.agents);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const logScale = maxX / Math.max(1, minX) >= 10;
  const xOf = (a: number): number => {
    if (maxX === minX) return left + plotW / 2;
    const f = logScale
      ? (Math.log10(a) - Math.log10(minX)) / (Math.log10(maxX) - Math.log10(minX))
      : (a - minX) / (maxX - minX);
    return left + 16 + f * (plotW - 32);
  };
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<title>${esc(opts.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="${left}" y="24" font-size="16" font-weight="bold" fill="#222">${esc(opts.title)}</text>`,
  );
  if (opts.subtitle) out.push(`<text x="${left}" y="44" fill="#555">${esc(opts.subtitle)}</text>`);

  panels.forEach((panel, pi) => {
    const y0 = top + pi * (panelH + gap);
    const values = points.map((p) => p[panel.key] ?? NaN);
    const guides: Array<{ v: number; label: string }> = [];
    if (panel.key === 'p99')
      guides.push({ v: opts.p99LimitMs, label: `service level p99 ≤ ${opts.p99LimitMs} ms` });
    if (panel.key === 'peakRssMb')
      for (const g of opts.rssGuides ?? []) guides.push({ v: g.mb, label: g.label });
    const finite = values.filter((v) => Number.isFinite(v));
    const yMax = niceMax(Math.max(...finite, ...guides.map((g) => g.v), 0) * 1.08);
    const yOf = (v: number) => y0 + panelH - (v / yMax) * panelH;
    out.push(`<g>`);
    out.push(`<text x="${left}" y="${y0 - 10}" font-weight="bold" fill="#333">${esc(panel.title)}</text>`);
    out.push(
      `<rect x="${left}" y="${y0}" width="${plotW}" height="${panelH}" fill="#fafafa" stroke="#ccc"/>`,
    );
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      const y = yOf(v);
      out.push(
        `<line x1="${left}" y1="${y.toFixed(1)}" x2="${left + plotW}" y2="${y.toFixed(1)}" stroke="#e4e4e4"/>`,
      );
      out.push(
        `<text x="${left - 8}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#666">${tickLabel(v)}</text>`,
      );
    }
    for (const a of xs) {
      const x = xOf(a);
      out.push(
        `<line x1="${x.toFixed(1)}" y1="${y0}" x2="${x.toFixed(1)}" y2="${y0 + panelH}" stroke="#eeeeee"/>`,
      );
      out.push(
        `<text x="${x.toFixed(1)}" y="${y0 + panelH + 16}" text-anchor="middle" fill="#666">${a}</text>`,
      );
    }
    for (const g of guides) {
      const y = yOf(g.v);
      out.push(
        `<line x1="${left}" y1="${y.toFixed(1)}" x2="${left + plotW}" y2="${y.toFixed(1)}" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      );
    }
    if (guides.length > 0) {
      // The guides' legend sits on the panel's title line, clear of the data.
      out.push(
        `<text x="${left + plotW}" y="${y0 - 10}" text-anchor="end" fill="#c85f00">- - ${esc(guides.map((g) => g.label).join(' · '))}</text>`,
      );
    }
    if (opts.capacity !== undefined) {
      const x = xOf(opts.capacity);
      out.push(
        `<line x1="${x.toFixed(1)}" y1="${y0}" x2="${x.toFixed(1)}" y2="${y0 + panelH}" stroke="#555" stroke-width="1" stroke-dasharray="2 3"/>`,
      );
    }
    const pts = points
      .map((p, i) => ({ x: xOf(p.agents), v: values[i] as number, passed: p.passed }))
      .filter((p) => Number.isFinite(p.v));
    if (pts.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${panel.color}" stroke-width="2" points="${pts.map((p) => `${p.x.toFixed(1)},${yOf(p.v).toFixed(1)}`).join(' ')}"/>`,
      );
    }
    for (const p of pts) {
      const y = yOf(p.v);
      out.push(
        p.passed
          ? `<circle cx="${p.x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${panel.color}"/>`
          : `<circle cx="${p.x.toFixed(1)}" cy="${y.toFixed(1)}" r="4.5" fill="#ffffff" stroke="#d62728" stroke-width="2"/>`,
      );
      const label =
        panel.key === 'callsPerSec' ? fmtInt(p.v) : panel.key === 'p99' ? fmtMs(p.v) : p.v.toFixed(0);
      out.push(
        `<text x="${p.x.toFixed(1)}" y="${(y - 9).toFixed(1)}" text-anchor="middle" fill="#333" font-size="11">${esc(label)}</text>`,
      );
    }
    out.push(`</g>`);
  });
  const yAxis = top + panels.length * (panelH + gap) - gap + 34;
  out.push(
    `<text x="${left + plotW / 2}" y="${yAxis}" text-anchor="middle" fill="#333">simulated agents${logScale ? ' (log scale)' : ''}${
      opts.capacity !== undefined
        ? ` · dotted: largest count meeting the service level (${opts.capacity})`
        : ''
    } · hollow red: misses it</text>`,
  );
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
