/**
 * A preload (`node --import bench/lib/memprobe.mjs dist/cli.js`, set up by bench/memory.ts) that makes every
 * thread of the server report its own memory: Node passes `--import` on to worker threads, so it runs in the main
 * thread, the writer thread and each reader thread. Each thread writes its V8 heap statistics (and heap spaces)
 * to `$TINYTASK_MEMPROBE_DIR/thread-<id>.json` once a second, and at once after a full GC when the main thread
 * gets SIGUSR2 (the request is passed to every thread over a BroadcastChannel). Bench-only: the product never
 * loads it.
 */
import { writeFileSync } from 'node:fs';
import { setFlagsFromString, getHeapStatistics, getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread, threadId, workerData } from 'node:worker_threads';

const dir = process.env.TINYTASK_MEMPROBE_DIR;
if (dir) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const role = () => {
    if (isMainThread) return 'main';
    // piscina starts its own entry module with its options as workerData; the writer gets the writer options.
    const wd = workerData;
    if (wd && typeof wd === 'object' && 'filename' in wd) return `reader-${threadId}`;
    return 'writer';
  };
  const write = (afterGc) => {
    const h = getHeapStatistics();
    const spaces = {};
    for (const s of getHeapSpaceStatistics())
      spaces[s.space_name] = { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size };
    const sample = { threadId, role: role(), at: Date.now(), afterGc, heap: h, spaces };
    if (isMainThread) {
      sample.process = process.memoryUsage();
      try {
        sample.process.resourceUsage = process.resourceUsage().maxRSS;
      } catch {
        // not on every platform
      }
    }
    writeFileSync(`${dir}/thread-${threadId}.json`, JSON.stringify(sample));
  };
  const channel = new BroadcastChannel('tinytask-memprobe');
  channel.unref();
  channel.onmessage = () => {
    gc();
    gc();
    write(true);
  };
  if (isMainThread) {
    process.on('SIGUSR2', () => {
      channel.postMessage('gc');
      gc();
      gc();
      write(true);
    });
  }
  setInterval(() => write(false), 1000).unref();
  setImmediate(() => write(false));
}
