-- tinytask-mcp schema, version 4, PostgreSQL: idempotency keys (../004_idempotency.sql).
CREATE TABLE idempotency_keys (
  agent       TEXT COLLATE "C" NOT NULL,
  key         TEXT COLLATE "C" NOT NULL,
  command     TEXT COLLATE "C" NOT NULL,
  fingerprint TEXT COLLATE "C" NOT NULL,
  result      TEXT COLLATE "C" NOT NULL,
  created_at  TEXT COLLATE "C" NOT NULL,
  expires_at  TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (agent, key)
);
CREATE INDEX idx_idempotency_expires ON idempotency_keys (expires_at);
