import { errors } from '../../domain/errors.js';
import type { TaskStatus } from '../../domain/types.js';
import type { Connection } from '../connection.js';
import { OPEN_BLOCKERS_SQL } from '../ready.js';
import type { TaskRow } from '../rows.js';

/** Longest dependency chain followed when looking for a cycle; a longer one is refused as if it closed a cycle. */
const MAX_CHAIN = 10_000;

/**
 * The blocker graph (task_blockers) as the writer uses it: replacing a task's blockers with a cycle check, the
 * open blockers of a task, and the tasks a task blocks. tasks.blocked_by_task_ids / blocked_by_task_id mirror the
 * edges for readers; the caller writes those columns (through its history-recording save).
 */
export function createDependencies(db: Connection) {
  const s = {
    blockersOf: db
      .prepare<[number], number>('SELECT blocker_id FROM task_blockers WHERE task_id = ? ORDER BY blocker_id')
      .pluck(),
    exists: db.prepare<[number], number>('SELECT 1 FROM tasks WHERE id = ?').pluck(),
    clear: db.prepare<[number]>('DELETE FROM task_blockers WHERE task_id = ?'),
    insert: db.prepare<[number, number]>('INSERT INTO task_blockers (task_id, blocker_id) VALUES (?, ?)'),
    openBlockers: db.prepare<[number], { id: number; status: TaskStatus }>(OPEN_BLOCKERS_SQL),
    dependents: db.prepare<[number], TaskRow>(
      'SELECT t.* FROM task_blockers tb JOIN tasks t ON t.id = tb.task_id WHERE tb.blocker_id = ? ORDER BY t.id',
    ),
  };

  /**
   * A path of "waits for" edges from `from` to `to` (both included), or null. Depth-first over task_blockers,
   * each task visited once, so the search is linear in the part of the graph reachable from `from`.
   */
  function pathBetween(from: number, to: number): number[] | null {
    const parent = new Map<number, number | null>([[from, null]]);
    const stack = [from];
    while (stack.length > 0) {
      const current = stack.pop() as number;
      if (current === to) {
        const path: number[] = [];
        for (let at: number | null = current; at !== null; at = parent.get(at) ?? null) path.push(at);
        return path.reverse();
      }
      if (parent.size > MAX_CHAIN) return [from, to];
      for (const next of s.blockersOf.all(current)) {
        if (!parent.has(next)) {
          parent.set(next, current);
          stack.push(next);
        }
      }
    }
    return null;
  }

  return {
    /** The blocker ids of a list as stored: distinct, ascending. */
    normalize(ids: readonly number[]): number[] {
      return [...new Set(ids)].sort((a, b) => a - b);
    },

    /**
     * Checks that every blocker exists and that none of them waits (through any chain) for `taskId`; throws
     * NOT_FOUND or DEPENDENCY_CYCLE naming the cycle. `taskId` is null for a task not created yet.
     */
    check(taskId: number | null, blockers: readonly number[]): void {
      for (const b of blockers) {
        if (b === taskId) throw errors.dependencyCycle([b, b]);
        if (s.exists.get(b) === undefined) throw errors.taskNotFound(b);
      }
      if (taskId === null) return;
      for (const b of blockers) {
        const path = pathBetween(b, taskId);
        if (path) throw errors.dependencyCycle([taskId, ...path]);
      }
    },

    /** Replaces the edges of `taskId` (the caller has checked them). */
    write(taskId: number, blockers: readonly number[]): void {
      s.clear.run(taskId);
      for (const b of blockers) s.insert.run(taskId, b);
    },

    openBlockers(taskId: number): Array<{ id: number; status: TaskStatus }> {
      return s.openBlockers.all(taskId);
    },

    /** Tasks that `blockerId` blocks. */
    dependents(blockerId: number): TaskRow[] {
      return s.dependents.all(blockerId);
    },
  };
}

export type Dependencies = ReturnType<typeof createDependencies>;
