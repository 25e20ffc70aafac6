import type {
  BatchStats,
  Caller,
  ReadQueries,
  ReadQueryName,
  WriteCommandName,
  WriteCommands,
} from '../db/protocol.js';
import type { ErrorCode } from '../domain/errors.js';
import type { ChangeSet, WaitResult } from '../domain/types.js';

/**
 * The task board as every front (MCP tools, resources, HTTP health/metrics, benches) sees it. Every operation
 * takes unvalidated input (`unknown`), validates it with the schemas in src/domain/schemas.ts (INVALID_ARGUMENT
 * on failure), and resolves with plain data or rejects with a `TaskBoardError` carrying a stable code.
 *
 * A read issued after a write has resolved sees that write.
 */
export type BoardWrites = {
  [K in WriteCommandName]: (input: unknown) => Promise<WriteCommands[K]['result']>;
};

export type BoardReads = {
  [K in Exclude<ReadQueryName, 'ping'>]: (input: unknown) => Promise<ReadQueries[K]['result']>;
};

export interface HealthCheck {
  ok: boolean;
  /** The stable error code of a failed check (STORAGE_UNAVAILABLE: the database cannot be written). */
  code?: ErrorCode;
  error?: string;
  latencyMs?: number;
}

export interface BoardHealth {
  writer: HealthCheck;
  readers: HealthCheck;
}

export interface BoardStatsSnapshot {
  /** Writes sent to the writer thread and not yet answered. */
  writeQueueDepth: number;
  writeQueueLimit: number;
  writesTotal: number;
  writesFailed: number;
  writesOverloaded: number;
  batchesTotal: number;
  lastBatchSize: number;
  /** Writes answered from their idempotency key (nothing written). */
  idempotentReplays: number;
  /** Sizes of recent batches (for a histogram), oldest first; the board keeps a bounded window. */
  writerRestarts: number;
  readsTotal: number;
  readThreads: number;
  /** Fraction of time the read threads were busy (piscina utilization), 0..1. */
  readPoolUtilization: number;
  readQueueDepth: number;
}

export interface BoardEvents {
  /** Emitted after every committed write that changed something. */
  change: (changes: ChangeSet) => void;
  /** Emitted after every committed batch. */
  batch: (stats: BatchStats) => void;
  /**
   * Another process committed to the database file (what changed is unknown). Only noticed while waits are held
   * (`PRAGMA data_version`, every `TINYTASK_WAIT_WATCH_MS`).
   */
  external: () => void;
}

export interface WaitOptions {
  /** Aborting it ends the wait at once with outcome `cancelled` (request cancelled, session closed). */
  signal?: AbortSignal;
}

export interface Board extends BoardWrites, BoardReads {
  readonly historyEnabled: boolean;
  /**
   * The same board whose writes run on behalf of `caller` (an agent bound by a per-agent token): the writer checks
   * them against ownership (src/db/commands.ts) and scopes their idempotency keys to that agent.
   */
  actingAs(caller: Caller): Board;
  on<E extends keyof BoardEvents>(event: E, listener: BoardEvents[E]): this;
  off<E extends keyof BoardEvents>(event: E, listener: BoardEvents[E]): this;
  /** Writer ping (a real write transaction) and a reader ping; never rejects. */
  health(): Promise<BoardHealth>;
  stats(): BoardStatsSnapshot;
  /**
   * `wait_for_task`: answers as soon as a ready task exists for the agent (or unassigned in its queue), claiming it
   * when `claim` is true, or with no task at the timeout. Woken by committed changes, never by polling. Rejects with
   * OVERLOADED past `TINYTASK_MAX_WAITERS` waits.
   */
  waitForTask(input: unknown, opts?: WaitOptions): Promise<WaitResult>;
  /** Waits held right now. */
  readonly waiters: number;
  /** Ends every wait with outcome `shutdown` and refuses new ones (the server is stopping). */
  endWaits(): void;
  /** Copies the database, consistently, while writes go on. */
  backup(path: string): Promise<void>;
  /** Drains the writer, checkpoints the WAL (TRUNCATE), closes every thread. Idempotent. */
  close(): Promise<void>;
}
