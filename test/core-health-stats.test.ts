import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServerMetrics } from '../src/metrics.js';
import { MODES, openBoard, type TestBoard } from './core-support.js';

describe.each(MODES)('health and stats ($mode)', ({ inline }) => {
  let t: TestBoard;
  const metrics = createServerMetrics();
  beforeEach(async () => {
    // Two readers on either backend: reader threads on SQLite, pooled connections (one thread each) on PostgreSQL.
    t = await openBoard({ inline, metrics, config: { readThreads: 2, databasePoolSize: 2 } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('health pings the writer with a write transaction and a reader, with latencies', async () => {
    const health = await t.board.health();
    expect(health.writer.ok).toBe(true);
    expect(health.readers.ok).toBe(true);
    expect(health.writer.latencyMs).toBeGreaterThanOrEqual(0);
    expect(health.readers.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('stats count writes, failures, batches and reads; metrics get batch sizes', async () => {
    await Promise.all([
      t.board.createTask({ title: 'a', created_by: 'c' }),
      t.board.createTask({ title: 'b', created_by: 'c' }),
      t.board.updateTask({ id: 999, title: 'x' }).catch(() => undefined),
    ]);
    await t.board.listTasks({});
    const stats = t.board.stats();
    expect(stats).toMatchObject({
      writeQueueDepth: 0,
      writesTotal: 3,
      writesFailed: 1,
      writesOverloaded: 0,
      batchesTotal: 1,
      lastBatchSize: 3,
      writerRestarts: 0,
      readsTotal: 1,
      readThreads: inline ? 0 : 2,
      readQueueDepth: 0,
    });
    expect(stats.readPoolUtilization).toBeGreaterThanOrEqual(0);
    expect(stats.readPoolUtilization).toBeLessThanOrEqual(1);
    expect(await metrics.registry.render()).toContain('tinytask_writer_batch_size_bucket{le="4"} ');
  });
});
