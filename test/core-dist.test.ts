import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from './core-support.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

// The production build runs its worker threads from dist/*.js without tsx. `npm test` builds first.
const script = `
import { createBoard } from './dist/core/board.js';
import { configWith } from './dist/config.js';
import { silentLogger } from './dist/logger.js';
const board = await createBoard({ config: configWith({ dbPath: process.argv[1], readThreads: 2 }), logger: silentLogger() });
const parent = await board.createTask({ title: 'p', created_by: 'c' });
await board.createSubtask({ parent_task_id: parent.id, title: 'c', created_by: 'c', assigned_to: 'a' });
const claimed = await board.signupForTask({ agent_name: 'a' });
const detail = await board.getTask({ id: parent.id });
const health = await board.health();
await board.close();
console.log(JSON.stringify({ claimed: claimed.title, parent: detail.status, writer: health.writer.ok, readers: health.readers.ok }));
`;

describe('the built core (dist/)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs its writer thread and read pool from compiled JavaScript, without tsx', async () => {
    expect(existsSync(join(root, 'dist/core/board.js')), 'dist/ is missing: run `npm run build` first').toBe(
      true,
    );
    expect(existsSync(join(root, 'dist/db/migrations/001_initial.sql'))).toBe(true);
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', script, join(dir, 'board.db')],
      {
        cwd: root,
        timeout: 20_000,
      },
    );
    expect(JSON.parse(stdout.trim())).toEqual({
      claimed: 'c',
      parent: 'working',
      writer: true,
      readers: true,
    });
  });
});
