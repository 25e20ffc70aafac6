import type { Server, Transport } from '@modelcontextprotocol/server';
import type { Logger } from '../../logger.js';

export type SessionKind = 'streamable_http' | 'sse';

/**
 * How a Streamable HTTP session lets go of its MCP server and transport while idle and gets them back (see
 * streamable.ts): asleep, the session keeps only what rebuilds them.
 */
export interface Hibernation {
  readonly asleep: boolean;
  /** Drops the server and transport; only called while the session has no request in flight and no stream. */
  hibernate(): void;
}

/**
 * One MCP session: one MCP server object connected to one transport. Requests of the session reach that server
 * object, so subscriptions, log level and negotiated capabilities persist; a hibernated session (`hibernation`) has
 * neither until its next request rebuilds them in the same state.
 */
export interface Session {
  readonly id: string;
  readonly kind: SessionKind;
  /** Undefined while the session is hibernated. */
  server: Server | undefined;
  /** Undefined while the session is hibernated. */
  transport: Transport | undefined;
  /** Set on the sessions that may hibernate (Streamable HTTP, when `hibernateAfterMs` > 0). */
  readonly hibernation?: Hibernation;
  /** The credential (token hash) that created the session; later requests must present the same one. */
  readonly credentialId: string | undefined;
  readonly agent: string | undefined;
  lastActive: number;
  /**
   * Whether the client sent a request after `initialize` (notifications do not count). A session that never did
   * has the short `unusedTimeoutMs` and is the first to be evicted when the cap is reached.
   */
  used: boolean;
  /** Requests being handled right now. */
  inflight: number;
  /** Open server-to-client streams (a GET stream, or the legacy SSE stream). */
  streams: number;
  /** Ids of the JSON-RPC requests in flight (Streamable HTTP), which must be unique within the session. */
  pendingIds: Set<string | number>;
  closed: boolean;
}

export interface SessionRegistryOptions {
  maxSessions: number;
  /** Idle time after which a session that has made a call is closed. */
  idleTimeoutMs: number;
  /**
   * Idle time after which a session that never made a call is closed (abandoned right after `initialize`); never
   * longer than `idleTimeoutMs`.
   */
  unusedTimeoutMs: number;
  /** Idle time after which a session that can hibernate does (0: never). */
  hibernateAfterMs: number;
  logger: Logger;
  /** The clock (tests inject one). */
  now?: () => number;
}

/**
 * The open sessions, the cap on their number and the idle sweep. A session is idle when it has no request in flight
 * and no open stream; it is closed once idle for `idleTimeoutMs` (`unusedTimeoutMs` while it never made a call),
 * and its id then answers 404. Before that, once idle for `hibernateAfterMs`, a session that can hibernate does:
 * hibernated sessions count, expire and are evicted exactly like the others.
 *
 * Eviction: a new session at the cap does not get 503 while an idle session can make room. The one evicted is the
 * longest idle among the sessions that never made a call, or else the longest idle of all; a session with a
 * request in flight or an open stream is never evicted. So clients that open sessions and walk away cannot lock
 * everyone else out, and the agents that work keep their sessions.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private reserved = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  openedTotal = 0;
  evictedTotal = 0;

  constructor(private readonly opts: SessionRegistryOptions) {
    this.now = opts.now ?? Date.now;
    const shortest = Math.min(
      opts.idleTimeoutMs,
      opts.unusedTimeoutMs,
      opts.hibernateAfterMs > 0 ? opts.hibernateAfterMs : Infinity,
    );
    const interval = Math.max(10, Math.min(30_000, Math.floor(shortest / 4)));
    this.sweeper = setInterval(() => this.sweep(this.now()), interval);
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Sessions hibernated right now. */
  get hibernated(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.hibernation?.asleep) n++;
    return n;
  }

  count(kind: SessionKind): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.kind === kind) n++;
    return n;
  }

  /**
   * Takes a slot for a session about to be created, evicting an idle session when the cap is reached; false when
   * every session is busy (a request in flight or an open stream). Pair with `add` or `release`.
   */
  reserve(): boolean {
    if (this.sessions.size + this.reserved >= this.opts.maxSessions) {
      const victim = this.evictionCandidate();
      if (!victim) return false;
      this.evictedTotal++;
      void this.close(victim, victim.used ? 'evicted: longest idle' : 'evicted: never used');
    }
    this.reserved++;
    return true;
  }

  /** The session to evict: the longest idle of the never-used ones, else the longest idle; never a busy one. */
  private evictionCandidate(): Session | undefined {
    let best: Session | undefined;
    for (const s of this.sessions.values()) {
      if (s.closed || s.inflight > 0 || s.streams > 0) continue;
      if (!best || (best.used && !s.used) || (best.used === s.used && s.lastActive < best.lastActive)) {
        best = s;
      }
    }
    return best;
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
      // A hibernated session has no server: forgetting its record is all there is to do.
      await session.server?.close();
    } catch (err) {
      this.opts.logger.warn({ err, session: session.id }, 'closing a session failed');
    }
  }

  sweep(now: number): void {
    for (const s of this.sessions.values()) {
      const timeout = s.used
        ? this.opts.idleTimeoutMs
        : Math.min(this.opts.unusedTimeoutMs, this.opts.idleTimeoutMs);
      if (s.inflight !== 0 || s.streams !== 0) continue;
      const idle = now - s.lastActive;
      if (idle >= timeout) void this.close(s, s.used ? 'idle' : 'idle, never used');
      else if (
        this.opts.hibernateAfterMs > 0 &&
        idle >= this.opts.hibernateAfterMs &&
        s.hibernation?.asleep === false
      )
        s.hibernation.hibernate();
    }
  }

  async closeAll(reason: string): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await Promise.all(this.all().map((s) => this.close(s, reason)));
  }
}
