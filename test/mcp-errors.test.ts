import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { TaskBoardError } from '../src/domain/errors.js';
import {
  RESOURCE_NOT_FOUND,
  RpcError,
  toClientError,
  toRpcError,
  toolErrorResult,
} from '../src/mcp/errors.js';
import { callErr, openHarness } from './mcp-support.js';

function capturingLogger() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'error' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, lines };
}

describe('the error mapper', () => {
  it('keeps domain errors as they are', () => {
    const { logger } = capturingLogger();
    expect(toClientError(new TaskBoardError('CONFLICT', 'busy'), logger, {})).toEqual({
      code: 'CONFLICT',
      message: 'busy',
    });
    expect(toClientError({ code: 'OVERLOADED', message: 'later' }, logger, {})).toEqual({
      code: 'OVERLOADED',
      message: 'later',
    });
  });

  it('turns unexpected faults into INTERNAL without leaking the message or stack, and logs them', () => {
    const { logger, lines } = capturingLogger();
    const err = new Error('SQLITE_CORRUPT: secret path /var/lib/x.db');
    const plain = toClientError(err, logger, { tool: 'get_task' });
    expect(plain.code).toBe('INTERNAL');
    expect(plain.message).not.toContain('SQLITE');
    expect(plain.message).not.toContain('/var/lib');
    expect(plain.message).not.toMatch(/at .*\.(ts|js):\d+/);
    const ref = /ref ([\w-]+)/.exec(plain.message)?.[1];
    expect(ref).toBeTruthy();
    expect(lines.join('')).toContain(ref!);
    expect(lines.join('')).toContain('SQLITE_CORRUPT');
  });

  it('builds the isError result with the envelope as text and structuredContent', () => {
    expect(toolErrorResult({ code: 'NOT_FOUND', message: 'Task 9 does not exist.' })).toEqual({
      content: [{ type: 'text', text: '{"error":{"code":"NOT_FOUND","message":"Task 9 does not exist."}}' }],
      structuredContent: { error: { code: 'NOT_FOUND', message: 'Task 9 does not exist.' } },
      isError: true,
    });
  });

  it('maps errors of resource reads to JSON-RPC codes, with our code in data', () => {
    const { logger } = capturingLogger();
    const notFound = toRpcError(new TaskBoardError('NOT_FOUND', 'Task 9 does not exist.'), logger, {
      uri: 'task://9',
    });
    expect(notFound).toBeInstanceOf(RpcError);
    expect(notFound.code).toBe(RESOURCE_NOT_FOUND);
    expect(notFound.message).toContain('task://9');
    expect(notFound.data).toEqual({ code: 'NOT_FOUND', uri: 'task://9' });
    expect(toRpcError(new TaskBoardError('INVALID_ARGUMENT', 'bad'), logger, {}).code).toBe(-32602);
    expect(toRpcError(new TaskBoardError('OVERLOADED', 'later'), logger, {}).code).toBe(-32603);
    // A state the board refuses (a tree too deep to nest) is the request's problem, not a server fault.
    const conflict = toRpcError(new TaskBoardError('CONFLICT', 'too deep'), logger, {
      uri: 'task://hierarchy/1',
    });
    expect(conflict.code).toBe(-32602);
    expect(conflict.data).toMatchObject({ code: 'CONFLICT' });
    expect(toRpcError(new TaskBoardError('NOT_FOUND', 'x'), logger, {}, 'params').code).toBe(-32602);
  });
});

describe('a board that has shut down', () => {
  it('answers tool calls with a coded error result, not a crash or a hang', async () => {
    const h = await openHarness();
    try {
      const c = await h.connect();
      await h.board.close();
      const result = (await c.client.callTool({ name: 'list_tasks', arguments: {} })) as {
        isError?: boolean;
      };
      expect(result.isError).toBe(true);
      await callErr(c.client, 'create_task', { title: 't', created_by: 'a' }, 'UNAVAILABLE');
    } finally {
      await h.close();
    }
  });
});
