import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, toolJson } from './http-harness.js';

interface TaskJson {
  id: number;
  status: string;
  assigned_to: string | null;
  previous_assigned_to: string | null;
  parent_task_id: number | null;
}

describe('Streamable HTTP: an agent workflow through the SDK client', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('creates, claims, comments, hands off, completes; the parent rolls up', async () => {
    server = await startTestServer();
    const alice = await server.client('alice');
    const bob = await server.client('bob');

    const tools = await alice.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('signup_for_task');

    const parent = toolJson<TaskJson>(
      await alice.callTool({ name: 'create_task', arguments: { title: 'Ship v2', created_by: 'alice' } }),
    );
    const child = toolJson<TaskJson>(
      await alice.callTool({
        name: 'create_subtask',
        arguments: {
          parent_task_id: parent.id,
          title: 'Write the docs',
          created_by: 'alice',
          assigned_to: 'alice',
        },
      }),
    );
    expect(child.parent_task_id).toBe(parent.id);

    const claimed = await alice.callTool({ name: 'signup_for_task', arguments: { agent_name: 'alice' } });
    expect(claimed.isError).toBeFalsy();
    expect(JSON.stringify(claimed.structuredContent)).toContain(`"id":${child.id}`);

    const comment = await alice.callTool({
      name: 'add_comment',
      arguments: { task_id: child.id, content: 'Outline done', created_by: 'alice' },
    });
    expect(comment.isError).toBeFalsy();

    const moved = toolJson<TaskJson>(
      await alice.callTool({
        name: 'move_task',
        arguments: {
          task_id: child.id,
          current_agent: 'alice',
          new_agent: 'bob',
          comment: 'Please finish the examples',
        },
      }),
    );
    expect(moved.assigned_to).toBe('bob');
    expect(moved.previous_assigned_to).toBe('alice');
    expect(moved.status).toBe('idle');

    // Bob's session sees Alice's writes.
    const bobClaim = await bob.callTool({ name: 'signup_for_task', arguments: { agent_name: 'bob' } });
    expect(JSON.stringify(bobClaim.structuredContent)).toContain(`"id":${child.id}`);
    const done = toolJson<TaskJson>(
      await bob.callTool({ name: 'update_task', arguments: { id: child.id, status: 'complete' } }),
    );
    expect(done.status).toBe('complete');

    // And Alice's session sees Bob's: the parent rolled up to complete, with both comments on the child.
    const parentNow = toolJson<TaskJson>(
      await alice.callTool({ name: 'get_task', arguments: { id: parent.id } }),
    );
    expect(parentNow.status).toBe('complete');
    const comments = JSON.stringify(
      (await alice.callTool({ name: 'list_comments', arguments: { task_id: child.id } })).structuredContent,
    );
    expect(comments).toContain('Outline done');
    expect(comments).toContain('Please finish the examples');
  });

  it('keeps one MCP server per session: many calls reuse the session id', async () => {
    server = await startTestServer();
    const client = await server.client();
    for (let i = 0; i < 5; i++) {
      await client.callTool({ name: 'create_task', arguments: { title: `t${i}`, created_by: 'a' } });
    }
    const res = await fetch(`${server.url}/api/metrics`);
    const body = (await res.json()) as { connections: { active: number; total_opened: number } };
    expect(body.connections).toMatchObject({ active: 1, total_opened: 1 });
  });
});
