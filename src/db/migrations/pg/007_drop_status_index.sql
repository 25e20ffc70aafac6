-- tinytask-mcp schema, version 7: drop idx_tasks_status, as on SQLite (007_drop_status_index.sql): every query
-- that filters on status has a better index, and each status change wrote one more index entry.
DROP INDEX IF EXISTS idx_tasks_status;
