/**
 * Entry of each piscina reader thread: one read-only connection, opened on the first task and kept for the
 * thread's life, with its statements prepared once. Never throws across the pool: errors come back as data.
 */
import { threadId, workerData } from 'node:worker_threads';
import { toPlainError } from '../../domain/errors.js';
import { dialectOf, openReaderDb } from '../open.js';
import type { ReaderOptions, ReadOutcome, ReadTask, WarmUp } from '../protocol.js';
import { createReadQueries, type ReadQueryRunner } from './queries.js';

const options = workerData as ReaderOptions;
let runner: ReadQueryRunner | null = null;

async function open(): Promise<ReadQueryRunner> {
  runner ??= createReadQueries(await openReaderDb(options, await trace()), dialectOf(options));
  return runner;
}

/**
 * With trace logging on, each thread logs its SQL to stderr itself (pino, like the main thread). The logger is
 * loaded only then: pino and its dependencies would otherwise cost every reader thread ~1 MB of heap.
 */
async function trace(): Promise<((sql: string) => void) | undefined> {
  if (!options.traceSql) return undefined;
  const { createLogger } = await import('../../logger.js');
  const logger = createLogger('trace').child({ thread: 'reader' });
  return (sql) => logger.trace({ sql }, 'sql');
}

async function warmUp(barrier: WarmUp): Promise<ReadOutcome> {
  let outcome: ReadOutcome;
  try {
    const ping = (await open()).run({ op: 'ping', args: {} });
    outcome = ping.ok ? { ok: true, value: threadId } : ping;
  } catch (err) {
    outcome = { ok: false, error: toPlainError(err) };
  }
  // Counted even on failure, so the other threads stop waiting and the pool reports the error at once.
  Atomics.add(barrier.arrived, 0, 1);
  Atomics.notify(barrier.arrived, 0);
  const deadline = Date.now() + barrier.timeoutMs;
  for (;;) {
    const seen = Atomics.load(barrier.arrived, 0);
    const left = deadline - Date.now();
    if (seen >= barrier.threads || left <= 0) break;
    Atomics.wait(barrier.arrived, 0, seen, left);
  }
  return outcome;
}

export default async function read(task: ReadTask): Promise<ReadOutcome | ReadOutcome[]> {
  if ('warmUp' in task) return warmUp(task.warmUp);
  let r: ReadQueryRunner;
  try {
    r = runner ?? (await open());
  } catch (err) {
    const error: ReadOutcome = { ok: false, error: toPlainError(err) };
    return 'batch' in task ? task.batch.map(() => error) : error;
  }
  return 'batch' in task ? task.batch.map((q) => r.run(q)) : r.run(task);
}
