import type { Board, BoardHealth, HealthCheck } from '../../core/types.js';
import { type HttpContext, sendJson } from './adapter.js';

/**
 * `/health` (the TinyTask / container health-check shape), `/healthz` (liveness) and `/ready` (readiness).
 * `/health` and `/ready` run a real check: a write transaction on the writer thread and a query on a reader.
 * Concurrent checks share one probe so a burst of health checks costs one round trip.
 */
export class HealthChecker {
  private inflight: Promise<BoardHealth> | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly board: Board) {}

  probe(): Promise<BoardHealth> {
    this.inflight ??= this.board
      .health()
      .catch((err: unknown): BoardHealth => ({
        writer: { ok: false, error: String((err as Error)?.message ?? err) },
        readers: { ok: false, error: String((err as Error)?.message ?? err) },
      }))
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  uptimeSeconds(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }
}

/** The writer check failed because the storage refuses writes (disk full, read-only, I/O error). */
function notWritable(health: BoardHealth): boolean {
  return health.writer.code === 'STORAGE_UNAVAILABLE';
}

function checkJson(c: HealthCheck): Record<string, unknown> {
  return {
    ok: c.ok,
    ...(c.code ? { code: c.code } : {}),
    ...(c.latencyMs !== undefined ? { latency_ms: Math.round(c.latencyMs * 100) / 100 } : {}),
    ...(c.error ? { error: c.error } : {}),
  };
}

export async function handleHealth(
  ctx: HttpContext,
  checker: HealthChecker,
  headOnly: boolean,
): Promise<void> {
  const health = await checker.probe();
  const healthy = health.writer.ok && health.readers.ok;
  sendJson(
    ctx,
    healthy ? 200 : 503,
    {
      status: healthy ? 'healthy' : 'unhealthy',
      timestamp: new Date().toISOString(),
      database: healthy ? 'connected' : notWritable(health) ? 'not writable' : 'disconnected',
      writable: health.writer.ok,
      uptime: checker.uptimeSeconds(),
      checks: { writer: checkJson(health.writer), readers: checkJson(health.readers) },
    },
    [['Cache-Control', 'no-store']],
    { headOnly },
  );
}

/** Liveness: answering at all proves the event loop turns. No database work. */
export function handleLiveness(ctx: HttpContext, headOnly: boolean): void {
  sendJson(ctx, 200, { status: 'ok', timestamp: new Date().toISOString() }, [['Cache-Control', 'no-store']], {
    headOnly,
  });
}

export async function handleReady(
  ctx: HttpContext,
  checker: HealthChecker,
  shuttingDown: () => boolean,
  headOnly: boolean,
): Promise<void> {
  const headers: Array<[string, string]> = [['Cache-Control', 'no-store']];
  if (shuttingDown()) {
    sendJson(ctx, 503, { status: 'not_ready', reason: 'shutting down' }, headers, { headOnly });
    return;
  }
  const health = await checker.probe();
  const reasons: string[] = [];
  if (notWritable(health)) reasons.push(`database not writable: ${health.writer.error ?? 'no answer'}`);
  else if (!health.writer.ok) reasons.push(`writer thread: ${health.writer.error ?? 'no answer'}`);
  if (!health.readers.ok) reasons.push(`read pool: ${health.readers.error ?? 'no answer'}`);
  if (shuttingDown()) reasons.unshift('shutting down');
  if (reasons.length > 0) {
    sendJson(ctx, 503, { status: 'not_ready', reason: reasons.join('; ') }, headers, { headOnly });
    return;
  }
  sendJson(
    ctx,
    200,
    { status: 'ready', checks: { writer: checkJson(health.writer), readers: checkJson(health.readers) } },
    headers,
    { headOnly },
  );
}
