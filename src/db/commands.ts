/**
 * Every write command in one table: which input schema validates it (on the main thread) and who may run it
 * (checked by the writer thread, inside the command's SAVEPOINT, against the rows as they are at write time).
 * Every command here also takes an optional `idempotency_key`, handled generically at the writer's dispatch
 * (src/db/writer/gate.ts). A new write command is covered by validation, idempotency and ownership by adding
 * its line here; the `satisfies` clause makes a missing line a type error.
 *
 * Ownership applies only to callers bound to an agent by a per-agent token (TINYTASK_AUTH_TOKENS_FILE) that is
 * not an operator token. Everyone else (stdio, the shared TINYTASK_AUTH_TOKEN, no auth) may run every command.
 */
import type { Schemas } from '../domain/schemas.js';
import type { WriteCommandName } from './protocol.js';

export type CommandArgs = Record<string, unknown>;

/** Who may run a command when the caller is a (non-operator) agent. */
export type Access =
  /** Any agent: the command creates something new, or acts only on the caller's own tasks by construction. */
  | { to: 'anyone' }
  /**
   * Only the owner of the item an argument names: a task's creator or assignee, a comment's or link's author.
   * An absent argument (an optional parent, say) means nothing to own. `claim` lets any agent run the command
   * on a task nobody is assigned to when the arguments only take that task for the caller.
   */
  | {
      to: 'owner';
      task?: string;
      comment?: string;
      link?: string;
      claim?: (args: CommandArgs, agent: string) => boolean;
    }
  /** Only operators: the command changes tasks of many agents at once. */
  | { to: 'operators'; instead: string };

export interface WriteCommandSpec {
  /** The schema in src/domain/schemas.ts that validates the arguments (`idempotency_key` is added to it). */
  input: keyof Schemas;
  access: Access;
}

/**
 * `update_task` on an unassigned task is a claim when it only assigns the task to the caller (and may set its
 * status, with a lease length).
 */
function claimsForCaller(args: CommandArgs, agent: string): boolean {
  const allowed = new Set(['id', 'assigned_to', 'status', 'updated_by', 'lease_seconds']);
  return args.assigned_to === agent && Object.keys(args).every((k) => allowed.has(k));
}

export const WRITE_COMMANDS = {
  createTask: { input: 'createTask', access: { to: 'owner', task: 'parent_task_id' } },
  createSubtask: { input: 'createSubtask', access: { to: 'owner', task: 'parent_task_id' } },
  updateTask: { input: 'updateTask', access: { to: 'owner', task: 'id', claim: claimsForCaller } },
  deleteTask: { input: 'taskId', access: { to: 'owner', task: 'id' } },
  archiveTask: { input: 'taskId', access: { to: 'owner', task: 'id' } },
  moveSubtask: { input: 'moveSubtask', access: { to: 'owner', task: 'subtask_id' } },
  signupForTask: { input: 'signupForTask', access: { to: 'anyone' } },
  // Claims only the caller's own or unassigned ready tasks (the handler's rule); agent_name is the caller's.
  claimNextTask: { input: 'claimNextTask', access: { to: 'anyone' } },
  // The handlers also require the current lease; the holder is the assignee.
  heartbeatTask: { input: 'heartbeatTask', access: { to: 'owner', task: 'task_id' } },
  releaseTask: { input: 'releaseTask', access: { to: 'owner', task: 'task_id' } },
  requeueTask: { input: 'requeueTask', access: { to: 'owner', task: 'task_id' } },
  moveTask: { input: 'moveTask', access: { to: 'owner', task: 'task_id' } },
  addTaskToQueue: { input: 'addTaskToQueue', access: { to: 'owner', task: 'task_id' } },
  removeTaskFromQueue: { input: 'removeTaskFromQueue', access: { to: 'owner', task: 'task_id' } },
  moveTaskToQueue: { input: 'moveTaskToQueue', access: { to: 'owner', task: 'task_id' } },
  clearQueue: {
    input: 'queueName',
    access: { to: 'operators', instead: 'take your own tasks out one by one with remove_task_from_queue' },
  },
  addComment: { input: 'addComment', access: { to: 'anyone' } },
  updateComment: { input: 'updateComment', access: { to: 'owner', comment: 'id' } },
  deleteComment: { input: 'commentId', access: { to: 'owner', comment: 'id' } },
  moveComment: { input: 'moveComment', access: { to: 'owner', comment: 'comment_id' } },
  addLink: { input: 'addLink', access: { to: 'anyone' } },
  updateLink: { input: 'updateLink', access: { to: 'owner', link: 'id' } },
  deleteLink: { input: 'linkId', access: { to: 'owner', link: 'id' } },
} as const satisfies Record<WriteCommandName, WriteCommandSpec>;

export const WRITE_COMMAND_NAMES = Object.keys(WRITE_COMMANDS) as WriteCommandName[];

/** The MCP tool name of a command (`createTask` → `create_task`), for messages and metric labels. */
export function toolNameOf(command: string): string {
  return command.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
