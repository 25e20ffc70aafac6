import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openWriterConnection } from '../connection.js';
import { migrate } from '../migrate.js';
import { migratePostgres } from './migrate.js';

/**
 * Every table of the board in an order that satisfies its foreign keys, with the column that orders it. The
 * full-text index is not copied: PostgreSQL's triggers build it from the rows.
 */
const TABLES = [
  { name: 'agents', order: 'key' },
  { name: 'tasks', order: 'id' },
  { name: 'task_blockers', order: 'task_id, blocker_id' },
  { name: 'comments', order: 'id' },
  { name: 'links', order: 'id' },
  { name: 'task_history', order: 'id' },
  { name: 'idempotency_keys', order: 'agent, key' },
] as const;

/** Columns of tasks that point at other tasks: written after every task exists (ids need not ascend along them). */
const TASK_REFERENCES = ['parent_task_id', 'blocked_by_task_id'] as const;
const IDENTITY_TABLES = ['tasks', 'comments', 'links', 'task_history'] as const;
const ROWS_PER_INSERT = 500;

export interface TableReport {
  table: string;
  source: number;
  target: number;
  sourceChecksum: string;
  targetChecksum: string;
  ok: boolean;
}

export interface CopyReport {
  tables: TableReport[];
  verified: boolean;
}

type Row = Record<string, unknown>;

/** SHA-256 over the rows in order, each as the JSON array of its values in column order. */
function checksum(columns: string[], rows: Row[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${JSON.stringify(columns.map((c) => row[c] ?? null))}\n`);
  return hash.digest('hex');
}

/**
 * Copies a SQLite board into an empty PostgreSQL database (migrated to the same schema version first), in one
 * PostgreSQL transaction, then reads both back and compares every table's row count and checksum. The source is
 * brought to the current schema first, as starting the server on it would. Refuses a target that holds tasks.
 */
export async function copySqliteToPostgres(from: string, to: string): Promise<CopyReport> {
  const upgrade = openWriterConnection(from);
  try {
    migrate(upgrade);
  } finally {
    upgrade.close();
  }
  await migratePostgres(to);
  const source = new Database(from, { readonly: true, fileMustExist: true });
  const target = new pg.Client({
    connectionString: to,
    application_name: 'tinytask-mcp migrate-to-postgres',
  });
  await target.connect();
  try {
    const existing = await target.query<{ n: string }>('SELECT count(*) AS n FROM tasks');
    if (Number(existing.rows[0]?.n ?? 0) > 0)
      throw new Error(
        'The PostgreSQL database already holds tasks; migrate-to-postgres copies into an empty board only.',
      );
    // One read transaction on the source: the copy and its checksums see one snapshot.
    source.prepare('BEGIN').run();
    const columnsOf = (table: string) =>
      source.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).pluck().all(table) as string[];
    const data = TABLES.map((t) => ({
      ...t,
      columns: columnsOf(t.name),
      rows: source.prepare(`SELECT * FROM ${t.name} ORDER BY ${t.order}`).all() as Row[],
    }));

    await target.query('BEGIN');
    try {
      for (const t of data) {
        const rows =
          t.name === 'tasks'
            ? t.rows.map((r) => ({ ...r, parent_task_id: null, blocked_by_task_id: null }))
            : t.rows;
        await insertRows(target, t.name, t.columns, rows);
      }
      const tasks = data.find((t) => t.name === 'tasks')?.rows ?? [];
      for (const row of tasks) {
        if (TASK_REFERENCES.every((c) => row[c] === null)) continue;
        await target.query('UPDATE tasks SET parent_task_id = $1, blocked_by_task_id = $2 WHERE id = $3', [
          row.parent_task_id,
          row.blocked_by_task_id,
          row.id,
        ]);
      }
      for (const table of IDENTITY_TABLES)
        await target.query(
          `SELECT setval(pg_get_serial_sequence('${table}', 'id'), coalesce((SELECT max(id) FROM ${table}), 0) + 1, false)`,
        );
      await target.query('COMMIT');
    } catch (err) {
      await target.query('ROLLBACK').catch(() => undefined);
      throw err;
    }

    const tables: TableReport[] = [];
    for (const t of data) {
      const copied = await target.query<Row>(
        `SELECT ${t.columns.join(', ')} FROM ${t.name} ORDER BY ${t.order}`,
      );
      const report = {
        table: t.name,
        source: t.rows.length,
        target: copied.rows.length,
        sourceChecksum: checksum(t.columns, t.rows),
        targetChecksum: checksum(t.columns, copied.rows),
      };
      tables.push({
        ...report,
        ok: report.source === report.target && report.sourceChecksum === report.targetChecksum,
      });
    }
    source.prepare('COMMIT').run();
    return { tables, verified: tables.every((t) => t.ok) };
  } finally {
    source.close();
    await target.end().catch(() => undefined);
  }
}

async function insertRows(client: pg.Client, table: string, columns: string[], rows: Row[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const start = values.length;
      for (const c of columns) values.push(row[c] ?? null);
      return `(${columns.map((_, j) => `$${start + j + 1}`).join(', ')})`;
    });
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
  }
}

/** The report as printed by the CLI: one line per table, then the verdict. */
export function formatCopyReport(report: CopyReport): string {
  const lines = report.tables.map(
    (t) =>
      `${t.table.padEnd(18)} rows ${String(t.source).padStart(8)} → ${String(t.target).padStart(8)}  sha256 ${t.sourceChecksum.slice(0, 16)} → ${t.targetChecksum.slice(0, 16)}  ${t.ok ? 'ok' : 'MISMATCH'}`,
  );
  lines.push(
    report.verified
      ? 'verified: every row copied (counts and checksums match)'
      : 'NOT verified: counts or checksums differ',
  );
  return `${lines.join('\n')}\n`;
}
