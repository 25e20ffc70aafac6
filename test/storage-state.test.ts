import { describe, expect, it } from 'vitest';
import { STORAGE_HEADROOM_BYTES, StorageState } from '../src/db/writer/storage-state.js';

const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });
const full = sqliteError('SQLITE_FULL', 'database or disk is full');

describe('StorageState', () => {
  it('a full disk counts as writable again only once the file system has the headroom back', () => {
    let free = 0;
    const state = new StorageState('/data/tasks.db', () => free);
    state.failed(full);
    expect(state.error).toMatch(/^the disk is full \(SQLITE_FULL/);

    // A commit that fit in WAL space the failed write left behind proves nothing while no byte is free.
    expect(state.stillFull()).toMatch(/0 bytes free/);
    state.succeeded();
    expect(state.error).toMatch(/disk is full/);

    free = STORAGE_HEADROOM_BYTES - 1;
    state.succeeded();
    expect(state.error).not.toBeNull();

    free = STORAGE_HEADROOM_BYTES;
    expect(state.stillFull()).toBeNull();
    state.succeeded();
    expect(state.error).toBeNull();
  });

  it('other storage failures clear on the next landed commit, whatever the free space', () => {
    const state = new StorageState('/data/tasks.db', () => 0);
    state.failed(sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'));
    expect(state.error).toMatch(/I\/O error/);
    expect(state.stillFull()).toBeNull();
    state.succeeded();
    expect(state.error).toBeNull();
  });

  it('trusts the commit when the free space cannot be asked', () => {
    const state = new StorageState('/data/tasks.db', () => null);
    state.failed(full);
    state.succeeded();
    expect(state.error).toBeNull();
  });
});
