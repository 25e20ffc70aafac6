import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import type { HistoryEntry, QueueSummary, Task, TaskDetail } from '../domain/types.js';
import { ApiClient, ApiError, type ClientErrorCode } from './api.js';
import { taskSheet, taskTable, queueTable, when } from './format.js';

/**
 * `tinytask-mcp task|queue|agent …`: the board from a terminal or a script, over the REST API of a running server.
 * Every command prints a readable table or sheet, or with `--json` the API's answer as JSON, and exits with a code
 * a script can branch on (EXIT_CODES).
 */

/** Exit codes by outcome; every error code of the server has one. */
export const EXIT_CODES = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  INVALID_ARGUMENT: 2,
  NOT_FOUND: 3,
  UNAUTHORIZED: 4,
  FORBIDDEN: 4,
  CONFLICT: 5,
  NOT_ASSIGNEE: 5,
  CYCLE: 5,
  DEPENDENCY_CYCLE: 5,
  BLOCKED: 5,
  LEASE_LOST: 5,
  IDEMPOTENCY_CONFLICT: 5,
  NOTHING_TO_CLAIM: 6,
  UNREACHABLE: 7,
  OVERLOADED: 7,
  UNAVAILABLE: 7,
  STORAGE_UNAVAILABLE: 7,
  FEATURE_DISABLED: 8,
  NO_SEARCH: 8,
} as const satisfies Record<ClientErrorCode | 'OK' | 'USAGE' | 'NOTHING_TO_CLAIM', number>;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Terminal width for tables. */
  columns?: number;
}

/** The client's own environment: where the server is and who we are. Parsed once, here. */
const clientEnv = z.object({
  TINYTASK_URL: z.string().trim().optional(),
  TINYTASK_TOKEN: z.string().optional(),
  TINYTASK_AUTH_TOKEN: z.string().optional(),
  TINYTASK_AGENT: z.string().trim().optional(),
  TINYTASK_PORT: z.string().trim().optional(),
});

const COMMON: ParseArgsConfig['options'] = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const AGENT: ParseArgsConfig['options'] = { agent: { type: 'string' } };

type Values = Record<string, string | boolean | string[] | undefined>;

interface Context {
  api: ApiClient;
  values: Values;
  positionals: string[];
  /** `--agent`, else TINYTASK_AGENT; undefined lets a token bound to an agent decide. */
  agent: string | undefined;
  width: number;
}

interface Output {
  /** What `--json` prints. */
  json: unknown;
  text: string;
  exit?: number;
}

interface Command {
  usage: string;
  summary: string;
  options?: ParseArgsConfig['options'];
  /** Names of the positional arguments; a trailing `...` name takes the rest joined by spaces. */
  args: string[];
  run(ctx: Context): Promise<Output>;
}

class UsageError extends Error {}

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function list(values: Values, name: string): string[] | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [String(v)]).flatMap((s) => s.split(',')).filter((s) => s !== '');
}

function taskId(text: string | undefined): number {
  const id = Number(String(text ?? '').replace(/^#/, ''));
  if (!Number.isSafeInteger(id) || id < 1)
    throw new UsageError(`task id must be a positive integer, got ${JSON.stringify(text)}`);
  return id;
}

function intOption(values: Values, name: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function requireAgent(ctx: Context, what: string): string {
  if (ctx.agent === undefined)
    throw new UsageError(`${what} needs an agent name: pass --agent NAME or set TINYTASK_AGENT`);
  return ctx.agent;
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

interface Page {
  tasks: Task[];
  total: number;
  count: number;
  offset: number;
}

function pageFooter(page: Page): string | undefined {
  if (page.total <= page.count) return undefined;
  return `(${page.offset + 1}–${page.offset + page.count} of ${page.total}; use --limit/--offset for more)`;
}

const LIST_OPTIONS: ParseArgsConfig['options'] = {
  status: { type: 'string', multiple: true },
  queue: { type: 'string' },
  assignee: { type: 'string' },
  archived: { type: 'boolean' },
  limit: { type: 'string' },
  offset: { type: 'string' },
};

const COMMANDS: Record<string, Command> = {
  'task list': {
    usage: 'task list [--status S[,S]] [--queue Q] [--assignee A] [--archived] [--limit N] [--offset N]',
    summary: 'List tasks (default: idle and working), highest priority first.',
    options: LIST_OPTIONS,
    args: [],
    async run(ctx) {
      const v = ctx.values;
      const page = await ctx.api.get<Page>('/tasks', {
        status: list(v, 'status') ?? (v.archived ? undefined : ['idle', 'working']),
        queue_name: str(v, 'queue'),
        assigned_to: str(v, 'assignee'),
        include_archived: v.archived ? true : undefined,
        limit: intOption(v, 'limit'),
        offset: intOption(v, 'offset'),
      });
      return { json: page, text: taskTable(page.tasks, ctx.width, pageFooter(page)) };
    },
  },
  'task show': {
    usage: 'task show ID [--history]',
    summary: 'Show a task with its comments and links (and its history).',
    options: { history: { type: 'boolean' } },
    args: ['id'],
    async run(ctx) {
      const id = taskId(ctx.positionals[0]);
      const task = await ctx.api.get<TaskDetail>(`/tasks/${id}`);
      let history: HistoryEntry[] | undefined;
      if (ctx.values.history) {
        history = (await ctx.api.get<{ history: HistoryEntry[] }>(`/tasks/${id}/history`)).history;
      }
      return { json: history ? { ...task, history } : task, text: taskSheet(task, history) };
    },
  },
  'task create': {
    usage:
      'task create TITLE... [--description D] [--assign A] [--queue Q] [--priority N] [--tag T[,T]] [--parent ID] [--blocked-by ID] [--agent NAME]',
    summary: 'Create a task; prints its id.',
    options: {
      ...AGENT,
      description: { type: 'string' },
      assign: { type: 'string' },
      queue: { type: 'string' },
      priority: { type: 'string' },
      tag: { type: 'string', multiple: true },
      parent: { type: 'string' },
      'blocked-by': { type: 'string' },
    },
    args: ['title...'],
    async run(ctx) {
      const v = ctx.values;
      const task = await ctx.api.post<Task>('/tasks', {
        title: ctx.positionals.join(' '),
        created_by: ctx.agent,
        description: str(v, 'description'),
        assigned_to: str(v, 'assign'),
        queue_name: str(v, 'queue'),
        priority: intOption(v, 'priority'),
        tags: list(v, 'tag'),
        parent_task_id: str(v, 'parent') === undefined ? undefined : taskId(str(v, 'parent')),
        blocked_by_task_id: str(v, 'blocked-by') === undefined ? undefined : taskId(str(v, 'blocked-by')),
      });
      return { json: task, text: `Created task #${task.id}: ${task.title}` };
    },
  },
  'task claim': {
    usage: 'task claim [--agent NAME] [--queue Q] [--task ID] [--lease-seconds N]',
    summary:
      'Claim the agent’s next ready task (highest priority, oldest), or unassigned work of a queue; exit 6 when there is none.',
    options: {
      ...AGENT,
      queue: { type: 'string' },
      task: { type: 'string' },
      'lease-seconds': { type: 'string' },
    },
    args: [],
    async run(ctx) {
      const agent = requireAgent(ctx, 'task claim');
      const v = ctx.values;
      const body = {
        queue_name: str(v, 'queue'),
        task_id: str(v, 'task') === undefined ? undefined : taskId(str(v, 'task')),
        lease_seconds: intOption(v, 'lease-seconds'),
      };
      type Claim = {
        claimed?: boolean;
        task: (Task & { lease_expires_at?: string | null }) | null;
        message?: string;
      };
      let result: Claim;
      try {
        result = await ctx.api.post<Claim>(`/agents/${enc(agent)}/claim`, body);
      } catch (err) {
        // A server without claim_next_task has no such route: claim the TinyTask way (own tasks only).
        const noRoute =
          err instanceof ApiError && err.status === 404 && err.message.startsWith('Not Found: ');
        if (!noRoute) throw err;
        if (body.queue_name !== undefined || body.task_id !== undefined || body.lease_seconds !== undefined) {
          throw new ApiError(
            'FEATURE_DISABLED',
            'This server has no claim_next_task: --queue, --task and --lease-seconds need it.',
          );
        }
        result = await ctx.api.post<Claim>(`/agents/${enc(agent)}/signup`);
      }
      const task = result.task;
      if (!task || result.claimed === false) {
        const text = result.message ?? `Nothing to claim for ${agent}.`;
        return { json: result, text, exit: EXIT_CODES.NOTHING_TO_CLAIM };
      }
      const lease = task.lease_expires_at ? ` (lease until ${when(task.lease_expires_at)})` : '';
      return { json: result, text: `Claimed task #${task.id}: ${task.title}${lease}` };
    },
  },
  'task complete': {
    usage: 'task complete ID [--comment TEXT] [--agent NAME]',
    summary: 'Mark a task complete, optionally with a closing comment.',
    options: { ...AGENT, comment: { type: 'string' } },
    args: ['id'],
    async run(ctx) {
      const id = taskId(ctx.positionals[0]);
      const comment = str(ctx.values, 'comment');
      if (comment !== undefined) {
        await ctx.api.post(`/tasks/${id}/comments`, { content: comment, created_by: ctx.agent });
      }
      const task = await ctx.api.patch<Task>(`/tasks/${id}`, { status: 'complete', updated_by: ctx.agent });
      return { json: task, text: `Completed task #${task.id}: ${task.title}` };
    },
  },
  'task comment': {
    usage: 'task comment ID TEXT... [--agent NAME]',
    summary: 'Add a comment to a task.',
    options: AGENT,
    args: ['id', 'text...'],
    async run(ctx) {
      const id = taskId(ctx.positionals[0]);
      const content = ctx.positionals.slice(1).join(' ');
      const comment = await ctx.api.post<{ id: number }>(`/tasks/${id}/comments`, {
        content,
        created_by: ctx.agent,
      });
      return { json: comment, text: `Added comment #${comment.id} to task #${id}` };
    },
  },
  'task search': {
    usage:
      'task search QUERY... [--status S[,S]] [--queue Q] [--assignee A] [--archived] [--limit N] [--cursor C]',
    summary: 'Find tasks by words in titles, descriptions and comments, best match first.',
    options: {
      status: LIST_OPTIONS.status!,
      queue: LIST_OPTIONS.queue!,
      assignee: LIST_OPTIONS.assignee!,
      archived: LIST_OPTIONS.archived!,
      limit: LIST_OPTIONS.limit!,
      cursor: { type: 'string' },
    },
    args: ['query...'],
    async run(ctx) {
      const v = ctx.values;
      let result: { tasks: Array<Task & { snippet?: string }>; next_cursor?: string | null };
      try {
        result = await ctx.api.get('/search', {
          query: ctx.positionals.join(' '),
          status: list(v, 'status'),
          queue_name: str(v, 'queue'),
          assigned_to: str(v, 'assignee'),
          include_archived: v.archived ? true : undefined,
          limit: intOption(v, 'limit'),
          cursor: str(v, 'cursor'),
        });
      } catch (err) {
        // A server without search_tasks has no such route: the front answers its own 404.
        if (err instanceof ApiError && err.status === 404 && err.message.startsWith('Not Found: ')) {
          throw new ApiError(
            'NO_SEARCH',
            'This server has no search (the search_tasks operation); use task list.',
          );
        }
        throw err;
      }
      const more = result.next_cursor ? `(more: --cursor ${result.next_cursor})` : undefined;
      return { json: result, text: taskTable(result.tasks, ctx.width, more) };
    },
  },
  'queue list': {
    usage: 'queue list',
    summary: 'List the queues with their task counts.',
    args: [],
    async run(ctx) {
      const result = await ctx.api.get<{ queues: QueueSummary[] }>('/queues');
      return { json: result, text: queueTable(result.queues, ctx.width) };
    },
  },
  'agent queue': {
    usage: 'agent queue NAME',
    summary: 'List an agent’s open tasks, highest priority first.',
    args: ['name'],
    async run(ctx) {
      const name = ctx.positionals[0]!;
      const result = await ctx.api.get<{ tasks: Task[] }>(`/agents/${enc(name)}/queue`);
      return {
        json: result,
        text: taskTable(
          result.tasks,
          ctx.width,
          result.tasks.length === 0 ? `No open tasks for ${name}.` : undefined,
        ),
      };
    },
  },
};

export const CLIENT_USAGE = `Board commands (over HTTP, against a running server):
${Object.entries(COMMANDS)
  .map(([, c]) => `  ${c.usage}\n      ${c.summary}`)
  .join('\n')}

  Every board command takes --url URL (TINYTASK_URL, default http://127.0.0.1:$TINYTASK_PORT or :3000),
  --token TOKEN (TINYTASK_TOKEN, else TINYTASK_AUTH_TOKEN) and --json (print the API's JSON answer).
  --agent NAME (TINYTASK_AGENT) names who acts; a token bound to an agent acts as that agent by itself.
  Exit codes: 0 ok, 1 server fault, 2 bad arguments, 3 not found, 4 unauthorized or forbidden,
  5 conflict, 6 nothing to claim, 7 server unreachable or busy (retry), 8 feature not available.
`;

function commandUsage(key: string, c: Command): string {
  return `Usage: tinytask-mcp ${c.usage} [--url URL] [--token TOKEN] [--json]\n\n${c.summary}\n`;
}

/** Runs one board command; resolves with the exit code. Never throws. */
export async function runClientCommand(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const key = argv.slice(0, 2).join(' ');
  const command = COMMANDS[key];
  if (!command) {
    io.err(`tinytask-mcp: unknown command: ${argv.slice(0, 2).join(' ')}\n\n${CLIENT_USAGE}`);
    return EXIT_CODES.USAGE;
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv.slice(2),
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (err) {
    io.err(`tinytask-mcp: ${(err as Error).message}\n\n${commandUsage(key, command)}`);
    return EXIT_CODES.USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(commandUsage(key, command));
    return EXIT_CODES.OK;
  }
  const rest = command.args.at(-1)?.endsWith('...');
  const needed = command.args.length;
  if (positionals.length < needed || (!rest && positionals.length > needed)) {
    io.err(
      `tinytask-mcp: ${key} takes ${command.args.map((a) => a.toUpperCase()).join(' ') || 'no arguments'}\n\n${commandUsage(key, command)}`,
    );
    return EXIT_CODES.USAGE;
  }
  const e = clientEnv.parse(env);
  const url = str(values, 'url') ?? (e.TINYTASK_URL || `http://127.0.0.1:${e.TINYTASK_PORT || '3000'}`);
  const token = str(values, 'token') ?? (e.TINYTASK_TOKEN || e.TINYTASK_AUTH_TOKEN || undefined);
  const ctx: Context = {
    api: new ApiClient({ url, token }),
    values,
    positionals,
    agent: str(values, 'agent') ?? (e.TINYTASK_AGENT || undefined),
    width: io.columns ?? 120,
  };
  try {
    const output = await command.run(ctx);
    io.out(`${values.json ? JSON.stringify(output.json, null, 2) : output.text}\n`);
    return output.exit ?? EXIT_CODES.OK;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`tinytask-mcp: ${err.message}\n`);
      return EXIT_CODES.USAGE;
    }
    const failure = err instanceof ApiError ? err : new ApiError('INTERNAL', (err as Error).message);
    if (values.json)
      io.err(`${JSON.stringify({ error: { code: failure.code, message: failure.message } })}\n`);
    else io.err(`tinytask-mcp: ${failure.code}: ${failure.message}\n`);
    return EXIT_CODES[failure.code];
  }
}
