-- tinytask-mcp schema, version 3: leases on claims, attempts and dead letters, and many blockers per task.
--
-- A claim takes a lease: lease_id (random) and lease_expires_at (ISO 8601 UTC text, sorts as time), with the
-- length it was taken for (lease_seconds) so that a fenced write can extend it by the same amount. attempts
-- counts claims, lease_expiries the claims that ran out; past TINYTASK_MAX_ATTEMPTS expiries dead_lettered_at is set.
ALTER TABLE tasks ADD COLUMN lease_id TEXT;
ALTER TABLE tasks ADD COLUMN lease_expires_at TEXT;
ALTER TABLE tasks ADD COLUMN lease_seconds INTEGER;
ALTER TABLE tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN lease_expiries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN dead_lettered_at TEXT;
-- The blockers as a JSON array of ids, ascending: what readers return. task_blockers below holds the same edges
-- for the queries (ready checks, who does this task block, cycle search); the writer keeps both in step.
ALTER TABLE tasks ADD COLUMN blocked_by_task_ids TEXT NOT NULL DEFAULT '[]';

CREATE TABLE task_blockers (
  task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  blocker_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  PRIMARY KEY (task_id, blocker_id)
) WITHOUT ROWID;
CREATE INDEX idx_task_blockers_blocker ON task_blockers (blocker_id, task_id);

INSERT INTO task_blockers (task_id, blocker_id)
  SELECT id, blocked_by_task_id FROM tasks WHERE blocked_by_task_id IS NOT NULL;
UPDATE tasks SET blocked_by_task_ids = json_array(blocked_by_task_id) WHERE blocked_by_task_id IS NOT NULL;

-- The reaper's question: which lease runs out next.
CREATE INDEX idx_tasks_lease_expiry ON tasks (lease_expires_at) WHERE lease_expires_at IS NOT NULL;

-- Ready candidates (idle, unarchived, not dead-lettered) in claim order: by queue and assignee for pull claims,
-- and board-wide for tasks://ready.
CREATE INDEX idx_tasks_ready_queue ON tasks (queue_name, assigned_to, priority DESC, created_at, id)
  WHERE status = 'idle' AND archived_at IS NULL AND dead_lettered_at IS NULL;
CREATE INDEX idx_tasks_ready ON tasks (priority DESC, created_at, id)
  WHERE status = 'idle' AND archived_at IS NULL AND dead_lettered_at IS NULL;
