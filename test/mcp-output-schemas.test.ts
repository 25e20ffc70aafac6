import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import { callOk, openHarness, type Connection, type Harness } from './mcp-support.js';
import { toolCatalogue } from '../src/mcp/tools.js';

type Json = Record<string, unknown>;

/** The SDK client's own validator (its default ajv), as every TypeScript MCP client runs it on tool results. */
const sdkValidator = new AjvJsonSchemaValidator();
const descriptors = new Map(toolCatalogue(true).descriptors.map((d) => [d.name, d]));

function sdkValid(tool: string, value: unknown): boolean {
  return sdkValidator.getValidator(descriptors.get(tool)!.outputSchema as never)(value).valid;
}

/** The answer's own fields an output schema declares (`properties` and the names in `^(a|b)$` patterns). */
function rootFields(schema: Json): string[] {
  let root = schema;
  if (Array.isArray(schema.anyOf)) {
    const ref = ((schema.anyOf as Json[])[0]!.$ref as string).split('/').pop()!;
    root = (schema.$defs as Record<string, Json>)[ref]!;
  }
  const named = Object.keys((root.properties ?? {}) as Json);
  const grouped = Object.keys((root.patternProperties ?? {}) as Json).flatMap((p) =>
    p.replace(/^\^\(/, '').replace(/\)\$$/, '').split('|'),
  );
  return [...named, ...grouped].sort();
}

describe('output schemas', () => {
  let h: Harness;
  let c: Connection;
  const answers = new Map<string, Json>();
  /** Calls a tool that must succeed (callOk checks the answer against the schema with ajv 2020-12) and keeps it. */
  const call = async <T = Json>(tool: string, args: Json): Promise<T> => {
    const answer = await callOk<Json>(c.client, tool, args);
    if (!answers.has(tool)) answers.set(tool, answer);
    return answer as T;
  };

  beforeAll(async () => {
    h = await openHarness({ enableHistory: true });
    c = await h.connect();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('every tool’s success answer validates, for the SDK client too, and carries every field its schema names', async () => {
    const a = await call<{ id: number }>('create_task', {
      title: 'Parse the config',
      description: 'YAML and TOML',
      created_by: 'lead',
      assigned_to: 'dev',
      queue_name: 'dev',
      tags: ['parser'],
      due_at: '2030-01-01T00:00:00Z',
    });
    const b = await call<{ id: number }>('create_task', { title: 'Review', created_by: 'lead' });
    await call('update_task', { task_id: a.id, priority: 3 });
    const comment = await call<{ id: number }>('add_comment', {
      task_id: a.id,
      content: 'halfway',
      created_by: 'dev',
    });
    await call('update_comment', { id: comment.id, content: 'halfway there' });
    await call('get_comment', { id: comment.id });
    await call('list_comments', { task_id: a.id });
    const link = await call<{ id: number }>('add_link', {
      task_id: a.id,
      url: 'src/config.ts',
      created_by: 'dev',
    });
    await call('update_link', { id: link.id, description: 'the parser' });
    await call('list_links', { task_id: a.id });
    await call('get_task', { task_id: a.id });
    await call('list_tasks', {});
    await call('list_tasks', { include_description: true });
    await call('search_tasks', { query: 'halfway' });
    await call('get_my_queue', { agent_name: 'DEV' });
    const sub = await call<{ id: number }>('create_subtask', {
      parent_task_id: a.id,
      title: 'TOML',
      created_by: 'lead',
    });
    await call('get_subtasks', { parent_task_id: a.id, recursive: true });
    await call('get_task_with_subtasks', { task_id: a.id, recursive: true });
    await call('list_queues', {});
    await call('get_queue_stats', { queue_name: 'dev' });
    await call('add_task_to_queue', { task_id: b.id, queue_name: 'dev' });
    await call('move_task_to_queue', { task_id: b.id, new_queue_name: 'qa' });
    await call('remove_task_from_queue', { task_id: b.id });
    await call('get_queue_tasks', { queue_name: 'dev' });
    await call('move_subtask', { subtask_id: sub.id, new_parent_id: b.id });
    await call('move_comment', { comment_id: comment.id, to_task_id: b.id });
    await call('signup_for_task', { agent_name: 'dev' });
    await call('move_task', {
      task_id: a.id,
      current_agent: 'dev',
      new_agent: 'qa-1',
      comment: 'parser done',
    });
    const w = await call<{ id: number }>('create_task', {
      title: 'Ship',
      created_by: 'lead',
      assigned_to: 'w1',
    });
    await call('list_ready_tasks', { agent_name: 'w1' });
    await call('wait_for_task', { agent_name: 'w1', timeout_seconds: 1 });
    const claim = await call<{ lease_id: string }>('claim_next_task', { agent_name: 'w1', task_id: w.id });
    await call('heartbeat_task', { task_id: w.id, agent_name: 'w1', lease_id: claim.lease_id });
    await call('release_task', { task_id: w.id, agent_name: 'w1', lease_id: claim.lease_id });
    await call('requeue_task', { task_id: w.id });
    await call('get_task_history', { task_id: a.id });
    await call('archive_task', { task_id: w.id });
    await call('delete_link', { id: link.id });
    await call('delete_comment', { id: comment.id });
    await call('clear_queue', { queue_name: 'qa' });
    await call('delete_task', { task_id: b.id });

    expect([...answers.keys()].sort()).toEqual([...descriptors.keys()].sort());
    for (const [tool, answer] of answers) {
      expect(sdkValid(tool, answer), tool).toBe(true);
      const schema = descriptors.get(tool)!.outputSchema as Json;
      expect(Object.keys(answer).sort(), tool).toEqual(rootFields(schema));
    }
  });

  it('is exact for nested shapes: a missing field, an unknown one or a wrong type is refused', () => {
    const list = answers.get('list_tasks') as { tasks: Json[] };
    const task = list.tasks[0]!;
    expect(task).not.toHaveProperty('description');
    const withTask = (t: Json) => ({ ...list, tasks: [t] });
    const { title: _title, ...noTitle } = task;
    const cases: Array<[string, unknown, boolean]> = [
      ['the task as listed', withTask(task), true],
      ['with its description', withTask({ ...task, description: 'text' }), true],
      ['without title', withTask(noTitle), false],
      ['with description but without title', withTask({ ...noTitle, description: 'text' }), false],
      ['with an unknown field', withTask({ ...task, colour: 'red' }), false],
      ['with priority as text', withTask({ ...task, priority: 'high' }), false],
      ['with status unknown', withTask({ ...task, status: 'done' }), false],
      ['with title null', withTask({ ...task, title: null }), false],
      ['with a task that is not an object', { ...list, tasks: ['task'] }, false],
    ];
    for (const [what, value, valid] of cases) expect(sdkValid('list_tasks', value), what).toBe(valid);

    const detail = answers.get('get_task') as { comments: Json[]; links: Json[] };
    const { created_by: _author, ...anonymous } = detail.comments[0]!;
    expect(sdkValid('get_task', { ...detail, comments: [anonymous] })).toBe(false);
    expect(sdkValid('get_task', { ...detail, links: [{ ...detail.links[0], url: 7 }] })).toBe(false);

    const tree = answers.get('get_task_with_subtasks') as { subtasks: Json[] };
    const { status: _status, ...noStatus } = tree.subtasks[0]!;
    expect(sdkValid('get_task_with_subtasks', { ...tree, subtasks: [noStatus] })).toBe(false);
  });

  it('lets a failed call’s error envelope through, and nothing else in its place', () => {
    const envelope = { error: { code: 'NOT_FOUND', message: 'Task 9 does not exist.' } };
    for (const tool of descriptors.keys()) expect(sdkValid(tool, envelope), tool).toBe(true);
    expect(sdkValid('get_task_with_subtasks', { message: 'no error field' })).toBe(false);
    expect(sdkValid('list_tasks', { tasks: 'none' })).toBe(false);
  });
});
