import type { Comment, HistoryEntry, Link, Task, TaskStatus } from '../domain/types.js';

/** A `tasks` row as SQLite returns it. */
export interface TaskRow {
  id: number;
  title: string;
  description: string | null;
  status: TaskStatus;
  assigned_to: string | null;
  previous_assigned_to: string | null;
  created_by: string | null;
  priority: number;
  tags: string;
  parent_task_id: number | null;
  queue_name: string | null;
  blocked_by_task_id: number | null;
  auto_promote: number;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  lease_id: string | null;
  lease_expires_at: string | null;
  /** Length the current lease was taken for; a fenced write extends it by as much. */
  lease_seconds: number | null;
  attempts: number;
  lease_expiries: number;
  dead_lettered_at: string | null;
  /** JSON array of ids, ascending (mirrors task_blockers). */
  blocked_by_task_ids: string;
}

export type CommentRow = Comment;
export type LinkRow = Link;
export type HistoryRow = HistoryEntry;

function parseArray<T>(text: string, keep: (v: unknown) => v is T): T[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter(keep) : [];
  } catch {
    return [];
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export function parseBlockerIds(text: string): number[] {
  return parseArray(text, isId);
}

/** Row → Task. Without `withDescription` the description is left out (list answers stay small). */
export function toTask(row: TaskRow, withDescription = true): Task {
  const task: Task = {
    id: row.id,
    title: row.title,
    status: row.status,
    assigned_to: row.assigned_to,
    previous_assigned_to: row.previous_assigned_to,
    created_by: row.created_by,
    priority: row.priority,
    tags: parseArray(row.tags, isString),
    parent_task_id: row.parent_task_id,
    queue_name: row.queue_name,
    blocked_by_task_id: row.blocked_by_task_id,
    blocked_by_task_ids: parseBlockerIds(row.blocked_by_task_ids),
    auto_promote: row.auto_promote === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
    archived_at: row.archived_at,
    lease_id: row.lease_id,
    lease_expires_at: row.lease_expires_at,
    attempts: row.attempts,
    lease_expiries: row.lease_expiries,
    dead_lettered_at: row.dead_lettered_at,
  };
  if (withDescription) task.description = row.description;
  return task;
}

/** The writer's clock: ISO 8601 UTC with milliseconds, so timestamps sort as text. */
export function nowIso(): string {
  return new Date().toISOString();
}
