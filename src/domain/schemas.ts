import { z } from 'zod';
import { errors } from './errors.js';
import { agentKey, LIMITS } from './limits.js';
import { TASK_STATUSES } from './types.js';

/**
 * Input schemas of every board operation, with TinyTask's argument names. The core validates with them (so a
 * bad call fails with INVALID_ARGUMENT before it reaches a thread), and the MCP layer shows them to clients as
 * JSON Schema, so every field carries a description.
 */

export { agentKey, LIMITS };

/**
 * The one rule for integers given as text, ids included: a canonical decimal numeral — digits only, no sign (a
 * minus where negatives are allowed), no leading zeros, no spaces, at most 16 digits. `"42"` is 42; `" 42"`,
 * `"+42"`, `"042"`, `"4e1"` and `"42.0"` are refused. Resource URIs (`task://42`) use the same digits.
 */
export const ID_DIGITS = '[1-9][0-9]{0,15}';
const POSITIVE_NUMERAL = new RegExp(`^${ID_DIGITS}$`);
const UNSIGNED_NUMERAL = new RegExp(`^(?:0|${ID_DIGITS})$`);
const SIGNED_NUMERAL = new RegExp(`^-?(?:0|${ID_DIGITS})$`);

/**
 * An integer from `min` to `max` given as a JSON number or as a canonical numeric string (agents send both). Every
 * way it can fail reports the same message, naming the field and its range.
 */
const integer = (min: number, max: number, message: string) => {
  const error = () => message;
  return z.union(
    [
      z.number({ error }).int({ error }).min(min, { error }).max(max, { error }),
      z
        .string({ error })
        .regex(min < 0 ? SIGNED_NUMERAL : min > 0 ? POSITIVE_NUMERAL : UNSIGNED_NUMERAL, { error })
        .transform(Number)
        .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, { error }),
    ],
    { error },
  );
};

/**
 * The id rule every tool shares (task, comment and link ids, and any id argument a tool adds): a positive integer
 * as a JSON number or a canonical digit string. Build id fields with `id()` so they all follow it.
 */
const idValue = (what: string) =>
  integer(
    1,
    Number.MAX_SAFE_INTEGER,
    `${what} must be a positive integer id: a number like 42 or a string of digits like "42" (no spaces, signs or leading zeros)`,
  );

export const id = (what: string, description: string) => idValue(what).describe(description);

/** `schema` or null, keeping the field's description at the top of its JSON Schema. */
const orNull = <T extends z.ZodType>(schema: T) => schema.nullable().describe(schema.description ?? '');

const text = (what: string, max: number, description: string) =>
  z
    .string({ error: () => `${what} must be a string` })
    .min(1, { error: `${what} must not be empty` })
    .max(max, { error: `${what} is longer than ${max} characters; shorten it` })
    .describe(description);

const optionalText = (what: string, max: number, description: string) =>
  z
    .string({ error: () => `${what} must be a string` })
    .max(max, { error: `${what} is longer than ${max} characters; shorten it` })
    .describe(description);

/**
 * An agent name: trimmed, then 1 to 200 characters. Names are matched case-insensitively everywhere
 * (`agentKey`); the board stores each name as first written.
 */
export const agentName = (what: string, description: string) =>
  z
    .string({ error: () => `${what} must be a string` })
    .trim()
    .min(1, { error: `${what} must not be empty` })
    .max(LIMITS.agentName, { error: `${what} is longer than ${LIMITS.agentName} characters; shorten it` })
    .describe(description);

export const queueName = (what: string, description: string) => text(what, LIMITS.queueName, description);

const priority = integer(
  -LIMITS.priority,
  LIMITS.priority,
  `priority must be an integer from -${LIMITS.priority} to ${LIMITS.priority}`,
).describe('Higher first');

const tags = z
  .array(text('each tag', LIMITS.tag, 'A tag'), { error: () => 'tags must be an array of strings' })
  .max(LIMITS.tags, { error: `tags may hold at most ${LIMITS.tags} entries` })
  .describe('');

export const status = z
  .enum(TASK_STATUSES, { error: () => 'status must be one of idle, working, complete' })
  .describe('');

const statusFilter = z
  .union([status, z.array(status).min(1, { error: 'status must not be an empty array' })], {
    error: () => 'status must be one of idle, working, complete, or a non-empty array of them',
  })
  .describe('');

const excludeStatus = z
  .union([status, z.array(status)], {
    error: () => 'exclude_status must be one of idle, working, complete, or an array of them',
  })
  .describe('');

const limit = integer(1, LIMITS.listLimit, `limit must be an integer from 1 to ${LIMITS.listLimit}`).describe(
  '',
);

const offset = integer(0, LIMITS.offset, `offset must be an integer from 0 to ${LIMITS.offset}`).describe('');

const flag = (what: string, description: string) =>
  z.boolean({ error: () => `${what} must be true or false` }).describe(description);

const includeDescription = flag('include_description', '');

/**
 * A due date: an ISO 8601 date (`2026-12-31`, midnight UTC) or date-time with a zone (`2026-12-31T17:00:00Z`,
 * `…+02:00`), stored as UTC (`2026-12-31T15:00:00.000Z`) so that due dates sort as text.
 */
const DUE_AT_FORMAT =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;
const dueAtMessage =
  'due_at must be an ISO 8601 date or date-time with a time zone, e.g. "2026-12-31" or "2026-12-31T17:00:00Z"';
export const dueAt = z
  .string({ error: () => dueAtMessage })
  .trim()
  .regex(DUE_AT_FORMAT, { error: dueAtMessage })
  .transform((v, ctx) => {
    const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
    const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, m - 1, d));
    // Date.parse rolls 2026-02-31 over into March; a calendar date that does not exist is refused.
    if (Number.isNaN(ms) || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) {
      ctx.addIssue({ code: 'custom', message: dueAtMessage });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  })
  .describe('ISO 8601');

export const SORTS = ['priority', 'created', 'updated', 'due'] as const;
export type Sort = (typeof SORTS)[number];

const tagFilter = z
  .array(text('each tag', LIMITS.tag, ''), { error: () => 'tags must be an array of strings' })
  .min(1, { error: 'tags must not be an empty array' })
  .max(LIMITS.tags, { error: `tags may hold at most ${LIMITS.tags} entries` })
  .describe('Has all of them');

/** Filters shared by list_tasks, get_queue_tasks and search_tasks. */
const taskFilters = {
  assigned_to: agentName('assigned_to', '').optional(),
  created_by: agentName('created_by', '').optional(),
  status: statusFilter.optional(),
  tags: tagFilter.optional(),
};

/** Explained once in the server's instructions (src/mcp/server.ts), not in every tool. */
const leaseSeconds = integer(
  1,
  LIMITS.leaseSeconds,
  `lease_seconds must be an integer from 1 to ${LIMITS.leaseSeconds}`,
).describe('');

const leaseId = (description: string) =>
  z
    .string({ error: () => 'lease_id must be a string' })
    .min(1, { error: 'lease_id must not be empty' })
    .max(LIMITS.leaseId, { error: `lease_id is longer than ${LIMITS.leaseId} characters` })
    .describe(description);

/** Optional lease on writes that may be fenced: with it the write is refused (LEASE_LOST) once the lease is gone. */
const fencingLease = leaseId('').optional();

const blockerIds = (description: string) =>
  z
    .array(idValue('each of blocked_by_task_ids'), {
      error: () => 'blocked_by_task_ids must be an array of task ids',
    })
    .max(LIMITS.blockers, { error: `blocked_by_task_ids may hold at most ${LIMITS.blockers} ids` })
    .describe(description);

/** The list and the legacy single blocker are two spellings of one field: one of them per call. */
const oneBlockerSpelling: [
  (v: { blocked_by_task_id?: unknown; blocked_by_task_ids?: unknown }) => boolean,
  { error: string; path: PropertyKey[] },
] = [
  (v) => v.blocked_by_task_id === undefined || v.blocked_by_task_ids === undefined,
  {
    error:
      'blocked_by_task_id and blocked_by_task_ids set the same thing; pass blocked_by_task_ids (a list) alone',
    path: ['blocked_by_task_ids'],
  },
];

const listFilters = {
  ...taskFilters,
  exclude_status: excludeStatus.optional(),
  parent_task_id: id('parent_task_id', '').optional(),
  exclude_subtasks: flag('exclude_subtasks', '').optional(),
  include_archived: flag('include_archived', '').optional(),
  include_description: includeDescription.optional(),
  overdue: flag('overdue', 'Open and past due_at').optional(),
  sort: z
    .enum(SORTS, { error: () => `sort must be one of ${SORTS.join(', ')}` })
    .describe('Default priority')
    .optional(),
  limit: limit.optional(),
  offset: offset.optional(),
};

/** `parent_task_id` asks for subtasks and `exclude_subtasks` leaves them out: together they can only match nothing. */
const subtaskFiltersAgree: [
  (v: { parent_task_id?: number; exclude_subtasks?: boolean }) => boolean,
  { error: string; path: PropertyKey[] },
] = [
  (v: { parent_task_id?: number; exclude_subtasks?: boolean }) =>
    !(v.parent_task_id !== undefined && v.exclude_subtasks === true),
  {
    error:
      'parent_task_id lists the subtasks of a task while exclude_subtasks: true leaves every subtask out; pass one of them, not both',
    path: ['exclude_subtasks'],
  },
];

export const schemas = {
  createTask: z
    .strictObject({
      title: text('title', LIMITS.title, ''),
      description: optionalText('description', LIMITS.description, '').optional(),
      assigned_to: agentName('assigned_to', '').optional(),
      created_by: agentName('created_by', ''),
      priority: priority.optional(),
      tags: tags.optional(),
      parent_task_id: id('parent_task_id', '').optional(),
      queue_name: queueName('queue_name', 'Team queue, e.g. dev, qa').optional(),
      blocked_by_task_id: id('blocked_by_task_id', 'One blocker').optional(),
      blocked_by_task_ids: blockerIds('All must complete first').optional(),
      auto_promote: flag('auto_promote', '').optional(),
      due_at: dueAt.optional(),
    })
    .refine(...oneBlockerSpelling),

  createSubtask: z
    .strictObject({
      parent_task_id: id('parent_task_id', ''),
      title: text('title', LIMITS.title, ''),
      description: optionalText('description', LIMITS.description, '').optional(),
      assigned_to: agentName('assigned_to', '').optional(),
      created_by: agentName('created_by', ''),
      priority: priority.describe('').optional(),
      tags: tags.optional(),
      queue_name: queueName('queue_name', 'Default: the parent’s').optional(),
      blocked_by_task_id: id('blocked_by_task_id', 'One blocker').optional(),
      blocked_by_task_ids: blockerIds('').optional(),
      due_at: dueAt.describe('').optional(),
    })
    .refine(...oneBlockerSpelling),

  updateTask: z
    .strictObject({
      id: id('task_id', ''),
      title: text('title', LIMITS.title, '').optional(),
      description: optionalText('description', LIMITS.description, '').optional(),
      status: status.optional(),
      assigned_to: orNull(agentName('assigned_to', 'null unassigns')).optional(),
      priority: priority.describe('').optional(),
      tags: tags.optional(),
      parent_task_id: orNull(id('parent_task_id', 'null: top level')).optional(),
      queue_name: orNull(queueName('queue_name', '')).optional(),
      blocked_by_task_id: orNull(id('blocked_by_task_id', 'null unblocks')).optional(),
      blocked_by_task_ids: blockerIds('Replaces all blockers; [] unblocks').optional(),
      auto_promote: flag('auto_promote', '').optional(),
      due_at: orNull(dueAt.describe('null clears')).optional(),
      updated_by: agentName('updated_by', '').optional(),
      lease_id: fencingLease,
      lease_seconds: leaseSeconds.optional(),
    })
    .refine(...oneBlockerSpelling),

  taskId: z.strictObject({ id: id('task_id', '') }),

  listTasks: z
    .strictObject({
      ...listFilters,
      queue_name: queueName('queue_name', '').optional(),
    })
    .refine(...subtaskFiltersAgree),

  getSubtasks: z.strictObject({
    parent_task_id: id('parent_task_id', ''),
    recursive: flag('recursive', '').optional(),
    include_archived: flag('include_archived', '').optional(),
  }),

  getTaskWithSubtasks: z.strictObject({
    task_id: id('task_id', ''),
    recursive: flag('recursive', '').optional(),
    include_archived: flag('include_archived', '').optional(),
  }),

  moveSubtask: z.strictObject({
    subtask_id: id('subtask_id', ''),
    new_parent_id: orNull(id('new_parent_id', 'null: top level')).optional(),
  }),

  getMyQueue: z.strictObject({
    agent_name: agentName('agent_name', ''),
    include_description: includeDescription.optional(),
  }),

  signupForTask: z.strictObject({
    agent_name: agentName('agent_name', ''),
    lease_seconds: leaseSeconds.optional(),
  }),

  claimNextTask: z.strictObject({
    agent_name: agentName('agent_name', ''),
    queue_name: queueName('queue_name', 'Also its unassigned tasks').optional(),
    task_id: id('task_id', 'Only this task').optional(),
    lease_seconds: leaseSeconds.optional(),
  }),

  heartbeatTask: z.strictObject({
    task_id: id('task_id', ''),
    agent_name: agentName('agent_name', ''),
    lease_id: leaseId(''),
    lease_seconds: leaseSeconds.optional(),
  }),

  releaseTask: z.strictObject({
    task_id: id('task_id', ''),
    agent_name: agentName('agent_name', ''),
    lease_id: leaseId(''),
    reason: text('reason', LIMITS.reason, '').optional(),
  }),

  requeueTask: z.strictObject({
    task_id: id('task_id', ''),
    reset_attempts: flag('reset_attempts', 'Also zero the counters').optional(),
    requeued_by: agentName('requeued_by', '').optional(),
  }),

  listReadyTasks: z.strictObject({
    queue_name: queueName('queue_name', 'With agent_name: its unassigned tasks too').optional(),
    agent_name: agentName('agent_name', '').optional(),
    limit: limit.optional(),
    cursor: z
      .string({ error: () => 'cursor must be a string' })
      .max(LIMITS.cursor, { error: 'cursor is not one this server returned' })
      .describe('')
      .optional(),
  }),

  waitForTask: z.strictObject({
    agent_name: agentName('agent_name', ''),
    queue_name: queueName('queue_name', '').optional(),
    timeout_seconds: integer(
      LIMITS.waitSecondsMin,
      LIMITS.waitSecondsMax,
      `timeout_seconds must be an integer from ${LIMITS.waitSecondsMin} to ${LIMITS.waitSecondsMax}`,
    )
      .describe(`Default ${LIMITS.waitSecondsDefault}`)
      .optional(),
    claim: flag('claim', '').optional(),
    lease_seconds: leaseSeconds.optional(),
  }),

  moveTask: z.strictObject({
    task_id: id('task_id', ''),
    current_agent: agentName('current_agent', ''),
    new_agent: agentName('new_agent', ''),
    comment: text('comment', LIMITS.comment, 'What is done, what is left'),
    lease_id: fencingLease,
  }),

  listQueues: z.strictObject({}),

  queueName: z.strictObject({ queue_name: queueName('queue_name', '') }),

  addTaskToQueue: z.strictObject({
    task_id: id('task_id', ''),
    queue_name: queueName('queue_name', ''),
  }),

  removeTaskFromQueue: z.strictObject({ task_id: id('task_id', '') }),

  moveTaskToQueue: z.strictObject({
    task_id: id('task_id', ''),
    new_queue_name: queueName('new_queue_name', ''),
  }),

  getQueueTasks: z
    .strictObject({
      queue_name: queueName('queue_name', ''),
      ...listFilters,
    })
    .refine(...subtaskFiltersAgree),

  searchTasks: z.strictObject({
    query: z
      .string({ error: () => 'query must be a string of words to search for' })
      .trim()
      .min(1, { error: 'query must not be empty: give the words to search for' })
      .max(LIMITS.searchQuery, { error: `query is longer than ${LIMITS.searchQuery} characters; shorten it` })
      .describe('Words, "a phrase", prefix*'),
    ...taskFilters,
    queue_name: queueName('queue_name', '').optional(),
    include_archived: flag('include_archived', '').optional(),
    limit: integer(1, LIMITS.searchLimit, `limit must be an integer from 1 to ${LIMITS.searchLimit}`)
      .describe('')
      .optional(),
    cursor: z
      .string({ error: () => 'cursor must be the next_cursor string of the previous answer' })
      .max(200, { error: 'cursor must be the next_cursor string of the previous answer' })
      .describe('')
      .optional(),
  }),

  addComment: z.strictObject({
    task_id: id('task_id', ''),
    content: text('content', LIMITS.comment, ''),
    created_by: agentName('created_by', '').optional(),
    lease_id: fencingLease,
  }),

  updateComment: z.strictObject({
    id: id('id', ''),
    content: text('content', LIMITS.comment, ''),
  }),

  commentId: z.strictObject({ id: id('id', '') }),

  listComments: z.strictObject({ task_id: id('task_id', '') }),

  moveComment: z.strictObject({
    comment_id: id('comment_id', ''),
    to_task_id: id('to_task_id', ''),
  }),

  addLink: z.strictObject({
    task_id: id('task_id', ''),
    url: text('url', LIMITS.url, ''),
    description: optionalText('description', LIMITS.linkDescription, '').optional(),
    created_by: agentName('created_by', '').optional(),
    lease_id: fencingLease,
  }),

  updateLink: z.strictObject({
    id: id('id', ''),
    url: text('url', LIMITS.url, '').optional(),
    description: optionalText('description', LIMITS.linkDescription, '').optional(),
  }),

  linkId: z.strictObject({ id: id('id', '') }),

  listLinks: z.strictObject({ task_id: id('task_id', '') }),

  getTaskHistory: z.strictObject({ task_id: id('task_id', '') }),
} as const;

export type Schemas = typeof schemas;
export type InputOf<K extends keyof Schemas> = z.output<Schemas[K]>;

export type CreateTaskInput = InputOf<'createTask'>;
export type CreateSubtaskInput = InputOf<'createSubtask'>;
export type UpdateTaskInput = InputOf<'updateTask'>;
export type TaskIdInput = InputOf<'taskId'>;
export type ListTasksInput = InputOf<'listTasks'>;
export type GetSubtasksInput = InputOf<'getSubtasks'>;
export type GetTaskWithSubtasksInput = InputOf<'getTaskWithSubtasks'>;
export type MoveSubtaskInput = InputOf<'moveSubtask'>;
export type GetMyQueueInput = InputOf<'getMyQueue'>;
export type SignupForTaskInput = InputOf<'signupForTask'>;
export type ClaimNextTaskInput = InputOf<'claimNextTask'>;
export type HeartbeatTaskInput = InputOf<'heartbeatTask'>;
export type ReleaseTaskInput = InputOf<'releaseTask'>;
export type RequeueTaskInput = InputOf<'requeueTask'>;
export type ListReadyTasksInput = InputOf<'listReadyTasks'>;
export type MoveTaskInput = InputOf<'moveTask'>;
export type WaitForTaskInput = InputOf<'waitForTask'>;
export type QueueNameInput = InputOf<'queueName'>;
export type AddTaskToQueueInput = InputOf<'addTaskToQueue'>;
export type RemoveTaskFromQueueInput = InputOf<'removeTaskFromQueue'>;
export type MoveTaskToQueueInput = InputOf<'moveTaskToQueue'>;
export type GetQueueTasksInput = InputOf<'getQueueTasks'>;
export type SearchTasksInput = InputOf<'searchTasks'>;
export type AddCommentInput = InputOf<'addComment'>;
export type UpdateCommentInput = InputOf<'updateComment'>;
export type CommentIdInput = InputOf<'commentId'>;
export type ListCommentsInput = InputOf<'listComments'>;
export type MoveCommentInput = InputOf<'moveComment'>;
export type AddLinkInput = InputOf<'addLink'>;
export type UpdateLinkInput = InputOf<'updateLink'>;
export type LinkIdInput = InputOf<'linkId'>;
export type ListLinksInput = InputOf<'listLinks'>;
export type GetTaskHistoryInput = InputOf<'getTaskHistory'>;

/** Edit distance between two short strings: insertions, deletions, substitutions and swaps of neighbours. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known argument an unknown one most likely meant: the same name but for case and separators (`taskId`,
 * `Task-ID` → `task_id`), or one at most two edits away (a third of the name for short names), or one that
 * contains it whole (`agent` → `agent_name`). Undefined when nothing is close.
 */
export function closestName(unknown: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');
  const u = norm(unknown);
  if (u.length === 0) return undefined;
  let best: { name: string; score: number } | undefined;
  for (const name of known) {
    const k = norm(name);
    let score: number;
    if (k === u) score = 0;
    else {
      const d = distance(u, k);
      const allowed = Math.min(2, Math.floor(Math.max(u.length, k.length) / 3));
      if (d <= allowed) score = d;
      else if (u.length >= 4 && (k.startsWith(u) || k.endsWith(u))) score = 3;
      else continue;
    }
    if (!best || score < best.score) best = { name, score };
  }
  return best?.name;
}

/** The argument names an input schema accepts at its top level (through refinements and transforms). */
export function argumentNames(schema: z.ZodType): string[] {
  let current: unknown = schema;
  for (let depth = 0; depth < 5 && current; depth++) {
    const def = (current as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) break;
    if (def.type === 'object') return Object.keys(def.shape as object);
    current = def.type === 'pipe' ? def.in : def.innerType;
  }
  return [];
}

/**
 * Formats zod issues as one message naming each bad field and what it must be. `known` (the arguments the
 * operation accepts) lets an unknown argument close to a known one say "did you mean …".
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], known: readonly string[] = []): string {
  const parts = issues.slice(0, 10).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '';
    if (issue.code === 'unrecognized_keys') {
      const named = issue.keys.map((k) => {
        const guess = path ? undefined : closestName(k, known);
        return `${JSON.stringify(k)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}`;
      });
      const listed = known.length > 0 && !path ? `; accepted: ${known.join(', ')}` : '';
      return `unknown argument${issue.keys.length > 1 ? 's' : ''} ${named.join(', ')}${path ? ` in ${path}` : ''}${listed}`;
    }
    if (path && 'input' in issue && issue.input === undefined) {
      return `${path || 'argument'} is required`;
    }
    const message = issue.message;
    return path && !message.startsWith(path.split('.')[0] ?? '') ? `${path}: ${message}` : message;
  });
  const more = issues.length > 10 ? ` (and ${issues.length - 10} more problems)` : '';
  return `Invalid arguments: ${parts.join('; ')}${more}.`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path (`tags.1`, `title`) of the first string in `value` holding a lone surrogate, or undefined. */
function loneSurrogatePath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path || 'argument' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = loneSurrogatePath(key, path) ?? loneSurrogatePath(child, path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Refuses text that is not valid Unicode: a lone surrogate (`"\ud83d"` without its pair) cannot be stored as
 * UTF-8 and would silently become U+FFFD. Every board operation checks its input with this before validating it.
 */
export function assertWellFormedText(input: unknown): void {
  const path = loneSurrogatePath(input, '');
  if (path !== undefined) {
    throw errors.invalidArgument(
      `Invalid arguments: ${path} contains a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not valid Unicode text; send the complete character (both halves of a surrogate pair) or remove it.`,
    );
  }
}

/**
 * Objects that are the output of a schema's own parse: the MCP tool layer parses a tool's arguments with the schema
 * of the board operation it calls, and the board then takes that object as it is instead of validating it a second
 * time (`parseInput`, `parseWriteInput`). Keyed by the object itself, so anything built from it is validated again;
 * nothing may change a marked object.
 */
const parsedBy = new WeakMap<object, z.ZodType>();

/** Records that `data` is what `schema` returned from a successful parse (see `parsedBy`). */
export function markParsed(schema: z.ZodType, data: unknown): void {
  if (typeof data === 'object' && data !== null) parsedBy.set(data, schema);
}

/** Whether `input` is the untouched output of a successful parse by `schema`. */
export function parsedWith(schema: z.ZodType, input: unknown): boolean {
  return typeof input === 'object' && input !== null && parsedBy.get(input) === schema;
}

/** Validates `input` against one of the operation schemas; throws INVALID_ARGUMENT naming every problem. */
export function parseInput<K extends keyof Schemas>(name: K, input: unknown): InputOf<K> {
  assertWellFormedText(input);
  if (parsedWith(schemas[name], input)) return input as InputOf<K>;
  const result = schemas[name].safeParse(input ?? {}, { reportInput: true });
  if (!result.success) {
    throw errors.invalidArgument(describeIssues(result.error.issues, argumentNames(schemas[name])));
  }
  return result.data as InputOf<K>;
}
