import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callOk, openHarness, type Connection, type Harness } from './mcp-support.js';

/** tasks://active says in which order its (first 1000) tasks come, and keeps to it: list_tasks' order. */
describe('tasks://active order', () => {
  let h: Harness;
  let c: Connection;
  beforeEach(async () => {
    h = await openHarness();
    c = await h.connect();
  });
  afterEach(async () => {
    await h?.close();
  });

  it('lists tasks in the order its description states (highest priority first, then oldest)', async () => {
    const older = await callOk<{ id: number }>(c.client, 'create_task', { title: 'old', created_by: 'x' });
    const urgent = await callOk<{ id: number }>(c.client, 'create_task', {
      title: 'urgent',
      created_by: 'x',
      priority: 5,
    });
    const read = await c.client.readResource({ uri: 'tasks://active' });
    const block = read.contents[0] as { text: string };
    const data = JSON.parse(block.text) as { tasks: Array<{ id: number }> };
    expect(data.tasks.map((t) => t.id)).toEqual([urgent.id, older.id]);

    const listed = (await c.client.listResources()).resources.find((r) => r.uri === 'tasks://active');
    expect(listed?.description).toMatch(/highest priority first, then oldest/);
    expect(listed?.description).not.toMatch(/oldest first/);
  });
});
