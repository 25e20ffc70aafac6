// The asynchronous half of a synchronous PostgreSQL connection (see sync-connection.ts): a worker thread that owns
// one `pg` client and answers each request on the channel it was given, then wakes the blocked caller through the
// shared flag. One request at a time: the caller blocks until its answer, so requests never overlap.
//
// Plain JavaScript on purpose: its caller blocks (Atomics.wait) while this thread starts, so it must load without
// the TypeScript loader the development entries of the other threads register (that needs the caller's loop).
import pg from 'pg';
import { parentPort, workerData } from 'node:worker_threads';

if (!parentPort) throw new Error('src/db/pg/io-thread is a worker-thread entry point');
// Numbers come back as numbers, as from SQLite: count(*) is int8 and sum() numeric, which pg hands out as strings.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

const { url, port, flag, applicationName, statementTimeoutMs } = workerData;
let client = null;

function answer(msg) {
  port.postMessage(msg);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

async function connect() {
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

port.on('message', (req) => {
  void (async () => {
    if (req.close) {
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
      answer({ ok: true, rows: result.rows, rowCount: result.rowCount ?? 0 });
    } catch (err) {
      answer({
        ok: false,
        error: { message: err?.message ?? String(err), ...(err?.code ? { code: err.code } : {}) },
      });
    }
  })();
});

connect().then(
  (c) => {
    client = c;
    parentPort.postMessage({ ready: true });
  },
  (err) => parentPort.postMessage({ ready: false, message: err?.message ?? String(err) }),
);
