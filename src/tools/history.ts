import { z } from 'zod';
import { schemas } from '../domain/schemas.js';
import { historyShape } from './shapes.js';
import { defineTool, type ToolDef } from './types.js';

/** History tools: offered only when the server records history (TINYTASK_ENABLE_HISTORY). */
export const historyTools: ToolDef[] = [
  defineTool({
    name: 'get_task_history',
    title: 'Get task history',
    description: "A task's recorded field changes (what, who, when), oldest first.",
    input: schemas.getTaskHistory,
    output: z.looseObject({
      task_id: z.number().int().describe('The task'),
      count: z.number().int().describe('Entries'),
      history: z.array(historyShape).describe('The changes, oldest first'),
    }),
    resultDoc:
      '`{ task_id, count, history }`. The text block is the bare array of entries, as TinyTask printed it.',
    errors: ['NOT_FOUND'],
    toolsets: [],
    annotations: { readOnlyHint: true, idempotentHint: true },
    requiresHistory: true,
    run: async (board, args) => {
      const history = await board.getTaskHistory(args);
      return {
        structured: { task_id: args.task_id, count: history.length, history },
        text: JSON.stringify(history, null, 2),
      };
    },
  }),
];
