import { randomBytes } from 'node:crypto';
import { errors } from '../../domain/errors.js';
import { agentKey } from '../../domain/limits.js';
import { chainReaches, rolledUpStatus } from '../../domain/rules.js';
import type {
  AddCommentInput,
  AddLinkInput,
  ClaimNextTaskInput,
  CreateSubtaskInput,
  CreateTaskInput,
  HeartbeatTaskInput,
  MoveSubtaskInput,
  MoveTaskInput,
  ReleaseTaskInput,
  RequeueTaskInput,
  UpdateTaskInput,
} from '../../domain/schemas.js';
import type { ChangeSet, Comment, Link, StatusCounts, Task, TaskStatus } from '../../domain/types.js';
import type { Connection, SqlStatement } from '../connection.js';
import type { CoordinationCounts, WriteCommand } from '../protocol.js';
import { claimsBefore, QUEUE_UNASSIGNED_SQL, READY_ORDER, READY_SQL, readySql } from '../ready.js';
import { toTask, type TaskRow } from '../rows.js';
import type { WriterClock } from './clock.js';
import { createDependencies } from './dependencies.js';

/** `changed_by` of the status changes the board makes by itself. */
export const ROLLUP_ACTOR = 'system:rollup';
export const DELETE_ACTOR = 'system:delete';
/** Author of the comments and history entries of expired leases. */
export const REAPER_ACTOR = 'system:lease-reaper';

/** Expired leases handled per reaper run; more wait for the next run, right after. */
const REAP_BATCH = 500;

export interface WriteOutcome {
  value: unknown;
  changes: ChangeSet;
  counts: Partial<CoordinationCounts>;
  /** The answer was stored under the command's idempotency key; nothing was written this time. */
  replayed?: true;
}

export interface WriteHandlers {
  /** Runs one command on the open transaction. Throws a TaskBoardError when a rule refuses it. */
  execute(command: WriteCommand): WriteOutcome;
  /**
   * The stored spelling of an agent name (agent names match case-insensitively, see agentKey); a name never seen
   * is recorded as written, trimmed. Used on every command's agent-name arguments and on the caller's name.
   */
  storedAgentName(name: string): string;
  /** `command` with every agent-name argument in its stored spelling. */
  withStoredAgentNames(command: WriteCommand): WriteCommand;
  /**
   * Upkeep run at the start of every batch, inside its transaction (e.g. sweeping expired idempotency keys). Must
   * be cheap when there is nothing to do, and must not throw: a failure would fail the batch's writes.
   */
  housekeeping?(): void;
  /**
   * The lease reaper, on the open transaction: expired `working` tasks go back to `idle` (same assignee) with a
   * system comment and history entry; past the attempt limit they are dead-lettered. Value: `{ expired, more }`.
   */
  reap(): WriteOutcome;
  /** When the next lease runs out (epoch ms, by the writer's clock), or null when no task is leased. */
  nextLeaseExpiry(): number | null;
  /**
   * The earliest expiry of the leases taken or extended since the last call (epoch ms), or null when none was;
   * resets. Counts leases of commands rolled back too: it may only be earlier than the truth, never later.
   */
  takeEarliestLease(): number | null;
}

export interface WriteHandlerOptions {
  enableHistory: boolean;
  /** Default lease length; 0: claims take no lease. */
  leaseSeconds: number;
  maxAttempts: number;
  clock: WriterClock;
}

/** A lease id: 128 random bits, URL-safe. Unguessable, so only the claimant can present it. */
function newLeaseId(): string {
  return randomBytes(16).toString('base64url');
}

const NO_LEASE = { lease_id: null, lease_expires_at: null, lease_seconds: null } as const;

/** The writer's time for one command: epoch ms, and the same as stored (ISO 8601 UTC). */
interface Now {
  ms: number;
  now: string;
}

/** Idle, unarchived and not dead-lettered: ready once no blocker is open. */
function readyCandidate(row: TaskRow): boolean {
  return row.status === 'idle' && row.archived_at === null && row.dead_lettered_at === null;
}

/** Fields recorded in task_history when they change, with how their stored value is written there. */
const TRACKED_FIELDS = [
  'title',
  'description',
  'status',
  'assigned_to',
  'previous_assigned_to',
  'priority',
  'tags',
  'parent_task_id',
  'queue_name',
  'blocked_by_task_id',
  'blocked_by_task_ids',
  'auto_promote',
  'archived_at',
  'due_at',
  'dead_lettered_at',
] as const satisfies ReadonlyArray<keyof TaskRow>;

/** Columns written when they change but kept out of the history (a heartbeat is not an event worth a row). */
const UNTRACKED_FIELDS = [
  'lease_id',
  'lease_expires_at',
  'lease_seconds',
  'attempts',
  'lease_expiries',
] as const satisfies ReadonlyArray<keyof TaskRow>;

/** Arguments of write commands that name an agent (the first one is the creator's, recorded first). */
const AGENT_FIELDS = [
  'created_by',
  'agent_name',
  'current_agent',
  'new_agent',
  'assigned_to',
  'updated_by',
  'requeued_by',
] as const;

function historyValue(field: (typeof TRACKED_FIELDS)[number], value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (field === 'auto_promote') return value === 1 ? 'true' : 'false';
  return String(value);
}

/** Collects what a command touched: tasks, the agents whose queues they sit in, and their queues. */
class ChangeTracker {
  readonly tasks = new Set<number>();
  readonly agents = new Set<string>();
  readonly queues = new Set<string>();
  /** Surviving tasks whose children changed; listed first so the bounded ancestor lookup of subscribers sees them. */
  private readonly parents = new Set<number>();
  private readonly readyAgents = new Set<string>();
  private readonly readyQueues = new Set<string>();
  readonly counts: Partial<CoordinationCounts> = {};

  /** A task that is ready now (and may not have been before): whoever may claim it is told. */
  ready(row: Pick<TaskRow, 'assigned_to' | 'queue_name'>): void {
    if (row.assigned_to !== null) this.readyAgents.add(row.assigned_to);
    else if (row.queue_name !== null) this.readyQueues.add(row.queue_name);
  }

  count(what: keyof CoordinationCounts, n = 1): void {
    this.counts[what] = (this.counts[what] ?? 0) + n;
  }

  task(row: Pick<TaskRow, 'id' | 'assigned_to' | 'queue_name'>): void {
    this.tasks.add(row.id);
    if (row.assigned_to !== null) this.agents.add(row.assigned_to);
    if (row.queue_name !== null) this.queues.add(row.queue_name);
  }

  /** A task whose set of children changed (its subtask count and hierarchy), whatever its roll-up did. */
  parent(id: number | null): void {
    if (id !== null) this.parents.add(id);
  }

  toChangeSet(): ChangeSet {
    const tasks = [...this.parents, ...[...this.tasks].filter((id) => !this.parents.has(id))];
    const changes: ChangeSet = { tasks, agents: [...this.agents], queues: [...this.queues] };
    if (this.readyAgents.size > 0 || this.readyQueues.size > 0)
      changes.ready = { agents: [...this.readyAgents], queues: [...this.readyQueues] };
    return changes;
  }
}

/**
 * The domain rules as plain functions over the read-write connection. Every statement is prepared once here.
 * The caller (the group committer) wraps each `execute` in its own SAVEPOINT inside the batch transaction, so
 * a command that throws leaves nothing behind.
 */
export function createWriteHandlers(db: Connection, opts: WriteHandlerOptions): WriteHandlers {
  const deps = createDependencies(db);
  const s = {
    // On PostgreSQL the writer locks every task it reads until its batch commits: another front's writer waits
    // instead of overwriting a change it did not see.
    task: db.prepare<[number], TaskRow>('SELECT * FROM tasks WHERE id = ? /* pg: FOR UPDATE */'),
    parentOf: db.prepare<[number], number | null>('SELECT parent_task_id FROM tasks WHERE id = ?').pluck(),
    insertTask: db.prepare(
      `INSERT INTO tasks (title, description, status, assigned_to, previous_assigned_to, created_by, priority, tags,
         parent_task_id, queue_name, blocked_by_task_id, blocked_by_task_ids, auto_promote, created_at, updated_at,
         archived_at, due_at)
       VALUES (@title, @description, @status, @assigned_to, @previous_assigned_to, @created_by, @priority, @tags,
         @parent_task_id, @queue_name, @blocked_by_task_id, @blocked_by_task_ids, @auto_promote, @created_at,
         @updated_at, @archived_at, @due_at)`,
    ),
    agentByKey: db.prepare<[string], string>('SELECT name FROM agents WHERE key = ?').pluck(),
    insertAgent: db.prepare<[string, string]>('INSERT INTO agents (key, name) VALUES (?, ?)'),
    deleteTask: db.prepare<[number]>('DELETE FROM tasks WHERE id = ?'),
    childCounts: db.prepare<[number], { status: TaskStatus; n: number }>(
      `SELECT status, count(*) AS n FROM tasks WHERE parent_task_id = ? AND archived_at IS NULL GROUP BY status`,
    ),
    // PostgreSQL: a row another front is claiming right now is skipped, not waited for (exactly-once claims).
    claimMine: db.prepare<{ agent: string; limit: 1 }, TaskRow>(
      `${readySql({ agent_name: '' }, false)} /* pg: FOR UPDATE OF t SKIP LOCKED */`,
    ),
    // The queue's unassigned ready tasks; claim_next_task with a queue takes the better of this and claimMine.
    // Two one-row searches, not readySql's merged page: PostgreSQL cannot lock rows through a UNION. There the row
    // not taken stays locked until the batch commits, and other fronts' claims pass over it meanwhile.
    claimQueue: db.prepare<{ queue: string; limit: 1 }, TaskRow>(
      `SELECT t.* FROM tasks t WHERE ${READY_SQL} AND ${QUEUE_UNASSIGNED_SQL} ${READY_ORDER} LIMIT @limit
       /* pg: FOR UPDATE OF t SKIP LOCKED */`,
    ),
    expiredLeases: db.prepare<[string, number], TaskRow>(
      `SELECT * FROM tasks WHERE lease_expires_at IS NOT NULL AND lease_expires_at <= ?
       ORDER BY lease_expires_at LIMIT ? /* pg: FOR UPDATE SKIP LOCKED */`,
    ),
    nextExpiry: db
      .prepare<[], string | null>(
        'SELECT min(lease_expires_at) FROM tasks WHERE lease_expires_at IS NOT NULL',
      )
      .pluck(),
    /**
     * The task and every descendant, deepest first (so they can be deleted leaves first). CROSS JOIN keeps `sub`
     * the outer loop on SQLite: left to choose, the planner scanned every task and probed `sub`.
     */
    subtree: db.prepare<[number], TaskRow & { depth: number }>(
      `WITH RECURSIVE sub(id, depth) AS (
         SELECT CAST(? AS INTEGER), 0
         UNION ALL
         SELECT t.id, sub.depth + 1 FROM tasks t JOIN sub ON t.parent_task_id = sub.id
       )
       SELECT t.*, sub.depth FROM sub CROSS JOIN tasks t WHERE t.id = sub.id ORDER BY sub.depth DESC, t.id`,
    ),
    queueTasks: db.prepare<[string], TaskRow>(
      'SELECT * FROM tasks WHERE queue_name = ? AND archived_at IS NULL ORDER BY id',
    ),
    insertHistory: db.prepare(
      `INSERT INTO task_history (task_id, field_name, old_value, new_value, changed_by, changed_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    comment: db.prepare<[number], Comment>('SELECT * FROM comments WHERE id = ?'),
    insertComment: db.prepare<[number, string, string | null, string, string]>(
      'INSERT INTO comments (task_id, content, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    ),
    updateComment: db.prepare<[string, string, number]>(
      'UPDATE comments SET content = ?, updated_at = ? WHERE id = ?',
    ),
    moveComment: db.prepare<[number, string, number]>(
      'UPDATE comments SET task_id = ?, updated_at = ? WHERE id = ?',
    ),
    deleteComment: db.prepare<[number]>('DELETE FROM comments WHERE id = ?'),
    link: db.prepare<[number], Link>('SELECT * FROM links WHERE id = ?'),
    insertLink: db.prepare<[number, string, string | null, string | null, string, string]>(
      'INSERT INTO links (task_id, url, description, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    updateLink: db.prepare<[string, string | null, string, number]>(
      'UPDATE links SET url = ?, description = ?, updated_at = ? WHERE id = ?',
    ),
    deleteLink: db.prepare<[number]>('DELETE FROM links WHERE id = ?'),
  };

  /**
   * UPDATE statements by the set of columns they write, prepared on first use. Writing only the changed columns
   * matters: SQLite rewrites the entries of every index that covers a column named in SET, changed or not.
   */
  const updates = new Map<string, SqlStatement>();
  function updateStatement(columns: readonly string[]): SqlStatement {
    const key = columns.join(',');
    let stmt = updates.get(key);
    if (!stmt) {
      const sets = [...columns, 'updated_at'].map((c) => `${c} = @${c}`).join(', ');
      stmt = db.prepare(`UPDATE tasks SET ${sets} WHERE id = @id`);
      updates.set(key, stmt);
    }
    return stmt;
  }

  function requireTask(id: number): TaskRow {
    const row = s.task.get(id);
    if (!row) throw errors.taskNotFound(id);
    return row;
  }

  function requireComment(id: number): Comment {
    const row = s.comment.get(id);
    if (!row) throw errors.commentNotFound(id);
    return row;
  }

  function requireLink(id: number): Link {
    const row = s.link.get(id);
    if (!row) throw errors.linkNotFound(id);
    return row;
  }

  /** Refuses a parent that does not exist or that would make `taskId` its own ancestor. */
  function checkParent(taskId: number, parentId: number): void {
    if (parentId === taskId) throw errors.cycle(`Task ${taskId} cannot be its own parent.`);
    requireTask(parentId);
    if (chainReaches(parentId, taskId, (id) => s.parentOf.get(id) ?? null)) {
      throw errors.cycle(
        `Task ${parentId} is a subtask of task ${taskId} (at some depth); making it the parent of ${taskId} would create a cycle.`,
      );
    }
  }

  /**
   * The blocker list a create or update asks for, normalized, or undefined when the call leaves it alone. The
   * legacy `blocked_by_task_id` is a one-element list (null: none).
   */
  function requestedBlockers(args: {
    blocked_by_task_id?: number | null | undefined;
    blocked_by_task_ids?: number[] | undefined;
  }): number[] | undefined {
    if (args.blocked_by_task_ids !== undefined) return deps.normalize(args.blocked_by_task_ids);
    if (args.blocked_by_task_id === undefined) return undefined;
    return args.blocked_by_task_id === null ? [] : [args.blocked_by_task_id];
  }

  /** The row with its blocker columns set to `blockers` (saveTask writes the edges). */
  function withBlockers(row: TaskRow, blockers: readonly number[]): TaskRow {
    return { ...row, blocked_by_task_ids: JSON.stringify(blockers), blocked_by_task_id: blockers[0] ?? null };
  }

  /** Earliest expiry of the leases set since `takeEarliestLease` last ran (the reaper's timer follows it). */
  let earliestLease = Number.POSITIVE_INFINITY;
  function noteLease(expiresAtMs: number): void {
    if (expiresAtMs < earliestLease) earliestLease = expiresAtMs;
  }

  /** A fresh lease of `seconds` (default: the server's), or none when leases are off. */
  function newLease(seconds: number | undefined, nowMs: number) {
    if (opts.leaseSeconds === 0) return NO_LEASE;
    const length = seconds ?? opts.leaseSeconds;
    noteLease(nowMs + length * 1000);
    return {
      lease_id: newLeaseId(),
      lease_expires_at: new Date(nowMs + length * 1000).toISOString(),
      lease_seconds: length,
    };
  }

  /** The lease of `row` pushed out by its length (or `seconds`), from now. */
  function extendedLease(row: TaskRow, seconds: number | undefined, nowMs: number) {
    const length = seconds ?? row.lease_seconds ?? opts.leaseSeconds;
    noteLease(nowMs + length * 1000);
    return { lease_expires_at: new Date(nowMs + length * 1000).toISOString(), lease_seconds: length };
  }

  /**
   * Fencing: a write that presents `leaseId` goes through only while it is the task's current, unexpired lease
   * (LEASE_LOST otherwise, naming who holds the task now). Without a lease id the write is unfenced.
   * Answers whether the write was fenced (and so extends the lease).
   */
  function fence(row: TaskRow, leaseId: string | undefined, nowMs: number): boolean {
    if (leaseId === undefined) return false;
    const current =
      row.lease_id !== null &&
      row.lease_id === leaseId &&
      row.lease_expires_at !== null &&
      Date.parse(row.lease_expires_at) > nowMs;
    if (!current) {
      throw errors.leaseLost(row.id, {
        assigned_to: row.assigned_to,
        status: row.status,
        leased: row.lease_id !== null && row.lease_id !== leaseId,
      });
    }
    return true;
  }

  /**
   * Writes `after` when it differs from `before`: bumps updated_at, appends one history row per changed field,
   * records the change. Returns the stored row.
   */
  function saveTask(
    before: TaskRow,
    after: TaskRow,
    by: string | null,
    now: string,
    changes: ChangeTracker,
  ): TaskRow {
    // A task that stops working gives its lease up, whatever made it stop (update, hand-off, roll-up, reaper).
    const next: TaskRow = after.status === 'working' ? after : { ...after, ...NO_LEASE };
    const tracked = TRACKED_FIELDS.filter((f) => before[f] !== next[f]);
    const changed = [...tracked, ...UNTRACKED_FIELDS.filter((f) => before[f] !== next[f])];
    if (changed.length === 0) return before;
    const stored: TaskRow = { ...next, updated_at: now };
    const params: Record<string, unknown> = { id: stored.id, updated_at: now };
    for (const f of changed) params[f] = stored[f];
    updateStatement(changed).run(params);
    if (opts.enableHistory) {
      for (const f of tracked) {
        s.insertHistory.run(before.id, f, historyValue(f, before[f]), historyValue(f, stored[f]), by, now);
      }
    }
    if (before.blocked_by_task_ids !== stored.blocked_by_task_ids)
      deps.write(stored.id, JSON.parse(stored.blocked_by_task_ids) as number[]);
    changes.task(before);
    changes.task(stored);
    if (
      readyCandidate(stored) &&
      (!readyCandidate(before) ||
        before.assigned_to !== stored.assigned_to ||
        before.queue_name !== stored.queue_name ||
        before.blocked_by_task_ids !== stored.blocked_by_task_ids) &&
      deps.openBlockers(stored.id).length === 0
    )
      changes.ready(stored);
    // Tasks this one blocks become ready (or blocked again) when it enters or leaves `complete`.
    if (before.status !== stored.status && (before.status === 'complete' || stored.status === 'complete')) {
      for (const blocked of deps.dependents(stored.id)) {
        changes.task(blocked);
        if (
          stored.status === 'complete' &&
          readyCandidate(blocked) &&
          deps.openBlockers(blocked.id).length === 0
        )
          changes.ready(blocked);
      }
    }
    return stored;
  }

  /** Re-derives the status of `parentId` and its ancestors (those with auto_promote) from their children. */
  function rollUp(parentId: number | null, now: string, changes: ChangeTracker): void {
    let current = parentId;
    const seen = new Set<number>();
    while (current !== null && !seen.has(current)) {
      seen.add(current);
      const parent = s.task.get(current);
      if (!parent || parent.auto_promote !== 1) return;
      const counts: StatusCounts = { idle: 0, working: 0, complete: 0 };
      for (const { status, n } of s.childCounts.all(current)) counts[status] = n;
      const status = rolledUpStatus(counts);
      if (status === null || status === parent.status) return;
      saveTask(parent, { ...parent, status }, ROLLUP_ACTOR, now, changes);
      current = parent.parent_task_id;
    }
  }

  function insertTask(
    args: CreateTaskInput | CreateSubtaskInput,
    parentId: number | null,
    now: string,
    changes: ChangeTracker,
  ): Task {
    const parent = parentId === null ? null : requireTask(parentId);
    const blockers = requestedBlockers(args) ?? [];
    deps.check(null, blockers);
    const row: Omit<TaskRow, 'id'> = {
      title: args.title,
      description: args.description ?? null,
      status: 'idle',
      assigned_to: args.assigned_to ?? null,
      previous_assigned_to: null,
      created_by: args.created_by,
      priority: args.priority ?? 0,
      tags: JSON.stringify(args.tags ?? []),
      parent_task_id: parentId,
      queue_name: args.queue_name ?? parent?.queue_name ?? null,
      blocked_by_task_id: blockers[0] ?? null,
      auto_promote: 'auto_promote' in args && args.auto_promote === false ? 0 : 1,
      created_at: now,
      updated_at: now,
      archived_at: null,
      lease_id: null,
      lease_expires_at: null,
      lease_seconds: null,
      attempts: 0,
      lease_expiries: 0,
      dead_lettered_at: null,
      blocked_by_task_ids: JSON.stringify(blockers),
      due_at: args.due_at ?? null,
    };
    const id = Number(s.insertTask.run(row).lastInsertRowid);
    const created = { ...row, id };
    deps.write(id, blockers);
    changes.task(created);
    if (deps.openBlockers(id).length === 0) changes.ready(created);
    changes.parent(parentId);
    rollUp(parentId, now, changes);
    return toTask(created);
  }

  /** The blockers among `ids` that are not complete (ids must exist: deps.check ran). */
  function openAmong(ids: readonly number[]): Array<{ id: number; status: TaskStatus }> {
    const open: Array<{ id: number; status: TaskStatus }> = [];
    for (const id of ids) {
      const b = s.task.get(id);
      if (b && b.status !== 'complete') open.push({ id, status: b.status });
    }
    return open;
  }

  function deadLettered(id: number) {
    return errors.conflict(
      `Task ${id} is dead-lettered: its leases ran out too many times. Look at its comments for what went wrong, then call requeue_task to make it claimable again.`,
    );
  }

  function updateTask(args: UpdateTaskInput, at: Now, changes: ChangeTracker): Task {
    const { now, ms } = at;
    const before = requireTask(args.id);
    const fenced = fence(before, args.lease_id, ms);
    let after: TaskRow = { ...before };
    if (args.title !== undefined) after.title = args.title;
    if (args.description !== undefined) after.description = args.description;
    if (args.status !== undefined) after.status = args.status;
    if (args.priority !== undefined) after.priority = args.priority;
    if (args.tags !== undefined) after.tags = JSON.stringify(args.tags);
    if (args.queue_name !== undefined) after.queue_name = args.queue_name;
    if (args.auto_promote !== undefined) after.auto_promote = args.auto_promote ? 1 : 0;
    if (args.due_at !== undefined) after.due_at = args.due_at;
    if (args.assigned_to !== undefined && args.assigned_to !== before.assigned_to) {
      after.assigned_to = args.assigned_to;
      after.previous_assigned_to = before.assigned_to;
    }
    if (args.parent_task_id !== undefined && args.parent_task_id !== before.parent_task_id) {
      if (args.parent_task_id !== null) checkParent(before.id, args.parent_task_id);
      after.parent_task_id = args.parent_task_id;
    }
    const blockers = requestedBlockers(args);
    if (blockers !== undefined && JSON.stringify(blockers) !== before.blocked_by_task_ids) {
      deps.check(before.id, blockers);
      after = withBlockers(after, blockers);
    }
    if (after.status !== before.status && after.status !== 'idle') {
      const open = blockers === undefined ? deps.openBlockers(before.id) : openAmong(blockers);
      if (open.length > 0) throw errors.blocked(before.id, after.status, open);
    }
    if (after.status === 'working') {
      if (before.status !== 'working') {
        // TinyTask's way to start work is a claim like any other: it takes a lease and counts an attempt.
        if (before.dead_lettered_at !== null) throw deadLettered(before.id);
        after = { ...after, ...newLease(args.lease_seconds, ms), attempts: before.attempts + 1 };
        changes.count('claims');
        if (before.attempts > 0) changes.count('reclaims');
      } else if (after.assigned_to !== before.assigned_to && before.lease_id !== null) {
        // Reassigned while working: the old holder's lease ends, the new assignee gets its own.
        after = { ...after, ...newLease(args.lease_seconds, ms) };
      } else if (fenced) {
        after = { ...after, ...extendedLease(before, args.lease_seconds, ms) };
      }
    }
    const saved = saveTask(before, after, args.updated_by ?? null, now, changes);
    if (saved !== before) {
      if (saved.parent_task_id !== before.parent_task_id) {
        changes.parent(before.parent_task_id);
        changes.parent(saved.parent_task_id);
      }
      rollUp(before.parent_task_id, now, changes);
      if (saved.parent_task_id !== before.parent_task_id) rollUp(saved.parent_task_id, now, changes);
      // The task's own status may follow its (possibly changed) children.
      if (args.auto_promote === true) rollUp(saved.id, now, changes);
    }
    return toTask(s.task.get(saved.id) ?? saved);
  }

  function deleteTask(id: number, now: string, changes: ChangeTracker): { id: number; deleted: true } {
    const root = requireTask(id);
    const doomed = s.subtree.all(id);
    const doomedIds = new Set(doomed.map((t) => t.id));
    for (const row of doomed) {
      changes.task(row);
      for (const blocked of deps.dependents(row.id)) {
        if (doomedIds.has(blocked.id)) continue;
        const current = s.task.get(blocked.id) ?? blocked;
        const left = (JSON.parse(current.blocked_by_task_ids) as number[]).filter((b) => !doomedIds.has(b));
        saveTask(current, withBlockers(current, left), DELETE_ACTOR, now, changes);
      }
    }
    // Leaves first; comments, links, history and blocker edges go with their task (ON DELETE CASCADE).
    for (const row of doomed) s.deleteTask.run(row.id);
    changes.parent(root.parent_task_id);
    rollUp(root.parent_task_id, now, changes);
    return { id, deleted: true };
  }

  function archiveTask(id: number, now: string, changes: ChangeTracker): Task {
    const before = requireTask(id);
    if (before.archived_at !== null) return toTask(before);
    const saved = saveTask(before, { ...before, archived_at: now }, null, now, changes);
    changes.parent(before.parent_task_id);
    rollUp(before.parent_task_id, now, changes);
    return toTask(saved);
  }

  function moveSubtask(args: MoveSubtaskInput, now: string, changes: ChangeTracker): Task {
    const before = requireTask(args.subtask_id);
    const newParent = args.new_parent_id ?? null;
    if (newParent === before.parent_task_id) return toTask(before);
    if (newParent !== null) checkParent(before.id, newParent);
    const saved = saveTask(before, { ...before, parent_task_id: newParent }, null, now, changes);
    changes.parent(before.parent_task_id);
    changes.parent(newParent);
    rollUp(before.parent_task_id, now, changes);
    rollUp(newParent, now, changes);
    return toTask(s.task.get(saved.id) ?? saved);
  }

  /** Claims `row` for `agent`: working, assigned to the agent, a fresh lease, one more attempt. */
  function claim(
    row: TaskRow,
    agent: string,
    leaseSeconds: number | undefined,
    at: Now,
    changes: ChangeTracker,
  ) {
    const after: TaskRow = {
      ...row,
      status: 'working',
      assigned_to: agent,
      previous_assigned_to: row.assigned_to === agent ? row.previous_assigned_to : row.assigned_to,
      attempts: row.attempts + 1,
      ...newLease(leaseSeconds, at.ms),
    };
    const saved = saveTask(row, after, agent, at.now, changes);
    changes.count('claims');
    if (row.attempts > 0) changes.count('reclaims');
    rollUp(row.parent_task_id, at.now, changes);
    return toTask(saved);
  }

  /** Why a task named by claim_next_task's task_id cannot be claimed, or null when it can. */
  function claimRefusal(row: TaskRow, agent: string) {
    const name = JSON.stringify(agent);
    if (row.assigned_to !== null && row.assigned_to !== agent)
      return errors.conflict(
        `Task ${row.id} is assigned to ${JSON.stringify(row.assigned_to)}, not ${name}; only unassigned tasks or your own can be claimed.`,
      );
    if (row.archived_at !== null) return errors.conflict(`Task ${row.id} is archived; it cannot be claimed.`);
    if (row.dead_lettered_at !== null) return deadLettered(row.id);
    if (row.status === 'working')
      return errors.conflict(
        `Task ${row.id} is already being worked on by ${JSON.stringify(row.assigned_to)}; it can be claimed once it is idle again.`,
      );
    if (row.status === 'complete')
      return errors.conflict(
        `Task ${row.id} is complete. Reopen it with update_task (status idle) if it really needs more work.`,
      );
    const open = deps.openBlockers(row.id);
    if (open.length > 0) return errors.blocked(row.id, 'working', open);
    return null;
  }

  function claimNextTask(args: ClaimNextTaskInput, at: Now, changes: ChangeTracker): Task | null {
    let row: TaskRow | undefined;
    if (args.task_id !== undefined) {
      row = requireTask(args.task_id);
      const refusal = claimRefusal(row, args.agent_name);
      if (refusal) throw refusal;
    } else if (args.queue_name !== undefined) {
      const mine = s.claimMine.get({ agent: args.agent_name, limit: 1 });
      const queued = s.claimQueue.get({ queue: args.queue_name, limit: 1 });
      row = mine && queued ? (claimsBefore(queued, mine) ? queued : mine) : (mine ?? queued);
    } else {
      row = s.claimMine.get({ agent: args.agent_name, limit: 1 });
    }
    return row ? claim(row, args.agent_name, args.lease_seconds, at, changes) : null;
  }

  /** The task held under `lease_id` by `agent_name`; LEASE_LOST when either does not match. */
  function requireHeld(args: { task_id: number; agent_name: string; lease_id: string }, ms: number): TaskRow {
    const row = requireTask(args.task_id);
    fence(row, args.lease_id, ms);
    if (row.assigned_to !== args.agent_name)
      throw errors.leaseLost(row.id, { assigned_to: row.assigned_to, status: row.status, leased: true });
    return row;
  }

  function heartbeatTask(args: HeartbeatTaskInput, at: Now, changes: ChangeTracker): Task {
    const row = requireHeld(args, at.ms);
    const saved = saveTask(
      row,
      { ...row, ...extendedLease(row, args.lease_seconds, at.ms) },
      args.agent_name,
      at.now,
      changes,
    );
    return toTask(saved);
  }

  function releaseTask(args: ReleaseTaskInput, at: Now, changes: ChangeTracker): Task {
    const row = requireHeld(args, at.ms);
    const saved = saveTask(row, { ...row, status: 'idle' }, args.agent_name, at.now, changes);
    const note = `Released by ${args.agent_name}${args.reason ? `: ${args.reason}` : '.'}`;
    s.insertComment.run(row.id, note, args.agent_name, at.now, at.now);
    rollUp(row.parent_task_id, at.now, changes);
    return toTask(saved);
  }

  function requeueTask(args: RequeueTaskInput, at: Now, changes: ChangeTracker): Task {
    const row = requireTask(args.task_id);
    if (row.status === 'complete')
      throw errors.conflict(
        `Task ${row.id} is complete; there is nothing to requeue. Reopen it with update_task (status idle) if it needs more work.`,
      );
    const after: TaskRow = { ...row, status: 'idle', dead_lettered_at: null };
    if (args.reset_attempts === true) Object.assign(after, { attempts: 0, lease_expiries: 0 });
    const saved = saveTask(row, after, args.requeued_by ?? null, at.now, changes);
    rollUp(row.parent_task_id, at.now, changes);
    return toTask(saved);
  }

  function moveTask(args: MoveTaskInput, at: Now, changes: ChangeTracker): Task {
    const { now } = at;
    const before = requireTask(args.task_id);
    fence(before, args.lease_id, at.ms);
    if (before.assigned_to !== args.current_agent) {
      throw errors.notAssignee(before.id, args.current_agent, before.assigned_to);
    }
    if (before.status === 'complete') {
      throw errors.conflict(`Task ${before.id} is complete; only idle or working tasks can be handed off.`);
    }
    if (before.archived_at !== null) {
      throw errors.conflict(`Task ${before.id} is archived; archived tasks cannot be handed off.`);
    }
    const saved = saveTask(
      before,
      { ...before, status: 'idle', assigned_to: args.new_agent, previous_assigned_to: args.current_agent },
      args.current_agent,
      now,
      changes,
    );
    s.insertComment.run(before.id, args.comment, args.current_agent, now, now);
    changes.task(saved);
    rollUp(before.parent_task_id, now, changes);
    return toTask(saved);
  }

  /** A fenced write on task `taskId` (comment, link): checks the lease and, when one was presented, extends it. */
  function touchLease(taskId: number, leaseId: string | undefined, at: Now, changes: ChangeTracker): void {
    const row = requireTask(taskId);
    if (fence(row, leaseId, at.ms))
      saveTask(row, { ...row, ...extendedLease(row, undefined, at.ms) }, null, at.now, changes);
  }

  function setQueue(taskId: number, queue: string | null, now: string, changes: ChangeTracker): Task {
    const before = requireTask(taskId);
    const saved = saveTask(before, { ...before, queue_name: queue }, null, now, changes);
    return toTask(saved);
  }

  function clearQueue(queue: string, now: string, changes: ChangeTracker) {
    const rows = s.queueTasks.all(queue);
    for (const row of rows) saveTask(row, { ...row, queue_name: null }, null, now, changes);
    changes.queues.add(queue);
    return { queue_name: queue, cleared: rows.length, task_ids: rows.map((r) => r.id) };
  }

  function addComment(args: AddCommentInput, at: Now, changes: ChangeTracker): Comment {
    touchLease(args.task_id, args.lease_id, at, changes);
    const id = Number(
      s.insertComment.run(args.task_id, args.content, args.created_by ?? null, at.now, at.now)
        .lastInsertRowid,
    );
    changes.tasks.add(args.task_id);
    return requireComment(id);
  }

  function addLink(args: AddLinkInput, at: Now, changes: ChangeTracker): Link {
    touchLease(args.task_id, args.lease_id, at, changes);
    const id = Number(
      s.insertLink.run(
        args.task_id,
        args.url,
        args.description ?? null,
        args.created_by ?? null,
        at.now,
        at.now,
      ).lastInsertRowid,
    );
    changes.tasks.add(args.task_id);
    return requireLink(id);
  }

  /** Expired leases, oldest first: each task goes back to idle (or to the dead letters) with a system comment. */
  function reap(at: Now, changes: ChangeTracker): { expired: number; dead_lettered: number; more: boolean } {
    const rows = s.expiredLeases.all(at.now, REAP_BATCH);
    let dead = 0;
    for (const row of rows) {
      const expiries = row.lease_expiries + 1;
      const deadLetter = expiries >= opts.maxAttempts;
      saveTask(
        row,
        { ...row, status: 'idle', lease_expiries: expiries, dead_lettered_at: deadLetter ? at.now : null },
        REAPER_ACTOR,
        at.now,
        changes,
      );
      const holder = row.assigned_to === null ? 'nobody' : JSON.stringify(row.assigned_to);
      const note = deadLetter
        ? `Lease of ${holder} expired at ${row.lease_expires_at} (attempt ${row.attempts}); the lease has now expired ${expiries} times, so the task is dead-lettered. Fix what keeps it from finishing, then requeue_task.`
        : `Lease of ${holder} expired at ${row.lease_expires_at} (attempt ${row.attempts}); the task is idle again and can be claimed.`;
      s.insertComment.run(row.id, note, REAPER_ACTOR, at.now, at.now);
      rollUp(row.parent_task_id, at.now, changes);
      if (deadLetter) dead += 1;
    }
    changes.count('leaseExpiries', rows.length);
    if (dead > 0) changes.count('deadLetters', dead);
    return { expired: rows.length, dead_lettered: dead, more: rows.length === REAP_BATCH };
  }

  function run(command: WriteCommand, at: Now, changes: ChangeTracker): unknown {
    const { now } = at;
    switch (command.type) {
      case 'createTask':
        return insertTask(command.args, command.args.parent_task_id ?? null, now, changes);
      case 'createSubtask':
        return insertTask(command.args, command.args.parent_task_id, now, changes);
      case 'updateTask':
        return updateTask(command.args, at, changes);
      case 'deleteTask':
        return deleteTask(command.args.id, now, changes);
      case 'archiveTask':
        return archiveTask(command.args.id, now, changes);
      case 'moveSubtask':
        return moveSubtask(command.args, now, changes);
      case 'signupForTask':
        return claimNextTask(command.args, at, changes);
      case 'claimNextTask':
        return claimNextTask(command.args, at, changes);
      case 'heartbeatTask':
        return heartbeatTask(command.args, at, changes);
      case 'releaseTask':
        return releaseTask(command.args, at, changes);
      case 'requeueTask':
        return requeueTask(command.args, at, changes);
      case 'moveTask':
        return moveTask(command.args, at, changes);
      case 'addTaskToQueue':
        return setQueue(command.args.task_id, command.args.queue_name, now, changes);
      case 'removeTaskFromQueue':
        return setQueue(command.args.task_id, null, now, changes);
      case 'moveTaskToQueue':
        return setQueue(command.args.task_id, command.args.new_queue_name, now, changes);
      case 'clearQueue':
        return clearQueue(command.args.queue_name, now, changes);
      case 'addComment':
        return addComment(command.args, at, changes);
      case 'updateComment': {
        const c = requireComment(command.args.id);
        s.updateComment.run(command.args.content, now, c.id);
        changes.tasks.add(c.task_id);
        return requireComment(c.id);
      }
      case 'deleteComment': {
        const c = requireComment(command.args.id);
        s.deleteComment.run(c.id);
        changes.tasks.add(c.task_id);
        return { id: c.id, deleted: true };
      }
      case 'moveComment': {
        const c = requireComment(command.args.comment_id);
        requireTask(command.args.to_task_id);
        s.moveComment.run(command.args.to_task_id, now, c.id);
        changes.tasks.add(c.task_id);
        changes.tasks.add(command.args.to_task_id);
        return requireComment(c.id);
      }
      case 'addLink':
        return addLink(command.args, at, changes);
      case 'updateLink': {
        const l = requireLink(command.args.id);
        s.updateLink.run(
          command.args.url ?? l.url,
          command.args.description !== undefined ? command.args.description : l.description,
          now,
          l.id,
        );
        changes.tasks.add(l.task_id);
        return requireLink(l.id);
      }
      case 'deleteLink': {
        const l = requireLink(command.args.id);
        s.deleteLink.run(l.id);
        changes.tasks.add(l.task_id);
        return { id: l.id, deleted: true };
      }
      default: {
        const unknown: never = command;
        throw errors.invalidArgument(
          `Unknown write command ${JSON.stringify((unknown as { type: string }).type)}.`,
        );
      }
    }
  }

  function clockNow(): Now {
    const ms = opts.clock.now();
    return { ms, now: new Date(ms).toISOString() };
  }

  /**
   * The stored spelling of an agent name: the first spelling ever written for its key (agentKey); a name never
   * seen before is recorded as written (trimmed). A command that fails rolls the record back with its savepoint.
   */
  function agent(name: string): string {
    const key = agentKey(name);
    const known = s.agentByKey.get(key);
    if (known !== undefined) return known;
    const spelled = name.trim();
    s.insertAgent.run(key, spelled);
    return spelled;
  }

  /**
   * The command with every agent-name argument in its stored spelling, so that every handler compares and stores
   * names exactly and "Bob", "bob" and " BOB " are one agent everywhere. The creator is recorded first.
   */
  function withStoredAgentNames(command: WriteCommand): WriteCommand {
    const args = command.args as Record<string, unknown>;
    if (!AGENT_FIELDS.some((f) => typeof args[f] === 'string')) return command;
    const out: Record<string, unknown> = { ...args };
    for (const field of AGENT_FIELDS) {
      const value = out[field];
      if (typeof value === 'string') out[field] = agent(value);
    }
    return { ...command, args: out } as WriteCommand;
  }

  /** Runs `fn` with a fresh change tracker at the writer's current time; the outcome carries what it changed. */
  function tracked(fn: (at: Now, changes: ChangeTracker) => unknown): WriteOutcome {
    const changes = new ChangeTracker();
    const value = fn(clockNow(), changes);
    return { value, changes: changes.toChangeSet(), counts: changes.counts };
  }

  return {
    storedAgentName: agent,
    withStoredAgentNames,
    // Idempotent: the gate already stored the names; a direct caller gets the same rule.
    execute: (command) => tracked((at, changes) => run(withStoredAgentNames(command), at, changes)),
    reap: () => tracked(reap),
    nextLeaseExpiry() {
      const next = s.nextExpiry.get();
      return next === null || next === undefined ? null : Date.parse(next);
    },
    takeEarliestLease() {
      const earliest = earliestLease;
      earliestLease = Number.POSITIVE_INFINITY;
      return earliest === Number.POSITIVE_INFINITY ? null : earliest;
    },
  };
}
