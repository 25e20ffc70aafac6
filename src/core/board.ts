import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Config } from '../config.js';
import { backupDatabase } from '../db/backup.js';
import { toolNameOf, WRITE_COMMAND_NAMES } from '../db/commands.js';
import type {
  BatchStats,
  Caller,
  CoordinationCounts,
  ReadQueries,
  ReadQueryName,
  WriteCommandName,
  WriteCommands,
  WriteContext,
} from '../db/protocol.js';
import { InlineReaders, ReaderPool, type Readers } from '../db/readers/pool.js';
import { InlineWriter, WriterClient, type Writer } from '../db/writer/client.js';
import { prepareDatabaseLocation } from '../db/location.js';
import { startupStep } from '../startup.js';
import { errors, TaskBoardError, toPlainError } from '../domain/errors.js';
import {
  agentName,
  assertWellFormedText,
  describeIssues,
  LIMITS,
  parseInput,
  type Schemas,
} from '../domain/schemas.js';
import type { ChangeSet, Task, WaitResult } from '../domain/types.js';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type {
  Board,
  BoardEvents,
  BoardHealth,
  BoardStatsSnapshot,
  BoardWrites,
  HealthCheck,
  WaitOptions,
} from './types.js';
import { parseWriteInput } from './write-inputs.js';
import { WaitRegistry, type WaitSpec } from './waits.js';

export interface CreateBoardOptions {
  config: Config;
  logger: Logger;
  metrics?: ServerMetrics;
  /** Tests only: lets `crashWriter()` kill the writer thread in the middle of a batch. */
  allowFaultInjection?: boolean;
  /**
   * Run every database operation on the calling thread (no writer thread, no read pool). Same handlers, same
   * group commit; the event loop blocks while SQLite works. For comparisons and thread-less embedding.
   */
  inline?: boolean;
  /**
   * How long `health()` waits for each thread before it counts the check as failed (default 2 s): a writer stuck
   * behind another process's lock, or a wedged reader, must make health probes fail, not hang.
   */
  healthTimeoutMs?: number;
}

/** The board as created here: the `Board` contract plus the fault-injection hook the tests use. */
export interface CoreBoard extends Board {
  /** Kills the writer thread in the middle of the next batch (needs `allowFaultInjection`). */
  crashWriter(): Promise<void>;
  /** Runs a checkpoint now; answers SQLite's (busy, log, checkpointed) frame counts. */
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): Promise<{ busy: number; log: number; checkpointed: number }>;
  /**
   * Tests only (needs `allowFaultInjection`): moves the writer's clock — every timestamp, lease and the reaper
   * follow it — to `setMs` and/or by `advanceMs`, then runs the lease reaper at once. Resolves with the clock's
   * new time (epoch ms) once the reaper's changes (if any) have been emitted.
   */
  setClock(move: { setMs?: number; advanceMs?: number }): Promise<number>;
}

const completion = z.strictObject({
  prefix: z
    .string({ error: () => 'prefix must be a string' })
    .max(LIMITS.title, { error: 'prefix is too long' }),
  limit: z
    .number()
    .int()
    .min(1)
    .max(LIMITS.listLimit, { error: `limit must be an integer from 1 to ${LIMITS.listLimit}` }),
});

/** Schemas of the reads that are not TinyTask tools (completions, resource listing, stats). */
const INTERNAL_READ_SCHEMAS = {
  agentQueueSummary: z.strictObject({ agent_name: agentName('agent_name', 'Agent') }),
  completeAgents: completion,
  completeQueues: completion,
  completeTaskIds: completion,
  pageTaskIds: z.strictObject({
    after_id: z.number().int().min(0),
    limit: z.number().int().min(1).max(LIMITS.listLimit),
    archived: z.boolean(),
  }),
  boardStats: z.strictObject({}),
} satisfies Partial<Record<ReadQueryName, z.ZodType>>;

const READ_SCHEMAS = {
  getTask: 'taskId',
  listTasks: 'listTasks',
  getSubtasks: 'getSubtasks',
  getTaskWithSubtasks: 'getTaskWithSubtasks',
  getMyQueue: 'getMyQueue',
  listReadyTasks: 'listReadyTasks',
  listQueues: 'listQueues',
  getQueueStats: 'queueName',
  getQueueTasks: 'getQueueTasks',
  searchTasks: 'searchTasks',
  listComments: 'listComments',
  getComment: 'commentId',
  listLinks: 'listLinks',
  getTaskHistory: 'getTaskHistory',
} as const satisfies Partial<Record<ReadQueryName, keyof Schemas>>;

function validateInternal<K extends keyof typeof INTERNAL_READ_SCHEMAS>(name: K, input: unknown): unknown {
  assertWellFormedText(input);
  const result = INTERNAL_READ_SCHEMAS[name].safeParse(input ?? {});
  if (!result.success) throw errors.invalidArgument(describeIssues(result.error.issues));
  return result.data;
}

/**
 * Opens the task board: starts the writer (which applies migrations) and then the read pool. Rejects with a
 * TaskBoardError when the database cannot be used (e.g. written by a newer tinytask-mcp).
 */
export async function createBoard(opts: CreateBoardOptions): Promise<CoreBoard> {
  const { config, logger, metrics } = opts;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const log = logger.child({ component: 'board' });
  const counters = {
    writesTotal: 0,
    writesFailed: 0,
    batchesTotal: 0,
    lastBatchSize: 0,
    idempotentReplays: 0,
  };
  function countCoordination(counts: Partial<CoordinationCounts>): void {
    for (const key of Object.keys(counts) as Array<keyof CoordinationCounts>) {
      const n = counts[key] ?? 0;
      if (n > 0) metrics?.coordination[key].inc({}, n);
    }
  }

  const writerEvents = {
    batch(stats: BatchStats) {
      counters.batchesTotal += 1;
      counters.lastBatchSize = stats.size;
      metrics?.writerBatchSize.observe(stats.size);
      emitter.emit('batch', stats);
    },
    event(changes: ChangeSet, counts: Partial<CoordinationCounts>) {
      countCoordination(counts);
      committed(changes);
    },
    log(level: 'trace' | 'debug' | 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) {
      log[level](data ?? {}, msg);
    },
    external() {
      emitter.emit('external');
    },
  };
  // PostgreSQL: the board shares its database with other fronts; their commits arrive through the change feed.
  const databaseUrl = config.databaseUrl;
  // The PostgreSQL driver loads only for a PostgreSQL board: on SQLite it would hold ~1.8 MB of heap for nothing.
  const postgres = databaseUrl
    ? { ...(await import('../db/pg/change-feed.js')), ...(await import('../db/pg/migrate.js')) }
    : null;
  const feed =
    databaseUrl && postgres
      ? new postgres.ChangeFeed(databaseUrl, {
          change: (changes) => {
            if (hasChanges(changes)) emitter.emit('change', changes);
          },
          everything: () => emitter.emit('external'),
          log: (level, msg, data) => log[level](data ?? {}, msg),
        })
      : null;
  /** Changes this front committed: to its listeners, and to the other fronts. */
  function committed(changes: ChangeSet): void {
    if (!hasChanges(changes)) return;
    emitter.emit('change', changes);
    feed?.publish(changes);
  }
  const schemaVersionPg =
    databaseUrl && postgres
      ? await startupStep(
          'migrate the PostgreSQL database and listen for other fronts',
          config.startupTimeoutMs,
          (async () => {
            const version = await postgres.migratePostgres(databaseUrl);
            await feed?.start();
            return version;
          })(),
          async () => {
            await feed?.close();
          },
        )
      : undefined;
  const writerOptions = {
    dbPath: config.dbPath,
    ...(databaseUrl ? { databaseUrl, schemaVersion: schemaVersionPg } : {}),
    enableHistory: config.enableHistory,
    batchMax: config.writeBatchMax,
    traceSql: config.logLevel === 'trace',
    allowFaultInjection: opts.allowFaultInjection === true,
    queueLimit: config.writeQueueLimit,
    youngGenerationMb: config.threadYoungGenerationMb,
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    leaseSeconds: config.leaseSeconds,
    maxAttempts: config.maxAttempts,
  };
  // Checked on this thread first: a path that cannot hold the database fails at once with a clear message.
  if (!databaseUrl) prepareDatabaseLocation(config.dbPath);
  const writer: Writer = opts.inline
    ? new InlineWriter(writerOptions, writerEvents)
    : new WriterClient(writerOptions, writerEvents);
  const schemaVersion = await startupStep(
    'open and migrate the database (writer thread)',
    config.startupTimeoutMs,
    writer.start(),
    async () => {
      await writer.close();
      await feed?.close();
    },
  );
  let started: Readers | undefined;
  try {
    const readerOptions = {
      dbPath: config.dbPath,
      traceSql: config.logLevel === 'trace',
      ...(databaseUrl ? { databaseUrl } : {}),
    };
    started = opts.inline
      ? new InlineReaders(readerOptions)
      : new ReaderPool(
          readerOptions,
          databaseUrl ? config.databasePoolSize : config.readThreads,
          config.threadYoungGenerationMb,
        );
    // Every reader thread has opened its connection and answered before the board is handed out: the first
    // health probe or read after start-up never waits for a thread that is still loading.
    await startupStep(
      'start the reader threads',
      config.startupTimeoutMs,
      started.warmUp(config.startupTimeoutMs),
    );
  } catch (err) {
    await started?.close().catch(() => undefined);
    await writer.close();
    await feed?.close();
    throw err;
  }
  const readers: Readers = started;
  log.info(
    {
      ...(databaseUrl ? { database: 'postgres', front: feed?.front } : { dbPath: config.dbPath }),
      schemaVersion,
      readThreads: opts.inline ? 0 : databaseUrl ? config.databasePoolSize : config.readThreads,
      inline: opts.inline === true,
    },
    'task board open',
  );

  let closing: Promise<void> | null = null;

  /** One look for a ready task for a wait: claims the best one (one writer transaction) or reads it. */
  async function probeReady(spec: WaitSpec): Promise<Task | null> {
    const who = { agent_name: spec.agent, ...(spec.queue === null ? {} : { queue_name: spec.queue }) };
    if (spec.claim) {
      const claimed = await writes.claimNextTask({
        ...who,
        ...(spec.leaseSeconds === undefined ? {} : { lease_seconds: spec.leaseSeconds }),
      });
      return claimed ?? null;
    }
    const page = await reads.listReadyTasks({ ...who, limit: 1 });
    return page.tasks[0] ?? null;
  }

  const waits = new WaitRegistry<Task>(probeReady, {
    watch(on) {
      if (config.waitWatchMs > 0) writer.watchForeignCommits(on ? config.waitWatchMs : 0);
    },
    orphaned(task, spec) {
      // The waiter left while its claim was being committed: give the task back at once rather than leave it
      // to its lease (a task claimed with leases off stays with the agent, as a lost signup_for_task answer would).
      if (task.lease_id === null) {
        log.warn({ taskId: task.id, agent: spec.agent }, 'a wait ended while its claim was committed');
        return;
      }
      writes
        .releaseTask({
          task_id: task.id,
          agent_name: spec.agent,
          lease_id: task.lease_id,
          reason:
            'wait_for_task ended (cancelled or shut down) while claiming this task; given back unworked',
        })
        .catch((err: unknown) =>
          log.warn(
            { err, taskId: task.id, agent: spec.agent },
            'giving back the claim of an ended wait failed',
          ),
        );
    },
    probeFailed(err, spec) {
      log.warn(
        { err, agent: spec.agent, queue: spec.queue },
        'wait_for_task: looking for a ready task failed',
      );
    },
    ended(kind, waitedMs) {
      metrics?.waiters.set(waits.size);
      metrics?.waits.inc({ outcome: kind });
      metrics?.waitDuration.observe({ outcome: kind }, waitedMs / 1000);
    },
  });
  emitter.on('change', (changes: ChangeSet) => {
    if (waits.size === 0) return;
    metrics?.waitWakeups.inc({ source: 'change' });
    waits.onChange(changes);
  });
  emitter.on('external', () => {
    if (waits.size === 0) return;
    metrics?.waitWakeups.inc({ source: 'external' });
    waits.onExternalChange();
  });

  async function waitForTask(input: unknown, opts: WaitOptions = {}): Promise<WaitResult> {
    const args = parseInput('waitForTask', input);
    if (waits.size >= config.maxWaiters) {
      throw new TaskBoardError(
        'OVERLOADED',
        `The server already holds ${config.maxWaiters} waits (TINYTASK_MAX_WAITERS). Retry after a short back-off, or use claim_next_task.`,
      );
    }
    const pending = waits.wait(
      {
        agent: args.agent_name,
        queue: args.queue_name ?? null,
        claim: args.claim === true,
        leaseSeconds: args.lease_seconds,
        timeoutMs: (args.timeout_seconds ?? LIMITS.waitSecondsDefault) * 1000,
      },
      opts.signal,
    );
    metrics?.waiters.set(waits.size);
    const outcome = await pending;
    return {
      task: outcome.task,
      claimed: outcome.kind === 'claimed',
      outcome: outcome.kind,
      waited_ms: Math.round(outcome.waitedMs),
    };
  }

  async function write<K extends WriteCommandName>(
    type: K,
    input: unknown,
    caller: Caller | undefined,
  ): Promise<WriteCommands[K]['result']> {
    const { args, idempotencyKey } = parseWriteInput(type, input);
    const context: WriteContext = {
      ...(caller ? { caller } : {}),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    };
    counters.writesTotal += 1;
    try {
      const answer = await writer.write({
        type,
        args,
        ...(context.caller || context.idempotencyKey !== undefined ? { context } : {}),
      } as never);
      if (answer.replayed) {
        counters.idempotentReplays += 1;
        metrics?.idempotentReplays.inc({ tool: toolNameOf(type) });
      }
      countCoordination(answer.counts);
      committed(answer.changes);
      return answer.value as WriteCommands[K]['result'];
    } catch (err) {
      counters.writesFailed += 1;
      throw err instanceof TaskBoardError ? err : TaskBoardError.fromPlain(toPlainError(err));
    }
  }

  function read<K extends ReadQueryName>(op: K, args: unknown): Promise<ReadQueries[K]['result']> {
    return readers.read(op, args as ReadQueries[K]['args']);
  }

  /** The write operations, run on behalf of `caller` (undefined: not bound to an agent, no ownership checks). */
  const writesFor = (caller: Caller | undefined): BoardWrites =>
    Object.fromEntries(
      WRITE_COMMAND_NAMES.map((name) => [name, (input: unknown) => write(name, input, caller)]),
    ) as BoardWrites;
  const writes = writesFor(undefined);

  const reads = Object.fromEntries(
    (Object.keys(READ_SCHEMAS) as Array<keyof typeof READ_SCHEMAS>).map((name) => [
      name,
      async (input: unknown) => {
        if (name === 'getTaskHistory' && !config.enableHistory) {
          throw errors.featureDisabled(
            'Task history is switched off on this server (TINYTASK_ENABLE_HISTORY=false); no history is recorded.',
          );
        }
        return read(name, parseInput(READ_SCHEMAS[name], input));
      },
    ]),
  ) as { [K in keyof typeof READ_SCHEMAS]: (input: unknown) => Promise<ReadQueries[K]['result']> };

  const internalReads = Object.fromEntries(
    (Object.keys(INTERNAL_READ_SCHEMAS) as Array<keyof typeof INTERNAL_READ_SCHEMAS>).map((name) => [
      name,
      async (input: unknown) => read(name, validateInternal(name, input)),
    ]),
  ) as { [K in keyof typeof INTERNAL_READ_SCHEMAS]: (input: unknown) => Promise<ReadQueries[K]['result']> };

  const healthTimeoutMs = opts.healthTimeoutMs ?? 2_000;
  async function timed(fn: () => Promise<unknown>): Promise<HealthCheck> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(errors.unavailable(`no answer within ${healthTimeoutMs} ms`)),
        healthTimeoutMs,
      );
    });
    try {
      await Promise.race([fn(), timeout]);
      return { ok: true, latencyMs: performance.now() - started };
    } catch (err) {
      const { code, message } = toPlainError(err);
      return { ok: false, code, error: message, latencyMs: performance.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }

  const board: CoreBoard = {
    ...writes,
    ...reads,
    ...internalReads,
    historyEnabled: config.enableHistory,
    actingAs(caller: Caller): Board {
      // Reads, events and upkeep are shared; only the writes carry the caller.
      return { ...board, ...writesFor({ agent: caller.agent, operator: caller.operator }) };
    },
    waitForTask,
    get waiters() {
      return waits.size;
    },
    endWaits: () => waits.shutdown(),
    on<E extends keyof BoardEvents>(event: E, listener: BoardEvents[E]) {
      emitter.on(event, listener);
      return board;
    },
    off<E extends keyof BoardEvents>(event: E, listener: BoardEvents[E]) {
      emitter.off(event, listener);
      return board;
    },
    async health(): Promise<BoardHealth> {
      const [w, r] = await Promise.all([timed(() => writer.ping()), timed(() => readers.read('ping', {}))]);
      return { writer: w, readers: r };
    },
    stats(): BoardStatsSnapshot {
      return {
        writeQueueDepth: writer.writesInFlight,
        writeQueueLimit: config.writeQueueLimit,
        writesTotal: counters.writesTotal,
        writesFailed: counters.writesFailed,
        writesOverloaded: writer.writesOverloaded,
        batchesTotal: counters.batchesTotal,
        lastBatchSize: counters.lastBatchSize,
        idempotentReplays: counters.idempotentReplays,
        writerRestarts: writer.restarts,
        readsTotal: readers.readsTotal,
        readThreads: readers.threads,
        readPoolUtilization: readers.utilization,
        readQueueDepth: readers.queueDepth,
      };
    },
    async backup(path: string) {
      if (typeof path !== 'string' || path.trim() === '')
        throw errors.invalidArgument('path must be a non-empty file path.');
      if (databaseUrl)
        throw errors.featureDisabled(
          'This board lives in PostgreSQL: back it up with pg_dump (see docs/deployment.md), not with a file copy.',
        );
      await backupDatabase(config.dbPath, path);
    },
    crashWriter: () => writer.crash(),
    async setClock(move) {
      const answer = await writer.setClock(move);
      countCoordination(answer.counts);
      committed(answer.changes);
      return answer.value as number;
    },
    checkpoint: (mode) => writer.checkpoint(mode),
    close() {
      closing ??= (async () => {
        waits.shutdown();
        // Readers first, so no reader holds a snapshot while the writer truncates the WAL.
        await readers
          .close()
          .catch((err: unknown) => log.warn({ error: (err as Error).message }, 'closing readers failed'));
        await writer.close();
        await feed?.close();
        emitter.removeAllListeners();
        log.info('task board closed');
      })();
      return closing;
    },
  };
  return board;
}

function hasChanges(changes: ChangeSet): boolean {
  return changes.tasks.length > 0 || changes.agents.length > 0 || changes.queues.length > 0;
}
