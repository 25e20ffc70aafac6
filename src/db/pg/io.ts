/**
 * The asynchronous half of a synchronous PostgreSQL connection (see sync-connection.ts): a worker thread that owns
 * one `pg` client and answers each request on the channel it was given, then wakes the blocked caller through the
 * shared flag. One request at a time: the caller blocks until its answer, so requests never overlap.
 */
import pg from 'pg';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { configurePgTypes } from './types.js';

export interface IoRequest {
  sql: string;
  values: unknown[];
  rowMode?: 'array';
}

export type IoResponse =
  { ok: true; rows: unknown[]; rowCount: number } | { ok: false; error: { message: string; code?: string } };

interface IoData {
  url: string;
  port: MessagePort;
  flag: Int32Array;
  applicationName: string;
  statementTimeoutMs: number;
}

if (!parentPort) throw new Error('src/db/pg/io is a worker-thread entry point');
configurePgTypes();
const { url, port, flag, applicationName, statementTimeoutMs } = workerData as IoData;

let client: pg.Client | null = null;

function answer(msg: IoResponse | { ready: true } | { ready: false; message: string }): void {
  port.postMessage(msg);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    statement_timeout: statementTimeoutMs,
  });
  // A broken connection is replaced on the next request; the caller sees the failed request's error.
  c.on('error', () => {
    if (client === c) client = null;
  });
  await c.connect();
  return c;
}

port.on('message', (req: IoRequest | { close: true }) => {
  void (async () => {
    if ('close' in req) {
      await client?.end().catch(() => undefined);
      client = null;
      answer({ ok: true, rows: [], rowCount: 0 });
      port.close();
      return;
    }
    try {
      client ??= await connect();
      const result = await client.query({
        text: req.sql,
        values: req.values,
        ...(req.rowMode ? { rowMode: req.rowMode } : {}),
      });
      answer({ ok: true, rows: result.rows as unknown[], rowCount: result.rowCount ?? 0 });
    } catch (err) {
      const e = err as { message?: string; code?: string };
      answer({
        ok: false,
        error: { message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) },
      });
    }
  })();
});

connect().then(
  (c) => {
    client = c;
    answer({ ready: true });
  },
  (err: unknown) => answer({ ready: false, message: (err as Error).message }),
);
