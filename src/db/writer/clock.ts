/**
 * The writer's clock: wall time plus an offset that only tests move (through the fault-injection `clock`
 * request), so leases can expire without anyone sleeping. Every timestamp the writer stores comes from here.
 */
export class WriterClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Moves the clock to `setMs` (epoch ms) and/or by `advanceMs`; answers the new time. */
  move(change: { setMs?: number | undefined; advanceMs?: number | undefined }): number {
    if (change.setMs !== undefined) this.offsetMs = change.setMs - Date.now();
    if (change.advanceMs !== undefined) this.offsetMs += change.advanceMs;
    return this.now();
  }
}
