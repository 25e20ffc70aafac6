/**
 * A preload (`node --import bench/lib/memprobe.mjs dist/cli.js`, set up by bench/memory.ts) that makes every
 * thread of the server report its own memory: Node passes `--import` on to worker threads, so it runs in the main
 * thread, the writer thread and each reader thread. Each thread writes its V8 heap statistics (and heap spaces)
 * to `$TINYTASK_MEMPROBE_DIR/thread-<id>.json` once a second, and to `thread-<id>-gc.json` after a full GC when
 * the bench writes a new request number to `gc-request` in that directory. Bench-only: the product never
 * loads it.
 */
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { setFlagsFromString, getHeapStatistics, getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread, MessagePort, threadId, workerData } from 'node:worker_threads';

const dir = process.env.TINYTASK_MEMPROBE_DIR;
if (dir) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const role = () => {
    if (isMainThread) return 'main';
    // The writer thread's workerData is the WriterOptions (with batchMax), a reader's the ReaderOptions.
    const wd = workerData;
    return wd && typeof wd === 'object' && 'batchMax' in wd ? 'writer' : `reader-${threadId}`;
  };
  // The OS thread id (`<pid>/task/<tid>`), so per-thread CPU from /proc can be matched to a role.
  let tid;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    // Not Linux.
  }
  const write = (afterGc) => {
    const h = getHeapStatistics();
    const spaces = {};
    for (const s of getHeapSpaceStatistics())
      spaces[s.space_name] = { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size };
    const sample = {
      threadId,
      tid,
      role: role(),
      at: Date.now(),
      afterGc: afterGc !== false,
      gcRequest: afterGc || undefined,
      heap: h,
      spaces,
    };
    if (isMainThread) {
      sample.process = process.memoryUsage();
      try {
        sample.process.resourceUsage = process.resourceUsage().maxRSS;
      } catch {
        // not on every platform
      }
    }
    writeFileSync(`${dir}/thread-${threadId}${afterGc ? '-gc' : ''}.json`, JSON.stringify(sample));
  };
  // A full GC on request: the bench writes a new number to `gc-request`; every thread notices within 250 ms.
  let lastRequest = '';
  const poll = () => {
    let request = '';
    try {
      request = readFileSync(`${dir}/gc-request`, 'utf8');
    } catch {
      // No request yet.
    }
    if (request && request !== lastRequest) {
      lastRequest = request;
      gc();
      gc();
      write(request);
    }
  };
  setInterval(poll, 250).unref();
  setInterval(() => write(false), 1000).unref();
  if (!isMainThread) {
    // piscina's readers wait for tasks in Atomics.wait, so their timers do not run while idle: they also sample
    // (at most once a second) and look for a GC request each time they post an answer. The bench sends a few
    // reads after a GC request so that every reader answers it.
    let lastWrite = 0;
    const post = MessagePort.prototype.postMessage;
    MessagePort.prototype.postMessage = function (...args) {
      const result = post.apply(this, args);
      poll();
      const now = Date.now();
      if (now - lastWrite >= 1000) {
        lastWrite = now;
        write(false);
      }
      return result;
    };
  }
  setImmediate(() => write(false));
}
