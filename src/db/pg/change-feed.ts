import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ChangeSet } from '../../domain/types.js';

/** The channel every front of one board LISTENs on. */
export const CHANGE_CHANNEL = 'tinytask_changes';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; a bigger change set is announced as "everything". */
const MAX_PAYLOAD = 7_800;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

interface Notice {
  /** The front that committed the change (a front ignores its own). */
  f: string;
  /** The change set, or absent when it was too big to send: then every listener re-checks everything. */
  c?: ChangeSet;
}

export interface ChangeFeedEvents {
  /** Another front committed these changes. */
  change(changes: ChangeSet): void;
  /** Another front committed changes too many to name, or notices may have been missed (the feed reconnected). */
  everything(): void;
  log(level: 'warn' | 'info', msg: string, data?: Record<string, unknown>): void;
}

/**
 * Change events across fronts that share one PostgreSQL database. After a front's writes commit, their change sets
 * (coalesced per turn of the event loop) go out with `pg_notify`; every other front hears them on its own LISTEN
 * connection and emits them as if its own writer had made them, so waits, subscriptions and the live board see
 * writes from any front. A lost connection is re-established with back-off, and then reported as `everything`
 * (whatever was committed meanwhile is re-checked).
 */
export class ChangeFeed {
  readonly front = randomUUID();
  private client: pg.Client | null = null;
  private outbox: ChangeSet[] = [];
  private flushQueued = false;
  private closed = false;
  private backoffMs = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly events: ChangeFeedEvents,
  ) {}

  async start(): Promise<void> {
    this.client = await this.connect();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'tinytask-mcp change feed',
    });
    client.on('notification', (msg) => {
      if (msg.channel !== CHANGE_CHANNEL || msg.payload === undefined) return;
      let notice: Notice;
      try {
        notice = JSON.parse(msg.payload) as Notice;
      } catch {
        return;
      }
      if (notice.f === this.front) return;
      if (notice.c) this.events.change(notice.c);
      else this.events.everything();
    });
    client.on('error', (err) => {
      this.events.log('warn', 'change feed connection failed; reconnecting', { error: err.message });
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    return client;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().then(
        (client) => {
          if (this.closed) {
            void client.end();
            return;
          }
          this.client = client;
          this.backoffMs = RECONNECT_MIN_MS;
          this.events.log('info', 'change feed reconnected');
          this.events.everything();
          this.flush();
        },
        (err: unknown) => {
          this.events.log('warn', 'change feed reconnect failed', { error: (err as Error).message });
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.reconnectTimer.unref();
  }

  /** Announces changes this front committed (sent at the end of this turn of the event loop, together). */
  publish(changes: ChangeSet): void {
    if (this.closed) return;
    this.outbox.push(changes);
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    const client = this.client;
    if (!client || this.outbox.length === 0) return;
    const payload = noticeText(this.front, mergeChanges(this.outbox));
    this.outbox = [];
    this.sending = this.sending
      .then(() => client.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, payload]))
      .then(
        () => undefined,
        (err: unknown) =>
          this.events.log('warn', 'announcing changes to the other fronts failed', {
            error: (err as Error).message,
          }),
      );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.sending;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}

function noticeText(front: string, changes: ChangeSet): string {
  const full = JSON.stringify({ f: front, c: changes } satisfies Notice);
  return Buffer.byteLength(full) < MAX_PAYLOAD ? full : JSON.stringify({ f: front } satisfies Notice);
}

/** One change set naming everything the given ones name. */
export function mergeChanges(sets: ChangeSet[]): ChangeSet {
  if (sets.length === 1) return sets[0] as ChangeSet;
  const tasks = new Set<number>();
  const agents = new Set<string>();
  const queues = new Set<string>();
  const readyAgents = new Set<string>();
  const readyQueues = new Set<string>();
  for (const s of sets) {
    for (const t of s.tasks) tasks.add(t);
    for (const a of s.agents) agents.add(a);
    for (const q of s.queues) queues.add(q);
    for (const a of s.ready?.agents ?? []) readyAgents.add(a);
    for (const q of s.ready?.queues ?? []) readyQueues.add(q);
  }
  const merged: ChangeSet = { tasks: [...tasks], agents: [...agents], queues: [...queues] };
  if (readyAgents.size > 0 || readyQueues.size > 0)
    merged.ready = { agents: [...readyAgents], queues: [...readyQueues] };
  return merged;
}
