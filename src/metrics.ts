import type { CoordinationCounts } from './db/protocol.js';
/**
 * A small in-process metrics registry rendered in the Prometheus text format (version 0.0.4). One registry is
 * created per server process and passed down; layers record into it, `/metrics` renders it.
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

interface Metric {
  name: string;
  help: string;
  render(): string[];
}

type Collect = () => Array<[Labels, number]> | number;

/** A metric with one value per label set: kept here, or read from `collect` when rendered. */
abstract class ValueMetric implements Metric {
  protected readonly values = new Map<string, number>();
  protected abstract readonly type: 'counter' | 'gauge';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly collect?: Collect,
  ) {}

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    const sample = (key: string, v: number) => lines.push(`${this.name}${key ? `{${key}}` : ''} ${fmt(v)}`);
    if (this.collect) {
      const collected = this.collect();
      if (typeof collected === 'number') sample('', collected);
      else for (const [labels, v] of collected) sample(labelKey(labels), v);
      return lines;
    }
    // A counter that never moved still exists (at 0), so rate() sees its first increment.
    if (this.values.size === 0 && this.type === 'counter') sample('', 0);
    for (const [key, v] of this.values) sample(key, v);
    return lines;
  }
}

/**
 * A monotonic counter, incremented here or, with `collect`, read when rendered from a total kept elsewhere
 * (e.g. in the writer thread); either way Prometheus sees a counter, so `rate()` and resets work.
 */
export class Counter extends ValueMetric {
  protected readonly type = 'counter';

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
}

/** A gauge whose value is read when rendered (or set explicitly). */
export class Gauge extends ValueMetric {
  protected readonly type = 'gauge';

  set(value: number, labels: Labels = {}): void {
    this.values.set(labelKey(labels), value);
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= (this.buckets[i] as number)) s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  /** Count and sum of one series (for JSON summaries). */
  summary(labels?: Labels): { count: number; sum: number } {
    if (labels) {
      const s = this.series.get(labelKey(labels));
      return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
    }
    let count = 0;
    let sum = 0;
    for (const s of this.series.values()) {
      count += s.count;
      sum += s.sum;
    }
    return { count, sum };
  }

  /** Cumulative bucket counts (same order as `buckets`), count and sum over every series. */
  totals(): { counts: number[]; count: number; sum: number } {
    const counts = new Array<number>(this.buckets.length).fill(0);
    let count = 0;
    let sum = 0;
    for (const s of this.series.values()) {
      s.counts.forEach((c, i) => (counts[i]! += c));
      count += s.count;
      sum += s.sum;
    }
    return { counts, count, sum };
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      const prefix = key ? `${key},` : '';
      this.buckets.forEach((b, i) =>
        lines.push(`${this.name}_bucket{${prefix}le="${fmt(b)}"} ${s.counts[i]}`),
      );
      lines.push(`${this.name}_bucket{${prefix}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${key ? `{${key}}` : ''} ${fmt(s.sum)}`);
      lines.push(`${this.name}_count${key ? `{${key}}` : ''} ${s.count}`);
    }
    return lines;
  }
}

/** Latency buckets in seconds, from 100 µs to 10 s. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string, collect?: Collect): Counter {
    return this.register(new Counter(name, help, collect));
  }

  gauge(name: string, help: string, collect?: Collect): Gauge {
    return this.register(new Gauge(name, help, collect));
  }

  histogram(name: string, help: string, buckets: readonly number[] = LATENCY_BUCKETS): Histogram {
    return this.register(new Histogram(name, help, buckets));
  }

  get<T extends Metric>(name: string): T | undefined {
    return this.metrics.get(name) as T | undefined;
  }

  /** The whole registry in the Prometheus text exposition format. */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics.values()) out.push(...m.render());
    return `${out.join('\n')}\n`;
  }

  private register<T extends Metric>(metric: T): T {
    const existing = this.metrics.get(metric.name);
    if (existing) return existing as T;
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

/**
 * The metrics every layer records. Created once per process (`createServerMetrics`) and passed down, so tests
 * can give each server its own.
 */
export interface ServerMetrics {
  registry: MetricsRegistry;
  /** Tool calls by `tool` and `outcome` (`ok`, `error`) and, for errors, `code`. */
  toolCalls: Counter;
  /** Tool call latency in seconds by `tool`. */
  toolLatency: Histogram;
  /** Writer batch sizes. */
  writerBatchSize: Histogram;
  /** HTTP requests by `route` and `status`. */
  httpRequests: Counter;
  /** Writes answered from their idempotency key (a retry; nothing written), by `tool`. */
  idempotentReplays: Counter;
  /** `wait_for_task` calls held right now. */
  waiters: Gauge;
  /** Ended waits by `outcome`: ready, claimed, timeout, cancelled, shutdown. */
  waits: Counter;
  /** Seconds each wait was held, by `outcome`. */
  waitDuration: Histogram;
  /** Wake-ups by `source`: `change` (this process's writes) or `external` (another process wrote to the file). */
  waitWakeups: Counter;
  /** Claims, reclaims, lease expiries and dead letters, as the writer reports them. */
  coordination: Record<keyof CoordinationCounts, Counter>;
}

/** Wait durations in seconds, from 1 ms to the 60 s a wait may last. */
export const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 25, 60] as const;

export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] as const;

export function createServerMetrics(): ServerMetrics {
  const registry = new MetricsRegistry();
  return {
    registry,
    toolCalls: registry.counter(
      'tinytask_tool_calls_total',
      'MCP tool calls by tool, outcome and error code.',
    ),
    toolLatency: registry.histogram('tinytask_tool_call_duration_seconds', 'MCP tool call latency by tool.'),
    writerBatchSize: registry.histogram(
      'tinytask_writer_batch_size',
      'Writes committed per group-commit transaction.',
      BATCH_SIZE_BUCKETS,
    ),
    httpRequests: registry.counter('tinytask_http_requests_total', 'HTTP requests by route and status code.'),
    idempotentReplays: registry.counter(
      'tinytask_idempotent_replays_total',
      'Writes answered from their idempotency key (retries that wrote nothing), by tool.',
    ),
    waiters: registry.gauge('tinytask_waiters', 'wait_for_task calls held right now.'),
    waits: registry.counter(
      'tinytask_waits_total',
      'Ended wait_for_task calls by outcome (ready, claimed, timeout, cancelled, shutdown).',
    ),
    waitDuration: registry.histogram(
      'tinytask_wait_duration_seconds',
      'How long wait_for_task calls were held, by outcome.',
      WAIT_BUCKETS,
    ),
    waitWakeups: registry.counter(
      'tinytask_wait_wakeups_total',
      'Wake-ups of waiting wait_for_task calls by source (change: this process wrote; external: another process wrote to the file).',
    ),
    coordination: {
      claims: registry.counter(
        'tinytask_claims_total',
        'Claims taken (claim_next_task, signup_for_task, update_task to working), each with a lease.',
      ),
      reclaims: registry.counter(
        'tinytask_reclaims_total',
        'Claims of a task that had been claimed before (after a lease expiry, a release or a requeue).',
      ),
      leaseExpiries: registry.counter(
        'tinytask_lease_expiries_total',
        'Leases that ran out: the reaper returned the working task to idle.',
      ),
      deadLetters: registry.counter(
        'tinytask_dead_letters_total',
        'Tasks dead-lettered after TINYTASK_MAX_ATTEMPTS lease expiries.',
      ),
    },
  };
}
