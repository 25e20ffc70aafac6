-- tinytask-mcp schema, version 3, PostgreSQL: leases, attempts, dead letters and many blockers per task
-- (../003_leases_dependencies.sql).
ALTER TABLE tasks ADD COLUMN lease_id TEXT COLLATE "C";
ALTER TABLE tasks ADD COLUMN lease_expires_at TEXT COLLATE "C";
ALTER TABLE tasks ADD COLUMN lease_seconds INTEGER;
ALTER TABLE tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN lease_expiries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN dead_lettered_at TEXT COLLATE "C";
ALTER TABLE tasks ADD COLUMN blocked_by_task_ids TEXT COLLATE "C" NOT NULL DEFAULT '[]';

CREATE TABLE task_blockers (
  task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  blocker_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  PRIMARY KEY (task_id, blocker_id)
);
CREATE INDEX idx_task_blockers_blocker ON task_blockers (blocker_id, task_id);

INSERT INTO task_blockers (task_id, blocker_id)
  SELECT id, blocked_by_task_id FROM tasks WHERE blocked_by_task_id IS NOT NULL;
UPDATE tasks SET blocked_by_task_ids = json_build_array(blocked_by_task_id)::text WHERE blocked_by_task_id IS NOT NULL;

CREATE INDEX idx_tasks_lease_expiry ON tasks (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX idx_tasks_ready_queue ON tasks (queue_name, assigned_to, priority DESC, created_at, id)
  WHERE status = 'idle' AND archived_at IS NULL AND dead_lettered_at IS NULL;
CREATE INDEX idx_tasks_ready ON tasks (priority DESC, created_at, id)
  WHERE status = 'idle' AND archived_at IS NULL AND dead_lettered_at IS NULL;
