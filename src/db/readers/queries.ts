import { errors, toPlainError } from '../../domain/errors.js';
import type { GetQueueTasksInput, ListReadyTasksInput, ListTasksInput } from '../../domain/schemas.js';
import { LIMITS } from '../../domain/schemas.js';
import type {
  AgentQueueSummary,
  BoardStats,
  Comment,
  HistoryEntry,
  Link,
  QueueStats,
  QueueSummary,
  StatusCounts,
  Task,
  TaskDetail,
  TaskPage,
  TaskStatus,
  TaskTree,
} from '../../domain/types.js';
import type { Statement } from 'better-sqlite3';
import type { Connection } from '../connection.js';
import { schemaVersion } from '../migrate.js';
import type { ReadOutcome, ReadQueries, ReadQuery, ReadQueryName } from '../protocol.js';
import {
  AFTER_CURSOR_SQL,
  decodeReadyCursor,
  encodeReadyCursor,
  OPEN_BLOCKERS_SQL,
  READY_ORDER,
  READY_SQL,
  readyScopeSql,
} from '../ready.js';
import { toTask, type TaskRow } from '../rows.js';

const ORDER = 'ORDER BY priority DESC, created_at ASC, id ASC';

/**
 * Deepest level of subtasks a nested tree answer carries. A deeper tree (agents can build chains thousands of
 * levels deep) would overflow the stack of a reader thread while its answer is copied back, and no client wants
 * to parse it: it is refused with a message naming where to continue.
 */
const MAX_TREE_DEPTH = 100;

type Handlers = { [K in ReadQueryName]: (args: ReadQueries[K]['args']) => ReadQueries[K]['result'] };

export interface ReadQueryRunner {
  run(query: ReadQuery): ReadOutcome;
}

function emptyCounts(): StatusCounts {
  return { idle: 0, working: 0, complete: 0 };
}

/** Upper bound for a text prefix range scan: every string starting with `prefix` sorts below it. */
function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

/**
 * Every read as a function over one read-only connection. Statements are prepared once (list queries, whose
 * WHERE clause depends on the filters given, once per distinct clause). Multi-statement reads run in one
 * deferred transaction so they see one snapshot; nothing keeps a read transaction open between queries, so
 * each query sees every write committed before it started.
 */
export function createReadQueries(db: Connection): ReadQueryRunner {
  const s = {
    task: db.prepare<[number], TaskRow>('SELECT * FROM tasks WHERE id = ?'),
    taskExists: db.prepare<[number], number>('SELECT 1 FROM tasks WHERE id = ?').pluck(),
    openBlocker: db.prepare<[number], { id: number; status: TaskStatus }>(`${OPEN_BLOCKERS_SQL} LIMIT 1`),
    comments: db.prepare<[number], Comment>('SELECT * FROM comments WHERE task_id = ? ORDER BY id'),
    comment: db.prepare<[number], Comment>('SELECT * FROM comments WHERE id = ?'),
    links: db.prepare<[number], Link>('SELECT * FROM links WHERE task_id = ? ORDER BY id'),
    history: db.prepare<[number], HistoryEntry>('SELECT * FROM task_history WHERE task_id = ? ORDER BY id'),
    subtaskCount: db
      .prepare<[number], number>(
        'SELECT count(*) FROM tasks WHERE parent_task_id = ? AND archived_at IS NULL',
      )
      .pluck(),
    children: db.prepare<[number], TaskRow>(`SELECT * FROM tasks WHERE parent_task_id = ? ${ORDER}`),
    childrenUnarchived: db.prepare<[number], TaskRow>(
      `SELECT * FROM tasks WHERE parent_task_id = ? AND archived_at IS NULL ${ORDER}`,
    ),
    myQueue: db.prepare<[string], TaskRow>(
      `SELECT * FROM tasks WHERE assigned_to = ? AND status IN ('idle', 'working') AND archived_at IS NULL ${ORDER}`,
    ),
    agentSummary: db.prepare<
      [string],
      { status: TaskStatus; n: number; blocked: number; top: number | null }
    >(
      `SELECT t.status, count(*) AS n, max(t.priority) AS top,
         sum(CASE WHEN b.id IS NOT NULL AND b.status <> 'complete' THEN 1 ELSE 0 END) AS blocked
       FROM tasks t LEFT JOIN tasks b ON b.id = (
         SELECT tb.blocker_id FROM task_blockers tb JOIN tasks x ON x.id = tb.blocker_id
         WHERE tb.task_id = t.id AND x.status <> 'complete' LIMIT 1)
       WHERE t.assigned_to = ? AND t.status IN ('idle', 'working') AND t.archived_at IS NULL
       GROUP BY t.status`,
    ),
    queues: db.prepare<[], { queue_name: string; status: TaskStatus; n: number }>(
      `SELECT queue_name, status, count(*) AS n FROM tasks
       WHERE queue_name IS NOT NULL AND archived_at IS NULL GROUP BY queue_name, status ORDER BY queue_name`,
    ),
    queueByAssignee: db.prepare<[string], { assigned_to: string | null; status: TaskStatus; n: number }>(
      `SELECT assigned_to, status, count(*) AS n FROM tasks
       WHERE queue_name = ? AND archived_at IS NULL GROUP BY assigned_to, status ORDER BY assigned_to`,
    ),
    agents: db
      .prepare<[string, string, string, string, number], string>(
        `SELECT name FROM (
         SELECT assigned_to AS name FROM tasks WHERE assigned_to >= ? AND assigned_to < ?
         UNION SELECT created_by FROM tasks WHERE created_by >= ? AND created_by < ?
       ) ORDER BY name LIMIT ?`,
      )
      .pluck(),
    queueNames: db
      .prepare<[string, string, number], string>(
        `SELECT DISTINCT queue_name FROM tasks WHERE queue_name >= ? AND queue_name < ? ORDER BY queue_name LIMIT ?`,
      )
      .pluck(),
    taskIdsByPrefix: db
      .prepare<[string, number], number>(
        `SELECT id FROM tasks WHERE CAST(id AS TEXT) LIKE ? || '%' ORDER BY id DESC LIMIT ?`,
      )
      .pluck(),
    pageIds: db.prepare<[number, number], { id: number; title: string }>(
      'SELECT id, title FROM tasks WHERE id > ? AND archived_at IS NULL ORDER BY id LIMIT ?',
    ),
    pageIdsAll: db.prepare<[number, number], { id: number; title: string }>(
      'SELECT id, title FROM tasks WHERE id > ? ORDER BY id LIMIT ?',
    ),
    statusCounts: db.prepare<[], { status: TaskStatus; n: number }>(
      'SELECT status, count(*) AS n FROM tasks WHERE archived_at IS NULL GROUP BY status',
    ),
    totals: db.prepare<[string], { total: number; archived: number; completed_today: number }>(
      `SELECT count(*) AS total,
         coalesce(sum(archived_at IS NOT NULL), 0) AS archived,
         coalesce(sum(status = 'complete' AND updated_at >= ?), 0) AS completed_today
       FROM tasks`,
    ),
    ping: db.prepare<[], number>('SELECT 1').pluck(),
  };

  const listCache = new Map<
    string,
    { rows: ReturnType<typeof db.prepare>; count: ReturnType<typeof db.prepare> }
  >();

  function requireTask(id: number): TaskRow {
    const row = s.task.get(id);
    if (!row) throw errors.taskNotFound(id);
    return row;
  }

  function requireTaskExists(id: number): void {
    if (s.taskExists.get(id) === undefined) throw errors.taskNotFound(id);
  }

  const asArray = (v: TaskStatus | TaskStatus[] | undefined) =>
    v === undefined ? undefined : Array.isArray(v) ? v : [v];

  function listTasks(args: ListTasksInput & { queue_name?: string }): TaskPage {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (args.assigned_to !== undefined) {
      where.push('assigned_to = @assigned_to');
      params.assigned_to = args.assigned_to;
    }
    const status = asArray(args.status);
    if (status) {
      where.push('status IN (SELECT value FROM json_each(@status))');
      params.status = JSON.stringify(status);
    }
    const exclude = asArray(args.exclude_status);
    if (exclude && exclude.length > 0) {
      where.push('status NOT IN (SELECT value FROM json_each(@exclude_status))');
      params.exclude_status = JSON.stringify(exclude);
    }
    if (args.queue_name !== undefined) {
      where.push('queue_name = @queue_name');
      params.queue_name = args.queue_name;
    }
    if (args.parent_task_id !== undefined) {
      where.push('parent_task_id = @parent_task_id');
      params.parent_task_id = args.parent_task_id;
    }
    if (args.exclude_subtasks === true) where.push('parent_task_id IS NULL');
    if (args.include_archived !== true) where.push('archived_at IS NULL');
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    let stmts = listCache.get(clause);
    if (!stmts) {
      stmts = {
        rows: db.prepare(`SELECT * FROM tasks ${clause} ${ORDER} LIMIT @limit OFFSET @offset`),
        count: db.prepare(`SELECT count(*) FROM tasks ${clause}`).pluck(),
      };
      listCache.set(clause, stmts);
    }
    const limit = args.limit ?? LIMITS.listLimitDefault;
    const offset = args.offset ?? 0;
    const withDescription = args.include_description === true;
    const rows = stmts.rows.all({ ...params, limit, offset }) as TaskRow[];
    const total = stmts.count.get(params) as number;
    return { tasks: rows.map((r) => toTask(r, withDescription)), total, limit, offset };
  }

  /** The subtasks of `id` nested, `depth` being their level below `root`. Refuses trees deeper than MAX_TREE_DEPTH. */
  function subtree(
    root: number,
    id: number,
    recursive: boolean,
    includeArchived: boolean,
    seen: Set<number>,
    depth = 1,
  ): TaskTree[] {
    const rows = (includeArchived ? s.children : s.childrenUnarchived).all(id);
    if (depth > MAX_TREE_DEPTH && rows.length > 0) {
      throw errors.conflict(
        `The subtasks of task ${root} go more than ${MAX_TREE_DEPTH} levels deep, too deep for one nested answer. ` +
          `Read the part below task ${id} with get_task_with_subtasks {"task_id": ${id}, "recursive": true}, or ` +
          `list every level flat with get_subtasks {"parent_task_id": ${root}, "recursive": true}.`,
      );
    }
    return rows
      .filter((r) => !seen.has(r.id))
      .map((r) => {
        seen.add(r.id);
        return {
          ...toTask(r, true),
          subtasks: recursive ? subtree(root, r.id, true, includeArchived, seen, depth + 1) : [],
        };
      });
  }

  /** The subtasks of `id` as a flat list, each followed by its own (pre-order). Iterative: depth is unbounded. */
  function descendants(id: number, recursive: boolean, includeArchived: boolean): Task[] {
    const children = includeArchived ? s.children : s.childrenUnarchived;
    const out: Task[] = [];
    const seen = new Set<number>([id]);
    const stack: Array<Iterator<TaskRow>> = [children.all(id)[Symbol.iterator]()];
    while (stack.length > 0) {
      const next = stack[stack.length - 1]!.next();
      if (next.done) {
        stack.pop();
        continue;
      }
      const row = next.value;
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      out.push(toTask(row, true));
      if (recursive) stack.push(children.all(row.id)[Symbol.iterator]());
    }
    return out;
  }

  const readyStatements = new Map<string, Statement<Record<string, unknown>, TaskRow>>();
  /** One page of ready tasks in claim order; a statement per distinct (scope, cursor) shape. */
  function listReadyTasks(args: ListReadyTasksInput) {
    const limit = args.limit ?? LIMITS.listLimitDefault;
    const cursor = args.cursor === undefined ? null : decodeReadyCursor(args.cursor);
    const where = [READY_SQL, readyScopeSql(args)];
    if (cursor) where.push(AFTER_CURSOR_SQL);
    const sql = `SELECT t.* FROM tasks t WHERE ${where.join(' AND ')} ${READY_ORDER} LIMIT @limit`;
    let stmt = readyStatements.get(sql);
    if (!stmt) {
      stmt = db.prepare<Record<string, unknown>, TaskRow>(sql);
      readyStatements.set(sql, stmt);
    }
    const rows = stmt.all({
      agent: args.agent_name ?? null,
      queue: args.queue_name ?? null,
      limit: limit + 1,
      ...(cursor ? { c_priority: cursor.priority, c_created_at: cursor.created_at, c_id: cursor.id } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      tasks: page.map((r) => toTask(r, false)),
      next_cursor: rows.length > limit && last ? encodeReadyCursor(last) : null,
    };
  }

  const handlers: Handlers = {
    listReadyTasks,
    getTask: ({ id }) => {
      const row = requireTask(id);
      const detail: TaskDetail = {
        ...toTask(row, true),
        description: row.description,
        comments: s.comments.all(id),
        links: s.links.all(id),
        is_currently_blocked: s.openBlocker.get(id) !== undefined,
        subtask_count: s.subtaskCount.get(id) ?? 0,
      };
      return detail;
    },
    listTasks,
    getQueueTasks: (args: GetQueueTasksInput) => listTasks(args),
    getSubtasks: ({ parent_task_id, recursive, include_archived }) => {
      requireTaskExists(parent_task_id);
      return descendants(parent_task_id, recursive === true, include_archived === true);
    },
    getTaskWithSubtasks: ({ task_id, recursive, include_archived }) => {
      const row = requireTask(task_id);
      return {
        ...toTask(row, true),
        subtasks: subtree(
          task_id,
          task_id,
          recursive === true,
          include_archived === true,
          new Set([task_id]),
        ),
      };
    },
    getMyQueue: ({ agent_name, include_description }) =>
      s.myQueue.all(agent_name).map((r) => toTask(r, include_description === true)),
    agentQueueSummary: ({ agent_name }) => {
      const summary: AgentQueueSummary = {
        agent_name,
        open: 0,
        idle: 0,
        working: 0,
        blocked: 0,
        highest_priority: null,
      };
      for (const row of s.agentSummary.all(agent_name)) {
        if (row.status === 'idle') summary.idle = row.n;
        if (row.status === 'working') summary.working = row.n;
        summary.open += row.n;
        summary.blocked += row.blocked;
        if (row.top !== null && (summary.highest_priority === null || row.top > summary.highest_priority)) {
          summary.highest_priority = row.top;
        }
      }
      return summary;
    },
    listQueues: () => {
      const byQueue = new Map<string, QueueSummary>();
      for (const { queue_name, status, n } of s.queues.all()) {
        let q = byQueue.get(queue_name);
        if (!q) {
          q = { queue_name, total: 0, ...emptyCounts() };
          byQueue.set(queue_name, q);
        }
        q[status] = n;
        q.total += n;
      }
      return [...byQueue.values()];
    },
    getQueueStats: ({ queue_name }) => {
      const stats: QueueStats = {
        queue_name,
        total: 0,
        by_status: emptyCounts(),
        by_assignee: [],
        unassigned: 0,
      };
      const byAssignee = new Map<string | null, QueueStats['by_assignee'][number]>();
      for (const { assigned_to, status, n } of s.queueByAssignee.all(queue_name)) {
        stats.total += n;
        stats.by_status[status] += n;
        if (assigned_to === null && status === 'idle') stats.unassigned += n;
        let a = byAssignee.get(assigned_to);
        if (!a) {
          a = { assigned_to, total: 0, ...emptyCounts() };
          byAssignee.set(assigned_to, a);
        }
        a[status] += n;
        a.total += n;
      }
      stats.by_assignee = [...byAssignee.values()];
      return stats;
    },
    listComments: ({ task_id }) => {
      requireTaskExists(task_id);
      return s.comments.all(task_id);
    },
    getComment: ({ id }) => {
      const c = s.comment.get(id);
      if (!c) throw errors.commentNotFound(id);
      return c;
    },
    listLinks: ({ task_id }) => {
      requireTaskExists(task_id);
      return s.links.all(task_id);
    },
    getTaskHistory: ({ task_id }) => {
      requireTaskExists(task_id);
      return s.history.all(task_id);
    },
    completeAgents: ({ prefix, limit }) =>
      s.agents.all(prefix, prefixEnd(prefix), prefix, prefixEnd(prefix), limit),
    completeQueues: ({ prefix, limit }) => s.queueNames.all(prefix, prefixEnd(prefix), limit),
    completeTaskIds: ({ prefix, limit }) =>
      /^\d*$/.test(prefix) ? s.taskIdsByPrefix.all(prefix, limit) : [],
    pageTaskIds: ({ after_id, limit, archived }) =>
      (archived ? s.pageIdsAll : s.pageIds).all(after_id, limit),
    boardStats: () => {
      const midnight = new Date();
      midnight.setUTCHours(0, 0, 0, 0);
      const totals = s.totals.get(midnight.toISOString()) ?? { total: 0, archived: 0, completed_today: 0 };
      const by_status = emptyCounts();
      for (const { status, n } of s.statusCounts.all()) by_status[status] = n;
      const stats: BoardStats = {
        tasks_total: totals.total,
        by_status,
        archived: totals.archived,
        completed_today: totals.completed_today,
      };
      return stats;
    },
    ping: () => {
      s.ping.get();
      return { ok: true, schemaVersion: schemaVersion(db) };
    },
  };

  const MULTI_STATEMENT = new Set<ReadQueryName>([
    'getTask',
    'listTasks',
    'getQueueTasks',
    'getSubtasks',
    'getTaskWithSubtasks',
    'getQueueStats',
    'boardStats',
  ]);

  return {
    run(query) {
      try {
        const fn = handlers[query.op] as (args: unknown) => unknown;
        const value = MULTI_STATEMENT.has(query.op)
          ? db.transaction(() => fn(query.args)).deferred()
          : fn(query.args);
        return { ok: true, value };
      } catch (err) {
        return { ok: false, error: toPlainError(err) };
      }
    },
  };
}
