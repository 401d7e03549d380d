/**
 * SQLite schema of the journal. Times are UTC microseconds (INTEGER); hashes are BLOBs.
 * Records, Merkle nodes and checkpoints are append-only: triggers refuse UPDATE and DELETE.
 */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS logs (
  log_id      INTEGER PRIMARY KEY,
  tenant_key  TEXT NOT NULL UNIQUE,   -- '' is the default tenant
  origin      TEXT NOT NULL,
  size        INTEGER NOT NULL,
  root_hash   BLOB NOT NULL,
  frontier    BLOB NOT NULL,          -- compact range of [0, size): the right frontier's hashes
  created_at  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS records (
  rid              INTEGER PRIMARY KEY,
  log_id           INTEGER NOT NULL,   -- no foreign key: the append transaction creates the log first
  seq              INTEGER NOT NULL,
  id               TEXT NOT NULL,
  event            INTEGER NOT NULL,
  event_name       TEXT NOT NULL,
  entity_data      TEXT,              -- JSON text of entityData
  user_id          TEXT,
  api_created_at   INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  text             TEXT,
  ip               TEXT,
  tenant_id        TEXT,
  node_id          TEXT,
  operation_key    TEXT,
  classified_event INTEGER NOT NULL,
  severity         INTEGER NOT NULL,
  outcome          TEXT,
  extra            TEXT,              -- JSON of the other added fields, NULL when none
  sig_kid          TEXT NOT NULL,
  signature        TEXT NOT NULL,
  canonical        BLOB NOT NULL,     -- the canonical bytes L, never rebuilt from columns
  leaf_hash        BLOB NOT NULL,
  payload_salt     BLOB,
  redacted         INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS records_log_seq ON records(log_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records(id);
CREATE INDEX IF NOT EXISTS records_time ON records(created_at);
CREATE INDEX IF NOT EXISTS records_log_time ON records(log_id, created_at);
CREATE INDEX IF NOT EXISTS records_event_time ON records(event, created_at);
CREATE INDEX IF NOT EXISTS records_user_time ON records(user_id, created_at) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_op_time ON records(operation_key, created_at) WHERE operation_key IS NOT NULL;

CREATE TABLE IF NOT EXISTS merkle_nodes (
  log_id  INTEGER NOT NULL,
  level   INTEGER NOT NULL,
  idx     INTEGER NOT NULL,
  hash    BLOB NOT NULL,
  PRIMARY KEY (log_id, level, idx)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS checkpoints (
  log_id     INTEGER NOT NULL,
  size       INTEGER NOT NULL,
  root_hash  BLOB NOT NULL,
  note       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (log_id, size)
);

CREATE TABLE IF NOT EXISTS settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS records_append_only_update BEFORE UPDATE ON records
  BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_append_only_delete BEFORE DELETE ON records
  BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS merkle_nodes_append_only_update BEFORE UPDATE ON merkle_nodes
  BEGIN SELECT RAISE(ABORT, 'merkle nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS merkle_nodes_append_only_delete BEFORE DELETE ON merkle_nodes
  BEGIN SELECT RAISE(ABORT, 'merkle nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_delete BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
`;
