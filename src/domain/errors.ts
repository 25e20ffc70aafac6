/**
 * The stable error codes of tinytask-mcp. Every error an agent or operator can see carries one of these codes.
 * docs/errors.md documents each one; test/errors-doc.test.ts keeps that page and this table in step.
 *
 * Errors cross thread boundaries as plain data (`PlainError`), never as Error objects.
 */
export const ERROR_CODES = {
  INVALID_ARGUMENT: 'An argument is missing, of the wrong type, out of range or too long.',
  NOT_FOUND: 'The task, comment or link named does not exist.',
  CONFLICT: 'The request is well formed but the current state of the board does not allow it.',
  NOT_ASSIGNEE: 'The agent named as the current assignee is not the task’s assignee.',
  CYCLE: 'The change would make a task its own ancestor, directly or through its subtasks.',
  DEPENDENCY_CYCLE: 'The blockers given would make a task wait, directly or through others, for itself.',
  BLOCKED: 'The task still has open blockers, so it cannot be started or completed yet.',
  LEASE_LOST:
    'The lease presented is no longer the task’s current lease: it expired, was released, or the task was reclaimed.',
  UNAUTHORIZED: 'The HTTP request carries no bearer token, or one the server does not know.',
  FORBIDDEN:
    'The bearer token may not do this: it is bound to another agent than the call names, or the task, comment or link belongs to another agent.',
  IDEMPOTENCY_CONFLICT:
    'The idempotency_key was already used by this agent for a different write (other tool or other arguments).',
  FEATURE_DISABLED: 'The operation needs a feature that this server has switched off.',
  OVERLOADED:
    'The writer queue or the waiter limit is full; nothing was written. Retry after a short back-off.',
  UNAVAILABLE:
    'The database thread is restarting or the server is shutting down; nothing was written. Retry.',
  STORAGE_UNAVAILABLE:
    'The database cannot be written (disk full, read-only file system, I/O error); the write was not applied.',
  INTERNAL: 'An unexpected fault inside the server. The call may be retried; the server log has the details.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface PlainError {
  code: ErrorCode;
  message: string;
}

export class TaskBoardError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'TaskBoardError';
    this.code = code;
  }

  toPlain(): PlainError {
    return { code: this.code, message: this.message };
  }

  static fromPlain(plain: PlainError): TaskBoardError {
    return new TaskBoardError(plain.code, plain.message);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function isPlainError(value: unknown): value is PlainError {
  return (
    typeof value === 'object' &&
    value !== null &&
    isErrorCode((value as PlainError).code) &&
    typeof (value as PlainError).message === 'string'
  );
}

/** Any thrown value as a `PlainError`; unknown faults become INTERNAL without leaking internals. */
export function toPlainError(err: unknown): PlainError {
  if (err instanceof TaskBoardError) return err.toPlain();
  if (isPlainError(err)) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Internal error: ${message}` };
}

/** Error factories: the wording of each message tells the agent what to fix. */
export const errors = {
  invalidArgument: (message: string) => new TaskBoardError('INVALID_ARGUMENT', message),
  taskNotFound: (id: number) =>
    new TaskBoardError('NOT_FOUND', `Task ${id} does not exist. Use list_tasks to find existing task ids.`),
  commentNotFound: (id: number) =>
    new TaskBoardError('NOT_FOUND', `Comment ${id} does not exist. Use list_comments to find comment ids.`),
  linkNotFound: (id: number) =>
    new TaskBoardError('NOT_FOUND', `Link ${id} does not exist. Use list_links to find link ids.`),
  conflict: (message: string) => new TaskBoardError('CONFLICT', message),
  notAssignee: (taskId: number, claimed: string, actual: string | null) =>
    new TaskBoardError(
      'NOT_ASSIGNEE',
      actual === null
        ? `Task ${taskId} is not assigned to anyone, so ${JSON.stringify(claimed)} cannot hand it off. ` +
            'Assign it first with update_task (assigned_to), then hand it off.'
        : `Task ${taskId} is assigned to ${JSON.stringify(actual)}, not ${JSON.stringify(claimed)}. ` +
            'Pass the task’s current assignee as current_agent.',
    ),
  cycle: (message: string) => new TaskBoardError('CYCLE', message),
  dependencyCycle: (cycle: readonly number[]) =>
    new TaskBoardError(
      'DEPENDENCY_CYCLE',
      cycle.length <= 2
        ? `Task ${cycle[0]} cannot block itself.`
        : `These blockers would create a dependency cycle: ${cycle.map((id) => `task ${id}`).join(' → ')}. ` +
            'Remove one of the blockers in the cycle.',
    ),
  blocked: (taskId: number, status: string, open: ReadonlyArray<{ id: number; status: string }>) =>
    new TaskBoardError(
      'BLOCKED',
      `Task ${taskId} cannot be set ${status}: it is blocked by ${open
        .map((b) => `task ${b.id} (${b.status})`)
        .join(
          ', ',
        )}. Complete ${open.length === 1 ? 'that task' : 'those tasks'} first, or change blocked_by_task_ids.`,
    ),
  leaseLost: (taskId: number, holder: { assigned_to: string | null; status: string; leased: boolean }) =>
    new TaskBoardError(
      'LEASE_LOST',
      `Your lease on task ${taskId} is no longer valid: the task was reclaimed and ` +
        (holder.leased
          ? `is now held by ${JSON.stringify(holder.assigned_to)} under another lease.`
          : `is now ${holder.status}${holder.assigned_to === null ? ', unassigned' : `, assigned to ${JSON.stringify(holder.assigned_to)}`}, with no lease.`) +
        ' Nothing was written. Stop working on it; claim it again with claim_next_task if it is still ready.',
    ),
  forbidden: (message: string) => new TaskBoardError('FORBIDDEN', message),
  idempotencyConflict: (message: string) => new TaskBoardError('IDEMPOTENCY_CONFLICT', message),
  featureDisabled: (message: string) => new TaskBoardError('FEATURE_DISABLED', message),
  overloaded: (limit: number) =>
    new TaskBoardError(
      'OVERLOADED',
      `The server is overloaded: ${limit} writes are already waiting. Nothing was written; retry after a short back-off.`,
    ),
  unavailable: (message: string) => new TaskBoardError('UNAVAILABLE', message),
  storageUnavailable: (message: string) => new TaskBoardError('STORAGE_UNAVAILABLE', message),
  internal: (message: string) => new TaskBoardError('INTERNAL', message),
};
