import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOk, openHarness, rpcError, type Connection, type Harness } from './mcp-support.js';

describe('completions and prompts', () => {
  let h: Harness;
  let c: Connection;
  let taskId: number;
  beforeAll(async () => {
    h = await openHarness();
    c = await h.connect();
    taskId = (
      await callOk<{ id: number }>(c.client, 'create_task', {
        title: 'Ship it',
        created_by: 'lead',
        assigned_to: 'dev-alpha',
        queue_name: 'devops',
      })
    ).id;
    await callOk(c.client, 'create_task', {
      title: 'Other',
      created_by: 'lead',
      assigned_to: 'dev-beta',
      queue_name: 'design',
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('completes agent names, queue names and task ids in resource templates', async () => {
    const agents = await c.client.complete({
      ref: { type: 'ref/resource', uri: 'queue://{agent_name}' },
      argument: { name: 'agent_name', value: 'dev-' },
    });
    expect(agents.completion.values.sort()).toEqual(['dev-alpha', 'dev-beta']);
    expect(agents.completion.hasMore).toBe(false);
    const queues = await c.client.complete({
      ref: { type: 'ref/resource', uri: 'queue://stats/{queue_name}' },
      argument: { name: 'queue_name', value: 'dev' },
    });
    expect(queues.completion.values).toEqual(['devops']);
    const tasks = await c.client.complete({
      ref: { type: 'ref/resource', uri: 'task://{id}' },
      argument: { name: 'id', value: String(taskId) },
    });
    expect(tasks.completion.values).toContain(String(taskId));
    const none = await c.client.complete({
      ref: { type: 'ref/resource', uri: 'task://{id}' },
      argument: { name: 'id', value: 'abc' },
    });
    expect(none.completion.values).toEqual([]);
  });

  it('completes prompt arguments', async () => {
    const agents = await c.client.complete({
      ref: { type: 'ref/prompt', name: 'hand-off-task' },
      argument: { name: 'to_agent', value: 'dev-b' },
    });
    expect(agents.completion.values).toEqual(['dev-beta']);
    const ids = await c.client.complete({
      ref: { type: 'ref/prompt', name: 'hand-off-task' },
      argument: { name: 'task_id', value: '' },
    });
    expect(ids.completion.values).toContain(String(taskId));
  });

  it('refuses completion for unknown templates and prompts', async () => {
    await rpcError(
      c.client.complete({
        ref: { type: 'ref/resource', uri: 'nope://{x}' },
        argument: { name: 'x', value: '' },
      }),
      -32602,
    );
    await rpcError(
      c.client.complete({ ref: { type: 'ref/prompt', name: 'nope' }, argument: { name: 'x', value: '' } }),
      -32602,
    );
  });

  it('lists the prompts with their arguments', async () => {
    const { prompts } = await c.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['work-my-queue', 'hand-off-task']);
    expect(prompts[1]?.arguments?.map((a) => a.name)).toEqual(['task_id', 'from_agent', 'to_agent']);
  });

  it('work-my-queue shows the loop and the agent’s open tasks', async () => {
    const prompt = await c.client.getPrompt({
      name: 'work-my-queue',
      arguments: { agent_name: 'dev-alpha' },
    });
    const [text, resource] = prompt.messages;
    expect(text?.content).toMatchObject({ type: 'text' });
    const loop = (text?.content as { text: string }).text;
    expect(loop).toContain('claim_next_task {"agent_name": "dev-alpha"}');
    expect(loop).toContain('wait_for_task {"agent_name": "dev-alpha", "claim": true, "timeout_seconds": 25}');
    expect(loop).toContain('heartbeat_task');
    expect(resource?.content).toMatchObject({ type: 'resource', resource: { uri: 'queue://dev-alpha' } });
    const queue = JSON.parse((resource?.content as { resource: { text: string } }).resource.text) as {
      tasks: Array<{ id: number }>;
    };
    expect(queue.tasks.map((t) => t.id)).toEqual([taskId]);
  });

  it('work-my-queue with a team queue claims and waits on that queue too', async () => {
    const prompt = await c.client.getPrompt({
      name: 'work-my-queue',
      arguments: { agent_name: 'dev-alpha', queue_name: 'dev' },
    });
    const loop = (prompt.messages[0]?.content as { text: string }).text;
    expect(loop).toContain('claim_next_task {"agent_name": "dev-alpha", "queue_name": "dev"}');
    expect(loop).toContain('wait_for_task {"agent_name": "dev-alpha", "queue_name": "dev", "claim": true');
  });

  it('hand-off-task shows the task and the move_task call, and warns when from_agent is not the assignee', async () => {
    const prompt = await c.client.getPrompt({
      name: 'hand-off-task',
      arguments: { task_id: String(taskId), from_agent: 'dev-alpha', to_agent: 'dev-beta' },
    });
    const text = (prompt.messages[0]?.content as { text: string }).text;
    expect(text).toContain(`"task_id": ${taskId}`);
    expect(text).not.toContain('Note:');
    expect(prompt.messages[1]?.content).toMatchObject({
      type: 'resource',
      resource: { uri: `task://${taskId}` },
    });
    const wrong = await c.client.getPrompt({
      name: 'hand-off-task',
      arguments: { task_id: String(taskId), from_agent: 'dev-beta', to_agent: 'dev-alpha' },
    });
    expect((wrong.messages[0]?.content as { text: string }).text).toContain('assigned to "dev-alpha"');
  });

  it('refuses unknown prompts, missing arguments and unknown tasks with InvalidParams', async () => {
    await rpcError(c.client.getPrompt({ name: 'nope' }), -32602);
    const missing = await rpcError(
      c.client.getPrompt({ name: 'hand-off-task', arguments: { task_id: '1' } }),
      -32602,
    );
    expect(missing.message).toContain('from_agent');
    await rpcError(
      c.client.getPrompt({
        name: 'hand-off-task',
        arguments: { task_id: '999999', from_agent: 'a', to_agent: 'b' },
      }),
      -32602,
    );
  });
});
