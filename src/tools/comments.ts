import { z } from 'zod';
import { schemas } from '../domain/schemas.js';
import { commentShape, deleteShape } from './shapes.js';
import { writeInputs } from '../core/write-inputs.js';
import { defineTool, type ToolDef } from './types.js';

/** Comment tools: the running conversation on a task (progress notes, questions, hand-off context). */
export const commentTools: ToolDef[] = [
  defineTool({
    name: 'add_comment',
    title: 'Add comment',
    description: 'Comment on a task: progress, findings, notes for the next agent.',
    input: writeInputs.addComment,
    output: commentShape,
    resultDoc: 'The created comment.',
    errors: ['NOT_FOUND', 'LEASE_LOST', 'FORBIDDEN'],
    toolsets: ['worker'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['created_by'],
    identityDefaults: ['created_by'],
    run: async (board, args) => ({ structured: { ...(await board.addComment(args)) } }),
  }),

  defineTool({
    name: 'update_comment',
    title: 'Update comment',
    description: "Change a comment's text.",
    input: writeInputs.updateComment,
    output: commentShape,
    resultDoc: 'The comment after the change.',
    errors: ['NOT_FOUND'],
    toolsets: [],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.updateComment(args)) } }),
  }),

  defineTool({
    name: 'delete_comment',
    title: 'Delete comment',
    description: 'Delete a comment for good.',
    input: writeInputs.deleteComment,
    output: deleteShape,
    resultDoc: '`{ success: true, id, message }`.',
    errors: ['NOT_FOUND'],
    toolsets: [],
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    run: async (board, args) => {
      const result = await board.deleteComment(args);
      return {
        structured: { success: true, id: result.id, message: `Comment ${result.id} deleted successfully` },
      };
    },
  }),

  defineTool({
    name: 'list_comments',
    title: 'List comments',
    description: "List a task's comments, oldest first.",
    input: schemas.listComments,
    output: z.looseObject({
      task_id: z.number().int().describe('The task'),
      count: z.number().int().describe('Comments'),
      comments: z.array(commentShape).describe('The comments, oldest first'),
    }),
    resultDoc: '`{ task_id, count, comments }`.',
    errors: ['NOT_FOUND'],
    toolsets: [],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const comments = await board.listComments(args);
      return { structured: { task_id: args.task_id, count: comments.length, comments } };
    },
  }),

  defineTool({
    name: 'get_comment',
    title: 'Get comment',
    description: 'Read one comment by id.',
    input: schemas.commentId,
    output: commentShape,
    resultDoc: 'The comment.',
    errors: ['NOT_FOUND'],
    toolsets: [],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.getComment(args)) } }),
  }),

  defineTool({
    name: 'move_comment',
    title: 'Move comment',
    description: 'Move a comment to another task.',
    input: writeInputs.moveComment,
    output: commentShape,
    resultDoc: 'The comment on its new task.',
    errors: ['NOT_FOUND'],
    toolsets: [],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.moveComment(args)) } }),
  }),
];
