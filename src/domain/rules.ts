import type { StatusCounts, TaskStatus } from './types.js';

/**
 * The status a parent with `auto_promote` takes from its non-archived children: all complete → complete; else
 * any working → working; else idle. A parent without children keeps its status (null).
 */
export function rolledUpStatus(children: StatusCounts): TaskStatus | null {
  const total = children.idle + children.working + children.complete;
  if (total === 0) return null;
  if (children.complete === total) return 'complete';
  if (children.working > 0) return 'working';
  return 'idle';
}

/** A task is blocked while its blocker exists and is not complete. */
export function isBlocked(blockerStatus: TaskStatus | null | undefined): boolean {
  return blockerStatus !== null && blockerStatus !== undefined && blockerStatus !== 'complete';
}

/**
 * Whether following `next` from `start` reaches `target` (or runs into a loop already present). Used for both
 * parent chains (ancestry) and blocker chains. `next` returns null at the end of a chain.
 */
export function chainReaches(start: number, target: number, next: (id: number) => number | null): boolean {
  const seen = new Set<number>();
  let current: number | null = start;
  while (current !== null) {
    if (current === target) return true;
    if (seen.has(current)) return true;
    seen.add(current);
    current = next(current);
  }
  return false;
}
