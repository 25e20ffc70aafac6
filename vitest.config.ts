import { defineConfig } from 'vitest/config';

/**
 * The core, MCP and HTTP suites run twice: on SQLite, and on PostgreSQL when TINYTASK_TEST_DATABASE_URL names a
 * server (`.ci/run` starts one; test/pg-support.ts gives every board a database of its own). The files left out of
 * the PostgreSQL run test what only a SQLite file has: its WAL checkpoints, file backups, migrations of old files,
 * a full disk, SQLite's busy locks, and direct reads of the file.
 */
const POSTGRES_SUITES = ['test/core-*.test.ts', 'test/mcp-*.test.ts', 'test/http-*.test.ts'];
export const SQLITE_ONLY = [
  'test/core-backup.test.ts',
  'test/core-checkpoint.test.ts',
  'test/core-crash.test.ts',
  'test/core-dist.test.ts',
  'test/core-health-timeout.test.ts',
  'test/core-migrations.test.ts',
];

const shared = {
  pool: 'forks' as const,
  fileParallelism: true,
  maxWorkers: 2,
  testTimeout: 30_000,
  hookTimeout: 60_000,
};

// Tests start real worker threads, real servers on port 0 and real child processes; they run file by file in
// forked processes so a test that kills a thread or a server cannot disturb another file.
export default defineConfig({
  test: {
    ...shared,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
      ...(process.env.TINYTASK_TEST_DATABASE_URL
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                // Each board here also creates a database and starts an I/O thread per connection.
                testTimeout: 90_000,
                include: POSTGRES_SUITES,
                exclude: SQLITE_ONLY,
                env: { TINYTASK_TEST_BACKEND: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
