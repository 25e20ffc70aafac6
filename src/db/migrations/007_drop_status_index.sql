-- tinytask-mcp schema, version 7: drop idx_tasks_status.
-- A board never gathers planner statistics on its growing tables, and without them SQLite's planner preferred an
-- equality on this one-column index to the partial indexes built for the query: the board-wide ready list
-- (tasks://ready, list_ready_tasks) and queue claims read and sorted every idle task on each call. Every query
-- that filters on status has a better index (idx_tasks_claim, idx_tasks_ready, idx_tasks_ready_queue), and each
-- status change wrote one more index entry.
DROP INDEX idx_tasks_status;
