import { errors } from '../../domain/errors.js';
import { chainReaches, rolledUpStatus } from '../../domain/rules.js';
import type {
  AddCommentInput,
  AddLinkInput,
  CreateSubtaskInput,
  CreateTaskInput,
  MoveSubtaskInput,
  MoveTaskInput,
  UpdateTaskInput,
} from '../../domain/schemas.js';
import type { ChangeSet, Comment, Link, StatusCounts, Task, TaskStatus } from '../../domain/types.js';
import type { Statement } from 'better-sqlite3';
import type { Connection } from '../connection.js';
import type { WriteCommand } from '../protocol.js';
import { nowIso, toTask, type TaskRow } from '../rows.js';

/** `changed_by` of the status changes the board makes by itself. */
export const ROLLUP_ACTOR = 'system:rollup';
export const DELETE_ACTOR = 'system:delete';

export interface WriteOutcome {
  value: unknown;
  changes: ChangeSet;
  /** The answer was stored under the command's idempotency key; nothing was written this time. */
  replayed?: true;
}

export interface WriteHandlers {
  /** Runs one command on the open transaction. Throws a TaskBoardError when a rule refuses it. */
  execute(command: WriteCommand): WriteOutcome;
  /**
   * Upkeep run at the start of every batch, inside its transaction (e.g. sweeping expired idempotency keys). Must
   * be cheap when there is nothing to do, and must not throw: a failure would fail the batch's writes.
   */
  housekeeping?(): void;
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
  'auto_promote',
  'archived_at',
] as const satisfies ReadonlyArray<keyof TaskRow>;

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
    return { tasks, agents: [...this.agents], queues: [...this.queues] };
  }
}

/**
 * The domain rules as plain functions over the read-write connection. Every statement is prepared once here.
 * The caller (the group committer) wraps each `execute` in its own SAVEPOINT inside the batch transaction, so
 * a command that throws leaves nothing behind.
 */
export function createWriteHandlers(db: Connection, opts: { enableHistory: boolean }): WriteHandlers {
  const s = {
    task: db.prepare<[number], TaskRow>('SELECT * FROM tasks WHERE id = ?'),
    parentOf: db.prepare<[number], number | null>('SELECT parent_task_id FROM tasks WHERE id = ?').pluck(),
    blockerOf: db
      .prepare<[number], number | null>('SELECT blocked_by_task_id FROM tasks WHERE id = ?')
      .pluck(),
    insertTask: db.prepare(
      `INSERT INTO tasks (title, description, status, assigned_to, previous_assigned_to, created_by, priority, tags,
         parent_task_id, queue_name, blocked_by_task_id, auto_promote, created_at, updated_at, archived_at)
       VALUES (@title, @description, @status, @assigned_to, @previous_assigned_to, @created_by, @priority, @tags,
         @parent_task_id, @queue_name, @blocked_by_task_id, @auto_promote, @created_at, @updated_at, @archived_at)`,
    ),
    deleteTask: db.prepare<[number]>('DELETE FROM tasks WHERE id = ?'),
    childCounts: db.prepare<[number], { status: TaskStatus; n: number }>(
      `SELECT status, count(*) AS n FROM tasks WHERE parent_task_id = ? AND archived_at IS NULL GROUP BY status`,
    ),
    claimCandidate: db.prepare<[string], TaskRow>(
      `SELECT t.* FROM tasks t
       WHERE t.assigned_to = ? AND t.status = 'idle' AND t.archived_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM tasks b WHERE b.id = t.blocked_by_task_id AND b.status <> 'complete')
       ORDER BY t.priority DESC, t.created_at ASC, t.id ASC
       LIMIT 1`,
    ),
    blockedBy: db.prepare<[number], TaskRow>('SELECT * FROM tasks WHERE blocked_by_task_id = ? ORDER BY id'),
    /** The task and every descendant, deepest first (so they can be deleted leaves first). */
    subtree: db.prepare<[number], TaskRow & { depth: number }>(
      `WITH RECURSIVE sub(id, depth) AS (
         SELECT ?, 0
         UNION ALL
         SELECT t.id, sub.depth + 1 FROM tasks t JOIN sub ON t.parent_task_id = sub.id
       )
       SELECT t.*, sub.depth FROM tasks t JOIN sub ON t.id = sub.id ORDER BY sub.depth DESC, t.id`,
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
  const updates = new Map<string, Statement>();
  function updateStatement(columns: readonly string[]): Statement {
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

  /** Refuses a blocker that does not exist, is the task itself, or is (through others) blocked by the task. */
  function checkBlocker(taskId: number | null, blockerId: number): void {
    if (blockerId === taskId) throw errors.cycle(`Task ${taskId} cannot block itself.`);
    requireTask(blockerId);
    if (taskId !== null && chainReaches(blockerId, taskId, (id) => s.blockerOf.get(id) ?? null)) {
      throw errors.cycle(
        `Task ${blockerId} is already blocked (directly or through other tasks) by task ${taskId}; blocking ${taskId} by it would create a cycle.`,
      );
    }
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
    const changed = TRACKED_FIELDS.filter((f) => before[f] !== after[f]);
    if (changed.length === 0) return before;
    const stored: TaskRow = { ...after, updated_at: now };
    const params: Record<string, unknown> = { id: stored.id, updated_at: now };
    for (const f of changed) params[f] = stored[f];
    updateStatement(changed).run(params);
    if (opts.enableHistory) {
      for (const f of changed) {
        s.insertHistory.run(before.id, f, historyValue(f, before[f]), historyValue(f, stored[f]), by, now);
      }
    }
    changes.task(before);
    changes.task(stored);
    // Tasks this one blocks become claimable (or blocked again) when it enters or leaves `complete`.
    if (before.status !== stored.status && (before.status === 'complete' || stored.status === 'complete')) {
      for (const blocked of s.blockedBy.all(stored.id)) changes.task(blocked);
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
    if (args.blocked_by_task_id !== undefined) checkBlocker(null, args.blocked_by_task_id);
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
      blocked_by_task_id: args.blocked_by_task_id ?? null,
      auto_promote: 'auto_promote' in args && args.auto_promote === false ? 0 : 1,
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    const id = Number(s.insertTask.run(row).lastInsertRowid);
    const created = { ...row, id };
    changes.task(created);
    changes.parent(parentId);
    rollUp(parentId, now, changes);
    return toTask(created);
  }

  function updateTask(args: UpdateTaskInput, now: string, changes: ChangeTracker): Task {
    const before = requireTask(args.id);
    const after: TaskRow = { ...before };
    if (args.title !== undefined) after.title = args.title;
    if (args.description !== undefined) after.description = args.description;
    if (args.status !== undefined) after.status = args.status;
    if (args.priority !== undefined) after.priority = args.priority;
    if (args.tags !== undefined) after.tags = JSON.stringify(args.tags);
    if (args.queue_name !== undefined) after.queue_name = args.queue_name;
    if (args.auto_promote !== undefined) after.auto_promote = args.auto_promote ? 1 : 0;
    if (args.assigned_to !== undefined && args.assigned_to !== before.assigned_to) {
      after.assigned_to = args.assigned_to;
      after.previous_assigned_to = before.assigned_to;
    }
    if (args.parent_task_id !== undefined && args.parent_task_id !== before.parent_task_id) {
      if (args.parent_task_id !== null) checkParent(before.id, args.parent_task_id);
      after.parent_task_id = args.parent_task_id;
    }
    if (args.blocked_by_task_id !== undefined && args.blocked_by_task_id !== before.blocked_by_task_id) {
      if (args.blocked_by_task_id !== null) checkBlocker(before.id, args.blocked_by_task_id);
      after.blocked_by_task_id = args.blocked_by_task_id;
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
      for (const blocked of s.blockedBy.all(row.id)) {
        if (!doomedIds.has(blocked.id))
          saveTask(blocked, { ...blocked, blocked_by_task_id: null }, DELETE_ACTOR, now, changes);
      }
    }
    // Leaves first; comments, links and history go with their task (ON DELETE CASCADE).
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

  function signupForTask(agent: string, now: string, changes: ChangeTracker): Task | null {
    const candidate = s.claimCandidate.get(agent);
    if (!candidate) return null;
    const saved = saveTask(candidate, { ...candidate, status: 'working' }, agent, now, changes);
    rollUp(candidate.parent_task_id, now, changes);
    return toTask(saved);
  }

  function moveTask(args: MoveTaskInput, now: string, changes: ChangeTracker): Task {
    const before = requireTask(args.task_id);
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

  function addComment(args: AddCommentInput, now: string, changes: ChangeTracker): Comment {
    requireTask(args.task_id);
    const id = Number(
      s.insertComment.run(args.task_id, args.content, args.created_by ?? null, now, now).lastInsertRowid,
    );
    changes.tasks.add(args.task_id);
    return requireComment(id);
  }

  function addLink(args: AddLinkInput, now: string, changes: ChangeTracker): Link {
    requireTask(args.task_id);
    const id = Number(
      s.insertLink.run(args.task_id, args.url, args.description ?? null, args.created_by ?? null, now, now)
        .lastInsertRowid,
    );
    changes.tasks.add(args.task_id);
    return requireLink(id);
  }

  function run(command: WriteCommand, now: string, changes: ChangeTracker): unknown {
    switch (command.type) {
      case 'createTask':
        return insertTask(command.args, command.args.parent_task_id ?? null, now, changes);
      case 'createSubtask':
        return insertTask(command.args, command.args.parent_task_id, now, changes);
      case 'updateTask':
        return updateTask(command.args, now, changes);
      case 'deleteTask':
        return deleteTask(command.args.id, now, changes);
      case 'archiveTask':
        return archiveTask(command.args.id, now, changes);
      case 'moveSubtask':
        return moveSubtask(command.args, now, changes);
      case 'signupForTask':
        return signupForTask(command.args.agent_name, now, changes);
      case 'moveTask':
        return moveTask(command.args, now, changes);
      case 'addTaskToQueue':
        return setQueue(command.args.task_id, command.args.queue_name, now, changes);
      case 'removeTaskFromQueue':
        return setQueue(command.args.task_id, null, now, changes);
      case 'moveTaskToQueue':
        return setQueue(command.args.task_id, command.args.new_queue_name, now, changes);
      case 'clearQueue':
        return clearQueue(command.args.queue_name, now, changes);
      case 'addComment':
        return addComment(command.args, now, changes);
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
        return addLink(command.args, now, changes);
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

  return {
    execute(command) {
      const changes = new ChangeTracker();
      const value = run(command, nowIso(), changes);
      return { value, changes: changes.toChangeSet() };
    },
  };
}
