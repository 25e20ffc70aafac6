import type { Connection } from '../connection.js';

/**
 * Notices commits made by other processes on the same database file. `PRAGMA data_version` on a connection
 * changes whenever another connection committed since the last time it was read, and never for the
 * connection's own commits, so on the writer's connection it moves only for foreign writes. Checked on a timer
 * that runs only while someone watches (`set(intervalMs)`; 0 stops it): a board whose waiters are all gone
 * costs nothing.
 */
export class DataVersionWatch {
  private readonly stmt;
  private timer: NodeJS.Timeout | null = null;
  private last = 0;

  constructor(
    db: Connection,
    private readonly onForeignCommit: () => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.stmt = db.prepare('PRAGMA data_version').pluck();
  }

  /**
   * Starts (or re-times) the watch, or stops it with 0. Starting reports one foreign commit at once: a commit that
   * landed after the watcher's first look for work but before this baseline was read would otherwise go unseen.
   */
  set(intervalMs: number): void {
    const wasOn = this.timer !== null;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    if (intervalMs <= 0) return;
    try {
      this.last = this.read();
    } catch (err) {
      this.onError(err);
      return;
    }
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
    if (!wasOn) this.onForeignCommit();
  }

  stop(): void {
    this.set(0);
  }

  private tick(): void {
    let version: number;
    try {
      version = this.read();
    } catch (err) {
      this.onError(err);
      return;
    }
    if (version === this.last) return;
    this.last = version;
    this.onForeignCommit();
  }

  private read(): number {
    return Number(this.stmt.get());
  }
}
