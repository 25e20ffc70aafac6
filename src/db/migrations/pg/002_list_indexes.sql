-- tinytask-mcp schema, version 2, PostgreSQL: the list-order indexes of ../002_list_indexes.sql.
CREATE INDEX idx_tasks_list ON tasks (priority DESC, created_at, id) WHERE archived_at IS NULL;
CREATE INDEX idx_tasks_queue_list ON tasks (queue_name, priority DESC, created_at, id) WHERE archived_at IS NULL;
CREATE INDEX idx_tasks_assignee_list ON tasks (assigned_to, priority DESC, created_at, id) WHERE archived_at IS NULL;
CREATE INDEX idx_tasks_parent_list ON tasks (parent_task_id, priority DESC, created_at, id) WHERE archived_at IS NULL;
DROP INDEX idx_tasks_archived;
