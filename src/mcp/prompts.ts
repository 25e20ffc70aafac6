import { GetPromptRequestSchema, ListPromptsRequestSchema } from '@modelcontextprotocol/core';
import type { GetPromptResult, Prompt, Server } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { agentName, describeIssues, id, queueName } from '../domain/schemas.js';
import { invalidParams, toRpcError } from './errors.js';
import { handleRequest } from './requests.js';
import { pageOf } from './pagination.js';
import { readResourceData } from './resources.js';
import type { McpDeps } from './types.js';

/** Argument kinds, for completion/complete. */
export type CompletionKind = 'task' | 'agent' | 'queue';

interface PromptDef {
  prompt: Prompt;
  args: z.ZodType;
  completes: Record<string, CompletionKind>;
  render(deps: McpDeps, args: Record<string, unknown>): Promise<GetPromptResult>;
}

const json = (data: unknown) => JSON.stringify(data, null, 2);

const workMyQueue: PromptDef = {
  prompt: {
    name: 'work-my-queue',
    title: 'Work my queue',
    description:
      'Start a work session as an agent: shows its open tasks and the agent loop (docs/agent-loop.md): claim with a ' +
      'lease, heartbeat, complete or hand off, and wait for work instead of polling.',
    arguments: [
      {
        name: 'agent_name',
        description: 'The agent doing the work (your name on the board)',
        required: true,
      },
      {
        name: 'queue_name',
        description: 'A team queue whose unassigned tasks you also take (optional)',
        required: false,
      },
    ],
  },
  args: z.strictObject({
    agent_name: agentName('agent_name', 'The agent doing the work'),
    queue_name: queueName('queue_name', 'A team queue whose unassigned tasks you also take').optional(),
  }),
  completes: { agent_name: 'agent', queue_name: 'queue' },
  async render({ board }, args) {
    const agent = args.agent_name as string;
    const queueName = args.queue_name as string | undefined;
    const queue = await readResourceData(board, { kind: 'agent_queue', agent });
    const uri = `queue://${encodeURIComponent(agent)}`;
    const who = `"agent_name": ${JSON.stringify(agent)}${queueName ? `, "queue_name": ${JSON.stringify(queueName)}` : ''}`;
    return {
      description: `Work session for ${agent}${queueName ? ` (queue ${queueName})` : ''}`,
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: [
              `You are the agent "${agent}" on a shared TinyTask board. Work through your ${queueName ? 'tasks and the queue' : 'queue'} in this loop:`,
              `1. Claim: claim_next_task {${who}}. It answers your next ready task with a lease_id and lease_expires_at; keep the lease_id.`,
              `2. Nothing to claim? Do not poll. Call wait_for_task {${who}, "claim": true, "timeout_seconds": 25}: it answers as soon as`,
              '   work arrives, already claimed with a lease. On outcome "timeout" (task null) call it again; on "shutdown" stop.',
              '3. Read the task with get_task {"id": <id>}: the description, the comments (earlier hand-offs) and the links.',
              `4. Do the work. Record progress with add_comment (created_by "${agent}") and artifacts with add_link, passing your lease_id.`,
              `   If the work takes long, call heartbeat_task {"task_id": <id>, "agent_name": "${agent}", "lease_id": <lease_id>} before`,
              '   lease_expires_at. If a call answers LEASE_LOST, the task was taken from you: drop it and go back to step 1.',
              '5. Finish: update_task {"id": <id>, "status": "complete", "lease_id": <lease_id>}. If another agent must continue, use',
              `   move_task {"task_id": <id>, "current_agent": "${agent}", "new_agent": <agent>, "comment": <what is done, what is left>};`,
              `   if you cannot do it, release_task {"task_id": <id>, "agent_name": "${agent}", "lease_id": <lease_id>, "reason": <why>}.`,
              '6. If the task is too big, break it down with create_subtask; if it must wait for another task, set blocked_by_task_ids.',
              '7. Repeat from step 1.',
              `Your open tasks right now are attached (${uri}).`,
            ].join('\n'),
          },
        },
        {
          role: 'user',
          content: { type: 'resource', resource: { uri, mimeType: 'application/json', text: json(queue) } },
        },
      ],
    };
  },
};

const handOffTask: PromptDef = {
  prompt: {
    name: 'hand-off-task',
    title: 'Hand off a task',
    description:
      'Hand a task from one agent to another with a useful hand-off comment: shows the task and how to write the ' +
      'comment and call move_task.',
    arguments: [
      { name: 'task_id', description: 'The task to hand off', required: true },
      { name: 'from_agent', description: 'Its current assignee (usually you)', required: true },
      { name: 'to_agent', description: 'The agent who continues the work', required: true },
    ],
  },
  args: z.strictObject({
    task_id: id('task_id', 'The task to hand off'),
    from_agent: agentName('from_agent', 'Its current assignee'),
    to_agent: agentName('to_agent', 'The agent who continues the work'),
  }),
  completes: { task_id: 'task', from_agent: 'agent', to_agent: 'agent' },
  async render({ board }, args) {
    const taskId = args.task_id as number;
    const from = args.from_agent as string;
    const to = args.to_agent as string;
    const task = await readResourceData(board, { kind: 'task', id: String(taskId) });
    const assignee = (task as { assigned_to: string | null }).assigned_to;
    const warning =
      assignee === from
        ? ''
        : `\nNote: the task is assigned to ${assignee === null ? 'nobody' : `"${assignee}"`}, not "${from}"; move_task will refuse until from_agent is the assignee.`;
    return {
      description: `Hand off task ${taskId} from ${from} to ${to}`,
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: [
              `Hand task ${taskId} from "${from}" to "${to}". The task, its comments and links are attached (task://${taskId}).`,
              'Write a hand-off comment that lets the next agent continue without asking: what was done, where the',
              'artifacts are (add_link any that are missing), what is left, and any open question or risk.',
              `Then call move_task {"task_id": ${taskId}, "current_agent": "${from}", "new_agent": "${to}", "comment": <the hand-off comment>}.` +
                warning,
            ].join('\n'),
          },
        },
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: { uri: `task://${taskId}`, mimeType: 'application/json', text: json(task) },
          },
        },
      ],
    };
  },
};

export const PROMPTS: readonly PromptDef[] = [workMyQueue, handOffTask];

export function hasPrompt(name: string): boolean {
  return PROMPTS.some((p) => p.prompt.name === name);
}

export function promptCompletionKind(name: string, argument: string): CompletionKind | undefined {
  const completes = PROMPTS.find((p) => p.prompt.name === name)?.completes;
  // Own keys only: an argument named like an Object.prototype member ("constructor") completes to nothing.
  return completes && Object.hasOwn(completes, argument) ? completes[argument] : undefined;
}

export function registerPrompts(server: Server, deps: McpDeps): void {
  handleRequest(server, ListPromptsRequestSchema, async (request) => {
    const prompts = PROMPTS.map((p) => p.prompt);
    const { page, nextCursor } = pageOf('prompts', prompts, request.params?.cursor, deps.config.pageSize);
    return nextCursor ? { prompts: page, nextCursor } : { prompts: page };
  });

  handleRequest(server, GetPromptRequestSchema, async (request) => {
    const def = PROMPTS.find((p) => p.prompt.name === request.params.name);
    if (!def) {
      throw invalidParams(
        `Unknown prompt: ${request.params.name}. Available: ${PROMPTS.map((p) => p.prompt.name).join(', ')}.`,
      );
    }
    const parsed = def.args.safeParse(request.params.arguments ?? {}, { reportInput: true });
    if (!parsed.success) throw invalidParams(describeIssues(parsed.error.issues));
    try {
      return await def.render(deps, parsed.data as Record<string, unknown>);
    } catch (err) {
      throw toRpcError(err, deps.logger, { method: 'prompts/get', prompt: def.prompt.name }, 'params');
    }
  });
}
