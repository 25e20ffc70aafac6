import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';
import { TASK_STATUSES } from '../domain/types.js';

/**
 * Output shapes of the tools (their `outputSchema`) and of the resources, as zod schemas. They describe what the
 * board returns. The zod objects are loose (the REST API's OpenAPI document keeps them open); the tools' output
 * schemas close every nested object (src/mcp/compact-schema.ts), so a field the core adds must be added here too
 * (test/mcp-output-schemas.test.ts calls every tool and fails otherwise).
 */

const timestamp = (what: string) => z.string().describe(`${what} (ISO 8601, UTC)`);
const nullableTimestamp = (what: string) =>
  z.string().nullable().describe(`${what} (ISO 8601, UTC), or null`);

export const taskShape = z
  .looseObject({
    id: z.number().int().describe('Task id'),
    title: z.string().describe('Title'),
    description: z
      .string()
      .nullable()
      .optional()
      .describe('Description (left out of list answers unless include_description was true)'),
    status: z.enum(TASK_STATUSES).describe('idle, working or complete'),
    assigned_to: z.string().nullable().describe('Assignee, or null'),
    previous_assigned_to: z.string().nullable().describe('Assignee before the last hand-off or reassignment'),
    created_by: z.string().nullable().describe('Agent that created the task'),
    priority: z.number().int().describe('Priority; higher is claimed first'),
    tags: z.array(z.string()).describe('Tags'),
    parent_task_id: z.number().int().nullable().describe('Parent task id, or null for a top-level task'),
    queue_name: z.string().nullable().describe('Queue (team), or null'),
    blocked_by_task_id: z
      .number()
      .int()
      .nullable()
      .describe('The first of blocked_by_task_ids (TinyTask’s single blocker), or null'),
    blocked_by_task_ids: z
      .array(z.number().int())
      .describe('Tasks that block this one; it is ready only once all are complete'),
    auto_promote: z.boolean().describe('Whether the status rolls up from the subtasks'),
    created_at: timestamp('Creation time'),
    updated_at: timestamp('Last change'),
    archived_at: nullableTimestamp('Archival time'),
    due_at: nullableTimestamp('Due date'),
    lease_id: z
      .string()
      .nullable()
      .describe('Lease of the current claim (present it on heartbeat_task and fenced writes), or null'),
    lease_expires_at: nullableTimestamp('When the lease runs out'),
    attempts: z.number().int().describe('Times the task was claimed'),
    lease_expiries: z.number().int().describe('Times a lease on it ran out'),
    dead_lettered_at: nullableTimestamp('When it was dead-lettered (never claimed until requeue_task)'),
  })
  .describe('A task');

export const commentShape = z
  .looseObject({
    id: z.number().int().describe('Comment id'),
    task_id: z.number().int().describe('Task the comment belongs to'),
    content: z.string().describe('Comment text'),
    created_by: z.string().nullable().describe('Author'),
    created_at: timestamp('Creation time'),
    updated_at: timestamp('Last change'),
  })
  .describe('A comment');

export const linkShape = z
  .looseObject({
    id: z.number().int().describe('Link id'),
    task_id: z.number().int().describe('Task the link belongs to'),
    url: z.string().describe('URL, path or other reference'),
    description: z.string().nullable().describe('What the link points to'),
    created_by: z.string().nullable().describe('Agent that added the link'),
    created_at: timestamp('Creation time'),
    updated_at: timestamp('Last change'),
  })
  .describe('A link (artifact reference)');

export const historyShape = z
  .looseObject({
    id: z.number().int().describe('History entry id'),
    task_id: z.number().int().describe('Task id'),
    field_name: z.string().describe('Field that changed'),
    old_value: z.string().nullable().describe('Value before the change'),
    new_value: z.string().nullable().describe('Value after the change'),
    changed_by: z.string().nullable().describe('Agent that made the change, when known'),
    changed_at: timestamp('Time of the change'),
  })
  .describe('One field change of a task');

export const taskDetailShape = taskShape
  .extend({
    description: z.string().nullable().describe('Description'),
    comments: z.array(commentShape).describe('Comments, oldest first'),
    links: z.array(linkShape).describe('Links'),
    is_currently_blocked: z.boolean().describe('True while any blocking task is not complete'),
    subtask_count: z.number().int().describe('Direct subtasks'),
  })
  .describe('A task with its comments and links');

export const taskTreeShape: z.ZodType = taskShape
  .extend({
    get subtasks(): z.ZodArray<z.ZodType> {
      return z.array(taskTreeShape).describe('Subtasks, each with its own subtasks');
    },
  })
  .meta({ id: 'TaskTree', description: 'A task with its subtasks' });

const statusCounts = {
  idle: z.number().int().describe('Idle tasks'),
  working: z.number().int().describe('Working tasks'),
  complete: z.number().int().describe('Complete tasks'),
};

export const queueSummaryShape = z
  .looseObject({
    queue_name: z.string().describe('Queue name'),
    total: z.number().int().describe('Unarchived tasks in the queue'),
    ...statusCounts,
  })
  .describe('A queue with its task counts');

export const queueStatsShape = z
  .looseObject({
    queue_name: z.string().describe('Queue name'),
    total: z.number().int().describe('Unarchived tasks in the queue'),
    by_status: z.looseObject(statusCounts).describe('Tasks by status'),
    by_assignee: z
      .array(
        z.looseObject({
          assigned_to: z.string().nullable().describe('Assignee, or null for unassigned'),
          total: z.number().int().describe('Tasks of this assignee in the queue'),
          ...statusCounts,
        }),
      )
      .describe('Tasks by assignee'),
    unassigned: z.number().int().describe('Idle tasks nobody is assigned to'),
  })
  .describe('Statistics of one queue');

export const agentQueueSummaryShape = z
  .looseObject({
    agent_name: z.string().describe('Agent'),
    open: z.number().int().describe('Open (idle or working) unarchived tasks'),
    idle: z.number().int().describe('Idle tasks'),
    working: z.number().int().describe('Working tasks'),
    blocked: z.number().int().describe('Idle tasks that are blocked'),
    highest_priority: z.number().int().nullable().describe('Highest priority among open tasks, or null'),
  })
  .describe('Summary of an agent’s queue');

/**
 * The shapes an answer nests (a task in a list, the comments of a task): output schemas define each once under
 * `$defs` with these names and refer to it (src/mcp/tools.ts outputJsonSchema).
 */
export const nestedShapes = z.registry<{ id: string }>();
nestedShapes.add(taskShape, { id: 'Task' });
nestedShapes.add(commentShape, { id: 'Comment' });
nestedShapes.add(linkShape, { id: 'Link' });
nestedShapes.add(historyShape, { id: 'Change' });
nestedShapes.add(taskTreeShape, { id: 'TaskTree' });

export const deleteShape = z.looseObject({
  success: z.literal(true).describe('Always true'),
  id: z.number().int().describe('Id of the deleted item'),
  message: z.string().describe('What was deleted'),
});

/** The error envelope `{error: {code, message}}` with `code` one of `codes`. */
export function errorEnvelopeShape(codes: readonly ErrorCode[], when: string): z.ZodType {
  return z.strictObject({
    error: z
      .strictObject({
        code: z.enum(codes as [ErrorCode, ...ErrorCode[]]).describe('Stable error code'),
        message: z.string().describe('What went wrong and what to change'),
      })
      .describe(when),
  });
}

/** The error envelope every tool can answer with (`isError: true`); UNAUTHORIZED is an HTTP-level refusal only. */
export const toolErrorShape = errorEnvelopeShape(
  (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => code !== 'UNAUTHORIZED'),
  'Present only when the call failed (isError: true)',
);

export const pageFields = {
  count: z.number().int().describe('Tasks in this answer'),
  total: z.number().int().describe('Tasks matching the filters, before limit and offset'),
  limit: z.number().int().describe('Limit applied'),
  offset: z.number().int().describe('Offset applied'),
  tasks: z.array(taskShape).describe('The tasks'),
};
