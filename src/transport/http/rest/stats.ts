import { z } from 'zod';
import { defineTool, type ToolDef } from '../../../tools/types.js';

const statusCounts = z.looseObject({
  idle: z.number().int().describe('Idle tasks'),
  working: z.number().int().describe('Working tasks'),
  complete: z.number().int().describe('Complete tasks'),
});

/**
 * `GET /api/v1/stats`: the board's counts and the state of its threads. Not an MCP tool (agents have the queue and
 * list tools), but defined like one so the REST API serves it through the same invocation path and schemas.
 */
export const boardStatsOperation: ToolDef = defineTool({
  name: 'board_stats',
  title: 'Board statistics',
  description:
    'Counts of the whole board (unarchived tasks by status, archived, completed since midnight UTC) and the ' +
    'state of the database threads (writer queue, read pool), for dashboards and capacity checks.',
  input: z.strictObject({}),
  output: z.looseObject({
    tasks: z
      .looseObject({
        total: z.number().int().describe('Unarchived tasks'),
        by_status: statusCounts.describe('Unarchived tasks by status'),
        archived: z.number().int().describe('Archived tasks'),
        completed_today: z.number().int().describe('Tasks completed since midnight UTC'),
      })
      .describe('Task counts'),
    writer: z
      .looseObject({
        queue_depth: z.number().int().describe('Writes waiting for the writer thread'),
        queue_limit: z.number().int().describe('Writes that may wait at most (TINYTASK_WRITE_QUEUE_LIMIT)'),
        writes_total: z.number().int().describe('Writes since start'),
        writes_failed: z.number().int().describe('Writes that failed since start'),
        writes_overloaded: z.number().int().describe('Writes refused with OVERLOADED since start'),
        restarts: z.number().int().describe('Writer thread restarts since start'),
      })
      .describe('The writer thread'),
    readers: z
      .looseObject({
        threads: z.number().int().describe('Read threads'),
        utilization: z.number().describe('Fraction of time the read threads were busy (0..1)'),
        queue_depth: z.number().int().describe('Reads waiting for a free thread'),
      })
      .describe('The read pool'),
  }),
  resultDoc: '`{ tasks, writer, readers }`.',
  errors: [],
  annotations: { readOnlyHint: true, idempotentHint: true },
  run: async (board) => {
    const counts = await board.boardStats({});
    const s = board.stats();
    return {
      structured: {
        tasks: {
          total: counts.tasks_total,
          by_status: counts.by_status,
          archived: counts.archived,
          completed_today: counts.completed_today,
        },
        writer: {
          queue_depth: s.writeQueueDepth,
          queue_limit: s.writeQueueLimit,
          writes_total: s.writesTotal,
          writes_failed: s.writesFailed,
          writes_overloaded: s.writesOverloaded,
          restarts: s.writerRestarts,
        },
        readers: {
          threads: s.readThreads,
          utilization: s.readPoolUtilization,
          queue_depth: s.readQueueDepth,
        },
      },
    };
  },
});
