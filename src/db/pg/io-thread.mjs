// The asynchronous half of a synchronous PostgreSQL connection (see sync-connection.ts): a worker thread that owns
// one `pg` client and answers each request on the channel it was given, then wakes the blocked caller through the
// shared counter. Requests are handled one after the other, in the order they came (an IoRequest each, typed in
// sync-connection.ts); each gets exactly one answer (an IoResponse).
//
// A request carries one or more statements. They are written to the server at once (the client runs in pipeline
// mode), so a request costs one round trip to PostgreSQL however many statements it holds; the server still runs
// them one after the other, and after the first failure inside a transaction the rest fail too (the transaction
// is aborted), so the first error is the answer.
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
/**
 * The connection broke while a transaction was open on it. A new connection must not silently run the rest of
 * that transaction's statements one by one outside it: until the caller starts a new transaction (or ends the
 * old one), every request is refused with a connection error.
 */
let lostInTransaction = false;

function answer(msg) {
  port.postMessage(msg);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}

async function connect() {
  const c = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    statement_timeout: statementTimeoutMs,
    pipeline: true,
  });
  // A broken connection is replaced on the next request; the caller sees the failed request's error.
  c.on('error', () => {
    if (client === c) drop(c);
  });
  c.on('end', () => {
    if (client === c) drop(c);
  });
  await c.connect();
  return c;
}

function drop(c) {
  if (client !== c) return;
  const status = c.getTransactionStatus();
  if (status === 'T' || status === 'E') lostInTransaction = true;
  client = null;
  c.end().catch(() => undefined);
}

const plain = (err) => ({ message: err?.message ?? String(err), ...(err?.code ? { code: err.code } : {}) });

/**
 * Names of the prepared statements this connection keeps, by SQL text. A statement the calling thread prepared (one
 * statement, run again and again) is parsed and planned by the server once per connection instead of every time;
 * pg parses it again on a new connection by itself.
 */
const names = new Map();
function nameOf(text) {
  let name = names.get(text);
  if (name === undefined) {
    name = `tinytask_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/** A schema change (another front migrated) invalidated a prepared statement's row type: see `run`. */
const STALE_PLAN = /cached plan must not change result type/i;

const STARTS_TRANSACTION = /^\s*(BEGIN|START)\b/i;
const ENDS_TRANSACTION = /^\s*(COMMIT|END|ROLLBACK)\b(?!\s+TO\b)/i;

async function run(statements) {
  if (lostInTransaction) {
    const first = statements[0]?.sql ?? '';
    if (STARTS_TRANSACTION.test(first)) lostInTransaction = false;
    else {
      // The server rolled the lost transaction back. Ending it ends the refusal: a ROLLBACK has nothing left to
      // do, a COMMIT fails (on a new connection it would "succeed" with nothing in it).
      if (ENDS_TRANSACTION.test(first)) lostInTransaction = false;
      if (/^\s*ROLLBACK\s*$/i.test(first) && statements.length === 1) return { ok: true, results: [EMPTY] };
      return {
        ok: false,
        index: 0,
        error: {
          message: 'the connection was lost during the transaction (nothing of it was committed)',
          code: '08006',
        },
      };
    }
  }
  let c = client;
  if (!c) {
    try {
      c = client = await connect();
    } catch (err) {
      return { ok: false, index: 0, error: plain(err) };
    }
  }
  // All of them are written now, in one write to the socket (pg writes each protocol message on its own, five per
  // statement: corked, the server wakes once for the request); their answers come back in order.
  const stream = c.connection?.stream;
  stream?.cork?.();
  let pending;
  try {
    pending = statements.map((s) =>
      c.query({
        text: s.sql,
        values: s.values,
        ...(s.prepared ? { name: nameOf(s.sql) } : {}),
        ...(s.rowMode ? { rowMode: s.rowMode } : {}),
      }),
    );
  } finally {
    stream?.uncork?.();
  }
  const settled = await Promise.allSettled(pending);
  const results = [];
  for (const [index, s] of settled.entries()) {
    if (s.status === 'rejected') {
      // A client that lost its connection during a query stays unusable (it emits no error event then).
      if (client === c && c._queryable === false) drop(c);
      if (s.reason?.code === '0A000' && STALE_PLAN.test(s.reason.message ?? '')) {
        // The connection's prepared statements predate a schema change. A new connection prepares them afresh; the
        // transaction this happened in is lost with the old one, and the caller retries it.
        drop(c);
        return {
          ok: false,
          index,
          error: {
            message: `prepared statements outdated by a schema change (${s.reason.message})`,
            code: '08003',
          },
        };
      }
      return { ok: false, index, error: plain(s.reason) };
    }
    results.push({ rows: s.value.rows, rowCount: s.value.rowCount ?? 0 });
  }
  return { ok: true, results };
}

const EMPTY = { rows: [], rowCount: 0 };

async function handle(req) {
  if (req.kind === 'close') {
    await client?.end().catch(() => undefined);
    client = null;
    answer({ ok: true, results: [] });
    port.close();
    return;
  }
  let res;
  try {
    res = await run(req.statements);
  } catch (err) {
    res = { ok: false, index: 0, error: plain(err) };
  }
  answer(res);
}

let chain = Promise.resolve();
port.on('message', (req) => {
  chain = chain.then(() => handle(req));
});

connect().then(
  (c) => {
    client = c;
    parentPort.postMessage({ ready: true });
  },
  (err) => parentPort.postMessage({ ready: false, message: err?.message ?? String(err) }),
);
