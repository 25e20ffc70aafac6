import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeStorageFailure, isDiskFull } from '../storage.js';

/**
 * Free space the database's file system must have again before a full disk counts as writable: room for a request
 * of the default body limit (TINYTASK_MAX_BODY_BYTES, 1 MiB) and the WAL frames it turns into.
 */
export const STORAGE_HEADROOM_BYTES = 1024 * 1024;

/** Bytes the file system holding `path` has free for this process, or null when it cannot be asked. */
export type FreeSpace = (path: string) => number | null;

export const freeSpaceOf: FreeSpace = (path) => {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
};

/**
 * Whether the storage takes writes, as the writer has seen it: failed from the first write or checkpoint the storage
 * refused (disk full, read-only, I/O error) until a commit lands again.
 *
 * On a full disk a commit landing is not enough: a failed transaction leaves WAL frames behind the last committed
 * one, and after a checkpoint the WAL is rewritten from its start, so small commits succeed in space the WAL file
 * already holds while the file system has no byte left and the next larger write fails again. A full disk
 * therefore counts as writable again only once the file system has `STORAGE_HEADROOM_BYTES` free.
 */
export class StorageState {
  private failure: string | null = null;
  private full = false;

  constructor(
    private readonly dbPath: string,
    private readonly freeSpace: FreeSpace = freeSpaceOf,
  ) {}

  /** Null while writes can be stored; otherwise what went wrong. */
  get error(): string | null {
    return this.failure;
  }

  failed(err: unknown): void {
    this.failure = describeStorageFailure(err);
    this.full = isDiskFull(err);
  }

  /**
   * Why a commit that just landed does not yet prove the storage writable again (a full disk without headroom), or
   * null when it may: then call `succeeded()`.
   */
  stillFull(): string | null {
    if (this.failure === null || !this.full) return null;
    const free = this.freeSpace(dirname(this.dbPath));
    if (free === null || free >= STORAGE_HEADROOM_BYTES) return null;
    return `the disk is full (${free} bytes free on the database's file system; ${STORAGE_HEADROOM_BYTES} needed)`;
  }

  /** A commit that stored something landed. Clears the failure unless the disk is still full. */
  succeeded(): void {
    if (this.stillFull() === null) this.failure = null;
  }
}
