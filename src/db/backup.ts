import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errors } from '../domain/errors.js';
import { openReaderConnection } from './connection.js';

/**
 * A consistent copy of the database at `srcPath`, taken from a read-only connection of its own while the server
 * goes on writing. `VACUUM INTO` copies one snapshot inside a single read transaction: it never restarts under
 * write load (the backup API would), and the copy is compact and has no WAL. Refuses to overwrite `destPath`.
 */
export async function backupDatabase(srcPath: string, destPath: string): Promise<void> {
  const src = resolve(srcPath);
  const dest = resolve(destPath);
  if (src === dest) throw errors.invalidArgument('The backup file must differ from the database file.');
  if (!existsSync(src)) throw errors.invalidArgument(`There is no database at ${src}.`);
  if (existsSync(dest)) {
    throw errors.conflict(
      `The backup file ${dest} already exists; choose a new file name (backups never overwrite).`,
    );
  }
  mkdirSync(dirname(dest), { recursive: true });
  const db = openReaderConnection(src);
  try {
    db.pragma('query_only = OFF');
    db.prepare('VACUUM INTO ?').run(dest);
  } finally {
    db.close();
  }
}
