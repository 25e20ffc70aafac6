import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, toolJson } from './http-harness.js';

describe('Streamable HTTP: resource subscriptions over the GET stream', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('notifies a subscriber when another session changes the task', async () => {
    server = await startTestServer();
    const watcher = await server.client('watcher');
    const worker = await server.client('worker');
    const task = toolJson<{ id: number }>(
      await worker.callTool({ name: 'create_task', arguments: { title: 'Watch me', created_by: 'worker' } }),
    );
    const updated = new Promise<string>((resolve) => {
      watcher.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri));
    });
    await watcher.subscribeResource({ uri: `task://${task.id}` });
    await worker.callTool({
      name: 'add_comment',
      arguments: { task_id: task.id, content: 'progress', created_by: 'worker' },
    });
    expect(await updated).toBe(`task://${task.id}`);

    // The session holding the GET stream is counted as streaming, so it is never idle while subscribed.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/tinytask_sessions_open\{transport="streamable_http"\} 2/);
  });
});
