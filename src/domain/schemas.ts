import { z } from 'zod';
import { errors } from './errors.js';
import { TASK_STATUSES } from './types.js';

/**
 * Input schemas of every board operation, with TinyTask's argument names. The core validates with them (so a
 * bad call fails with INVALID_ARGUMENT before it reaches a thread), and the MCP layer shows them to clients as
 * JSON Schema, so every field carries a description.
 */

export const LIMITS = {
  title: 500,
  description: 20_000,
  agentName: 200,
  queueName: 100,
  tag: 100,
  tags: 50,
  comment: 20_000,
  url: 2_048,
  linkDescription: 2_000,
  priority: 1_000_000,
  listLimit: 1_000,
  listLimitDefault: 100,
  offset: 1_000_000_000,
} as const;

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

export const agentName = (what: string, description: string) => text(what, LIMITS.agentName, description);
const queueName = (what: string, description: string) => text(what, LIMITS.queueName, description);

const priority = integer(
  -LIMITS.priority,
  LIMITS.priority,
  `priority must be an integer from -${LIMITS.priority} to ${LIMITS.priority}`,
).describe('Priority; higher is claimed first (default 0)');

const tags = z
  .array(text('each tag', LIMITS.tag, 'A tag'), { error: () => 'tags must be an array of strings' })
  .max(LIMITS.tags, { error: `tags may hold at most ${LIMITS.tags} entries` })
  .describe(`Tags (at most ${LIMITS.tags}, each up to ${LIMITS.tag} characters)`);

export const status = z
  .enum(TASK_STATUSES, { error: () => 'status must be one of idle, working, complete' })
  .describe('Task status: idle, working or complete');

const statusFilter = z
  .union([status, z.array(status).min(1, { error: 'status must not be an empty array' })], {
    error: () => 'status must be one of idle, working, complete, or a non-empty array of them',
  })
  .describe('Only tasks with this status, or with any of these statuses (one value or an array)');

const excludeStatus = z
  .union([status, z.array(status)], {
    error: () => 'exclude_status must be one of idle, working, complete, or an array of them',
  })
  .describe('Leave out tasks with these statuses (one value or an array)');

const limit = integer(1, LIMITS.listLimit, `limit must be an integer from 1 to ${LIMITS.listLimit}`).describe(
  `Most tasks to return (default ${LIMITS.listLimitDefault}, at most ${LIMITS.listLimit})`,
);

const offset = integer(0, LIMITS.offset, `offset must be an integer from 0 to ${LIMITS.offset}`).describe(
  'Tasks to skip before the first one returned (default 0)',
);

const flag = (what: string, description: string) =>
  z.boolean({ error: () => `${what} must be true or false` }).describe(description);

const includeDescription = flag(
  'include_description',
  'Include each task’s full description (default false, to keep answers small)',
);

const listFilters = {
  assigned_to: agentName('assigned_to', 'Only tasks assigned to this agent').optional(),
  status: statusFilter.optional(),
  exclude_status: excludeStatus.optional(),
  parent_task_id: id('parent_task_id', 'Only direct subtasks of this task').optional(),
  exclude_subtasks: flag(
    'exclude_subtasks',
    'Leave out subtasks (tasks with a parent); default false',
  ).optional(),
  include_archived: flag('include_archived', 'Include archived tasks (default false)').optional(),
  include_description: includeDescription.optional(),
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
  createTask: z.strictObject({
    title: text('title', LIMITS.title, 'Task title'),
    description: optionalText('description', LIMITS.description, 'Task description').optional(),
    assigned_to: agentName('assigned_to', 'Agent the task is assigned to').optional(),
    created_by: agentName('created_by', 'Agent creating the task (required)'),
    priority: priority.optional(),
    tags: tags.optional(),
    parent_task_id: id('parent_task_id', 'Parent task id: creates the task as a subtask of it').optional(),
    queue_name: queueName('queue_name', 'Queue (team) the task belongs to, e.g. dev, product, qa').optional(),
    blocked_by_task_id: id(
      'blocked_by_task_id',
      'Task that blocks this one: it cannot be claimed until the blocker is complete',
    ).optional(),
    auto_promote: flag(
      'auto_promote',
      'Whether this task’s status rolls up from its subtasks’ statuses (default true)',
    ).optional(),
  }),

  createSubtask: z.strictObject({
    parent_task_id: id('parent_task_id', 'Parent task id'),
    title: text('title', LIMITS.title, 'Subtask title'),
    description: optionalText('description', LIMITS.description, 'Subtask description').optional(),
    assigned_to: agentName('assigned_to', 'Agent the subtask is assigned to').optional(),
    created_by: agentName('created_by', 'Agent creating the subtask (required)'),
    priority: priority.optional(),
    tags: tags.optional(),
    queue_name: queueName('queue_name', 'Queue; defaults to the parent’s queue').optional(),
    blocked_by_task_id: id('blocked_by_task_id', 'Task that blocks this subtask').optional(),
  }),

  updateTask: z.strictObject({
    id: id('id', 'Task id'),
    title: text('title', LIMITS.title, 'New title').optional(),
    description: optionalText('description', LIMITS.description, 'New description').optional(),
    status: status.optional(),
    assigned_to: orNull(agentName('assigned_to', 'New assignee; null unassigns')).optional(),
    priority: priority.optional(),
    tags: tags.optional(),
    parent_task_id: orNull(
      id('parent_task_id', 'New parent task id; null makes the task top-level'),
    ).optional(),
    queue_name: orNull(queueName('queue_name', 'New queue; null takes the task out of its queue')).optional(),
    blocked_by_task_id: orNull(
      id('blocked_by_task_id', 'Task that blocks this one; null unblocks'),
    ).optional(),
    auto_promote: flag('auto_promote', 'Whether the status rolls up from subtasks').optional(),
    updated_by: agentName('updated_by', 'Agent making the change (recorded in the task history)').optional(),
  }),

  taskId: z.strictObject({ id: id('id', 'Task id') }),

  listTasks: z
    .strictObject({
      ...listFilters,
      queue_name: queueName('queue_name', 'Only tasks in this queue').optional(),
    })
    .refine(...subtaskFiltersAgree),

  getSubtasks: z.strictObject({
    parent_task_id: id('parent_task_id', 'Parent task id'),
    recursive: flag('recursive', 'Include subtasks of subtasks at every depth (default false)').optional(),
    include_archived: flag('include_archived', 'Include archived subtasks (default false)').optional(),
  }),

  getTaskWithSubtasks: z.strictObject({
    task_id: id('task_id', 'Task id'),
    recursive: flag(
      'recursive',
      'Include subtasks at every depth, not only direct ones (default false)',
    ).optional(),
    include_archived: flag('include_archived', 'Include archived subtasks (default false)').optional(),
  }),

  moveSubtask: z.strictObject({
    subtask_id: id('subtask_id', 'Subtask to move'),
    new_parent_id: orNull(
      id('new_parent_id', 'New parent task id; null or omitted makes it top-level'),
    ).optional(),
  }),

  getMyQueue: z.strictObject({
    agent_name: agentName('agent_name', 'Agent whose open tasks to return'),
    include_description: includeDescription.optional(),
  }),

  signupForTask: z.strictObject({
    agent_name: agentName('agent_name', 'Agent claiming its highest-priority idle task'),
  }),

  moveTask: z.strictObject({
    task_id: id('task_id', 'Task to hand off'),
    current_agent: agentName('current_agent', 'The task’s current assignee (checked)'),
    new_agent: agentName('new_agent', 'Agent to hand the task to'),
    comment: text('comment', LIMITS.comment, 'Hand-off message: what was done and what is left'),
  }),

  listQueues: z.strictObject({}),

  queueName: z.strictObject({ queue_name: queueName('queue_name', 'Queue name') }),

  addTaskToQueue: z.strictObject({
    task_id: id('task_id', 'Task id'),
    queue_name: queueName('queue_name', 'Queue to put the task in'),
  }),

  removeTaskFromQueue: z.strictObject({ task_id: id('task_id', 'Task id') }),

  moveTaskToQueue: z.strictObject({
    task_id: id('task_id', 'Task id'),
    new_queue_name: queueName('new_queue_name', 'Queue to move the task to'),
  }),

  getQueueTasks: z
    .strictObject({
      queue_name: queueName('queue_name', 'Queue name'),
      ...listFilters,
    })
    .refine(...subtaskFiltersAgree),

  addComment: z.strictObject({
    task_id: id('task_id', 'Task id'),
    content: text('content', LIMITS.comment, 'Comment text'),
    created_by: agentName('created_by', 'Agent writing the comment').optional(),
  }),

  updateComment: z.strictObject({
    id: id('id', 'Comment id'),
    content: text('content', LIMITS.comment, 'New comment text'),
  }),

  commentId: z.strictObject({ id: id('id', 'Comment id') }),

  listComments: z.strictObject({ task_id: id('task_id', 'Task id') }),

  moveComment: z.strictObject({
    comment_id: id('comment_id', 'Comment to move'),
    to_task_id: id('to_task_id', 'Task to move the comment to'),
  }),

  addLink: z.strictObject({
    task_id: id('task_id', 'Task id'),
    url: text('url', LIMITS.url, 'URL, path or other reference to the artifact'),
    description: optionalText('description', LIMITS.linkDescription, 'What the link points to').optional(),
    created_by: agentName('created_by', 'Agent adding the link').optional(),
  }),

  updateLink: z.strictObject({
    id: id('id', 'Link id'),
    url: text('url', LIMITS.url, 'New URL').optional(),
    description: optionalText('description', LIMITS.linkDescription, 'New description').optional(),
  }),

  linkId: z.strictObject({ id: id('id', 'Link id') }),

  listLinks: z.strictObject({ task_id: id('task_id', 'Task id') }),

  getTaskHistory: z.strictObject({ task_id: id('task_id', 'Task id') }),
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
export type MoveTaskInput = InputOf<'moveTask'>;
export type QueueNameInput = InputOf<'queueName'>;
export type AddTaskToQueueInput = InputOf<'addTaskToQueue'>;
export type RemoveTaskFromQueueInput = InputOf<'removeTaskFromQueue'>;
export type MoveTaskToQueueInput = InputOf<'moveTaskToQueue'>;
export type GetQueueTasksInput = InputOf<'getQueueTasks'>;
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

/** Formats zod issues as one message naming each bad field and what it must be. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, 10).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '';
    if (issue.code === 'unrecognized_keys') {
      return `unknown argument${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}${path ? ` in ${path}` : ''}; remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
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

/** Validates `input` against one of the operation schemas; throws INVALID_ARGUMENT naming every problem. */
export function parseInput<K extends keyof Schemas>(name: K, input: unknown): InputOf<K> {
  assertWellFormedText(input);
  const result = schemas[name].safeParse(input ?? {}, { reportInput: true });
  if (!result.success) throw errors.invalidArgument(describeIssues(result.error.issues));
  return result.data as InputOf<K>;
}
