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
    description: "Create a subtask; the parent's status follows its subtasks.",
    input: writeInputs.createSubtask,
    output: taskShape,
    resultDoc: 'The created subtask.',
    errors: ['NOT_FOUND', 'DEPENDENCY_CYCLE', 'FORBIDDEN'],
    toolsets: ['planner'],
    hidden: ['blocked_by_task_id'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['created_by'],
    run: async (board, args) => ({ structured: { ...(await board.createSubtask(args)) } }),
  }),

  defineTool({
    name: 'get_subtasks',
    title: 'Get subtasks',
    description: "List a task's subtasks, flat (recursive: every level).",
    input: schemas.getSubtasks,
    output: z.looseObject({
      parent_task_id: z.number().int().describe('The parent task'),
      recursive: z.boolean().describe('Whether every level was included'),
      count: z.number().int().describe('Subtasks returned'),
      subtasks: z.array(taskShape).describe('The subtasks'),
    }),
    resultDoc: '`{ parent_task_id, recursive, count, subtasks }`.',
    errors: ['NOT_FOUND'],
    toolsets: ['planner'],
    aliases: { task_id: 'parent_task_id' },
    hidden: ['include_archived'],
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
    description: 'A task with its subtasks nested.',
    input: schemas.getTaskWithSubtasks,
    output: taskTreeShape,
    resultDoc:
      'The task with a `subtasks` array, each subtask with its own `subtasks`. A tree more than 100 levels deep is ' +
      'refused with CONFLICT (read it from a deeper task, or flat with get_subtasks).',
    errors: ['NOT_FOUND', 'CONFLICT'],
    toolsets: ['planner'],
    hidden: ['include_archived'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.getTaskWithSubtasks(args)) } }),
  }),

  defineTool({
    name: 'move_subtask',
    title: 'Move subtask',
    description: 'Move a task under another parent, or to the top level.',
    input: writeInputs.moveSubtask,
    output: taskShape,
    resultDoc:
      'The moved task. The text block keeps TinyTask’s wording: `Task #<id> moved to parent #<parent>` (or `moved to ' +
      'top-level (no parent)`) followed by the task JSON.',
    errors: ['NOT_FOUND', 'CYCLE'],
    toolsets: ['planner'],
    aliases: { task_id: 'subtask_id' },
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
