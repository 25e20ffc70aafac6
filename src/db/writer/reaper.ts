import type { WriterClock } from './clock.js';

/** Longest the reaper sleeps: leases taken by another process on the same file are found within this. */
export const REAPER_MAX_SLEEP_MS = 10_000;

/**
 * When the lease reaper runs: a timer set for the earliest lease expiry (capped at REAPER_MAX_SLEEP_MS), moved
 * earlier when a batch commits a lease that runs out sooner. The timer never keeps the thread (or the process)
 * alive, and `stop()` clears it at shutdown. `run` enqueues the reap as a write, so it commits like any write
 * and its changes reach listeners the same way.
 */
export class ReaperSchedule {
  private timer: NodeJS.Timeout | null = null;
  private dueAt = Number.POSITIVE_INFINITY;
  private stopped = false;
  /** A reap is queued and has not run yet: no second one is scheduled meanwhile. */
  private queued = false;

  constructor(
    private readonly clock: WriterClock,
    private readonly nextExpiry: () => number | null,
    private readonly run: () => void,
  ) {}

  /**
   * After a batch committed (or at start): wake up earlier if a lease now runs out before the timer.
   * `earliestNewLease` is the earliest lease the batch took or extended (null: none): while the timer is armed,
   * only such a lease can need an earlier wake-up, so the batch costs no query of the lease index. Without it
   * (at start) the earliest expiry is read from the database.
   */
  afterBatch(earliestNewLease?: number | null): void {
    if (this.stopped || this.queued) return;
    if (earliestNewLease === null && this.timer !== null) return;
    const next = earliestNewLease === undefined || this.timer === null ? this.nextExpiry() : earliestNewLease;
    const now = this.clock.now();
    const target = Math.min(next ?? Number.POSITIVE_INFINITY, now + REAPER_MAX_SLEEP_MS);
    if (this.timer !== null && target >= this.dueAt) return;
    this.arm(target, now);
  }

  /** The reap ran: sleep until the next expiry (or at once when it left expired leases behind). */
  afterReap(more: boolean): void {
    this.queued = false;
    if (this.stopped) return;
    const now = this.clock.now();
    const next = this.nextExpiry();
    this.arm(more ? now : Math.min(next ?? Number.POSITIVE_INFINITY, now + REAPER_MAX_SLEEP_MS), now);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(target: number, now: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.dueAt = target;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.dueAt = Number.POSITIVE_INFINITY;
        this.queued = true;
        this.run();
      },
      Math.max(0, target - now),
    );
    this.timer.unref();
  }
}
