/**
 * The only message types that cross thread boundaries. Everything here is structured-clone data: no classes,
 * no functions, errors as `PlainError`.
 *
 *   main thread  ──WriterRequest──▶  writer thread (the one read-write connection)
 *   main thread  ◀─WriterResponse──  writer thread
 *   main thread  ──ReadTask────────▶ piscina reader (read-only connection), answers a ReadOutcome
 */
import type { PlainError } from '../domain/errors.js';
import type {
  AddCommentInput,
  AddLinkInput,
  AddTaskToQueueInput,
  ClaimNextTaskInput,
  HeartbeatTaskInput,
  ListReadyTasksInput,
  ReleaseTaskInput,
  RequeueTaskInput,
  CommentIdInput,
  CreateSubtaskInput,
  CreateTaskInput,
  GetMyQueueInput,
  GetQueueTasksInput,
  GetSubtasksInput,
  GetTaskHistoryInput,
  GetTaskWithSubtasksInput,
  LinkIdInput,
  ListCommentsInput,
  ListLinksInput,
  ListTasksInput,
  MoveCommentInput,
  MoveSubtaskInput,
  MoveTaskInput,
  MoveTaskToQueueInput,
  QueueNameInput,
  RemoveTaskFromQueueInput,
  SearchTasksInput,
  SignupForTaskInput,
  TaskIdInput,
  UpdateCommentInput,
  UpdateLinkInput,
  UpdateTaskInput,
} from '../domain/schemas.js';
import type {
  AgentQueueSummary,
  BoardStats,
  ChangeSet,
  ClaimResult,
  ClearQueueResult,
  Comment,
  DeleteResult,
  HistoryEntry,
  Link,
  QueueStats,
  QueueSummary,
  SearchPage,
  ReadyPage,
  Task,
  TaskDetail,
  TaskPage,
  TaskTree,
} from '../domain/types.js';

// ---------------------------------------------------------------------------------------------------------
// Writes. Each command is validated on the main thread before it is sent; the writer applies the domain rules.

export interface WriteCommands {
  createTask: { args: CreateTaskInput; result: Task };
  createSubtask: { args: CreateSubtaskInput; result: Task };
  updateTask: { args: UpdateTaskInput; result: Task };
  deleteTask: { args: TaskIdInput; result: DeleteResult };
  archiveTask: { args: TaskIdInput; result: Task };
  moveSubtask: { args: MoveSubtaskInput; result: Task };
  signupForTask: { args: SignupForTaskInput; result: ClaimResult };
  /** Assigns and claims the best ready task for the agent (its own, or unassigned in queue_name), with a lease. */
  claimNextTask: { args: ClaimNextTaskInput; result: ClaimResult };
  /** Extends the holder's lease. LEASE_LOST when the lease presented is not the current one. */
  heartbeatTask: { args: HeartbeatTaskInput; result: Task };
  /** Gives a claim back at once: idle, same assignee, lease cleared. */
  releaseTask: { args: ReleaseTaskInput; result: Task };
  /** Clears dead_lettered_at (and any lease), optionally resets attempts: the task is ready again. */
  requeueTask: { args: RequeueTaskInput; result: Task };
  moveTask: { args: MoveTaskInput; result: Task };
  addTaskToQueue: { args: AddTaskToQueueInput; result: Task };
  removeTaskFromQueue: { args: RemoveTaskFromQueueInput; result: Task };
  moveTaskToQueue: { args: MoveTaskToQueueInput; result: Task };
  clearQueue: { args: QueueNameInput; result: ClearQueueResult };
  addComment: { args: AddCommentInput; result: Comment };
  updateComment: { args: UpdateCommentInput; result: Comment };
  deleteComment: { args: CommentIdInput; result: DeleteResult };
  moveComment: { args: MoveCommentInput; result: Comment };
  addLink: { args: AddLinkInput; result: Link };
  updateLink: { args: UpdateLinkInput; result: Link };
  deleteLink: { args: LinkIdInput; result: DeleteResult };
}

export type WriteCommandName = keyof WriteCommands;

/** Who runs a write, as the transport authenticated it. */
export interface Caller {
  /** The agent a per-agent bearer token is bound to. */
  agent: string;
  /** Operator tokens may change anything; other agents only what they own (src/db/commands.ts). */
  operator: boolean;
}

/**
 * What travels with a write besides its arguments. Both parts are optional: a write without a caller is not
 * checked for ownership (stdio, shared token, no auth); a write without a key is not idempotent.
 */
export interface WriteContext {
  caller?: Caller;
  /** The call's `idempotency_key`; scoped to `caller.agent` (or to unbound callers as a group). */
  idempotencyKey?: string;
}

export type WriteCommand = {
  [K in WriteCommandName]: { type: K; args: WriteCommands[K]['args']; context?: WriteContext };
}[WriteCommandName];

export type WriteResult<K extends WriteCommandName> = WriteCommands[K]['result'];

/** Coordination events a write (or the lease reaper) caused, counted into the server's metrics. */
export interface CoordinationCounts {
  /** Claims taken (claim_next_task, signup_for_task, update_task to working). */
  claims: number;
  /** Of those, claims of a task that had been claimed before (after an expiry or a release). */
  reclaims: number;
  leaseExpiries: number;
  deadLetters: number;
}

/** Options the writer thread starts with (its `workerData`). */
export interface WriterOptions {
  dbPath: string;
  /** PostgreSQL instead of the SQLite file (the main thread migrated it before the thread starts). */
  databaseUrl?: string;
  /** The schema version the main thread migrated PostgreSQL to (SQLite's writer migrates by itself). */
  schemaVersion?: number;
  enableHistory: boolean;
  batchMax: number;
  /** Log SQL at trace level (forwarded to the main thread as `log` messages). */
  traceSql: boolean;
  /** Tests only: accept the `crash` and `clock` requests. */
  allowFaultInjection?: boolean;
  /** How long an idempotency key is remembered (TINYTASK_IDEMPOTENCY_TTL). */
  idempotencyTtlSeconds: number;
  /** Default lease length of a claim (TINYTASK_LEASE_SECONDS); 0 switches leases (and the reaper) off. */
  leaseSeconds: number;
  /** Lease expiries after which a task is dead-lettered (TINYTASK_MAX_ATTEMPTS). */
  maxAttempts: number;
}

export type WriterRequest =
  | { kind: 'write'; id: number; command: WriteCommand }
  /** Answers `pong` after a trivial write transaction: proves the thread and a writable database. */
  | { kind: 'ping'; id: number }
  | { kind: 'checkpoint'; id: number; mode: 'PASSIVE' | 'TRUNCATE' }
  /** Finish queued work, checkpoint (TRUNCATE), close the connection, answer, then exit. */
  | { kind: 'shutdown'; id: number }
  /** Fault injection (tests): exit the thread while a batch is open, after the writes queued before it ran. */
  | { kind: 'crash'; id: number }
  /**
   * Watch the file for commits by other processes (`PRAGMA data_version`) every `intervalMs`, answering each with
   * `external`; 0 stops watching. Sent while `wait_for_task` waiters exist, so an idle board never polls.
   */
  | { kind: 'watch'; intervalMs: number }
  /**
   * Fault injection (tests): moves the writer's clock (used for every timestamp, lease and the reaper) to `setMs`
   * (epoch ms) and/or by `advanceMs`, then runs the reaper at once. Answers the clock's new time (epoch ms).
   */
  | { kind: 'clock'; id: number; setMs?: number; advanceMs?: number }
  /**
   * Several requests in one message, handled in order. The main thread sends everything issued in the same
   * turn of its event loop this way, so those writes reach the same batch and postMessage is paid once.
   */
  | { kind: 'bundle'; requests: WriterRequest[] };

export interface BatchStats {
  size: number;
  durationMs: number;
}

export type WriterResponse =
  | { kind: 'ready'; schemaVersion: number }
  /** `replayed`: the answer was stored under the write's idempotency key; nothing was written this time. */
  | {
      kind: 'ok';
      id: number;
      value: unknown;
      changes?: ChangeSet;
      counts?: Partial<CoordinationCounts>;
      replayed?: true;
    }
  /** A write the writer made by itself (the lease reaper): what it changed, for listeners and metrics. */
  | { kind: 'event'; changes: ChangeSet; counts: Partial<CoordinationCounts> }
  | { kind: 'error'; id: number; error: PlainError }
  /** Sent after every committed batch, for metrics. */
  | { kind: 'batch'; stats: BatchStats }
  | {
      kind: 'log';
      level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
      msg: string;
      data?: Record<string, unknown>;
    }
  /** Another process committed to the database file since the last check (while watching). */
  | { kind: 'external' }
  /** The thread could not start (e.g. the database is newer than the code); it exits after this. */
  | { kind: 'fatal'; error: PlainError }
  /**
   * Several responses in one message, handled in order. After each batch the writer sends its `batch` stats
   * followed by every write's answer this way: one postMessage per batch, and `batch` is seen before callers resume.
   */
  | { kind: 'bundle'; responses: WriterResponse[] };

// ---------------------------------------------------------------------------------------------------------
// Reads, served by the piscina pool.

export interface ReadQueries {
  getTask: { args: TaskIdInput; result: TaskDetail };
  listTasks: { args: ListTasksInput & { queue_name?: string }; result: TaskPage };
  getSubtasks: { args: GetSubtasksInput; result: Task[] };
  getTaskWithSubtasks: { args: GetTaskWithSubtasksInput; result: TaskTree };
  getMyQueue: { args: GetMyQueueInput; result: Task[] };
  /** Ready tasks (idle, unarchived, not dead-lettered, every blocker complete), best first, by cursor. */
  listReadyTasks: { args: ListReadyTasksInput; result: ReadyPage };
  agentQueueSummary: { args: { agent_name: string }; result: AgentQueueSummary };
  listQueues: { args: Record<string, never>; result: QueueSummary[] };
  getQueueStats: { args: QueueNameInput; result: QueueStats };
  getQueueTasks: { args: GetQueueTasksInput; result: TaskPage };
  searchTasks: { args: SearchTasksInput; result: SearchPage };
  listComments: { args: ListCommentsInput; result: Comment[] };
  getComment: { args: CommentIdInput; result: Comment };
  listLinks: { args: ListLinksInput; result: Link[] };
  getTaskHistory: { args: GetTaskHistoryInput; result: HistoryEntry[] };
  /** Distinct agent names (assignees and creators) starting with `prefix`, for completions. */
  completeAgents: { args: { prefix: string; limit: number }; result: string[] };
  /** Distinct queue names starting with `prefix`, for completions. */
  completeQueues: { args: { prefix: string; limit: number }; result: string[] };
  /** Task ids whose decimal form starts with `prefix`, newest first, for completions. */
  completeTaskIds: { args: { prefix: string; limit: number }; result: number[] };
  /** Task ids for `resources/list`, ascending, after `after_id`. */
  pageTaskIds: {
    args: { after_id: number; limit: number; archived: boolean };
    result: Array<{ id: number; title: string }>;
  };
  boardStats: { args: Record<string, never>; result: BoardStats };
  /** Proves a reader thread answers and its connection reads. */
  ping: { args: Record<string, never>; result: { ok: true; schemaVersion: number } };
}

export type ReadQueryName = keyof ReadQueries;

export type ReadQuery = {
  [K in ReadQueryName]: { op: K; args: ReadQueries[K]['args'] };
}[ReadQueryName];

export type ReadResult<K extends ReadQueryName> = ReadQueries[K]['result'];

/** Options each reader thread gets from the pool (piscina `workerData`). */
export interface ReaderOptions {
  dbPath: string;
  /** PostgreSQL instead of the SQLite file. */
  databaseUrl?: string;
  traceSql: boolean;
}

export type ReadOutcome = { ok: true; value: unknown } | { ok: false; error: PlainError };

/**
 * One piscina task: a query, or several (reads issued in the same turn of the main thread's event loop travel
 * together, one round trip for all of them). Answered by a `ReadOutcome` or an array of them, in order.
 */
export type ReadTask = ReadQuery | { batch: ReadQuery[] } | { warmUp: WarmUp };

/**
 * Start-up barrier of the read pool: each thread opens its connection, answers a ping, counts itself in
 * `arrived[0]` and then waits (at most `timeoutMs`) until all `threads` have, so that no thread can take two of the
 * pool's `threads` warm-up tasks and every thread is proven to answer. Answered with the thread's id.
 */
export interface WarmUp {
  arrived: Int32Array;
  threads: number;
  timeoutMs: number;
}
