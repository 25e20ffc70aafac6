import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toolCatalogue } from '../src/mcp/tools.js';
import { allTools } from '../src/tools/index.js';
import { argumentNames } from '../src/domain/schemas.js';

/** TinyTask's tools and their argument names: agents' prompts depend on these, so they must never drift. */
const TINYTASK_ARGUMENTS: Record<string, string[]> = {
  create_task: [
    'title',
    'description',
    'assigned_to',
    'created_by',
    'priority',
    'tags',
    'parent_task_id',
    'queue_name',
    'blocked_by_task_id',
    'auto_promote',
  ],
  update_task: [
    'id',
    'title',
    'description',
    'status',
    'assigned_to',
    'priority',
    'tags',
    'parent_task_id',
    'queue_name',
    'blocked_by_task_id',
    'auto_promote',
    'updated_by',
  ],
  get_task: ['id'],
  delete_task: ['id'],
  archive_task: ['id'],
  list_tasks: [
    'assigned_to',
    'status',
    'exclude_status',
    'parent_task_id',
    'exclude_subtasks',
    'include_archived',
    'include_description',
    'limit',
    'offset',
    'queue_name',
  ],
  create_subtask: [
    'parent_task_id',
    'title',
    'description',
    'assigned_to',
    'created_by',
    'priority',
    'tags',
    'queue_name',
    'blocked_by_task_id',
  ],
  get_subtasks: ['parent_task_id', 'recursive', 'include_archived'],
  get_task_with_subtasks: ['task_id', 'recursive', 'include_archived'],
  move_subtask: ['subtask_id', 'new_parent_id'],
  get_my_queue: ['agent_name', 'include_description'],
  signup_for_task: ['agent_name'],
  move_task: ['task_id', 'current_agent', 'new_agent', 'comment'],
  list_queues: [],
  get_queue_stats: ['queue_name'],
  add_task_to_queue: ['task_id', 'queue_name'],
  remove_task_from_queue: ['task_id'],
  move_task_to_queue: ['task_id', 'new_queue_name'],
  get_queue_tasks: [
    'queue_name',
    'assigned_to',
    'status',
    'exclude_status',
    'parent_task_id',
    'exclude_subtasks',
    'include_archived',
    'include_description',
    'limit',
    'offset',
  ],
  clear_queue: ['queue_name'],
  add_comment: ['task_id', 'content', 'created_by'],
  update_comment: ['id', 'content'],
  delete_comment: ['id'],
  list_comments: ['task_id'],
  get_comment: ['id'],
  move_comment: ['comment_id', 'to_task_id'],
  add_link: ['task_id', 'url', 'description', 'created_by'],
  update_link: ['id', 'url', 'description'],
  delete_link: ['id'],
  list_links: ['task_id'],
};

/** Optional arguments issue 10 added to TinyTask tools (blocker lists, leases); TinyTask's keep their meaning. */
const COORDINATION_ARGUMENTS: Record<string, string[]> = {
  create_task: ['blocked_by_task_ids'],
  create_subtask: ['blocked_by_task_ids'],
  update_task: ['blocked_by_task_ids', 'lease_id', 'lease_seconds'],
  signup_for_task: ['lease_seconds'],
  move_task: ['lease_id'],
  add_comment: ['lease_id'],
  add_link: ['lease_id'],
};

/** The coordination tools of issue 10, with their arguments. */
const COORDINATION_TOOLS: Record<string, string[]> = {
  claim_next_task: ['agent_name', 'queue_name', 'task_id', 'lease_seconds'],
  heartbeat_task: ['task_id', 'agent_name', 'lease_id', 'lease_seconds'],
  release_task: ['task_id', 'agent_name', 'lease_id', 'reason'],
  requeue_task: ['task_id', 'reset_attempts', 'requeued_by'],
  list_ready_tasks: ['queue_name', 'agent_name', 'limit', 'cursor'],
  wait_for_task: ['agent_name', 'queue_name', 'timeout_seconds', 'claim', 'lease_seconds'],
};

const REQUIRED: Record<string, string[]> = {
  create_task: ['title', 'created_by'],
  create_subtask: ['parent_task_id', 'title', 'created_by'],
  move_task: ['task_id', 'current_agent', 'new_agent', 'comment'],
  signup_for_task: ['agent_name'],
  get_my_queue: ['agent_name'],
  update_task: ['task_id'],
  add_comment: ['task_id', 'content'],
  add_link: ['task_id', 'url'],
  claim_next_task: ['agent_name'],
  heartbeat_task: ['task_id', 'agent_name', 'lease_id'],
  release_task: ['task_id', 'agent_name', 'lease_id'],
  requeue_task: ['task_id'],
  wait_for_task: ['agent_name'],
};

describe('the tool surface', () => {
  const withHistory = toolCatalogue(true).descriptors;
  const withoutHistory = toolCatalogue(false).descriptors;

  it('has TinyTask’s 30 tools with every TinyTask argument, the coordination tools, search_tasks, and get_task_history with history on', () => {
    const base = [...Object.keys(TINYTASK_ARGUMENTS), ...Object.keys(COORDINATION_TOOLS), 'search_tasks'];
    expect(withoutHistory.map((t) => t.name).sort()).toEqual([...base].sort());
    expect(withHistory.map((t) => t.name).sort()).toEqual([...base, 'get_task_history'].sort());
    for (const [name, args] of Object.entries({ ...TINYTASK_ARGUMENTS, ...COORDINATION_TOOLS })) {
      const def = allTools.find((t) => t.name === name)!;
      const shown = Object.keys(withHistory.find((t) => t.name === name)?.inputSchema.properties ?? {});
      // TinyTask's `id` of a task is shown as task_id and still accepted (test/mcp-names-search.test.ts).
      const accepted = new Set([
        ...shown,
        ...Object.values(def.aliases ?? {}),
        ...(def.hidden ?? []),
        ...argumentNames(def.input),
      ]);
      for (const arg of [...args, ...(COORDINATION_ARGUMENTS[name] ?? [])]) {
        expect(accepted.has(arg), `${name}.${arg}`).toBe(true);
      }
      // Every tool that writes also takes an idempotency_key (explained once in the server's instructions).
      // (wait_for_task writes only when it claims; it is not a write command and takes no key.)
      const writes =
        name !== 'wait_for_task' && !withHistory.find((t) => t.name === name)?.annotations?.readOnlyHint;
      expect(argumentNames(def.input).includes('idempotency_key'), name).toBe(writes);
    }
    for (const [name, required] of Object.entries(REQUIRED)) {
      expect(withHistory.find((t) => t.name === name)?.inputSchema.required?.sort(), name).toEqual(
        [...required].sort(),
      );
    }
  });

  it('describes every tool in a few words and types every argument', () => {
    for (const tool of withHistory) {
      expect(allTools.find((t) => t.name === tool.name)?.title, tool.name).toBeTruthy();
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(15);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.inputSchema).not.toHaveProperty('$schema');
      for (const [arg, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        const s = schema as { type?: unknown; anyOf?: unknown; enum?: unknown };
        expect(s.type ?? s.anyOf ?? s.enum, `${tool.name}.${arg}`).toBeTruthy();
      }
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.outputSchema).not.toHaveProperty('$schema');
    }
  });

  it('annotates every tool with the hints that differ from MCP’s defaults', () => {
    const destructive = ['delete_task', 'delete_comment', 'delete_link', 'clear_queue'];
    const reads = [
      'get_task',
      'list_tasks',
      'search_tasks',
      'get_subtasks',
      'get_task_with_subtasks',
      'get_my_queue',
      'list_queues',
      'get_queue_stats',
      'get_queue_tasks',
      'list_comments',
      'get_comment',
      'list_links',
      'get_task_history',
      'list_ready_tasks',
    ];
    for (const tool of withHistory) {
      const a = tool.annotations ?? {};
      expect(a.openWorldHint, tool.name).toBeUndefined();
      expect(a.readOnlyHint === true, tool.name).toBe(reads.includes(tool.name));
      if (!reads.includes(tool.name)) {
        expect(a.destructiveHint !== false, tool.name).toBe(destructive.includes(tool.name));
      }
    }
    expect(
      withHistory.find((t) => t.name === 'signup_for_task')?.annotations?.idempotentHint,
    ).toBeUndefined();
    expect(withHistory.find((t) => t.name === 'update_task')?.annotations?.idempotentHint).toBe(true);
  });

  it('keeps names and schemas as snapshotted (update with `npx vitest run -u` only for a deliberate change)', async () => {
    const snapshot = withHistory.map((t) => ({
      name: t.name,
      inputSchema: t.inputSchema,
      outputSchema: t.outputSchema,
      annotations: t.annotations,
    }));
    await expect(`${JSON.stringify(snapshot, null, 2)}\n`).toMatchFileSnapshot(
      './__snapshots__/tool-schemas.json',
    );
  });
});

describe('docs/tools.md', () => {
  it('is what `npm run docs:tools` generates from the registry', async () => {
    const { renderToolsDoc, TOOLS_DOC_PATH } = await import('../scripts/gen-tools-doc.js');
    const committed = readFileSync(TOOLS_DOC_PATH, 'utf8');
    const generated = await renderToolsDoc();
    expect(committed, 'docs/tools.md is stale: run `npm run docs:tools`').toBe(generated);
    for (const tool of toolCatalogue(true).descriptors) expect(committed).toContain(`### ${tool.name}`);
  });
});
