-- tinytask-mcp schema, version 1.
-- Applied by the writer thread inside one transaction; PRAGMA user_version records the version.
-- Timestamps are ISO 8601 UTC text written by the writer (e.g. 2026-11-22T17:20:00.123Z), so they sort as text.

CREATE TABLE tasks (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  title                TEXT    NOT NULL,
  description          TEXT,
  status               TEXT    NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'working', 'complete')),
  assigned_to          TEXT,
  previous_assigned_to TEXT,
  created_by           TEXT,
  priority             INTEGER NOT NULL DEFAULT 0,
  tags                 TEXT    NOT NULL DEFAULT '[]',   -- JSON array of strings
  parent_task_id       INTEGER REFERENCES tasks (id) ON DELETE CASCADE,
  queue_name           TEXT,
  blocked_by_task_id   INTEGER REFERENCES tasks (id) ON DELETE SET NULL,
  auto_promote         INTEGER NOT NULL DEFAULT 1 CHECK (auto_promote IN (0, 1)),
  created_at           TEXT    NOT NULL,
  updated_at           TEXT    NOT NULL,
  archived_at          TEXT
);

-- The claim query: an agent's idle, unarchived tasks by priority then age (signup_for_task, get_my_queue).
CREATE INDEX idx_tasks_claim ON tasks (assigned_to, status, priority DESC, created_at, id)
  WHERE archived_at IS NULL;
CREATE INDEX idx_tasks_assigned_status ON tasks (assigned_to, status);
CREATE INDEX idx_tasks_status ON tasks (status);
CREATE INDEX idx_tasks_archived ON tasks (archived_at);
CREATE INDEX idx_tasks_parent ON tasks (parent_task_id);
CREATE INDEX idx_tasks_queue_status ON tasks (queue_name, status);
CREATE INDEX idx_tasks_queue_assigned ON tasks (queue_name, assigned_to);
CREATE INDEX idx_tasks_blocked_by ON tasks (blocked_by_task_id);
CREATE INDEX idx_tasks_updated ON tasks (updated_at);

CREATE TABLE comments (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  content    TEXT    NOT NULL,
  created_by TEXT,
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL
);
CREATE INDEX idx_comments_task ON comments (task_id, id);

CREATE TABLE links (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  url         TEXT    NOT NULL,
  description TEXT,
  created_by  TEXT,
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL
);
CREATE INDEX idx_links_task ON links (task_id, id);

CREATE TABLE task_history (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  field_name TEXT    NOT NULL,
  old_value  TEXT,
  new_value  TEXT,
  changed_by TEXT,
  changed_at TEXT    NOT NULL
);
CREATE INDEX idx_history_task ON task_history (task_id, id);
