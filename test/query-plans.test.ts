import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWriterConnection, optimize, type Connection } from '../src/db/connection.js';
import { migrate } from '../src/db/migrate.js';
import { openWriterDb } from '../src/db/open.js';
import { createReadQueries } from '../src/db/readers/queries.js';
import { readySql } from '../src/db/ready.js';
import { WriterClock } from '../src/db/writer/clock.js';
import { createWriteHandlers } from '../src/db/writer/handlers.js';
import { tempDir } from './core-support.js';

/**
 * The plans SQLite picks for the board's statements on a board shaped like a long-running one: agents with
 * thousands of finished tasks and a few open ones, a queue with a deep backlog. A board never gathers statistics
 * while it grows, so the plans must be right without them, and still right after the `optimize` a restart runs.
 * A wrong plan here is a call whose cost grows with the board's history (a scan of an agent's every task on
 * each get_my_queue, a sort of a queue's whole backlog on each claim).
 */

/** Statements that read every task by design: get_board_stats (cached by its callers) and task-id completion. */
const FULL_SCANS = [/count\(\*\) AS total/, /CAST\(id AS TEXT\) LIKE/];

function seed(db: Connection): void {
  const at = '2026-01-01T00:00:00.000Z';
  db.exec(`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
    INSERT INTO tasks (title, status, assigned_to, created_by, priority, queue_name, created_at, updated_at)
    SELECT 'task ' || i,
      CASE WHEN i % 100 = 0 THEN 'idle' WHEN i % 100 = 1 THEN 'working' ELSE 'complete' END,
      CASE WHEN i % 3 = 0 THEN NULL ELSE 'agent-' || (i % 4) END,
      'planner', i % 5,
      CASE WHEN i % 3 = 0 THEN 'builds' ELSE NULL END,
      '${at}', '${at}'
    FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
    INSERT INTO tasks (title, status, created_by, priority, queue_name, created_at, updated_at)
    SELECT 'backlog ' || i, 'idle', 'planner', i % 5, 'builds', '${at}', '${at}' FROM n;
  `);
}

/** Every statement `build` prepares, captured as it prepares them. */
function prepared(db: Connection, build: (db: Connection) => unknown): string[] {
  const seen: string[] = [];
  const spy = new Proxy(db, {
    get(target, key) {
      if (key === 'prepare')
        return (sql: string) => {
          seen.push(sql);
          return target.prepare(sql);
        };
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  build(spy);
  return seen;
}

/** The plan's lines; parameters are bound to placeholders (plans here do not depend on their values). */
function planOf(db: Connection, sql: string): string[] {
  const named = [...new Set([...sql.matchAll(/@([A-Za-z_]\w*)/g)].map((m) => m[1] as string))];
  const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (
    named.length > 0
      ? stmt.all(Object.fromEntries(named.map((n) => [n, n === 'limit' ? 20 : 'x'])))
      : stmt.all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 'x'))
  ) as Array<{ detail: string }>;
  return rows.map((r) => r.detail);
}

describe.each([
  { stats: 'no statistics (a board as it grows)', analyze: false },
  { stats: 'statistics from optimize (after a restart)', analyze: true },
])('query plans on a board with a long history: $stats', ({ analyze }) => {
  let dir: string;
  let db: Connection;
  let statements: string[];
  beforeAll(() => {
    dir = tempDir();
    db = openWriterConnection(join(dir, 'board.db'));
    migrate(db);
    seed(db);
    if (analyze) optimize(db, true);
    statements = [
      ...prepared(db, (spy) => createReadQueries(spy)),
      ...prepared(db, (spy) =>
        createWriteHandlers(spy, {
          enableHistory: true,
          leaseSeconds: 0,
          maxAttempts: 3,
          clock: new WriterClock(),
        }),
      ),
    ].filter((sql) => /\btasks\b/.test(sql) && !/^\s*INSERT/i.test(sql));
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const planText = (sql: string) => planOf(db, sql).join(' | ');

  it('no statement of the reader or the writer reads every task, but the two that must', () => {
    expect(statements.length).toBeGreaterThan(20);
    const scans = statements
      .filter((sql) => !FULL_SCANS.some((re) => re.test(sql)))
      .map((sql) => ({ sql: sql.replace(/\s+/g, ' ').slice(0, 160), plan: planText(sql) }))
      // A SCAN of tasks is a full scan unless it walks a partial list index in order and stops at LIMIT.
      .filter(({ plan }) =>
        /(^|\| )SCAN (t|tasks)( USING (COVERING )?INDEX (?!idx_tasks_(list|ready)\b)\w+)?( \||$)/.test(plan),
      );
    expect(scans).toEqual([]);
  });

  it("get_my_queue searches the claim index once per open status, not the agent's every task", () => {
    const sql = statements.find((s) => /assigned_to = @agent AND status = 'working'/.test(s)) as string;
    const plan = planOf(db, sql);
    expect(plan.filter((l) => l.includes('idx_tasks_claim (assigned_to=? AND status=?)'))).toHaveLength(2);
    expect(plan.join(' ')).not.toMatch(/idx_tasks_assignee_list|TEMP B-TREE/);
  });

  it('the ready list takes rows in claim order from the ready indexes, without sorting the backlog', () => {
    for (const cursor of [false, true]) {
      expect(planText(readySql({}, cursor))).toMatch(/idx_tasks_ready\b/);
      expect(planText(readySql({}, cursor))).not.toMatch(/TEMP B-TREE/);
      expect(planText(readySql({ agent_name: 'a' }, cursor))).toMatch(
        /idx_tasks_claim \(assigned_to=\? AND status=\?/,
      );
      const both = planText(readySql({ agent_name: 'a', queue_name: 'q' }, cursor));
      expect(both).toMatch(/idx_tasks_claim \(assigned_to=\? AND status=\?/);
      expect(both).toMatch(/idx_tasks_ready_queue \(queue_name=\? AND assigned_to=\?/);
    }
  });

  it("a claim from a queue reads one row of the queue's backlog, in order", () => {
    const sql = statements.find((s) => /t\.assigned_to IS NULL AND t\.queue_name = @queue/.test(s)) as string;
    const plan = planText(sql);
    expect(plan).toMatch(/idx_tasks_ready_queue \(queue_name=\? AND assigned_to=\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  it('deleting a task walks its subtree from the task down, not every task', () => {
    const sql = statements.find((s) => /WITH RECURSIVE sub/.test(s)) as string;
    expect(planOf(db, sql).filter((l) => /^SCAN t\b/.test(l))).toEqual([]);
  });
});

describe('statistics of a new board', () => {
  it("leave the writer's connection planning FTS5's range delete of merged pages as a rowid search", async () => {
    const dir = tempDir();
    const { db } = await openWriterDb({
      dbPath: join(dir, 'board.db'),
      enableHistory: true,
      batchMax: 1000,
      traceSql: false,
      idempotencyTtlSeconds: 60,
      leaseSeconds: 0,
      maxAttempts: 3,
    });
    try {
      // FTS5 deletes the pages of merged segments with this range; planned from a "2 rows" statistic it was a scan
      // of the whole index on every merge, for as long as the process ran.
      const plan = planOf(db, 'SELECT id FROM task_search_data WHERE id >= ? AND id <= ?').join(' | ');
      expect(plan).toMatch(/SEARCH task_search_data USING INTEGER PRIMARY KEY/);
      const hasStats = db
        .prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'")
        .pluck()
        .get() as number;
      if (hasStats > 0)
        expect(
          db.prepare('SELECT count(*) FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) < 1000').pluck().get(),
        ).toBe(0);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
