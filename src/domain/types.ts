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
  /** The first (lowest id) of `blocked_by_task_ids`, or null: TinyTask's single blocker, kept for old clients. */
  blocked_by_task_id: number | null;
  /** Every task that blocks this one, ascending. The task is ready only once all of them are complete. */
  blocked_by_task_ids: number[];
  /** Whether the status rolls up from the task's children (TinyTask's `auto_promote`). */
  auto_promote: boolean;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  /**
   * The current claim's lease (random, unguessable), or null when the task is not leased (idle, complete, or
   * leases switched off). Writes that present it are fenced: a different id fails with LEASE_LOST.
   */
  lease_id: string | null;
  /** When the lease runs out (ISO 8601 UTC); past it the reaper returns the task to idle. */
  lease_expires_at: string | null;
  /** How many times the task was claimed (claim_next_task, signup_for_task, update_task to working). */
  attempts: number;
  /** How many of those claims ended with the lease running out. */
  lease_expiries: number;
  /** Set when the task ran out of attempts: never claimed, never ready, until requeue_task. */
  dead_lettered_at: string | null;
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
  /** True while any of `blocked_by_task_ids` names a task that is not complete. */
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

/** `signup_for_task` and `claim_next_task`: the claimed task (with its lease), or null when nothing could be claimed. */
export type ClaimResult = Task | null;

/** `release_task`, `heartbeat_task`, `requeue_task`: the task after the change. */
export type LeaseResult = Task;

/** `list_ready_tasks`: one page of ready tasks, best first (priority DESC, created_at, id). */
export interface ReadyPage {
  tasks: Task[];
  /** Opaque; pass it back as `cursor` for the next page. Null on the last page. */
  next_cursor: string | null;
}

/**
 * Who may have gained a ready task through a write. A listener waiting for work for agent A in queue Q wakes
 * when `agents` holds A or `queues` holds Q. Set when a task became (or was created) ready: created idle,
 * returned to idle (release, lease expiry, hand-off, update), requeued, or unblocked by its last open blocker
 * completing. Names are of the ready task's assignee (`agents`) and, for unassigned tasks, its queue (`queues`).
 */
export interface ReadyChange {
  agents: string[];
  queues: string[];
}

/** What a write changed, so subscribers of the affected resources can be told. */
export interface ChangeSet {
  tasks: number[];
  agents: string[];
  queues: string[];
  /** Who may have a newly ready task. Absent or empty when no task became ready. */
  ready?: ReadyChange;
}

export interface BoardStats {
  tasks_total: number;
  by_status: StatusCounts;
  archived: number;
  completed_today: number;
}
