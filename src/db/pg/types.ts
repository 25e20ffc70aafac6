import pg from 'pg';

/**
 * Numbers come back as numbers, as from SQLite: count(*) is bigint (int8) and sum() numeric in PostgreSQL, which
 * `pg` hands out as strings. Every count and sum of the board fits a double.
 */
export function configurePgTypes(): void {
  pg.types.setTypeParser(20, (v) => Number(v));
  pg.types.setTypeParser(1700, (v) => Number(v));
}
