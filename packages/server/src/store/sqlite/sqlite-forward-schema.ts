/**
 * SQLite tables of the forwarding store, the twin of `../postgres/postgres-forward-schema.ts`. Every statement is
 * idempotent. Times are UTC milliseconds.
 *
 * - `forward_destinations`: one row per destination; `settings` is the JSON of its settings with secrets sealed.
 * - `forward_cursors`: the next `seq` to deliver, per destination and tenant log.
 * - `forward_status`: counts and the last error, per destination.
 * - `forward_dead_letters`: records a destination refused for good; append-only (triggers), kept after the
 *   destination is deleted, since they say what a SIEM never received.
 * - `forward_revision`: one row whose number grows with every change of a destination, for other nodes to poll.
 */
export const SQLITE_FORWARD_SCHEMA = `
CREATE TABLE IF NOT EXISTS forward_destinations (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  settings    TEXT NOT NULL,
  origin      TEXT NOT NULL,
  version     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS forward_cursors (
  destination_id  TEXT NOT NULL,
  log_id          INTEGER NOT NULL,
  next_seq        INTEGER NOT NULL,
  PRIMARY KEY (destination_id, log_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS forward_status (
  destination_id     TEXT PRIMARY KEY,
  delivered          INTEGER NOT NULL,
  skipped            INTEGER NOT NULL,
  dead_lettered      INTEGER NOT NULL,
  failures           INTEGER NOT NULL,
  last_delivered_at  INTEGER,
  last_error_at      INTEGER,
  last_error         TEXT,
  down_since         INTEGER,
  node_id            TEXT,
  updated_at         INTEGER
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS forward_dead_letters (
  id              INTEGER PRIMARY KEY,
  destination_id  TEXT NOT NULL,
  log_id          INTEGER NOT NULL,
  seq             INTEGER NOT NULL,
  record_id       TEXT NOT NULL,
  event           INTEGER NOT NULL,
  tenant_id       TEXT,
  reason          TEXT NOT NULL,
  created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS forward_dead_letters_destination ON forward_dead_letters(destination_id, id);

CREATE TABLE IF NOT EXISTS forward_revision (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  revision  INTEGER NOT NULL
);
INSERT OR IGNORE INTO forward_revision (id, revision) VALUES (1, 0);

CREATE TRIGGER IF NOT EXISTS forward_dead_letters_append_only_update BEFORE UPDATE ON forward_dead_letters
  BEGIN SELECT RAISE(ABORT, 'dead letters are append-only'); END;
CREATE TRIGGER IF NOT EXISTS forward_dead_letters_append_only_delete BEFORE DELETE ON forward_dead_letters
  BEGIN SELECT RAISE(ABORT, 'dead letters are append-only'); END;
`;
