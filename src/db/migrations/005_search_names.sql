-- tinytask-mcp schema: agent names matched case-insensitively, due dates, full-text search.
-- agent_key() is the application's agentKey() (trimmed, NFC, lower-cased), registered on the connection that
-- migrates; nothing in the schema depends on it afterwards.

-- One row per agent, named as first written. The writer maps every agent name it stores to this spelling, so
-- equality on tasks.assigned_to (and the indexes on it) matches "Bob", "bob" and " BOB " alike, and a second
-- spelling of a known agent cannot come into being.
CREATE TABLE agents (
  key  TEXT PRIMARY KEY,
  name TEXT NOT NULL
) WITHOUT ROWID;

INSERT OR IGNORE INTO agents (key, name)
SELECT agent_key(name), trim(name) FROM (
  SELECT created_by AS name, id AS seq, 0 AS part FROM tasks WHERE created_by IS NOT NULL
  UNION ALL SELECT assigned_to, id, 1 FROM tasks WHERE assigned_to IS NOT NULL
  UNION ALL SELECT previous_assigned_to, id, 2 FROM tasks WHERE previous_assigned_to IS NOT NULL
  UNION ALL SELECT created_by, id, 3 FROM comments WHERE created_by IS NOT NULL
  UNION ALL SELECT created_by, id, 4 FROM links WHERE created_by IS NOT NULL
  ORDER BY seq, part
)
WHERE trim(name) <> '';

UPDATE tasks SET created_by = (SELECT name FROM agents WHERE key = agent_key(tasks.created_by))
  WHERE created_by IS NOT NULL AND trim(created_by) <> '';
UPDATE tasks SET assigned_to = (SELECT name FROM agents WHERE key = agent_key(tasks.assigned_to))
  WHERE assigned_to IS NOT NULL AND trim(assigned_to) <> '';
UPDATE tasks SET previous_assigned_to = (SELECT name FROM agents WHERE key = agent_key(tasks.previous_assigned_to))
  WHERE previous_assigned_to IS NOT NULL AND trim(previous_assigned_to) <> '';
UPDATE comments SET created_by = (SELECT name FROM agents WHERE key = agent_key(comments.created_by))
  WHERE created_by IS NOT NULL AND trim(created_by) <> '';
UPDATE links SET created_by = (SELECT name FROM agents WHERE key = agent_key(links.created_by))
  WHERE created_by IS NOT NULL AND trim(created_by) <> '';

-- Due dates: ISO 8601 UTC text like every timestamp, so they compare as text.
ALTER TABLE tasks ADD COLUMN due_at TEXT;
CREATE INDEX idx_tasks_due ON tasks (due_at) WHERE due_at IS NOT NULL AND archived_at IS NULL;
CREATE INDEX idx_tasks_created_by ON tasks (created_by, priority DESC, created_at, id) WHERE archived_at IS NULL;

-- Full-text search over each task's title, description and comments (all of them, one per line). rowid is the
-- task id. The triggers keep it in step inside the writer's transaction: a committed change is searchable at
-- once, and a deleted task (or comment) is gone from the index in the same commit.
CREATE VIRTUAL TABLE task_search USING fts5 (
  title, description, comments,
  tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO task_search (rowid, title, description, comments)
SELECT t.id, t.title, coalesce(t.description, ''),
  coalesce((SELECT group_concat(c.content, char(10)) FROM (SELECT content FROM comments WHERE task_id = t.id ORDER BY id) c), '')
FROM tasks t;

CREATE TRIGGER task_search_insert AFTER INSERT ON tasks BEGIN
  INSERT INTO task_search (rowid, title, description, comments)
  VALUES (new.id, new.title, coalesce(new.description, ''), '');
END;

CREATE TRIGGER task_search_update AFTER UPDATE OF title, description ON tasks BEGIN
  UPDATE task_search SET title = new.title, description = coalesce(new.description, '') WHERE rowid = new.id;
END;

CREATE TRIGGER task_search_delete AFTER DELETE ON tasks BEGIN
  DELETE FROM task_search WHERE rowid = old.id;
END;

CREATE TRIGGER comment_search_insert AFTER INSERT ON comments BEGIN
  UPDATE task_search SET comments = coalesce(
    (SELECT group_concat(c.content, char(10)) FROM (SELECT content FROM comments WHERE task_id = new.task_id ORDER BY id) c), '')
  WHERE rowid = new.task_id;
END;

CREATE TRIGGER comment_search_update AFTER UPDATE OF content, task_id ON comments BEGIN
  UPDATE task_search SET comments = coalesce(
    (SELECT group_concat(c.content, char(10)) FROM (SELECT content FROM comments WHERE task_id = old.task_id ORDER BY id) c), '')
  WHERE rowid = old.task_id;
  UPDATE task_search SET comments = coalesce(
    (SELECT group_concat(c.content, char(10)) FROM (SELECT content FROM comments WHERE task_id = new.task_id ORDER BY id) c), '')
  WHERE rowid = new.task_id;
END;

CREATE TRIGGER comment_search_delete AFTER DELETE ON comments BEGIN
  UPDATE task_search SET comments = coalesce(
    (SELECT group_concat(c.content, char(10)) FROM (SELECT content FROM comments WHERE task_id = old.task_id ORDER BY id) c), '')
  WHERE rowid = old.task_id;
END;
