/** The board's entities as every layer sees them: plain JSON-safe data, timestamps as ISO 8601 UTC strings. */

export const TASK_STATUSES = ['idle', 'working', 'complete'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface Task {
  id: number;
  title: string;
  /** Omitted (undefined) in list answers unless `include_description` was asked for. */
  description?: string | null;
  status: TaskStatus;
  assigned_to: string | null;
  previous_assigned_to: string | null;
  created_by: string | null;
  priority: number;
  tags: string[];
  parent_task_id: number | null;
  queue_name: string | null;
  blocked_by_task_id: number | null;
  /** Whether the status rolls up from the task's children (TinyTask's `auto_promote`). */
  auto_promote: boolean;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface Comment {
  id: number;
  task_id: number;
  content: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface Link {
  id: number;
  task_id: number;
  url: string;
  description: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface HistoryEntry {
  id: number;
  task_id: number;
  field_name: string;
  old_value: string | null;
  new_value: string | null;
  changed_by: string | null;
  changed_at: string;
}

/** `get_task`: a task with everything attached to it. */
export interface TaskDetail extends Task {
  description: string | null;
  comments: Comment[];
  links: Link[];
  /** True while `blocked_by_task_id` names a task that is not complete. */
  is_currently_blocked: boolean;
  subtask_count: number;
}

export interface TaskTree extends Task {
  subtasks: TaskTree[];
}

export interface TaskPage {
  tasks: Task[];
  /** Rows matching the filters, before limit/offset. */
  total: number;
  limit: number;
  offset: number;
}

export interface StatusCounts {
  idle: number;
  working: number;
  complete: number;
}

export interface QueueSummary extends StatusCounts {
  queue_name: string;
  /** Unarchived tasks in the queue. */
  total: number;
}

export interface QueueStats {
  queue_name: string;
  total: number;
  by_status: StatusCounts;
  by_assignee: Array<{ assigned_to: string | null; total: number } & StatusCounts>;
  /** Idle tasks nobody is assigned to. */
  unassigned: number;
}

export interface AgentQueueSummary {
  agent_name: string;
  open: number;
  idle: number;
  working: number;
  blocked: number;
  highest_priority: number | null;
}

export interface DeleteResult {
  id: number;
  deleted: true;
}

export interface ClearQueueResult {
  queue_name: string;
  cleared: number;
  task_ids: number[];
}

/** `signup_for_task`: the claimed task, or null when nothing could be claimed. */
export type ClaimResult = Task | null;

/**
 * `wait_for_task`: the ready task (claimed when asked) or null. `outcome` says why the wait ended: `ready` or
 * `claimed` with a task; `timeout` (nothing became ready in time), `cancelled` (the request or session ended) or
 * `shutdown` (the server is stopping) without one.
 */
export interface WaitResult {
  task: Task | null;
  claimed: boolean;
  outcome: 'ready' | 'claimed' | 'timeout' | 'cancelled' | 'shutdown';
  waited_ms: number;
}

/** What a write changed, so subscribers of the affected resources can be told. */
export interface ChangeSet {
  tasks: number[];
  agents: string[];
  queues: string[];
}

export interface BoardStats {
  tasks_total: number;
  by_status: StatusCounts;
  archived: number;
  completed_today: number;
}
