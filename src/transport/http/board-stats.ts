import type { Board } from '../../core/types.js';
import type { BoardStats } from '../../domain/types.js';
import type { ServerMetrics } from '../../metrics.js';

/**
 * Throughput and latency for the live board, computed from the metrics the server already keeps (tool-call
 * latency histogram, writer counters) over a sliding window of samples, plus the task counts `/metrics` reports.
 * Samples are taken when a summary is asked for (the board socket does every few seconds while a page is open),
 * so nothing runs while nobody watches.
 */

/** Rates and percentiles cover at most this much recent time. */
export const STATS_WINDOW_MS = 60_000;

interface Sample {
  at: number;
  calls: { counts: number[]; count: number; sum: number };
  writes: number;
  failedWrites: number;
}

export interface BoardStatsSummary {
  at: string;
  /** Seconds the rates and percentiles below cover (0 right after start). */
  window_seconds: number;
  tool_calls_per_second: number;
  writes_per_second: number;
  /** Tool-call latency over the window in milliseconds (bucket-interpolated); null without calls. */
  latency_ms: { p50: number | null; p95: number | null; p99: number | null; mean: number | null };
  tool_calls_total: number;
  writes_failed_total: number;
  writer_queue_depth: number;
  tasks: BoardStats | null;
}

/** The q-quantile of cumulative bucket counts, interpolated linearly inside the bucket that holds it. */
export function bucketQuantile(
  bounds: readonly number[],
  cumulative: number[],
  count: number,
  q: number,
): number | null {
  if (count <= 0) return null;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const upper = bounds[i]!;
    const c = cumulative[i]!;
    if (c >= rank) {
      const inBucket = c - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
    lower = upper;
    below = c;
  }
  // Beyond the last bound: report the last bound (the histogram cannot say more).
  return bounds[bounds.length - 1] ?? null;
}

export class BoardStatsFeed {
  private samples: Sample[] = [];

  constructor(
    private readonly board: Board,
    private readonly metrics: ServerMetrics,
    /** Task counts (the metrics module's one-second cache); undefined when the read pool cannot answer. */
    private readonly taskStats: () => Promise<BoardStats | undefined>,
    private readonly now: () => number = Date.now,
  ) {
    // The first page opened soon after start still sees rates (since start, until the window fills).
    this.samples.push(this.sample());
  }

  private sample(): Sample {
    const s = this.board.stats();
    return {
      at: this.now(),
      calls: this.metrics.toolLatency.totals(),
      writes: s.writesTotal,
      failedWrites: s.writesFailed,
    };
  }

  async summary(): Promise<BoardStatsSummary> {
    const current = this.sample();
    const last = this.samples[this.samples.length - 1];
    if (!last || current.at - last.at >= 1000) this.samples.push(current);
    while (this.samples.length > 2 && current.at - this.samples[1]!.at >= STATS_WINDOW_MS)
      this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (current.at - first.at) / 1000;
    const calls = current.calls.count - first.calls.count;
    const deltas = current.calls.counts.map((c, i) => c - (first.calls.counts[i] ?? 0));
    const bounds = this.metrics.toolLatency.buckets;
    const ms = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e3);
    const rate = (n: number) => (seconds > 0 ? Math.round((n / seconds) * 100) / 100 : 0);
    return {
      at: new Date(current.at).toISOString(),
      window_seconds: Math.round(seconds),
      tool_calls_per_second: rate(calls),
      writes_per_second: rate(current.writes - first.writes),
      latency_ms: {
        p50: ms(bucketQuantile(bounds, deltas, calls, 0.5)),
        p95: ms(bucketQuantile(bounds, deltas, calls, 0.95)),
        p99: ms(bucketQuantile(bounds, deltas, calls, 0.99)),
        mean: calls > 0 ? ms((current.calls.sum - first.calls.sum) / calls) : null,
      },
      tool_calls_total: current.calls.count,
      writes_failed_total: current.failedWrites,
      writer_queue_depth: this.board.stats().writeQueueDepth,
      tasks: (await this.taskStats()) ?? null,
    };
  }
}
