import { createHash } from 'node:crypto';
import { errors } from '../../domain/errors.js';
import { toolNameOf, WRITE_COMMANDS, type Access, type CommandArgs } from '../commands.js';
import type { Connection } from '../connection.js';
import type { Caller, WriteCommand } from '../protocol.js';
import type { WriteHandlers, WriteOutcome } from './handlers.js';

/**
 * The writer's command dispatch: what every write goes through before and after its handler, declared per command
 * in src/db/commands.ts rather than in each handler.
 *
 * 1. Idempotency: a command with an `idempotency_key` that this agent already used answers the stored answer of
 *    the first call when the command and its arguments are the same (writing nothing), and IDEMPOTENCY_CONFLICT
 *    when they differ.
 * 2. Ownership: a caller bound to a (non-operator) agent may run the command only on items it owns, read now,
 *    inside the write's transaction, so the check and the write see the same rows.
 * 3. The handler runs; then the key is stored with the answer.
 *
 * All of it runs inside the SAVEPOINT the group committer opens for the command: the key is committed exactly when
 * the write is, and a command that fails leaves neither (its retry runs again).
 */

export interface GateOptions {
  idempotencyTtlSeconds: number;
  /** The clock (ms since the epoch); tests inject one. */
  now?: () => number;
}

/** Expired keys are deleted at most this often, a bounded number at a time, at the start of a batch. */
const SWEEP_EVERY_MS = 1_000;
const SWEEP_MAX_ROWS = 1_000;

interface StoredKey {
  command: string;
  fingerprint: string;
  result: string;
  created_at: string;
}

interface Owners {
  created_by: string | null;
  assigned_to: string | null;
}

/** JSON with object keys sorted, so equal arguments always give the same text whatever their order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function fingerprintOf(command: WriteCommand): string {
  return createHash('sha256')
    .update(canonicalJson({ type: command.type, args: command.args }))
    .digest('hex');
}

const quoted = (name: string | null) => (name === null ? 'nobody' : JSON.stringify(name));

export interface WriteGate extends WriteHandlers {
  /** Deletes expired idempotency keys (at most SWEEP_MAX_ROWS); answers how many. */
  sweep(): number;
}

/** `handlers` behind the gate: `execute` goes through it, everything else (the reaper) is theirs unchanged. */
export function createWriteGate(db: Connection, handlers: WriteHandlers, opts: GateOptions): WriteGate {
  const now = opts.now ?? Date.now;
  const ttlMs = opts.idempotencyTtlSeconds * 1000;
  const s = {
    findKey: db.prepare<[string, string, string], StoredKey>(
      `SELECT command, fingerprint, result, created_at FROM idempotency_keys
       WHERE agent = ? AND key = ? AND expires_at > ?`,
    ),
    storeKey: db.prepare<[string, string, string, string, string, string, string]>(
      // Replaces only an expired key. A live one can be there only when another front (PostgreSQL) committed the
      // same key meanwhile: nothing is stored then, and the write is refused so that its retry replays.
      `INSERT INTO idempotency_keys (agent, key, command, fingerprint, result, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent, key) DO UPDATE SET command = excluded.command, fingerprint = excluded.fingerprint,
         result = excluded.result, created_at = excluded.created_at, expires_at = excluded.expires_at
       WHERE idempotency_keys.expires_at <= excluded.created_at`,
    ),
    sweep: db.prepare<[string, number]>(
      `DELETE FROM idempotency_keys WHERE (agent, key) IN (
         SELECT agent, key FROM idempotency_keys WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
    ),
    taskOwners: db.prepare<[number], Owners>('SELECT created_by, assigned_to FROM tasks WHERE id = ?'),
    commentAuthor: db.prepare<[number], { created_by: string | null }>(
      'SELECT created_by FROM comments WHERE id = ?',
    ),
    linkAuthor: db.prepare<[number], { created_by: string | null }>(
      'SELECT created_by FROM links WHERE id = ?',
    ),
  };
  let lastSweep = 0;

  function checkTask(
    id: number,
    arg: string,
    args: CommandArgs,
    agent: string,
    claim: ((args: CommandArgs, agent: string) => boolean) | undefined,
  ): void {
    const row = s.taskOwners.get(id);
    // A missing task is the handler's to report (NOT_FOUND).
    if (!row || row.created_by === agent || row.assigned_to === agent) return;
    if (row.assigned_to === null && claim?.(args, agent)) return;
    const advice =
      row.assigned_to === null
        ? `It is assigned to nobody: claim it first with update_task {"id": ${id}, "assigned_to": ${JSON.stringify(agent)}}, ` +
          'or ask its creator or an operator.'
        : `Ask ${quoted(row.assigned_to)} with add_comment on the task, or ask an operator.`;
    throw errors.forbidden(
      `Task ${id} (${arg}) is not yours: it was created by ${quoted(row.created_by)} and is assigned to ` +
        `${quoted(row.assigned_to)}, and your token acts as ${JSON.stringify(agent)}. With per-agent tokens an ` +
        `agent may change or delete only tasks it created or that are assigned to it. ${advice}`,
    );
  }

  function checkAuthor(
    kind: 'Comment' | 'Link',
    id: number,
    author: string | null | undefined,
    agent: string,
  ) {
    if (author === undefined || author === agent) return;
    const instead =
      kind === 'Comment' ? 'add a new comment with add_comment' : 'add your own link with add_link';
    throw errors.forbidden(
      `${kind} ${id} was written by ${quoted(author)}, and your token acts as ${JSON.stringify(agent)}. Agents may ` +
        `edit, move or delete only their own ${kind.toLowerCase()}s: ${instead} instead, or ask an operator.`,
    );
  }

  function checkAccess(command: WriteCommand, caller: Caller): void {
    const access: Access = WRITE_COMMANDS[command.type].access;
    const args = command.args as CommandArgs;
    const { agent } = caller;
    switch (access.to) {
      case 'anyone':
        return;
      case 'operators':
        throw errors.forbidden(
          `${toolNameOf(command.type)} changes the tasks of every agent at once, so only operator tokens may call ` +
            `it; your token acts as ${JSON.stringify(agent)}. Instead, ${access.instead}.`,
        );
      case 'owner': {
        const idOf = (arg: string | undefined) =>
          arg === undefined ? undefined : (args[arg] as number | undefined);
        const taskId = idOf(access.task);
        if (taskId !== undefined && taskId !== null)
          checkTask(taskId, access.task!, args, agent, access.claim);
        const commentId = idOf(access.comment);
        if (commentId !== undefined)
          checkAuthor('Comment', commentId, s.commentAuthor.get(commentId)?.created_by, agent);
        const linkId = idOf(access.link);
        if (linkId !== undefined) checkAuthor('Link', linkId, s.linkAuthor.get(linkId)?.created_by, agent);
        return;
      }
    }
  }

  function sweep(): number {
    return s.sweep.run(new Date(now()).toISOString(), SWEEP_MAX_ROWS).changes;
  }
  // Inside the batch's transaction this runs in a SAVEPOINT: a failed sweep undoes itself and nothing else.
  const sweepSafely = db.transaction(sweep);

  return {
    ...handlers,
    execute(received): WriteOutcome {
      // Agent names in their stored spelling first, so that keys, ownership and handlers compare them exactly.
      const command = handlers.withStoredAgentNames(received);
      const context = command.context;
      const caller = context?.caller && {
        ...context.caller,
        agent: handlers.storedAgentName(context.caller.agent),
      };
      const key = context?.idempotencyKey;
      const scope = caller?.agent ?? '';
      let fingerprint: string | undefined;
      let at: number | undefined;
      if (key !== undefined) {
        at = now();
        fingerprint = fingerprintOf(command);
        const stored = s.findKey.get(scope, key, new Date(at).toISOString());
        if (stored) {
          if (stored.fingerprint === fingerprint) {
            const changes = { tasks: [], agents: [], queues: [] };
            return { value: JSON.parse(stored.result), changes, counts: {}, replayed: true };
          }
          const tool = toolNameOf(stored.command);
          const what = stored.command === command.type ? `${tool} with other arguments` : tool;
          throw errors.idempotencyConflict(
            `idempotency_key ${JSON.stringify(key)} was already used${caller ? ` by ${JSON.stringify(scope)}` : ''} ` +
              `at ${stored.created_at} for ${what}. A key stands for one write: to retry that write, send exactly ` +
              'the same arguments again; for a different write, use a new key (a fresh UUID, say).',
          );
        }
      }
      if (caller && !caller.operator) checkAccess(command, caller);
      const outcome = handlers.execute(command);
      if (key !== undefined && fingerprint !== undefined && at !== undefined) {
        const stored = s.storeKey.run(
          scope,
          key,
          command.type,
          fingerprint,
          JSON.stringify(outcome.value ?? null),
          new Date(at).toISOString(),
          new Date(at + ttlMs).toISOString(),
        );
        if (stored.changes === 0)
          throw errors.unavailable(
            `Another server committed a write with idempotency_key ${JSON.stringify(key)} at the same moment; this one was not applied. Retry with the same key to get that write's answer.`,
          );
      }
      return outcome;
    },
    housekeeping() {
      const t = now();
      if (t - lastSweep < SWEEP_EVERY_MS) return;
      lastSweep = t;
      try {
        sweepSafely();
      } catch {
        // Expired keys are ignored by lookups anyway; the next sweep tries again.
      }
    },
    sweep,
  };
}
