import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type Connection, type Harness } from './mcp-support.js';

/**
 * Argument names are client input: a name that happens to be an Object.prototype member ("constructor",
 * "toString", "__proto__") is an argument with nothing to complete, not an internal fault.
 */
describe('completion/complete with argument names that are Object.prototype members', () => {
  let h: Harness;
  let c: Connection;
  beforeAll(async () => {
    h = await openHarness();
    c = await h.connect();
  });
  afterAll(async () => {
    await h?.close();
  });

  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    it(`answers no values for "${name}" in a resource template and in a prompt`, async () => {
      const inTemplate = await c.client.complete({
        ref: { type: 'ref/resource', uri: 'task://{id}' },
        argument: { name, value: '1' },
      });
      expect(inTemplate.completion).toEqual({ values: [], hasMore: false });
      const inPrompt = await c.client.complete({
        ref: { type: 'ref/prompt', name: 'work-my-queue' },
        argument: { name, value: 'a' },
      });
      expect(inPrompt.completion).toEqual({ values: [], hasMore: false });
    });
  }
});
