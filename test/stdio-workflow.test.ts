import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT } from './stdio-support.js';

interface Task {
  id: number;
  status: string;
  assigned_to: string | null;
  previous_assigned_to: string | null;
}

function structured<T>(result: unknown): T {
  const r = result as CallToolResult;
  if (r.isError) throw new Error(JSON.stringify(r.content));
  return r.structuredContent as T;
}

describe('an agent workflow against the built server over stdio', () => {
  let dir: string;
  let dbPath: string;
  let transport: StdioClientTransport;
  let client: Client;
  let child: ChildProcess;
  const stderr: string[] = [];
  const protocolErrors: Error[] = [];
  const updated: string[] = [];
  const waiters: Array<{ uri: string; resolve: () => void }> = [];
  const notified = (uri: string) =>
    updated.includes(uri)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ uri, resolve }));

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-stdio-e2e-'));
    dbPath = join(dir, 'data', 'board.db');
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI],
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        TINYTASK_MODE: 'stdio',
        TINYTASK_DB_PATH: dbPath,
        TINYTASK_LOG_LEVEL: 'debug',
      },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    client = new Client({ name: 'e2e-agent', version: '1.0.0' });
    client.onerror = (err) => protocolErrors.push(err);
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
      for (const w of waiters.filter((x) => x.uri === n.params.uri)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
    await client.connect(transport);
    child = (transport as unknown as { _process: ChildProcess })._process;
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('create, claim, comment, hand off, claim by the other agent, complete; the parent rolls up; the subscriber is told', async () => {
    expect(client.getServerVersion()?.name).toBe('tinytask-mcp');
    expect((await client.listTools()).tools).toHaveLength(35);

    const parent = structured<Task>(
      await client.callTool({
        name: 'create_task',
        arguments: { title: 'Release 1.2', created_by: 'lead', queue_name: 'dev' },
      }),
    );
    const sub = structured<Task>(
      await client.callTool({
        name: 'create_subtask',
        arguments: {
          parent_task_id: parent.id,
          title: 'Implement feature',
          created_by: 'lead',
          assigned_to: 'alice',
        },
      }),
    );
    await client.subscribeResource({ uri: `task://${parent.id}` });
    await client.subscribeResource({ uri: 'queue://bob' });

    // alice claims her task; the parent follows its only subtask to working
    const claim = await client.callTool({ name: 'signup_for_task', arguments: { agent_name: 'alice' } });
    expect(structured<{ claimed: boolean; task: Task }>(claim).task).toMatchObject({
      id: sub.id,
      status: 'working',
    });
    await notified(`task://${parent.id}`);
    expect(
      structured<Task>(await client.callTool({ name: 'get_task', arguments: { id: parent.id } })).status,
    ).toBe('working');

    await client.callTool({
      name: 'add_comment',
      arguments: { task_id: sub.id, content: 'API done', created_by: 'alice' },
    });
    await client.callTool({
      name: 'add_link',
      arguments: { task_id: sub.id, url: 'https://git.example.com/pr/12' },
    });

    // hand-off to bob, who is told through his queue resource
    const bobsQueue = notified('queue://bob');
    const handedOff = structured<Task>(
      await client.callTool({
        name: 'move_task',
        arguments: {
          task_id: sub.id,
          current_agent: 'alice',
          new_agent: 'bob',
          comment: 'API done, docs left',
        },
      }),
    );
    expect(handedOff).toMatchObject({ assigned_to: 'bob', previous_assigned_to: 'alice', status: 'idle' });
    await bobsQueue;

    const bobClaim = structured<{ claimed: boolean; task: Task }>(
      await client.callTool({ name: 'signup_for_task', arguments: { agent_name: 'bob' } }),
    );
    expect(bobClaim.task).toMatchObject({ id: sub.id, assigned_to: 'bob', status: 'working' });

    updated.length = 0;
    const parentDone = notified(`task://${parent.id}`);
    await client.callTool({
      name: 'update_task',
      arguments: { id: sub.id, status: 'complete', updated_by: 'bob' },
    });
    await parentDone;
    expect(
      structured<Task>(await client.callTool({ name: 'get_task', arguments: { id: parent.id } })).status,
    ).toBe('complete');

    const comments = structured<{ comments: Array<{ content: string }> }>(
      await client.callTool({ name: 'list_comments', arguments: { task_id: sub.id } }),
    );
    expect(comments.comments.map((c) => c.content)).toEqual(['API done', 'API done, docs left']);
    expect(protocolErrors).toEqual([]);
  });

  it('exits cleanly on stdin EOF, with the WAL checkpointed and only JSON logs on stderr', async () => {
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await client.close();
    expect(await exited).toEqual({ code: 0, signal: null });
    const wal = `${dbPath}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    const lines = stderr
      .join('')
      .split('\n')
      .filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.some((l) => l.includes('"tool":"move_task"') && l.includes('durationMs'))).toBe(true);
    expect(protocolErrors).toEqual([]);
  });
});
