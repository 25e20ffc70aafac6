import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets a heap grow past its live size before the next full collection, in percent: 100 = to twice the
 * live size (V8's own factor goes up to four times). Under load most of the main thread's heap is garbage waiting
 * for that collection, so this takes a quarter to a third off the peak RSS (docs/performance.md, "Node flags").
 */
export const HEAP_GROWING_PERCENT = 100;

/** The V8 flags the server sets at start-up: none of them when node was started with its own value. */
export function heapFlags(execArgv: readonly string[]): string[] {
  const chosen = execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg));
  return chosen ? [] : [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`];
}

/**
 * Sets them. V8 reads the growing factor each time it sizes the heap after a collection, so setting it once the
 * process runs has the same effect as the command-line flag (measured: docs/performance.md, "Node flags"), and
 * every entry point (`npm start`, the image, the `tinytask-mcp` bin, stdio under `npx`) gets it; `NODE_OPTIONS`
 * could not carry it. Call it before the database threads start: V8 flags are process-wide.
 */
export function applyHeapFlags(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of heapFlags(execArgv)) setFlagsFromString(flag);
}
