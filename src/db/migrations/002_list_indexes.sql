-- tinytask-mcp schema, version 2: indexes that serve the list orders directly.
-- Lists are ordered priority DESC, created_at, id over unarchived tasks. With these partial indexes a page
-- (LIMIT/OFFSET) reads only the rows it returns instead of sorting every match, and the total count is
-- answered from the index alone.
CREATE INDEX idx_tasks_list ON tasks (priority DESC, created_at, id) WHERE archived_at IS NULL;
CREATE INDEX idx_tasks_queue_list ON tasks (queue_name, priority DESC, created_at, id) WHERE archived_at IS NULL;
CREATE INDEX idx_tasks_assignee_list ON tasks (assigned_to, priority DESC, created_at, id) WHERE archived_at IS NULL;
CREATE INDEX idx_tasks_parent_list ON tasks (parent_task_id, priority DESC, created_at, id) WHERE archived_at IS NULL;
-- Superseded by the partial indexes above; without statistics the planner preferred it and then sorted every
-- unarchived row.
DROP INDEX idx_tasks_archived;
