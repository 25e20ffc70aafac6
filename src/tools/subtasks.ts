import { z } from 'zod';
import { schemas } from '../domain/schemas.js';
import { taskShape, taskTreeShape } from './shapes.js';
import { writeInputs } from '../core/write-inputs.js';
import { defineTool, type ToolDef } from './types.js';

/** Subtask tools: break work down and see it as a tree. A parent's status rolls up from its subtasks. */
export const subtaskTools: ToolDef[] = [
  defineTool({
    name: 'create_subtask',
    title: 'Create subtask',
    description:
      'Create a subtask under an existing task, to break work into parts that different agents can claim. It joins ' +
      'the parent’s queue unless you give one. The parent’s status then rolls up from its subtasks: all complete → ' +
      'complete, any working → working, else idle.',
    input: writeInputs.createSubtask,
    output: taskShape,
    resultDoc: 'The created subtask.',
    errors: ['NOT_FOUND', 'DEPENDENCY_CYCLE', 'FORBIDDEN'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['created_by'],
    run: async (board, args) => ({ structured: { ...(await board.createSubtask(args)) } }),
  }),

  defineTool({
    name: 'get_subtasks',
    title: 'Get subtasks',
    description:
      'List the subtasks of a task: direct ones, or with recursive every level below it (as a flat list). Archived ' +
      'subtasks are left out unless include_archived is true. For a nested tree, use get_task_with_subtasks.',
    input: schemas.getSubtasks,
    output: z.looseObject({
      parent_task_id: z.number().int().describe('The parent task'),
      recursive: z.boolean().describe('Whether every level was included'),
      count: z.number().int().describe('Subtasks returned'),
      subtasks: z.array(taskShape).describe('The subtasks'),
    }),
    resultDoc: '`{ parent_task_id, recursive, count, subtasks }`.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const subtasks = await board.getSubtasks(args);
      return {
        structured: {
          parent_task_id: args.parent_task_id,
          recursive: args.recursive ?? false,
          count: subtasks.length,
          subtasks,
        },
      };
    },
  }),

  defineTool({
    name: 'get_task_with_subtasks',
    title: 'Get task tree',
    description:
      'Read a task with its subtasks nested under it (direct ones, or every level with recursive). Use it to see ' +
      'the progress of a broken-down piece of work at a glance.',
    input: schemas.getTaskWithSubtasks,
    output: taskTreeShape,
    resultDoc:
      'The task with a `subtasks` array, each subtask with its own `subtasks`. A tree more than 100 levels deep is ' +
      'refused with CONFLICT (read it from a deeper task, or flat with get_subtasks).',
    errors: ['NOT_FOUND', 'CONFLICT'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.getTaskWithSubtasks(args)) } }),
  }),

  defineTool({
    name: 'move_subtask',
    title: 'Move subtask',
    description:
      'Move a task under another parent, or make it top-level (omit new_parent_id or pass null). Moves that would ' +
      'make a task its own ancestor are refused. Both the old and the new parent’s statuses roll up again.',
    input: writeInputs.moveSubtask,
    output: taskShape,
    resultDoc:
      'The moved task. The text block keeps TinyTask’s wording: `Task #<id> moved to parent #<parent>` (or `moved to ' +
      'top-level (no parent)`) followed by the task JSON.',
    errors: ['NOT_FOUND', 'CYCLE'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => {
      const task = await board.moveSubtask(args);
      const parent = args.new_parent_id ?? null;
      const message =
        parent === null
          ? `Task #${args.subtask_id} moved to top-level (no parent)`
          : `Task #${args.subtask_id} moved to parent #${parent}`;
      return { structured: { ...task }, text: `${message}\n\n${JSON.stringify(task, null, 2)}` };
    },
  }),
];
