-- tinytask-mcp schema, version 6, PostgreSQL: search_tasks folds accents, as SQLite's FTS5 table does
-- (unicode61 remove_diacritics 2): "cafe" finds "café", "resume" finds "résumé", and the headline marks "Café".
-- A text search configuration of its own, `tinytask_text`: the `simple` one (no stemming) with the words passed
-- through the `unaccent` dictionary first. unaccent ships with PostgreSQL (contrib: Debian's postgresql-NN, the
-- official postgres images, the managed services) and is a trusted extension, so the database's owner may create
-- it; where the role that migrates may not, an administrator runs `CREATE EXTENSION unaccent;` once beforehand.

DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS unaccent;
EXCEPTION WHEN insufficient_privilege OR undefined_file OR undefined_object OR feature_not_supported THEN
  RAISE EXCEPTION 'tinytask-mcp schema version 6 needs the PostgreSQL extension unaccent (accent-insensitive search), and this role cannot create it: %', SQLERRM
    USING HINT = 'Connected to this database as its owner or a superuser, run: CREATE EXTENSION unaccent;  (it ships with PostgreSQL''s contrib modules), then start tinytask-mcp again.';
END $$;

CREATE TEXT SEARCH CONFIGURATION tinytask_text (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION tinytask_text
  ALTER MAPPING FOR asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart
  WITH unaccent, simple;

-- The documents, as in version 5, with the new configuration.
CREATE OR REPLACE FUNCTION tinytask_search_refresh(p_task INTEGER) RETURNS VOID LANGUAGE plpgsql AS $$
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
          setweight(to_tsvector('tinytask_text', t_title), 'A') ||
          setweight(to_tsvector('tinytask_text', t_description), 'B') ||
          setweight(to_tsvector('tinytask_text', t_comments), 'C'))
  ON CONFLICT (task_id) DO UPDATE SET title = excluded.title, body = excluded.body, document = excluded.document;
END $$;

SELECT tinytask_search_refresh(id) FROM tasks;
