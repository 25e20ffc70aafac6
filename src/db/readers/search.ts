import { createHash } from 'node:crypto';
import { errors } from '../../domain/errors.js';

/**
 * What an agent types into `search_tasks` → an FTS5 query that cannot be a syntax error. Agents write words,
 * not FTS5: every word becomes a quoted term (so `AND`, `-`, `:` or a stray quote mean nothing special), all of
 * them must match; "a quoted phrase" stays a phrase; a word ending in `*` matches as a prefix.
 */
export function ftsQuery(query: string): string {
  const terms: string[] = [];
  const pattern = /"([^"]*)"|([^\s"]+)/g;
  for (const m of query.matchAll(pattern)) {
    if (m[1] !== undefined) {
      const words = tokens(m[1]);
      if (words.length > 0) terms.push(`"${words.join(' ')}"`);
      continue;
    }
    const raw = m[2] ?? '';
    const prefix = raw.endsWith('*');
    for (const [i, word] of tokens(raw).entries()) {
      const last = i === tokens(raw).length - 1;
      terms.push(`"${word}"${prefix && last ? '*' : ''}`);
    }
  }
  if (terms.length === 0) {
    throw errors.invalidArgument(
      'query has no word to search for (only punctuation); give at least one word, e.g. {"query": "login bug"}.',
    );
  }
  return terms.join(' ');
}

/**
 * The same reading of an agent's query as `ftsQuery`, as a PostgreSQL tsquery (for the `tinytask_text`
 * configuration of migration 6: `simple` with accents folded, as FTS5's remove_diacritics): every word must match,
 * "a phrase" matches its words in a row, a word ending in `*` matches as a prefix.
 */
export function tsQuery(query: string): string {
  const terms: string[] = [];
  for (const term of ftsQuery(query).split(/(?<=["*]) (?=")/)) {
    const prefix = term.endsWith('*');
    const words = term.replace(/\*$/, '').slice(1, -1).split(' ');
    const quoted = words.map((w) => `'${w}'`);
    terms.push(words.length > 1 ? `(${quoted.join(' <-> ')})` : `${quoted[0]}${prefix ? ':*' : ''}`);
  }
  return terms.join(' & ');
}

/** The words of `text` as FTS5's unicode61 tokenizer sees them: runs of letters, digits and marks. */
function tokens(text: string): string[] {
  return text.match(/[\p{L}\p{N}\p{M}_]+/gu) ?? [];
}

/** A cursor names the offset of the next page and the query it belongs to (a cursor of another query is refused). */
function queryTag(query: string): string {
  return createHash('sha256').update(query.trim()).digest('base64url').slice(0, 8);
}

export function encodeSearchCursor(offset: number, query: string): string {
  return `${offset.toString(36)}.${queryTag(query)}`;
}

export function decodeSearchCursor(cursor: string, query: string): number {
  const m = /^([0-9a-z]{1,8})\.([A-Za-z0-9_-]{8})$/.exec(cursor);
  const offset = m ? parseInt(m[1]!, 36) : NaN;
  if (!m || m[2] !== queryTag(query) || !Number.isSafeInteger(offset) || offset > 1_000_000) {
    throw errors.invalidArgument(
      'cursor is not a next_cursor of this query: pass back next_cursor exactly as the previous answer gave it, with the same query, or leave cursor out to start over.',
    );
  }
  return offset;
}
