import { accessSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StartupError } from '../startup.js';

function problem(dbPath: string, what: string): StartupError {
  return new StartupError(`cannot use the database at ${dbPath} (TINYTASK_DB_PATH): ${what}`);
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : String(e.message ?? err);
}

/** Who this process runs as, and the command that hands `dir` to it. */
function ownershipHint(dir: string): string {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return 'make it writable for the user running the server';
  return `it must be writable by uid ${uid} (gid ${gid}), the user this server runs as: run \`chown ${uid}:${gid} ${dir}\` (for a container, on the host directory mounted there), or point TINYTASK_DB_PATH elsewhere`;
}

/**
 * Creates the missing directories of `dir`, one level at a time (Node's recursive mkdir can spin forever on
 * pseudo file systems such as /proc). Throws a StartupError naming the directory that cannot be made.
 */
function ensureDirectory(dbPath: string, dir: string): void {
  const missing: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    try {
      if (!statSync(current).isDirectory()) throw problem(dbPath, `${current} exists and is not a directory`);
      break;
    } catch (err) {
      if (err instanceof StartupError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(current) === current) {
        throw problem(dbPath, `cannot look at ${current} (${reason(err)})`);
      }
      missing.push(current);
    }
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw problem(dbPath, `cannot create the directory ${d} (${reason(err)})`);
    }
  }
}

/**
 * Checks, before any thread starts, that the database can live at `dbPath`: its directory exists or can be
 * created, the directory is writable (SQLite creates `-wal` and `-shm` files beside the database), and the file
 * can be opened for reading and writing (created empty when missing; SQLite then initializes it). Every problem
 * is a StartupError whose message says what to fix.
 */
export function prepareDatabaseLocation(dbPath: string): void {
  const dir = dirname(dbPath);
  ensureDirectory(dbPath, dir);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EROFS') throw problem(dbPath, `the directory ${dir} is on a read-only file system`);
    throw problem(dbPath, `the directory ${dir} is not writable (${reason(err)}); ${ownershipHint(dir)}`);
  }
  try {
    const st = statSync(dbPath, { throwIfNoEntry: false });
    if (st && !st.isFile()) throw problem(dbPath, 'it exists and is not a regular file');
    closeSync(openSync(dbPath, constants.O_RDWR | constants.O_CREAT, 0o640));
  } catch (err) {
    if (err instanceof StartupError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'EACCES' || code === 'EPERM' ? `; ${ownershipHint(dbPath)}` : '';
    throw problem(dbPath, `the file cannot be opened for reading and writing (${reason(err)})${hint}`);
  }
}
