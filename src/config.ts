import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseToolsetList, TOOLSET_NAMES, type ToolsetName } from './tools/toolsets.js';

/**
 * Every setting of the server comes from the environment and is parsed here, once, at start-up. The parsed
 * `Config` is passed down explicitly; nothing else reads `process.env`.
 *
 * The table in docs/configuration.md is kept in step with `SETTINGS` by test/config.test.ts.
 */

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const MODES = ['stdio', 'http', 'both'] as const;
export type Mode = (typeof MODES)[number];

const bool = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), {
      message: `${name} must be one of true, false, 1, 0, yes, no, on, off`,
    })
    .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const int = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `${name} must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `${name} must be a whole number from ${min} to ${max}` });

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

function defaultReadThreads(): number {
  // One core is kept for the event loop and the writer; a single-core machine still gets one reader.
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** One entry per environment variable: its parser, its default (as the string an operator would write) and its doc. */
export const SETTINGS = {
  TINYTASK_MODE: {
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .refine((v) => [...MODES, 'sse'].includes(v), {
        message: 'TINYTASK_MODE must be one of stdio, http, both (or the legacy sse)',
      }),
    default: 'http',
    doc: 'Which transports to serve: `stdio`, `http` or `both`. The legacy value `sse` means `http` with the legacy SSE transport switched on, and logs a deprecation warning.',
  },
  TINYTASK_ENABLE_SSE: {
    schema: bool('TINYTASK_ENABLE_SSE'),
    default: 'false',
    doc: 'Serve the legacy 2024-11-05 HTTP+SSE transport (`GET /sse` + `POST /messages`) next to Streamable HTTP.',
  },
  TINYTASK_PORT: {
    schema: int('TINYTASK_PORT', 0, 65535),
    default: '3000',
    doc: 'TCP port of the HTTP server. `0` picks a free port (logged at start-up).',
  },
  TINYTASK_HOST: {
    schema: z.string().trim().min(1, { message: 'TINYTASK_HOST must not be empty' }),
    default: '127.0.0.1',
    doc: 'Address the HTTP server binds to. The container image sets `0.0.0.0`.',
  },
  TINYTASK_DB_PATH: {
    schema: z.string().trim().min(1, { message: 'TINYTASK_DB_PATH must not be empty' }),
    default: './data/tinytask.db',
    doc: 'SQLite database file. Its parent directory is created when missing. `-wal` and `-shm` files live beside it.',
  },
  TINYTASK_ENABLE_HISTORY: {
    schema: bool('TINYTASK_ENABLE_HISTORY'),
    default: 'false',
    doc: 'Record every field change of a task in `task_history` (in the same transaction) and offer the `get_task_history` tool.',
  },
  TINYTASK_LOG_LEVEL: {
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .refine((v): v is LogLevel => (LOG_LEVELS as readonly string[]).includes(v), {
        message: 'TINYTASK_LOG_LEVEL must be one of trace, debug, info, warn, error',
      }),
    default: 'info',
    doc: 'Log level of the JSON logs on stderr. `debug` logs every tool call with its duration, `trace` also logs SQL.',
  },
  TINYTASK_READ_THREADS: {
    schema: int('TINYTASK_READ_THREADS', 1, 64),
    default: '',
    doc: 'Worker threads serving reads, each with its own read-only connection. Default: available CPUs minus one, between 1 and 4.',
  },
  TINYTASK_THREAD_YOUNG_GEN_MB: {
    schema: int('TINYTASK_THREAD_YOUNG_GEN_MB', 1, 1024),
    default: '3',
    doc: 'Young-generation size (MB) of the writer and each reader thread (`resourceLimits.maxYoungGenerationSizeMb`). V8 sizes it for throughput (up to 48 MB a thread) while these threads allocate little that lives: 3 MB keeps their garbage small at no measured cost (docs/performance.md, memory). The main thread takes `node --max-semi-space-size` instead (set by `npm start` and the image; docs/deployment.md, Resources).',
  },
  TINYTASK_WRITE_QUEUE_LIMIT: {
    schema: int('TINYTASK_WRITE_QUEUE_LIMIT', 1, 1_000_000),
    default: '10000',
    doc: 'Writes waiting for the writer thread at most; past it a write fails at once with `OVERLOADED`.',
  },
  TINYTASK_WRITE_BATCH_MAX: {
    schema: int('TINYTASK_WRITE_BATCH_MAX', 1, 100_000),
    default: '1000',
    doc: 'Most writes committed in one group-commit transaction.',
  },
  TINYTASK_LEASE_SECONDS: {
    schema: int('TINYTASK_LEASE_SECONDS', 0, 7 * 24 * 3600),
    default: '1800',
    doc: 'Default length of the lease every claim takes (`claim_next_task`, `signup_for_task`, `update_task` to `working`); a call may ask for another with `lease_seconds`. A `working` task whose lease runs out returns to `idle` within a second. `0` switches leases and the reaper off (claims then carry no `lease_id`).',
  },
  TINYTASK_MAX_ATTEMPTS: {
    schema: int('TINYTASK_MAX_ATTEMPTS', 1, 1000),
    default: '3',
    doc: 'Lease expiries after which a task is dead-lettered (`dead_lettered_at` set): never claimed and never ready until `requeue_task`.',
  },
  TINYTASK_SESSION_IDLE_TIMEOUT: {
    schema: int('TINYTASK_SESSION_IDLE_TIMEOUT', 1, 7 * 24 * 3600),
    default: '1800',
    doc: 'Seconds an MCP session may stay idle (no request, no open stream) before it is closed; its id then answers 404.',
  },
  TINYTASK_UNUSED_SESSION_TIMEOUT: {
    schema: int('TINYTASK_UNUSED_SESSION_TIMEOUT', 1, 7 * 24 * 3600),
    default: '60',
    doc: 'Seconds a session that never sent a request after `initialize` (notifications do not count) may stay idle before it is closed (never longer than `TINYTASK_SESSION_IDLE_TIMEOUT`). Abandoned sessions go quickly this way; when the session cap is reached they are also the first to be evicted.',
  },
  TINYTASK_HIBERNATE_AFTER: {
    schema: int('TINYTASK_HIBERNATE_AFTER', 0, 7 * 24 * 3600),
    default: '5',
    doc: 'Seconds a Streamable HTTP session may stay idle (no request in flight, no open GET stream) before it hibernates: its MCP server and transport are dropped (about 17 KB each) and only a small record stays (the `initialize` request, log level, subscriptions). Its next request rebuilds them in the same state first (about 0.5 CPU-ms, once per wake), so clients see no difference. `0` never hibernates. Expiry, eviction and the session cap apply to hibernated sessions as to the others.',
  },
  TINYTASK_MAX_SESSIONS: {
    schema: int('TINYTASK_MAX_SESSIONS', 1, 1_000_000),
    default: '5000',
    doc: 'Open MCP sessions at most. An `initialize` at the cap evicts a session to make room: first one that never sent a request after `initialize`, then the one idle longest without an open stream. Only when every session is busy or holds a stream does it get HTTP 503 with a JSON-RPC error.',
  },
  TINYTASK_STATELESS: {
    schema: bool('TINYTASK_STATELESS'),
    default: 'false',
    doc: 'Serve Streamable HTTP without sessions (no `Mcp-Session-Id`, no GET stream, no subscriptions).',
  },
  TINYTASK_MAX_BODY_BYTES: {
    schema: int('TINYTASK_MAX_BODY_BYTES', 1024, 64 * 1024 * 1024),
    default: '1048576',
    doc: 'Largest request body accepted on `/mcp`, `/messages` and `/api/v1`; larger ones get HTTP 413.',
  },
  TINYTASK_ALLOWED_HOSTS: {
    schema: list,
    default: '',
    doc: 'Comma-separated `Host` values accepted (DNS-rebinding protection; with or without port). Empty: when bound to a loopback address only `localhost`, `127.0.0.1` and `[::1]` are accepted; otherwise any host.',
  },
  TINYTASK_ALLOWED_ORIGINS: {
    schema: list,
    default: '',
    doc: 'Comma-separated `Origin` values accepted from browsers. Requests without `Origin` are always accepted; loopback origins are accepted while bound to loopback. `*` accepts any origin.',
  },
  TINYTASK_CORS_ORIGINS: {
    schema: list,
    default: '',
    doc: 'Comma-separated origins that get CORS headers (and preflight answers). Empty: CORS off. `*` allows any origin.',
  },
  TINYTASK_AUTH_TOKEN: {
    schema: z.string(),
    default: '',
    doc: 'When set, `/mcp`, `/sse`, `/messages`, `/metrics` and `/api/*` require `Authorization: Bearer <token>`. Health endpoints stay open.',
  },
  TINYTASK_AUTH_TOKENS_FILE: {
    schema: z.string(),
    default: '',
    doc: 'Path of a JSON file mapping each token to its agent: `{"<token>": "<agent name>"}` or `{"<token>": {"agent": "<name>", "role": "agent" | "operator", "toolsets": ["worker"]}}`. Each token binds its requests to that agent: agent-name arguments naming another agent (compared case-insensitively) are refused with `FORBIDDEN`, and the agent may change or delete only tasks it created or that are assigned to it, and its own comments and links. Operator tokens may do anything. `toolsets` narrows the tools its sessions see.',
  },
  TINYTASK_IDEMPOTENCY_TTL: {
    schema: int('TINYTASK_IDEMPOTENCY_TTL', 1, 365 * 24 * 3600),
    default: '86400',
    doc: 'Seconds an `idempotency_key` is remembered after its write: a repeat within this time answers the first result and writes nothing. Expired keys are deleted by the writer.',
  },
  TINYTASK_SHUTDOWN_TIMEOUT: {
    schema: int('TINYTASK_SHUTDOWN_TIMEOUT', 0, 600_000),
    default: '5000',
    doc: 'Milliseconds that in-flight calls get to finish on SIGTERM/SIGINT before sessions are closed.',
  },
  TINYTASK_TOOLSETS: {
    schema: z.string().transform((v, ctx) => {
      const parsed = parseToolsetList(v);
      if ('error' in parsed) {
        ctx.addIssue({ code: 'custom', message: `TINYTASK_TOOLSETS: ${parsed.error}` });
        return z.NEVER;
      }
      return parsed.toolsets;
    }),
    default: 'all',
    doc: `Comma-separated toolsets every session offers: ${TOOLSET_NAMES.map((n) => `\`${n}\``).join(', ')}. Tokens (tokens file) and connections (\`/mcp?toolsets=…\`) can only narrow it. The stdio session offers exactly these.`,
  },
  TINYTASK_MAX_WAITERS: {
    schema: int('TINYTASK_MAX_WAITERS', 1, 1_000_000),
    default: '10000',
    doc: '`wait_for_task` calls held at once at most; past it a wait fails at once with `OVERLOADED`. An idle waiter costs a timer and a few hundred bytes.',
  },
  TINYTASK_WAIT_WATCH_MS: {
    schema: int('TINYTASK_WAIT_WATCH_MS', 0, 60_000),
    default: '100',
    doc: "While at least one `wait_for_task` waits, the writer checks `PRAGMA data_version` this often (milliseconds) to notice writes made by other processes on the same database file (several stdio servers sharing one board). `0` turns it off: waits then wake only for this process's writes.",
  },
  TINYTASK_STARTUP_TIMEOUT: {
    schema: int('TINYTASK_STARTUP_TIMEOUT', 1000, 600_000),
    default: '30000',
    doc: 'Milliseconds each start-up step (open and migrate the database, start every reader thread, bind the port) may take. A step that does not finish stops start-up with a message and exit code 2 instead of hanging.',
  },
  TINYTASK_PAGE_SIZE: {
    schema: int('TINYTASK_PAGE_SIZE', 1, 1000),
    default: '100',
    doc: 'Items per page of the MCP list methods (`tools/list`, `resources/list`, `resources/templates/list`, `prompts/list`).',
  },
  TINYTASK_DATABASE_URL: {
    schema: z
      .string()
      .trim()
      .refine((v) => /^postgres(ql)?:\/\/./.test(v), {
        message: 'TINYTASK_DATABASE_URL must be a postgres:// or postgresql:// connection URL',
      }),
    default: '',
    doc: 'PostgreSQL (14 or newer) connection URL, e.g. `postgres://tinytask:secret@db:5432/tinytask`. When set, the board lives in that database instead of the SQLite file (`TINYTASK_DB_PATH` is ignored) and several servers ("fronts") may share it. Unset: SQLite.',
  },
  TINYTASK_DATABASE_POOL_SIZE: {
    schema: int('TINYTASK_DATABASE_POOL_SIZE', 1, 64),
    default: '3',
    doc: 'PostgreSQL only: read connections of this front, each served by its own reader thread (`TINYTASK_READ_THREADS` applies to SQLite). Every front also holds one writer connection and one `LISTEN` connection.',
  },
} as const;

export type SettingName = keyof typeof SETTINGS;

export interface Config {
  mode: Mode;
  stdio: boolean;
  http: boolean;
  enableSse: boolean;
  port: number;
  host: string;
  dbPath: string;
  enableHistory: boolean;
  logLevel: LogLevel;
  readThreads: number;
  /** resourceLimits.maxYoungGenerationSizeMb of the writer and reader threads. */
  threadYoungGenerationMb: number;
  writeQueueLimit: number;
  writeBatchMax: number;
  /** Default lease length in seconds; 0: leases off. */
  leaseSeconds: number;
  maxAttempts: number;
  sessionIdleTimeoutMs: number;
  unusedSessionTimeoutMs: number;
  sessionHibernateAfterMs: number;
  maxSessions: number;
  stateless: boolean;
  maxBodyBytes: number;
  allowedHosts: string[];
  allowedOrigins: string[];
  corsOrigins: string[];
  authToken: string | undefined;
  authTokensFile: string | undefined;
  shutdownTimeoutMs: number;
  startupTimeoutMs: number;
  pageSize: number;
  /** Toolsets every session offers (narrowed per token and per connection). */
  toolsets: ToolsetName[];
  idempotencyTtlSeconds: number;
  maxWaiters: number;
  waitWatchMs: number;
  /** PostgreSQL connection URL; undefined: the SQLite file at dbPath. */
  databaseUrl: string | undefined;
  /** PostgreSQL read connections (and reader threads) per front. */
  databasePoolSize: number;
  /** Warnings found while parsing (e.g. deprecated values), logged once the logger exists. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment. Throws `ConfigError` naming every bad variable and its allowed values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS)) {
    const raw = env[name];
    if (raw === undefined || (raw.trim() === '' && name !== 'TINYTASK_AUTH_TOKEN')) {
      if (setting.default === '') {
        values[name] = undefined;
        continue;
      }
      values[name] = (setting.schema as z.ZodType).parse(setting.default);
      continue;
    }
    const parsed = (setting.schema as z.ZodType).safeParse(raw);
    if (parsed.success) values[name] = parsed.data;
    else
      problems.push(
        `${parsed.error.issues[0]?.message ?? `${name} is invalid`} (got ${JSON.stringify(raw)})`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const warnings: string[] = [];
  let mode = values.TINYTASK_MODE as Mode | 'sse';
  let enableSse = values.TINYTASK_ENABLE_SSE as boolean;
  if (mode === 'sse') {
    warnings.push(
      'TINYTASK_MODE=sse is deprecated: it now means TINYTASK_MODE=http with TINYTASK_ENABLE_SSE=true.',
    );
    mode = 'http';
    enableSse = true;
  }
  const authToken = (values.TINYTASK_AUTH_TOKEN as string | undefined) || undefined;
  const authTokensFile = (values.TINYTASK_AUTH_TOKENS_FILE as string | undefined)?.trim() || undefined;

  return {
    mode,
    stdio: mode === 'stdio' || mode === 'both',
    http: mode === 'http' || mode === 'both',
    enableSse,
    port: values.TINYTASK_PORT as number,
    host: values.TINYTASK_HOST as string,
    dbPath: resolve(values.TINYTASK_DB_PATH as string),
    enableHistory: values.TINYTASK_ENABLE_HISTORY as boolean,
    logLevel: values.TINYTASK_LOG_LEVEL as LogLevel,
    readThreads: (values.TINYTASK_READ_THREADS as number | undefined) ?? defaultReadThreads(),
    threadYoungGenerationMb: values.TINYTASK_THREAD_YOUNG_GEN_MB as number,
    writeQueueLimit: values.TINYTASK_WRITE_QUEUE_LIMIT as number,
    writeBatchMax: values.TINYTASK_WRITE_BATCH_MAX as number,
    leaseSeconds: values.TINYTASK_LEASE_SECONDS as number,
    maxAttempts: values.TINYTASK_MAX_ATTEMPTS as number,
    sessionIdleTimeoutMs: (values.TINYTASK_SESSION_IDLE_TIMEOUT as number) * 1000,
    unusedSessionTimeoutMs: (values.TINYTASK_UNUSED_SESSION_TIMEOUT as number) * 1000,
    sessionHibernateAfterMs: (values.TINYTASK_HIBERNATE_AFTER as number) * 1000,
    maxSessions: values.TINYTASK_MAX_SESSIONS as number,
    stateless: values.TINYTASK_STATELESS as boolean,
    maxBodyBytes: values.TINYTASK_MAX_BODY_BYTES as number,
    allowedHosts: (values.TINYTASK_ALLOWED_HOSTS as string[] | undefined) ?? [],
    allowedOrigins: (values.TINYTASK_ALLOWED_ORIGINS as string[] | undefined) ?? [],
    corsOrigins: (values.TINYTASK_CORS_ORIGINS as string[] | undefined) ?? [],
    authToken,
    authTokensFile,
    shutdownTimeoutMs: values.TINYTASK_SHUTDOWN_TIMEOUT as number,
    startupTimeoutMs: values.TINYTASK_STARTUP_TIMEOUT as number,
    pageSize: values.TINYTASK_PAGE_SIZE as number,
    toolsets: values.TINYTASK_TOOLSETS as ToolsetName[],
    idempotencyTtlSeconds: values.TINYTASK_IDEMPOTENCY_TTL as number,
    maxWaiters: values.TINYTASK_MAX_WAITERS as number,
    waitWatchMs: values.TINYTASK_WAIT_WATCH_MS as number,
    databaseUrl: (values.TINYTASK_DATABASE_URL as string | undefined) || undefined,
    databasePoolSize: values.TINYTASK_DATABASE_POOL_SIZE as number,
    warnings,
  };
}

/** A config for tests and embedding: defaults, with the given fields replaced. */
export function configWith(overrides: Partial<Config>): Config {
  return { ...loadConfig({}), ...overrides };
}
