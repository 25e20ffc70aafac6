import type {
  BatchStats,
  ReadQueries,
  ReadQueryName,
  WriteCommandName,
  WriteCommands,
} from '../db/protocol.js';
import type { ErrorCode } from '../domain/errors.js';
import type { ChangeSet } from '../domain/types.js';

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
}

export interface Board extends BoardWrites, BoardReads {
  readonly historyEnabled: boolean;
  on<E extends keyof BoardEvents>(event: E, listener: BoardEvents[E]): this;
  off<E extends keyof BoardEvents>(event: E, listener: BoardEvents[E]): this;
  /** Writer ping (a real write transaction) and a reader ping; never rejects. */
  health(): Promise<BoardHealth>;
  stats(): BoardStatsSnapshot;
  /** Copies the database, consistently, while writes go on. */
  backup(path: string): Promise<void>;
  /** Drains the writer, checkpoints the WAL (TRUNCATE), closes every thread. Idempotent. */
  close(): Promise<void>;
}
