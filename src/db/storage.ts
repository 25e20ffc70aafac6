import { errors, type TaskBoardError } from '../domain/errors.js';

/**
 * SQLite result codes (better-sqlite3's `SqliteError.code`) that mean the storage refuses writes rather than the
 * write being wrong: the disk is full, the file system is read-only, or the device fails. Such a write fails with
 * STORAGE_UNAVAILABLE and the writer reports the database as not writable until a write succeeds again.
 */
const STORAGE_CODES = [
  /^SQLITE_FULL$/,
  /^SQLITE_IOERR/,
  /^SQLITE_READONLY/,
  /^SQLITE_CANTOPEN/,
  /^SQLITE_PERM$/,
];

const WHAT: Array<[RegExp, string]> = [
  [/^SQLITE_FULL$/, 'the disk is full'],
  [/^SQLITE_READONLY/, 'the database file or its file system is read-only'],
  [/^SQLITE_IOERR/, 'the storage reported an I/O error'],
  [/^SQLITE_CANTOPEN|^SQLITE_PERM$/, 'the database files cannot be opened for writing'],
];

/** The SQLite code of a thrown value, when it is an SQLite error. */
function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

export function isStorageFailure(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && STORAGE_CODES.some((re) => re.test(code));
}

/** What happened, in words an operator can act on: "the disk is full (SQLITE_FULL: database or disk is full)". */
export function describeStorageFailure(err: unknown): string {
  const code = sqliteCode(err) ?? 'SQLITE_IOERR';
  const what = WHAT.find(([re]) => re.test(code))?.[1] ?? 'the storage failed';
  return `${what} (${code}: ${(err as Error).message})`;
}

/** Whether a thrown value says the disk (or volume) is full, as opposed to read-only or failing. */
export function isDiskFull(err: unknown): boolean {
  return sqliteCode(err) === 'SQLITE_FULL';
}

/** The error every write of a batch that hit a storage failure gets. */
export function storageUnavailable(err: unknown): TaskBoardError {
  return storageUnavailableBecause(describeStorageFailure(err));
}

/** STORAGE_UNAVAILABLE for a failure already described (see `describeStorageFailure`). */
export function storageUnavailableBecause(description: string): TaskBoardError {
  return errors.storageUnavailable(
    `The database cannot be written: ${description}. This write was not applied; nothing of it was stored. Retry after the operator has fixed the storage (reads keep working meanwhile).`,
  );
}
