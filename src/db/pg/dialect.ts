/**
 * The SQL the domain code writes (SQLite's dialect, the reference) turned into PostgreSQL's. The handlers and the
 * read queries are written once; the few spots where the dialects differ in meaning are either written in the
 * common subset (upserts, CAST, TRUE) or carry a marker comment SQLite ignores:
 *
 *   `/* pg: FOR UPDATE *\/` — the text after `pg:` is emitted in its place on PostgreSQL (row locks of the writer).
 *
 * Mechanical differences handled here: `?` and `@name` parameters become `$n`; `BEGIN IMMEDIATE` is `BEGIN`;
 * `json_each(x)` is `json_array_elements_text(x::json)`; an INSERT into a table with an identity column returns
 * the new id (better-sqlite3's `lastInsertRowid`).
 */

export interface PgStatement {
  text: string;
  /** Named parameters in `$n` order; empty for positional (`?`) statements. */
  names: string[];
  /** How many `?` parameters the statement takes. */
  positional: number;
  /** An INSERT that answers its new row's id (RETURNING id was added). */
  returnsId: boolean;
}

/** Tables whose `id` is an identity column: an INSERT into them reports the new id. */
const ID_TABLES = /^\s*INSERT\s+INTO\s+(tasks|comments|links|task_history)\b/i;

export function toPostgres(sql: string): PgStatement {
  const names: string[] = [];
  let positional = 0;
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === "'") {
      // A string literal, copied as it is ('' is an escaped quote inside it).
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j += 1;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const body = sql.slice(i + 2, end < 0 ? sql.length : end).trim();
      if (body.startsWith('pg:')) out += body.slice(3).trim();
      i = end < 0 ? sql.length : end + 2;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      continue;
    }
    if (c === '?') {
      positional += 1;
      out += `$${positional}`;
      i += 1;
      continue;
    }
    if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1)) as RegExpExecArray;
      const name = m[0];
      let index = names.indexOf(name);
      if (index < 0) index = names.push(name) - 1;
      out += `$${index + 1}`;
      i += 1 + name.length;
      continue;
    }
    out += c;
    i += 1;
  }
  if (positional > 0 && names.length > 0) throw new Error('A statement mixes ? and @name parameters');
  out = out
    .replace(/^\s*BEGIN\s+IMMEDIATE\s*$/i, 'BEGIN')
    .replace(/json_each\(([^()]*)\)/g, 'json_array_elements_text(($1)::json)');
  const returnsId = ID_TABLES.test(out) && !/\bRETURNING\b/i.test(out);
  if (returnsId) out += ' RETURNING id';
  return { text: out, names, positional, returnsId };
}

/** The values of a call, in `$n` order: positional arguments, or one object of named ones (better-sqlite3's rule). */
export function bindValues(stmt: PgStatement, args: unknown[]): unknown[] {
  // A statement without named parameters may still be handed the (empty) object of named ones.
  if (stmt.names.length === 0) return args.slice(0, stmt.positional).map(toPgValue);
  const named = (args[0] ?? {}) as Record<string, unknown>;
  return stmt.names.map((n) => {
    if (!(n in named)) throw new Error(`Missing named parameter @${n}`);
    return toPgValue(named[n]);
  });
}

function toPgValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  return v;
}
