import { describe, expect, it } from 'vitest';
import { parseWriteInput, writeInputs } from '../src/core/write-inputs.js';
import { markParsed, parseInput, parsedWith, schemas } from '../src/domain/schemas.js';
import { codeOf } from './core-support.js';

/**
 * The MCP tool layer parses a tool's arguments with the schema of the board operation it calls and marks the result
 * (`markParsed`); the board takes a marked object as it is. These tests pin the contract: only the untouched output
 * of the same schema skips the second parse, and the text check still runs on it.
 */
describe('arguments are validated once per call', () => {
  it('takes the output of the same schema as it is, and validates anything else', () => {
    // Invalid on purpose: a marked object is not parsed again, so the board would take it.
    const marked = { title: '', created_by: 'a', idempotency_key: 'k-1' };
    markParsed(writeInputs.createTask, marked);
    expect(parsedWith(writeInputs.createTask, marked)).toBe(true);
    expect(parseWriteInput('createTask', marked)).toEqual({
      args: { title: '', created_by: 'a' },
      idempotencyKey: 'k-1',
    });

    // A copy, or the same object under another operation's schema, is parsed again.
    expect(codeOf(() => parseWriteInput('createTask', { ...marked }))).toBe('INVALID_ARGUMENT');
    expect(parsedWith(writeInputs.updateTask, marked)).toBe(false);
    expect(codeOf(() => parseWriteInput('updateTask', marked))).toBe('INVALID_ARGUMENT');
  });

  it('reads: the operation schema itself is the mark', () => {
    const marked = { id: -1 };
    expect(codeOf(() => parseInput('taskId', marked))).toBe('INVALID_ARGUMENT');
    markParsed(schemas.taskId, marked);
    expect(parseInput('taskId', marked)).toBe(marked);
  });

  it('still refuses a lone surrogate in a marked object', () => {
    const marked = { title: 'broken \ud83d here', created_by: 'a' };
    markParsed(writeInputs.createTask, marked);
    expect(codeOf(() => parseWriteInput('createTask', marked))).toBe('INVALID_ARGUMENT');
  });

  it('ignores values that cannot be marked', () => {
    markParsed(writeInputs.createTask, 'text');
    markParsed(writeInputs.createTask, null);
    expect(parsedWith(writeInputs.createTask, 'text')).toBe(false);
    expect(parsedWith(writeInputs.createTask, null)).toBe(false);
  });
});
