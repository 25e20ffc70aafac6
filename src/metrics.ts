import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';
import type { CoordinationCounts } from './db/protocol.js';

/*
 * prom-client's four classes, each from its own file: its index also loads the default process metrics and, through
 * them, @opentelemetry/api, ~1.1 MB of heap in every server that uses neither (docs/performance.md, session 7).
 * test/metrics-registry.test.ts renders through these classes, so a prom-client that moves them fails there.
 */
const requirePromLib = createRequire(import.meta.url);
const Registry = requirePromLib('prom-client/lib/registry') as typeof Prom.Registry;
const PromCounter = requirePromLib('prom-client/lib/counter') as typeof Prom.Counter;
const PromGauge = requirePromLib('prom-client/lib/gauge') as typeof Prom.Gauge;
const PromHistogram = requirePromLib('prom-client/lib/histogram') as typeof Prom.Histogram;
type PromCounter<T extends string> = Prom.Counter<T>;
type PromGauge<T extends string> = Prom.Gauge<T>;
/**
 * The process's metrics registry: prom-client's `Registry`, `Counter`, `Gauge` and `Histogram`, rendered in the
 * Prometheus text format (version 0.0.4). One registry is created per server process and passed down; layers
 * record into it, `/metrics` renders it. The metric names and labels are the ones the Grafana dashboard
 * (deploy/grafana/dashboards/tinytask.json) and .ci/monitoring-checks.sh query.
 */

export type Labels = Record<string, string>;

/** A value, or one value per label set, read when the registry is rendered. */
export type Collect = () => Array<[Labels, number]> | number;

export interface MetricOptions {
  /** Every label the metric may carry (prom-client refuses others). */
  labelNames?: readonly string[];
  /** Read the value(s) at render time instead of recording them. */
  collect?: Collect;
}

/** One label set's state inside a prom-client metric (its `hashMap`, stable across prom-client 11–15). */
interface Series {
  labels: Labels;
  value?: number;
  bucketValues?: Record<string, number>;
  sum?: number;
  count?: number;
}

function seriesOf(metric: object): Series[] {
  return Object.values((metric as { hashMap?: Record<string, Series> }).hashMap ?? {});
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
}

/** A monotonic counter, incremented here or read at render time from a total kept elsewhere (the writer). */
export class Counter extends PromCounter<string> {
  /** The current value of one label set (0 when it never moved). */
  value(labels: Labels = {}): number {
    return seriesOf(this).find((s) => sameLabels(s.labels, labels))?.value ?? 0;
  }
}

export class Gauge extends PromGauge<string> {}

export class Histogram extends PromHistogram<string> {
  /** The upper bounds, ascending (prom-client keeps its configuration on the metric). */
  declare readonly buckets: readonly number[];

  /** Count and sum of one series, or of all of them (for JSON summaries). */
  summary(labels?: Labels): { count: number; sum: number } {
    let count = 0;
    let sum = 0;
    for (const s of seriesOf(this)) {
      if (labels && !sameLabels(s.labels, labels)) continue;
      count += s.count ?? 0;
      sum += s.sum ?? 0;
    }
    return { count, sum };
  }

  /** Cumulative bucket counts (same order as `buckets`), count and sum over every series. */
  totals(): { counts: number[]; count: number; sum: number } {
    const counts = this.buckets.map(() => 0);
    const { count, sum } = this.summary();
    for (const s of seriesOf(this)) {
      let below = 0;
      this.buckets.forEach((b, i) => {
        below += s.bucketValues?.[String(b)] ?? 0;
        counts[i]! += below;
      });
    }
    return { counts, count, sum };
  }
}

/** Latency buckets in seconds, from 100 µs to 10 s. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** Replaces a metric's label sets with what its `collect` returned (at render time). */
function refill(metric: PromCounter<string> | PromGauge<string>, value: ReturnType<Collect>): void {
  metric.reset();
  const put = (labels: Labels, v: number) =>
    metric instanceof PromCounter ? metric.inc(labels, v) : metric.set(labels, v);
  if (typeof value === 'number') put({}, value);
  else for (const [labels, v] of value) put(labels, v);
}

export class MetricsRegistry {
  readonly prom = new Registry();

  counter(name: string, help: string, options: MetricOptions = {}): Counter {
    return this.existing(name) ?? new Counter(this.config(name, help, options));
  }

  gauge(name: string, help: string, options: MetricOptions = {}): Gauge {
    return this.existing(name) ?? new Gauge(this.config(name, help, options));
  }

  histogram(
    name: string,
    help: string,
    buckets: readonly number[] = LATENCY_BUCKETS,
    labelNames: readonly string[] = [],
  ): Histogram {
    return (
      this.existing(name) ??
      new Histogram({ name, help, buckets: [...buckets], labelNames, registers: [this.prom] })
    );
  }

  /** The whole registry in the Prometheus text exposition format. */
  render(): Promise<string> {
    return this.prom.metrics();
  }

  get contentType(): string {
    return this.prom.contentType;
  }

  private existing<T>(name: string): T | undefined {
    return this.prom.getSingleMetric(name) as T | undefined;
  }

  private config(name: string, help: string, { labelNames = [], collect }: MetricOptions) {
    return {
      name,
      help,
      labelNames,
      registers: [this.prom],
      ...(collect && {
        collect(this: PromCounter<string> | PromGauge<string>) {
          refill(this, collect());
        },
      }),
    };
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
      {
        labelNames: ['tool', 'outcome', 'code'],
      },
    ),
    toolLatency: registry.histogram(
      'tinytask_tool_call_duration_seconds',
      'MCP tool call latency by tool.',
      LATENCY_BUCKETS,
      ['tool'],
    ),
    writerBatchSize: registry.histogram(
      'tinytask_writer_batch_size',
      'Writes committed per group-commit transaction.',
      BATCH_SIZE_BUCKETS,
    ),
    httpRequests: registry.counter(
      'tinytask_http_requests_total',
      'HTTP requests by route and status code.',
      {
        labelNames: ['route', 'status'],
      },
    ),
    idempotentReplays: registry.counter(
      'tinytask_idempotent_replays_total',
      'Writes answered from their idempotency key (retries that wrote nothing), by tool.',
      { labelNames: ['tool'] },
    ),
    waiters: registry.gauge('tinytask_waiters', 'wait_for_task calls held right now.'),
    waits: registry.counter(
      'tinytask_waits_total',
      'Ended wait_for_task calls by outcome (ready, claimed, timeout, cancelled, shutdown).',
      { labelNames: ['outcome'] },
    ),
    waitDuration: registry.histogram(
      'tinytask_wait_duration_seconds',
      'How long wait_for_task calls were held, by outcome.',
      WAIT_BUCKETS,
      ['outcome'],
    ),
    waitWakeups: registry.counter(
      'tinytask_wait_wakeups_total',
      'Wake-ups of waiting wait_for_task calls by source (change: this process wrote; external: another process wrote to the file).',
      { labelNames: ['source'] },
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
