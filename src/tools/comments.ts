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
    description:
      'Add a comment to a task: progress, findings, questions or decisions that the next agent on the task should ' +
      'read. Sign it with created_by.',
    input: writeInputs.addComment,
    output: commentShape,
    resultDoc: 'The created comment.',
    errors: ['NOT_FOUND', 'LEASE_LOST', 'FORBIDDEN'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['created_by'],
    identityDefaults: ['created_by'],
    run: async (board, args) => ({ structured: { ...(await board.addComment(args)) } }),
  }),

  defineTool({
    name: 'update_comment',
    title: 'Update comment',
    description:
      'Replace the text of an existing comment, e.g. to correct a mistake or add a missing detail. To add news, ' +
      'post a new comment with add_comment instead, so the history stays readable.',
    input: writeInputs.updateComment,
    output: commentShape,
    resultDoc: 'The comment after the change.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.updateComment(args)) } }),
  }),

  defineTool({
    name: 'delete_comment',
    title: 'Delete comment',
    description:
      'Delete a comment for good, e.g. one posted by mistake or holding something that must not stay. This cannot ' +
      'be undone; to correct a comment, use update_comment.',
    input: writeInputs.deleteComment,
    output: deleteShape,
    resultDoc: '`{ success: true, id, message }`.',
    errors: ['NOT_FOUND'],
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
    description:
      'List the comments of a task, oldest first: the history of the work and its hand-offs. Read them before ' +
      'continuing a task someone else started.',
    input: schemas.listComments,
    output: z.looseObject({
      task_id: z.number().int().describe('The task'),
      count: z.number().int().describe('Comments'),
      comments: z.array(commentShape).describe('The comments, oldest first'),
    }),
    resultDoc: '`{ task_id, count, comments }`.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const comments = await board.listComments(args);
      return { structured: { task_id: args.task_id, count: comments.length, comments } };
    },
  }),

  defineTool({
    name: 'get_comment',
    title: 'Get comment',
    description:
      'Read one comment by its id (ids come from list_comments or get_task), e.g. before editing it.',
    input: schemas.commentId,
    output: commentShape,
    resultDoc: 'The comment.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.getComment(args)) } }),
  }),

  defineTool({
    name: 'move_comment',
    title: 'Move comment',
    description:
      'Move a comment to another task, e.g. when it was posted on the wrong one or belongs to a subtask. The ' +
      'comment keeps its author and text.',
    input: writeInputs.moveComment,
    output: commentShape,
    resultDoc: 'The comment on its new task.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.moveComment(args)) } }),
  }),
];
