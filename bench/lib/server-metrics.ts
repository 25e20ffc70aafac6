import { HttpConnection } from './http-client.js';

/**
 * Counters from the server's own Prometheus endpoint, read at the start and end of a measurement window: how many
 * writes the writer committed in how many group-commit batches, and how many reads the pool served.
 */

export interface ServerCounters {
  writes: number;
  batches: number;
  reads: number;
}

export interface ServerCounterWindow {
  writes: number;
  batches: number;
  reads: number;
  /** Writes per group-commit transaction over the window. */
  meanBatchSize: number;
}

function value(text: string, name: string, labels = ''): number {
  const re = new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} ([0-9.eE+-]+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : NaN;
}

export async function readServerCounters(
  mcpUrl: string,
  headers: Record<string, string>,
): Promise<ServerCounters | undefined> {
  const u = new URL(mcpUrl);
  const conn = new HttpConnection(u.hostname, Number(u.port || 80), 5_000);
  try {
    const res = await conn.request('GET', '/metrics', headers);
    if (res.status !== 200) return undefined;
    return {
      writes: value(res.body, 'tinytask_writer_writes_total', 'outcome="ok"'),
      batches: value(res.body, 'tinytask_writer_batches_total'),
      reads: value(res.body, 'tinytask_reads_total'),
    };
  } catch {
    return undefined;
  } finally {
    conn.close();
  }
}

export function counterWindow(
  from: ServerCounters | undefined,
  to: ServerCounters | undefined,
): ServerCounterWindow | undefined {
  if (!from || !to) return undefined;
  const writes = to.writes - from.writes;
  const batches = to.batches - from.batches;
  if (!Number.isFinite(writes) || !Number.isFinite(batches)) return undefined;
  return { writes, batches, reads: to.reads - from.reads, meanBatchSize: batches > 0 ? writes / batches : 0 };
}

/** Sum of every series of a metric (all label sets). */
function sum(text: string, name: string): number | undefined {
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm');
  let total: number | undefined;
  for (const m of text.matchAll(re)) total = (total ?? 0) + Number(m[1]);
  return total;
}

export interface ServerGauges {
  /** Open MCP sessions, every transport. */
  sessions: number | undefined;
  /** Tasks on the board, archived ones included. */
  tasks: number | undefined;
}

/** The server's session and task gauges from /metrics (undefined when it does not answer). */
export async function readServerGauges(
  mcpUrl: string,
  headers: Record<string, string>,
): Promise<ServerGauges | undefined> {
  const u = new URL(mcpUrl);
  const conn = new HttpConnection(u.hostname, Number(u.port || 80), 5_000);
  try {
    const res = await conn.request('GET', '/metrics', headers);
    if (res.status !== 200) return undefined;
    const live = sum(res.body, 'tinytask_tasks');
    const archived = sum(res.body, 'tinytask_tasks_archived');
    return {
      sessions: sum(res.body, 'tinytask_sessions_open'),
      tasks: live === undefined ? undefined : live + (archived ?? 0),
    };
  } catch {
    return undefined;
  } finally {
    conn.close();
  }
}
