import type { ChangeSet } from '../domain/types.js';

/** What one `wait_for_task` waits for: work for `agent`, or unassigned work in `queue` when one is named. */
export interface WaitSpec {
  agent: string;
  queue: string | null;
  /** Claim the task (with a lease) instead of only reporting it. */
  claim: boolean;
  /** Lease length of the claim; undefined takes the server's default. */
  leaseSeconds?: number | undefined;
  timeoutMs: number;
}

/**
 * How a wait ended. `ready`/`claimed` carry the task; `timeout` is the normal empty answer; `cancelled` (the
 * request or its session went away) and `shutdown` (the server is stopping) end a wait early with no task.
 */
export type WaitOutcome<T> =
  | { kind: 'ready' | 'claimed'; task: T; waitedMs: number }
  | { kind: 'timeout' | 'cancelled' | 'shutdown'; task: null; waitedMs: number };

export type WaitEnd = WaitOutcome<unknown>['kind'];

/**
 * Looks once for a ready task for the wait (claiming it when `spec.claim`); null when there is none. A probe that
 * claims must be exactly-once by itself (the board's claim is one transaction in the writer thread).
 */
export type WaitProbe<T> = (spec: WaitSpec) => Promise<T | null>;

export interface WaitHooks<T> {
  /** Called with true when the first wait starts and false when the last one ends (cross-process watching). */
  watch?(on: boolean): void;
  /** A claim that finished after its wait had already ended: the task must be given back. */
  orphaned?(task: T, spec: WaitSpec): void;
  /** A probe failed while waking a wait (the wait goes on; the next change retries). */
  probeFailed?(err: unknown, spec: WaitSpec): void;
  /** Every wait's end, with how long it was held, for metrics. */
  ended?(kind: WaitEnd, waitedMs: number): void;
  /** Milliseconds clock (default `performance.now`); injectable for tests. */
  now?(): number;
}

interface Waiter<T> {
  readonly spec: WaitSpec;
  readonly startedAt: number;
  settle(outcome: WaitOutcome<T>): void;
  done: boolean;
  /** A probe for this waiter is running. */
  busy: boolean;
  /** The probe running now; a wake-up that finds the waiter busy waits for it, then probes afresh. */
  probing: Promise<Probed> | undefined;
  /** The timeout fired during a claiming probe: answer when the probe returns. */
  expired: boolean;
  timer: NodeJS.Timeout | undefined;
  detach: (() => void) | undefined;
}

type Probed = 'found' | 'none' | 'done';

/**
 * The waiters of `wait_for_task`, indexed by agent and by queue. Nothing here polls the database: a waiter is
 * probed once when it starts and again only when a committed change (`onChange`, from the writer thread's
 * answers) names its agent or its queue, or when another process wrote to the file (`onExternalChange`). An idle
 * waiter costs one timer and a few map entries.
 *
 * Wake-ups run per agent and per queue, one drain at a time for each key. Within a drain the claiming waiters
 * are probed one after the other, oldest first, and the drain stops at the first that finds nothing (the key has
 * no ready work left), so a new task in a queue watched by 1,000 claiming agents costs a few claims, not 1,000.
 * Waiters that only look are probed together (reads issued in one turn share one trip to the read pool).
 */
export class WaitRegistry<T> {
  private readonly waiters = new Set<Waiter<T>>();
  private readonly byAgent = new Map<string, Set<Waiter<T>>>();
  private readonly byQueue = new Map<string, Set<Waiter<T>>>();
  /** Keys with a drain running, with a count of the wake-ups that arrived since it started. */
  private readonly drains = new Map<string, { epoch: number }>();
  private readonly now: () => number;
  private stopped = false;

  constructor(
    private readonly probe: WaitProbe<T>,
    private readonly hooks: WaitHooks<T> = {},
  ) {
    this.now = hooks.now ?? (() => performance.now());
  }

  /** Waits held right now. */
  get size(): number {
    return this.waiters.size;
  }

  /**
   * Answers as soon as the probe finds a task, or at the timeout. The waiter is registered before the first probe,
   * so a change committed while that probe runs is never missed. Rejects only when the first probe fails.
   */
  wait(spec: WaitSpec, signal?: AbortSignal): Promise<WaitOutcome<T>> {
    const startedAt = this.now();
    if (this.stopped) return Promise.resolve({ kind: 'shutdown', task: null, waitedMs: 0 });
    if (signal?.aborted) return Promise.resolve({ kind: 'cancelled', task: null, waitedMs: 0 });
    return new Promise<WaitOutcome<T>>((resolve, reject) => {
      const w: Waiter<T> = {
        spec,
        startedAt,
        done: false,
        busy: false,
        probing: undefined,
        expired: false,
        timer: undefined,
        detach: undefined,
        settle: (outcome) => {
          if (w.done) return;
          w.done = true;
          this.remove(w);
          this.hooks.ended?.(outcome.kind, outcome.waitedMs);
          resolve(outcome);
        },
      };
      this.add(w);
      w.timer = setTimeout(() => {
        // A claim in flight may still win: its answer decides, so a claimed task is never lost to a timeout.
        if (w.busy && spec.claim) w.expired = true;
        else this.end(w, 'timeout');
      }, spec.timeoutMs);
      if (signal) {
        const onAbort = () => this.end(w, 'cancelled');
        signal.addEventListener('abort', onAbort, { once: true });
        w.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.check(w, true).catch((err: unknown) => {
        if (w.done) return;
        w.done = true;
        this.remove(w);
        this.hooks.ended?.('cancelled', this.now() - startedAt);
        reject(err);
      });
    });
  }

  /**
   * A committed change: wake the waiters of every agent and queue that may have gained a ready task
   * (`changes.ready`: the assignees of tasks that became ready, and the queues of unassigned ones). A change that
   * made nothing ready wakes nobody.
   */
  onChange(changes: ChangeSet): void {
    const ready = changes.ready;
    if (this.waiters.size === 0 || !ready) return;
    for (const agent of ready.agents) if (this.byAgent.has(agent)) this.wake('a', agent);
    for (const queue of ready.queues) if (this.byQueue.has(queue)) this.wake('q', queue);
  }

  /** Another process wrote to the database file: what changed is unknown, so every key is woken once. */
  onExternalChange(): void {
    for (const agent of this.byAgent.keys()) this.wake('a', agent);
    for (const queue of this.byQueue.keys()) this.wake('q', queue);
  }

  /** Ends every wait with `shutdown` (empty answers) and refuses new ones: the server is stopping. */
  shutdown(): void {
    this.stopped = true;
    for (const w of [...this.waiters]) this.end(w, 'shutdown');
  }

  private end(w: Waiter<T>, kind: 'timeout' | 'cancelled' | 'shutdown'): void {
    w.settle({ kind, task: null, waitedMs: this.now() - w.startedAt });
  }

  private add(w: Waiter<T>): void {
    this.waiters.add(w);
    indexAdd(this.byAgent, w.spec.agent, w);
    if (w.spec.queue !== null) indexAdd(this.byQueue, w.spec.queue, w);
    if (this.waiters.size === 1) this.hooks.watch?.(true);
  }

  private remove(w: Waiter<T>): void {
    clearTimeout(w.timer);
    w.detach?.();
    if (!this.waiters.delete(w)) return;
    indexDelete(this.byAgent, w.spec.agent, w);
    if (w.spec.queue !== null) indexDelete(this.byQueue, w.spec.queue, w);
    if (this.waiters.size === 0) this.hooks.watch?.(false);
  }

  private wake(kind: 'a' | 'q', name: string): void {
    const key = `${kind}:${name}`;
    const running = this.drains.get(key);
    if (running) {
      running.epoch += 1;
      return;
    }
    const state = { epoch: 0 };
    this.drains.set(key, state);
    const index = kind === 'a' ? this.byAgent : this.byQueue;
    void (async () => {
      try {
        // Wake-ups up to `covered` are answered: a probe that started after them has seen their commits.
        let covered = -1;
        while (covered !== state.epoch) {
          const set = index.get(name);
          if (!set) break;
          const passStart = state.epoch;
          const lookers: Waiter<T>[] = [];
          const claimers: Waiter<T>[] = [];
          for (const w of set) (w.spec.claim ? claimers : lookers).push(w);
          const [, claimsCovered] = await Promise.all([
            Promise.all(lookers.map((w) => this.check(w, false))),
            this.claimInTurn(claimers, state),
          ]);
          covered = lookers.length > 0 ? Math.min(passStart, claimsCovered) : claimsCovered;
        }
      } finally {
        this.drains.delete(key);
      }
    })();
  }

  /**
   * Oldest first; stops at the first claimer that finds nothing (nothing ready is left for this key). Answers the
   * wake-up epoch that pass covers: the one current when that last, empty probe started, since it saw every commit
   * announced before it. A claim's own change arrives while the pass goes on anyway, so it costs no extra pass.
   */
  private async claimInTurn(claimers: Waiter<T>[], state: { epoch: number }): Promise<number> {
    for (const w of claimers) {
      const startedAt = state.epoch;
      if ((await this.check(w, false)) === 'none') return startedAt;
    }
    return state.epoch;
  }

  /**
   * Probes for one waiter and answers it when a task turns up. A waiter already being probed is not probed twice at
   * once: the caller waits for that probe, then probes again (the running probe may have started before the commit
   * that woke the caller). The first probe (`initial`) rejects on failure; later ones report failures to the hook
   * and keep the waiter.
   */
  private async check(w: Waiter<T>, initial: boolean): Promise<Probed> {
    while (w.probing) await w.probing.catch(() => undefined);
    if (w.done) return 'done';
    w.busy = true;
    const probing = this.probeOnce(w, initial);
    w.probing = probing;
    try {
      return await probing;
    } finally {
      w.probing = undefined;
      w.busy = false;
    }
  }

  private async probeOnce(w: Waiter<T>, initial: boolean): Promise<Probed> {
    let task: T | null;
    try {
      task = await this.probe(w.spec);
    } catch (err) {
      if (initial) throw err;
      this.hooks.probeFailed?.(err, w.spec);
      task = null;
    }
    if (w.done) {
      if (task !== null && w.spec.claim) this.hooks.orphaned?.(task, w.spec);
      return 'done';
    }
    if (task !== null) {
      w.settle({ kind: w.spec.claim ? 'claimed' : 'ready', task, waitedMs: this.now() - w.startedAt });
      return 'found';
    }
    if (w.expired) {
      this.end(w, 'timeout');
      return 'done';
    }
    return 'none';
  }
}

function indexAdd<T>(index: Map<string, Set<T>>, key: string, value: T): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(value);
}

function indexDelete<T>(index: Map<string, Set<T>>, key: string, value: T): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}
