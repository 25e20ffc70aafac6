import { errors } from '../domain/errors.js';

/**
 * The one definition of a *ready* task, as SQL over `tasks t`: idle, not archived, not dead-lettered, and every
 * blocker complete. Readers (list_ready_tasks, the ready resources) and the writer (claims) share it, so what is
 * listed as ready is exactly what can be claimed.
 */
export const READY_SQL = `t.status = 'idle' AND t.archived_at IS NULL AND t.dead_lettered_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM task_blockers tb JOIN tasks b ON b.id = tb.blocker_id
                  WHERE tb.task_id = t.id AND b.status <> 'complete')`;

/** Claim order: highest priority, then oldest, then lowest id. */
export const READY_ORDER = 'ORDER BY t.priority DESC, t.created_at ASC, t.id ASC';

/** Open blockers of task `?`, with their status (the BLOCKED message names them). */
export const OPEN_BLOCKERS_SQL = `SELECT b.id, b.status FROM task_blockers tb JOIN tasks b ON b.id = tb.blocker_id
  WHERE tb.task_id = ? AND b.status <> 'complete' ORDER BY b.id`;

export interface ReadyScope {
  agent_name?: string | undefined;
  queue_name?: string | undefined;
}

/** The unassigned tasks of queue @queue: what any agent may pull from it. */
export const QUEUE_UNASSIGNED_SQL = 't.assigned_to IS NULL AND t.queue_name = @queue';

/**
 * Ready tasks of a scope in claim order, at most @limit of them (only those after the cursor @c_priority,
 * @c_created_at, @c_id when `afterCursor`), with named parameters @agent and @queue:
 * - agent and queue: the agent's own tasks (any queue) and the unassigned ones in the queue — what the agent
 *   may claim with claim_next_task;
 * - agent only: the agent's own tasks;
 * - queue only: every ready task in the queue;
 * - neither: every ready task.
 * Agent and queue are two index-ordered pages merged, not one OR: SQLite answers the OR by sorting every ready
 * candidate of both (a queue's whole backlog) for each page.
 */
export function readySql(scope: ReadyScope, afterCursor: boolean): string {
  const page = (scopeSql: string) =>
    `SELECT t.* FROM tasks t WHERE ${READY_SQL} AND ${scopeSql}${afterCursor ? ` AND ${AFTER_CURSOR_SQL}` : ''}
     ${READY_ORDER} LIMIT @limit`;
  const agent = scope.agent_name !== undefined;
  const queue = scope.queue_name !== undefined;
  if (agent && queue)
    return `SELECT * FROM (${page('t.assigned_to = @agent')}) mine
      UNION ALL SELECT * FROM (${page(QUEUE_UNASSIGNED_SQL)}) queued
      ORDER BY priority DESC, created_at ASC, id ASC LIMIT @limit`;
  if (agent) return page('t.assigned_to = @agent');
  if (queue) return page('t.queue_name = @queue');
  return page('TRUE');
}

/** Whether task `a` comes before task `b` in claim order (READY_ORDER). */
export function claimsBefore(a: ReadyCursor, b: ReadyCursor): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.created_at !== b.created_at) return a.created_at < b.created_at;
  return a.id < b.id;
}

/** Position after the last task of a page, in claim order. */
export interface ReadyCursor {
  priority: number;
  created_at: string;
  id: number;
}

/** Tasks after the cursor in claim order (named parameters @c_priority, @c_created_at, @c_id). */
export const AFTER_CURSOR_SQL = `(t.priority < @c_priority OR (t.priority = @c_priority AND
  (t.created_at > @c_created_at OR (t.created_at = @c_created_at AND t.id > @c_id))))`;

export function encodeReadyCursor(c: ReadyCursor): string {
  return Buffer.from(JSON.stringify([c.priority, c.created_at, c.id])).toString('base64url');
}

export function decodeReadyCursor(text: string): ReadyCursor {
  const bad = () =>
    errors.invalidArgument(
      'cursor is not one this server returned; pass next_cursor from the previous list_ready_tasks answer, or omit it for the first page.',
    );
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(value) ||
    value.length !== 3 ||
    !Number.isSafeInteger(value[0]) ||
    typeof value[1] !== 'string' ||
    !Number.isSafeInteger(value[2])
  )
    throw bad();
  return { priority: value[0] as number, created_at: value[1], id: value[2] as number };
}
