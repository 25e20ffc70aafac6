import { errors, toPlainError } from '../../domain/errors.js';
import type {
  GetQueueTasksInput,
  ListReadyTasksInput,
  ListTasksInput,
  SearchTasksInput,
  Sort,
} from '../../domain/schemas.js';
import { agentKey, LIMITS } from '../../domain/limits.js';
import type {
  AgentQueueSummary,
  BoardStats,
  Comment,
  HistoryEntry,
  Link,
  QueueStats,
  QueueSummary,
  SearchPage,
  StatusCounts,
  Task,
  TaskDetail,
  TaskPage,
  TaskStatus,
  TaskTree,
} from '../../domain/types.js';
import type { Connection, SqlStatement } from '../connection.js';
import { schemaVersion } from '../migrate.js';
import type { ReadOutcome, ReadQueries, ReadQuery, ReadQueryName } from '../protocol.js';
import { decodeReadyCursor, encodeReadyCursor, OPEN_BLOCKERS_SQL, readySql } from '../ready.js';
import { toTask, type TaskRow } from '../rows.js';
import { decodeSearchCursor, encodeSearchCursor, ftsQuery, tsQuery } from './search.js';

const ORDER = 'ORDER BY priority DESC, created_at ASC, id ASC';

/** `list_tasks` orders (`sort`). The default is the claim order. */
const ORDERS: Record<Sort, string> = {
  priority: ORDER,
  created: 'ORDER BY created_at DESC, id DESC',
  updated: 'ORDER BY updated_at DESC, id DESC',
  due: 'ORDER BY due_at IS NULL, due_at ASC, priority DESC, id ASC',
};

/** The filters list_tasks, get_queue_tasks and search_tasks share, over `tasks` (aliased `t`). */
interface TaskFilterArgs {
  assigned_to?: string;
  created_by?: string;
  status?: TaskStatus | TaskStatus[];
  exclude_status?: TaskStatus | TaskStatus[];
  tags?: string[];
  queue_name?: string;
  parent_task_id?: number;
  exclude_subtasks?: boolean;
  include_archived?: boolean;
  overdue?: boolean;
}

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

/** Which SQL dialect the connection speaks; only full-text search is written twice (FTS5, tsvector). */
export type Dialect = 'sqlite' | 'postgres';

/**
 * Every read as a function over one read-only connection. Statements are prepared once (list queries, whose
 * WHERE clause depends on the filters given, once per distinct clause). Multi-statement reads run in one
 * deferred transaction so they see one snapshot; nothing keeps a read transaction open between queries, so
 * each query sees every write committed before it started.
 */
export function createReadQueries(db: Connection, dialect: Dialect = 'sqlite'): ReadQueryRunner {
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
    // One search of the claim index per status, merged: with `status IN (...)` SQLite walks the agent's every
    // task (finished ones too) in list order instead.
    myQueue: db.prepare<{ agent: string }, TaskRow>(
      `SELECT * FROM tasks WHERE assigned_to = @agent AND status = 'working' AND archived_at IS NULL
       UNION ALL SELECT * FROM tasks WHERE assigned_to = @agent AND status = 'idle' AND archived_at IS NULL ${ORDER}`,
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
    // The unassigned (NULL) come first, as SQLite sorts them; PostgreSQL sorts NULL last unless told.
    queueByAssignee: db.prepare<[string], { assigned_to: string | null; status: TaskStatus; n: number }>(
      `SELECT assigned_to, status, count(*) AS n FROM tasks
       WHERE queue_name = ? AND archived_at IS NULL GROUP BY assigned_to, status
       ORDER BY assigned_to /* pg: NULLS FIRST */`,
    ),
    agents: db
      .prepare<[string, string, number], string>(
        'SELECT name FROM agents WHERE key >= ? AND key < ? ORDER BY key LIMIT ?',
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
    // Every figure of get_board_stats in one pass over the table (it has no index that answers them all).
    totals: db.prepare<
      [string],
      {
        total: number;
        archived: number;
        idle: number;
        working: number;
        complete: number;
        completed_today: number;
      }
    >(
      `SELECT count(*) AS total,
         coalesce(sum(CASE WHEN archived_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS archived,
         coalesce(sum(CASE WHEN archived_at IS NULL AND status = 'idle' THEN 1 ELSE 0 END), 0) AS idle,
         coalesce(sum(CASE WHEN archived_at IS NULL AND status = 'working' THEN 1 ELSE 0 END), 0) AS working,
         coalesce(sum(CASE WHEN archived_at IS NULL AND status = 'complete' THEN 1 ELSE 0 END), 0) AS complete,
         coalesce(sum(CASE WHEN status = 'complete' AND updated_at >= ? THEN 1 ELSE 0 END), 0) AS completed_today
       FROM tasks`,
    ),
    ping: db.prepare<[], number>('SELECT 1').pluck(),
  };

  const listCache = new Map<
    string,
    { rows: ReturnType<typeof db.prepare>; count: ReturnType<typeof db.prepare> }
  >();

  const agentByKey = db.prepare<[string], string>('SELECT name FROM agents WHERE key = ?').pluck();
  /** The stored spelling of an agent name (names match case-insensitively), or the name trimmed if unknown. */
  function agent(name: string): string {
    return agentByKey.get(agentKey(name)) ?? name.trim();
  }

  /** WHERE conditions and parameters for the shared filters; the SQL depends only on which filters are given. */
  function taskFilters(args: TaskFilterArgs): { where: string[]; params: Record<string, unknown> } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    const equal = (
      column: 'assigned_to' | 'created_by' | 'queue_name' | 'parent_task_id',
      value: unknown,
    ) => {
      where.push(`t.${column} = @${column}`);
      params[column] = value;
    };
    if (args.assigned_to !== undefined) equal('assigned_to', agent(args.assigned_to));
    if (args.created_by !== undefined) equal('created_by', agent(args.created_by));
    if (args.queue_name !== undefined) equal('queue_name', args.queue_name);
    if (args.parent_task_id !== undefined) equal('parent_task_id', args.parent_task_id);
    const status = asArray(args.status);
    if (status) {
      where.push('t.status IN (SELECT value FROM json_each(@status))');
      params.status = JSON.stringify(status);
    }
    const exclude = asArray(args.exclude_status);
    if (exclude && exclude.length > 0) {
      where.push('t.status NOT IN (SELECT value FROM json_each(@exclude_status))');
      params.exclude_status = JSON.stringify(exclude);
    }
    if (args.tags !== undefined) {
      where.push(
        'NOT EXISTS (SELECT 1 FROM json_each(@tags) w WHERE w.value NOT IN (SELECT value FROM json_each(t.tags)))',
      );
      params.tags = JSON.stringify(args.tags);
    }
    if (args.overdue !== undefined) {
      const overdue = "(t.due_at IS NOT NULL AND t.due_at < @now AND t.status <> 'complete')";
      where.push(args.overdue ? overdue : `NOT ${overdue}`);
      params.now = new Date().toISOString();
    }
    if (args.exclude_subtasks === true) where.push('t.parent_task_id IS NULL');
    if (args.include_archived !== true) where.push('t.archived_at IS NULL');
    return { where, params };
  }

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
    const { where, params } = taskFilters(args);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const order = ORDERS[args.sort ?? 'priority'];
    const key = `${clause} ${order}`;
    let stmts = listCache.get(key);
    if (!stmts) {
      stmts = {
        rows: db.prepare(`SELECT * FROM tasks t ${clause} ${order} LIMIT @limit OFFSET @offset`),
        count: db.prepare(`SELECT count(*) FROM tasks t ${clause}`).pluck(),
      };
      listCache.set(key, stmts);
    }
    const limit = args.limit ?? LIMITS.listLimitDefault;
    const offset = args.offset ?? 0;
    const withDescription = args.include_description === true;
    const rows = stmts.rows.all({ ...params, limit, offset }) as TaskRow[];
    const total = stmts.count.get(params) as number;
    return { tasks: rows.map((r) => toTask(r, withDescription)), total, limit, offset };
  }

  const searchCache = new Map<string, ReturnType<typeof db.prepare>>();

  /** Ranked full-text search (title weighs most, then description, then comments), filtered, paged by cursor. */
  function searchTasks(args: SearchTasksInput): SearchPage {
    const match = dialect === 'postgres' ? tsQuery(args.query) : ftsQuery(args.query);
    const offset = args.cursor === undefined ? 0 : decodeSearchCursor(args.cursor, args.query);
    const limit = args.limit ?? LIMITS.searchLimitDefault;
    const { where, params } = taskFilters(args);
    const clause = [dialect === 'postgres' ? 's.document @@ q' : 'task_search MATCH @match', ...where].join(
      ' AND ',
    );
    let stmt = searchCache.get(clause);
    if (!stmt) {
      stmt = db.prepare(
        dialect === 'postgres'
          ? // Weights: title (A) counts most, then description (B), then comments (C), as bm25's 10/4/1 on SQLite.
            `SELECT t.*, regexp_replace(ts_headline('tinytask_text', s.title || E'\\n' || s.body, q,
               'StartSel=**, StopSel=**, MaxWords=12, MinWords=3, MaxFragments=1, FragmentDelimiter=…'),
               '\\s+', ' ', 'g') AS snippet
             FROM task_search s JOIN tasks t ON t.id = s.task_id, to_tsquery('tinytask_text', @match) q
             WHERE ${clause}
             ORDER BY ts_rank(s.document, q) DESC, t.id
             LIMIT @limit OFFSET @offset`
          : `SELECT t.*, snippet(task_search, -1, '**', '**', '…', 12) AS snippet
         FROM task_search JOIN tasks t ON t.id = task_search.rowid
         WHERE ${clause}
         ORDER BY bm25(task_search, 10.0, 4.0, 1.0), t.id
         LIMIT @limit OFFSET @offset`,
      );
      searchCache.set(clause, stmt);
    }
    const rows = stmt.all({ ...params, match, limit: limit + 1, offset }) as Array<
      TaskRow & { snippet: string }
    >;
    const more = rows.length > limit;
    return {
      tasks: rows.slice(0, limit).map((r) => ({ ...toTask(r, false), snippet: r.snippet })),
      next_cursor: more ? encodeSearchCursor(offset + limit, args.query) : null,
    };
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

  const readyStatements = new Map<string, SqlStatement<[Record<string, unknown>], TaskRow>>();
  /** One page of ready tasks in claim order; a statement per distinct (scope, cursor) shape. */
  function listReadyTasks(args: ListReadyTasksInput) {
    const limit = args.limit ?? LIMITS.listLimitDefault;
    const cursor = args.cursor === undefined ? null : decodeReadyCursor(args.cursor);
    const sql = readySql(args, cursor !== null);
    let stmt = readyStatements.get(sql);
    if (!stmt) {
      stmt = db.prepare<Record<string, unknown>, TaskRow>(sql);
      readyStatements.set(sql, stmt);
    }
    const rows = stmt.all({
      agent: args.agent_name === undefined ? null : agent(args.agent_name),
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
    searchTasks,
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
      s.myQueue.all({ agent: agent(agent_name) }).map((r) => toTask(r, include_description === true)),
    agentQueueSummary: ({ agent_name }) => {
      const summary: AgentQueueSummary = {
        agent_name: agent(agent_name),
        open: 0,
        idle: 0,
        working: 0,
        blocked: 0,
        highest_priority: null,
      };
      for (const row of s.agentSummary.all(summary.agent_name)) {
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
    completeAgents: ({ prefix, limit }) => {
      const key = agentKey(prefix);
      return s.agents.all(key, prefixEnd(key), limit);
    },
    completeQueues: ({ prefix, limit }) => s.queueNames.all(prefix, prefixEnd(prefix), limit),
    completeTaskIds: ({ prefix, limit }) =>
      /^\d*$/.test(prefix) ? s.taskIdsByPrefix.all(prefix, limit) : [],
    pageTaskIds: ({ after_id, limit, archived }) =>
      (archived ? s.pageIdsAll : s.pageIds).all(after_id, limit),
    boardStats: () => {
      const midnight = new Date();
      midnight.setUTCHours(0, 0, 0, 0);
      const t = s.totals.get(midnight.toISOString());
      const stats: BoardStats = {
        tasks_total: t?.total ?? 0,
        by_status: { idle: t?.idle ?? 0, working: t?.working ?? 0, complete: t?.complete ?? 0 },
        archived: t?.archived ?? 0,
        completed_today: t?.completed_today ?? 0,
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
    'searchTasks',
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
