-- tinytask-mcp schema: idempotency keys.
-- A write that carries an `idempotency_key` stores its key, a fingerprint of the command and its arguments, and
-- its answer here, in the same SAVEPOINT as the write itself: the key exists exactly when the write committed.
-- `agent` is the agent of the caller's per-agent token, or '' for callers not bound to an agent.
-- Timestamps are ISO 8601 UTC text, like everywhere else, so they compare as text.
CREATE TABLE idempotency_keys (
  agent       TEXT NOT NULL,
  key         TEXT NOT NULL,
  command     TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  result      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  PRIMARY KEY (agent, key)
) WITHOUT ROWID;
-- The writer's sweep deletes expired keys oldest first.
CREATE INDEX idx_idempotency_expires ON idempotency_keys (expires_at);
