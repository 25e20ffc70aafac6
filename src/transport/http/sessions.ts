import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../../logger.js';

export type SessionKind = 'streamable_http' | 'sse';

/**
 * One MCP session: one MCP server object connected to one transport, for as long as the session lives. Requests of
 * the session reach the same server object, so subscriptions, log level and negotiated capabilities persist.
 */
export interface Session {
  readonly id: string;
  readonly kind: SessionKind;
  readonly server: Server;
  readonly transport: Transport;
  /** The credential (token hash) that created the session; later requests must present the same one. */
  readonly credentialId: string | undefined;
  readonly agent: string | undefined;
  lastActive: number;
  /** Requests being handled right now. */
  inflight: number;
  /** Open server-to-client streams (a GET stream, or the legacy SSE stream). */
  streams: number;
  /** Ids of the JSON-RPC requests in flight (Streamable HTTP), which must be unique within the session. */
  pendingIds: Set<string | number>;
  closed: boolean;
}

/**
 * The open sessions, the cap on their number and the idle sweep. A session is idle when it has no request in flight
 * and no open stream, and nothing happened for `idleTimeoutMs`; it is then closed, and its id answers 404.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private reserved = 0;
  private sweeper: NodeJS.Timeout | undefined;
  openedTotal = 0;

  constructor(private readonly opts: { maxSessions: number; idleTimeoutMs: number; logger: Logger }) {
    const interval = Math.max(10, Math.min(30_000, Math.floor(opts.idleTimeoutMs / 4)));
    this.sweeper = setInterval(() => this.sweep(Date.now()), interval);
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  count(kind: SessionKind): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.kind === kind) n++;
    return n;
  }

  /** Takes a slot for a session about to be created; false when the cap is reached. Pair with `add` or `release`. */
  reserve(): boolean {
    if (this.sessions.size + this.reserved >= this.opts.maxSessions) return false;
    this.reserved++;
    return true;
  }

  release(): void {
    if (this.reserved > 0) this.reserved--;
  }

  /** Registers a session created under a reservation. */
  add(session: Session): void {
    this.release();
    this.sessions.set(session.id, session);
    this.openedTotal++;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Forgets a session (its transport closed). Idempotent. */
  remove(id: string): void {
    this.sessions.delete(id);
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** Closes the session: the MCP server closes its transport, which ends any open stream. Idempotent. */
  async close(session: Session, reason: string): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session.id);
    this.opts.logger.debug({ session: session.id, kind: session.kind, reason }, 'session closed');
    try {
      await session.server.close();
    } catch (err) {
      this.opts.logger.warn({ err, session: session.id }, 'closing a session failed');
    }
  }

  sweep(now: number): void {
    for (const s of this.sessions.values()) {
      if (s.inflight === 0 && s.streams === 0 && now - s.lastActive >= this.opts.idleTimeoutMs) {
        void this.close(s, 'idle');
      }
    }
  }

  async closeAll(reason: string): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await Promise.all(this.all().map((s) => this.close(s, reason)));
  }
}
