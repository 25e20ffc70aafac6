-- tinytask-mcp schema, version 5, PostgreSQL: agent names, due dates and full-text search (../005_search_names.sql).
-- Migrating from version 4 with rows in it keys agents by lower(trim(name)); the application's agentKey() also
-- NFC-normalizes, which only differs for names written in decomposed Unicode.

CREATE TABLE agents (
  key  TEXT COLLATE "C" PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL
);

INSERT INTO agents (key, name)
SELECT DISTINCT ON (lower(trim(name))) lower(trim(name)), trim(name) FROM (
  SELECT created_by AS name, id AS seq, 0 AS part FROM tasks WHERE created_by IS NOT NULL
  UNION ALL SELECT assigned_to, id, 1 FROM tasks WHERE assigned_to IS NOT NULL
  UNION ALL SELECT previous_assigned_to, id, 2 FROM tasks WHERE previous_assigned_to IS NOT NULL
  UNION ALL SELECT created_by, id, 3 FROM comments WHERE created_by IS NOT NULL
  UNION ALL SELECT created_by, id, 4 FROM links WHERE created_by IS NOT NULL
) n
WHERE trim(name) <> ''
ORDER BY lower(trim(name)), seq, part;

ALTER TABLE tasks ADD COLUMN due_at TEXT COLLATE "C";
CREATE INDEX idx_tasks_due ON tasks (due_at) WHERE due_at IS NOT NULL AND archived_at IS NULL;
CREATE INDEX idx_tasks_created_by ON tasks (created_by, priority DESC, created_at, id) WHERE archived_at IS NULL;

-- Full-text search: one document per task (title weighs most, then description, then every comment), kept in step
-- by triggers inside the writer's transaction, like SQLite's FTS5 table. 'simple': no stemming, as unicode61.
CREATE TABLE task_search (
  task_id  INTEGER PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  title    TEXT NOT NULL,
  body     TEXT NOT NULL,
  document TSVECTOR NOT NULL
);
CREATE INDEX idx_task_search ON task_search USING GIN (document);

CREATE FUNCTION tinytask_search_refresh(p_task INTEGER) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
  t_title TEXT;
  t_description TEXT;
  t_comments TEXT;
BEGIN
  SELECT title, coalesce(description, '') INTO t_title, t_description FROM tasks WHERE id = p_task;
  IF NOT FOUND THEN
    DELETE FROM task_search WHERE task_id = p_task;
    RETURN;
  END IF;
  SELECT coalesce(string_agg(content, E'\n' ORDER BY id), '') INTO t_comments FROM comments WHERE task_id = p_task;
  INSERT INTO task_search (task_id, title, body, document)
  VALUES (p_task, t_title, t_description || E'\n' || t_comments,
          setweight(to_tsvector('simple', t_title), 'A') ||
          setweight(to_tsvector('simple', t_description), 'B') ||
          setweight(to_tsvector('simple', t_comments), 'C'))
  ON CONFLICT (task_id) DO UPDATE SET title = excluded.title, body = excluded.body, document = excluded.document;
END $$;

CREATE FUNCTION tinytask_search_task_trigger() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tinytask_search_refresh(NEW.id);
  RETURN NULL;
END $$;

CREATE FUNCTION tinytask_search_comment_trigger() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM tinytask_search_refresh(OLD.task_id); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM tinytask_search_refresh(NEW.task_id); END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER task_search_insert AFTER INSERT ON tasks
  FOR EACH ROW EXECUTE FUNCTION tinytask_search_task_trigger();
CREATE TRIGGER task_search_update AFTER UPDATE OF title, description ON tasks
  FOR EACH ROW EXECUTE FUNCTION tinytask_search_task_trigger();
CREATE TRIGGER comment_search_change AFTER INSERT OR DELETE OR UPDATE OF content, task_id ON comments
  FOR EACH ROW EXECUTE FUNCTION tinytask_search_comment_trigger();

SELECT tinytask_search_refresh(id) FROM tasks;
