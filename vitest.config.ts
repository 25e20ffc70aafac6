import { defineConfig } from 'vitest/config';

// Tests start real worker threads, real servers on port 0 and real child processes; they run file by file in
// forked processes so a test that kills a thread or a server cannot disturb another file.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
