/**
 * The writer thread: owns the only read-write connection, applies migrations at start, runs writes through the
 * group committer, and owns checkpoints. Talks to the main thread only through the messages in ../protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errors, toPlainError } from '../../domain/errors.js';
import { optimize, type Connection } from '../connection.js';
import { openWriterDb } from '../open.js';
import type { WriterOptions, WriterRequest, WriterResponse } from '../protocol.js';
import { DataVersionWatch } from './data-version.js';
import { createWriterCore } from './core.js';
import { CheckpointPolicy } from './group-commit.js';

if (!parentPort) throw new Error('src/db/writer/thread is a worker-thread entry point');
const port = parentPort;
const options = workerData as WriterOptions;
const post = (msg: WriterResponse) => port.postMessage(msg);

async function start(): Promise<void> {
  let db: Connection | undefined;
  let schemaVersion: number;
  try {
    ({ db, schemaVersion } = await openWriterDb(
      options,
      options.traceSql
        ? (sql) => post({ kind: 'log', level: 'trace', msg: 'sql', data: { sql, thread: 'writer' } })
        : undefined,
    ));
  } catch (err) {
    post({ kind: 'fatal', error: toPlainError(err) });
    db?.close();
    port.close();
    return;
  }
  const conn = db;
  const checkpoints = new CheckpointPolicy(conn, { walPath: `${options.dbPath}-wal` });
  // Other processes' commits to the SQLite file; PostgreSQL fronts hear of each other through LISTEN/NOTIFY.
  const foreignCommits = options.databaseUrl
    ? null
    : new DataVersionWatch(
        conn,
        () => post({ kind: 'external' }),
        (err) =>
          post({
            kind: 'log',
            level: 'warn',
            msg: 'data_version check failed',
            data: { error: toPlainError(err).message },
          }),
      );
  let closed = false;

  const core = createWriterCore(conn, options, {
    event(changes, counts) {
      post({ kind: 'event', changes, counts });
    },
    replies(replies, stats) {
      const responses: WriterResponse[] = [{ kind: 'batch', stats }];
      for (const r of replies) {
        responses.push(
          r.ok
            ? {
                kind: 'ok',
                id: r.id,
                value: r.value,
                changes: r.changes,
                counts: r.counts,
                ...(r.replayed ? { replayed: true } : {}),
              }
            : { kind: 'error', id: r.id, error: r.error },
        );
      }
      post({ kind: 'bundle', responses });
      try {
        checkpoints.afterBatch(stats.size);
      } catch (err) {
        post({
          kind: 'log',
          level: 'warn',
          msg: 'passive checkpoint failed',
          data: { error: toPlainError(err).message },
        });
      }
    },
    ...(options.allowFaultInjection
      ? {
          crash(): never {
            // Leaves the batch's transaction open: nothing of it may ever become visible.
            process.exit(70);
          },
        }
      : {}),
  });
  const committer = core.committer;

  function handle(req: WriterRequest): void {
    if (closed && req.kind !== 'bundle') {
      if ('id' in req)
        post({ kind: 'error', id: req.id, error: errors.unavailable('The writer is shut down.').toPlain() });
      return;
    }
    switch (req.kind) {
      case 'bundle':
        for (const r of req.requests) handle(r);
        return;
      case 'write':
        committer.enqueue({ kind: 'write', id: req.id, command: req.command });
        return;
      case 'watch':
        foreignCommits?.set(req.intervalMs);
        return;
      case 'clock':
      case 'crash':
        if (!options.allowFaultInjection) {
          post({
            kind: 'error',
            id: req.id,
            error: errors.featureDisabled('Fault injection is not enabled.').toPlain(),
          });
        } else if (req.kind === 'clock') {
          core.moveClock(req.id, req);
        } else {
          committer.enqueue({ kind: 'crash' });
        }
        return;
      default:
        try {
          post({ kind: 'ok', id: req.id, value: control(req) });
        } catch (err) {
          post({ kind: 'error', id: req.id, error: toPlainError(err) });
        }
    }
  }

  function control(
    req: Exclude<WriterRequest, { kind: 'bundle' | 'write' | 'crash' | 'clock' | 'watch' }>,
  ): unknown {
    switch (req.kind) {
      case 'ping':
        // Proves the thread answers and the write lock can be taken (after a storage failure: that a commit lands).
        committer.verifyWritable();
        return { schemaVersion };
      case 'checkpoint':
        return checkpoints.run(req.mode);
      case 'shutdown':
        foreignCommits?.stop();
        core.stop();
        committer.drain();
        closed = true;
        optimize(conn, false);
        checkpoints.run('TRUNCATE');
        conn.close();
        setImmediate(() => port.close());
        return { closed: true };
    }
  }

  port.on('message', handle);
  post({ kind: 'ready', schemaVersion });
}

void start();
