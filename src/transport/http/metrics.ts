import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Board } from '../../core/types.js';
import type { BoardStats } from '../../domain/types.js';
import type { Logger } from '../../logger.js';
import type { ServerMetrics } from '../../metrics.js';
import { type HttpContext, send, sendJson } from './adapter.js';
import type { SessionRegistry } from './sessions.js';

/**
 * `/metrics` (Prometheus text) and `/api/metrics` (JSON). The registry already holds what the other layers record
 * (tool calls, latency, writer batch sizes, HTTP requests); this module adds gauges read at scrape time: writer queue,
 * read pool, sessions, tasks by status, memory, uptime and event-loop lag.
 *
 * Task counts come from a query on the read pool that reads every task. They are reused for a second, or for
 * STATS_TTL_PER_COST times as long as the last count took when that is longer: on a large board, scrapes and open
 * board pages then spend at most ~2 % of a reader thread counting, however often they ask.
 */

const STATS_TTL_MS = 1000;
const STATS_TTL_PER_COST = 50;
/** However slow the count, the figures are never older than this. */
const STATS_TTL_MAX_MS = 30_000;
const RECOUNTED = 'recounted at most once a second; less often on a large board';

/** How long board counts that took `countMs` to read are reused. */
export function statsTtlMs(countMs: number): number {
  return Math.min(STATS_TTL_MAX_MS, Math.max(STATS_TTL_MS, countMs * STATS_TTL_PER_COST));
}
/** Event-loop delay is reported over a sliding window of this length. */
const LAG_WINDOW_MS = 10_000;

export class RuntimeMetrics {
  private stats: { at: number; ttlMs: number; value: BoardStats } | undefined;
  private statsInflight: Promise<BoardStats | undefined> | undefined;
  private readonly lag: IntervalHistogram;
  private lagSnapshot = { mean: 0, p50: 0, p99: 0, max: 0 };
  private readonly lagTimer: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  constructor(
    private readonly board: Board,
    private readonly metrics: ServerMetrics,
    private readonly sessions: SessionRegistry,
    private readonly logger: Logger,
    /** HTTP requests being handled now (long-lived streams excluded). */
    private readonly requestsInFlight: () => number,
  ) {
    this.lag = monitorEventLoopDelay({ resolution: 20 });
    this.lag.enable();
    this.lagTimer = setInterval(() => this.rollLag(), LAG_WINDOW_MS);
    this.lagTimer.unref();
    this.register();
  }

  close(): void {
    clearInterval(this.lagTimer);
    this.lag.disable();
  }

  private rollLag(): void {
    const s = 1e-9;
    this.lagSnapshot = {
      mean: Number.isNaN(this.lag.mean) ? 0 : this.lag.mean * s,
      p50: this.lag.percentile(50) * s,
      p99: this.lag.percentile(99) * s,
      max: this.lag.max * s,
    };
    this.lag.reset();
  }

  private register(): void {
    const r = this.metrics.registry;
    const st = () => this.board.stats();
    r.gauge('tinytask_writer_queue_depth', 'Writes sent to the writer thread and not yet answered.', {
      collect: () => st().writeQueueDepth,
    });
    r.gauge('tinytask_writer_queue_limit', 'Most writes that may wait for the writer thread.', {
      collect: () => st().writeQueueLimit,
    });
    r.gauge('tinytask_writer_last_batch_size', 'Writes in the last group-commit transaction.', {
      collect: () => st().lastBatchSize,
    });
    r.counter('tinytask_writer_batches_total', 'Group-commit transactions since start.', {
      collect: () => st().batchesTotal,
    });
    r.counter('tinytask_writer_writes_total', 'Writes by outcome since start.', {
      labelNames: ['outcome'],
      collect: () => {
        const s = st();
        return [
          [{ outcome: 'ok' }, s.writesTotal - s.writesFailed],
          [{ outcome: 'failed' }, s.writesFailed],
          [{ outcome: 'overloaded' }, s.writesOverloaded],
        ];
      },
    });
    r.counter('tinytask_writer_restarts_total', 'Times the writer thread was restarted after dying.', {
      collect: () => st().writerRestarts,
    });
    r.gauge('tinytask_read_threads', 'Worker threads in the read pool.', { collect: () => st().readThreads });
    r.gauge('tinytask_read_pool_utilization', 'Fraction of time the read threads were busy (0..1).', {
      collect: () => st().readPoolUtilization,
    });
    r.gauge('tinytask_read_queue_depth', 'Reads waiting for a free read thread.', {
      collect: () => st().readQueueDepth,
    });
    r.counter('tinytask_reads_total', 'Reads served since start.', { collect: () => st().readsTotal });
    r.gauge('tinytask_sessions_open', 'Open MCP sessions by transport.', {
      labelNames: ['transport'],
      collect: () => [
        [{ transport: 'streamable_http' }, this.sessions.count('streamable_http')],
        [{ transport: 'sse' }, this.sessions.count('sse')],
      ],
    });
    r.gauge(
      'tinytask_sessions_hibernated',
      'Open Streamable HTTP sessions hibernated (idle, their MCP server dropped until their next request).',
      { collect: () => this.sessions.hibernated },
    );
    r.gauge('tinytask_http_requests_in_flight', 'HTTP requests being handled (open streams excluded).', {
      collect: () => this.requestsInFlight(),
    });
    r.counter('tinytask_sessions_opened_total', 'MCP sessions opened since start.', {
      collect: () => this.sessions.openedTotal,
    });
    r.gauge('tinytask_tasks', `Unarchived tasks by status (${RECOUNTED}).`, {
      labelNames: ['status'],
      collect: () => {
        const s = this.stats?.value;
        if (!s) return [];
        return [
          [{ status: 'idle' }, s.by_status.idle],
          [{ status: 'working' }, s.by_status.working],
          [{ status: 'complete' }, s.by_status.complete],
        ];
      },
    });
    r.gauge('tinytask_tasks_archived', `Archived tasks (${RECOUNTED}).`, {
      collect: () => this.stats?.value.archived ?? 0,
    });
    r.gauge('tinytask_tasks_completed_today', `Tasks completed since midnight UTC (${RECOUNTED}).`, {
      collect: () => this.stats?.value.completed_today ?? 0,
    });
    r.gauge('tinytask_process_resident_memory_bytes', 'Resident set size of the process.', {
      collect: () => process.memoryUsage.rss(),
    });
    r.gauge('tinytask_process_heap_used_bytes', 'V8 heap in use.', {
      collect: () => process.memoryUsage().heapUsed,
    });
    r.gauge('tinytask_uptime_seconds', 'Seconds since the server started.', {
      collect: () => (Date.now() - this.startedAt) / 1000,
    });
    r.gauge(
      'tinytask_event_loop_lag_seconds',
      `Event-loop delay over the last ${LAG_WINDOW_MS / 1000} s window.`,
      {
        labelNames: ['stat'],
        collect: () => [
          [{ stat: 'mean' }, this.lagSnapshot.mean],
          [{ stat: 'p50' }, this.lagSnapshot.p50],
          [{ stat: 'p99' }, this.lagSnapshot.p99],
          [{ stat: 'max' }, this.lagSnapshot.max],
        ],
      },
    );
  }

  /** Board statistics, reused while fresh (see STATS_TTL_PER_COST); undefined when the read pool cannot answer. */
  async boardStats(): Promise<BoardStats | undefined> {
    if (this.stats && Date.now() - this.stats.at < this.stats.ttlMs) return this.stats.value;
    const started = Date.now();
    this.statsInflight ??= this.board
      .boardStats({})
      .then((value) => {
        const at = Date.now();
        const ttlMs = statsTtlMs(at - started);
        this.stats = { at, ttlMs, value };
        return value;
      })
      .catch((err: unknown) => {
        this.logger.warn({ err }, 'board statistics unavailable for metrics');
        return this.stats?.value;
      })
      .finally(() => {
        this.statsInflight = undefined;
      });
    return this.statsInflight;
  }

  async prometheus(ctx: HttpContext): Promise<void> {
    await this.boardStats();
    send(
      ctx,
      200,
      [['Content-Type', this.metrics.registry.contentType]],
      await this.metrics.registry.render(),
    );
  }

  async json(ctx: HttpContext): Promise<void> {
    const stats = await this.boardStats();
    const latency = this.metrics.toolLatency.summary();
    const mem = process.memoryUsage();
    const mb = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;
    sendJson(ctx, 200, {
      connections: {
        active: this.sessions.size,
        total_opened: this.sessions.openedTotal,
        requests_in_flight: this.requestsInFlight(),
        waiters: this.board.waiters,
      },
      tasks: {
        total: stats ? stats.tasks_total : null,
        working: stats ? stats.by_status.working : null,
        completed_today: stats ? stats.completed_today : null,
        by_status: stats ? stats.by_status : null,
        archived: stats ? stats.archived : null,
      },
      performance: {
        avg_query_time_ms: latency.count > 0 ? Math.round((latency.sum / latency.count) * 1e6) / 1e3 : 0,
        tool_calls_total: latency.count,
        writer_queue_depth: this.board.stats().writeQueueDepth,
        read_pool_utilization: this.board.stats().readPoolUtilization,
      },
      system: {
        uptime_seconds: Math.round((Date.now() - this.startedAt) / 1000),
        memory_usage_mb: mb(mem.heapUsed),
        rss_mb: mb(mem.rss),
        event_loop_lag_p99_ms: Math.round(this.lagSnapshot.p99 * 1e6) / 1e3,
      },
    });
  }
}
