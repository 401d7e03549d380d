/**
 * SQLite schema of the journal. Times are UTC microseconds (INTEGER); hashes are BLOBs.
 * Records, Merkle nodes and checkpoints are append-only: triggers refuse UPDATE and DELETE (except the erasure of
 * payloads and the retention procedure's DELETE of the oldest records).
 */

/** Fills `record_minutes` from the records of a journal made before it existed (run once, when it is empty). */
export const SQLITE_BACKFILL_MINUTES = `
INSERT INTO record_minutes (minute, log_id, event, classified_event, n, min_seq, max_seq)
SELECT (created_at - ((created_at % 60000000) + 60000000) % 60000000) / 60000000 AS m, log_id, event, classified_event,
  count(*), min(seq), max(seq)
FROM records GROUP BY m, log_id, event, classified_event`;
/**
 * Brings a journal whose user and operation-key indexes were led by the key (before decision 0055) up to date: fills
 * `record_keys` from its records and drops those indexes; {@link SQLITE_SCHEMA} then builds the hour-led ones. Run in
 * one IMMEDIATE transaction, only when `records_user_time` is found.
 */
export const SQLITE_HOUR_LED_KEYS = `
CREATE TABLE IF NOT EXISTS record_keys (
  kind INTEGER NOT NULL, value TEXT NOT NULL, log_id INTEGER NOT NULL, first_hour INTEGER NOT NULL, last_hour INTEGER NOT NULL,
  PRIMARY KEY (kind, value, log_id)
) WITHOUT ROWID;
INSERT OR REPLACE INTO record_keys (kind, value, log_id, first_hour, last_hour)
SELECT 1, user_id, log_id, min(created_at / 3600000000), max(created_at / 3600000000) FROM records
WHERE user_id IS NOT NULL GROUP BY user_id, log_id;
INSERT OR REPLACE INTO record_keys (kind, value, log_id, first_hour, last_hour)
SELECT 2, operation_key, log_id, min(created_at / 3600000000), max(created_at / 3600000000) FROM records
WHERE operation_key IS NOT NULL GROUP BY operation_key, log_id;
DROP INDEX records_user_time;
DROP INDEX IF EXISTS records_op_time;`;

/**
 * Brings a journal made before `records.pollable` existed up to date, before {@link SQLITE_SCHEMA} creates the index
 * that uses it: adds the column (NULL in the old rows) and drops the append-only trigger, which the schema then
 * creates again with the new column in its list. Run in one IMMEDIATE transaction, only when the column is missing.
 */
export const SQLITE_ADD_POLLABLE = `
ALTER TABLE records ADD COLUMN pollable INTEGER;
DROP TRIGGER IF EXISTS records_append_only_except_erasure;`;

/**
 * The append-only trigger of records before the subject backfill: dropped when found (by this text in it missing), so
 * {@link SQLITE_SCHEMA} creates it again with the backfill's UPDATE allowed.
 */
export const SQLITE_SUBJECT_FILL_MARK = 'OLD.subject IS NULL AND NEW.subject IS NOT NULL';

/**
 * Brings a journal made before `records.subject` existed up to date, like {@link SQLITE_ADD_POLLABLE}: the column
 * (NULL in the old rows: they are found by their userId) and the trigger, created again by the schema.
 */
export const SQLITE_ADD_SUBJECT = `
ALTER TABLE records ADD COLUMN subject TEXT;
DROP TRIGGER IF EXISTS records_append_only_except_erasure;`;

/**
 * Brings a journal made before `records.ip_search` existed up to date, like {@link SQLITE_ADD_SUBJECT}; the store then
 * fills the column of the records whose signed `ip` is not in canonical text (`canonicalIp`) in the same transaction.
 */
export const SQLITE_ADD_IP_SEARCH = `
ALTER TABLE records ADD COLUMN ip_search TEXT;
DROP TRIGGER IF EXISTS records_append_only_except_erasure;`;

export const SQLITE_SCHEMA = `
-- One row, rewritten by each readiness check (/readyz): a write through the WAL, so a full or failed disk shows.
CREATE TABLE IF NOT EXISTS readiness (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at  INTEGER NOT NULL
);

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
  redacted         INTEGER NOT NULL DEFAULT 0,
  pollable         INTEGER,            -- extra.pollable as 1/0 (seed 004); NULL for records written before it existed
  subject          TEXT,               -- the user a record without user_id is about (catalogue rule); not signed
  ip_search        TEXT                -- canonical ip of a record sealed with another spelling of it, else NULL; not signed
);
CREATE UNIQUE INDEX IF NOT EXISTS records_log_seq ON records(log_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records(id);
CREATE INDEX IF NOT EXISTS records_time ON records(created_at);
CREATE INDEX IF NOT EXISTS records_log_time ON records(log_id, created_at);
CREATE INDEX IF NOT EXISTS records_event_time ON records(event, created_at);
-- The user and operation-key indexes are led by the hour, like the IP index below (decision 0055): an append, of the
-- current hour, writes into one small region of each instead of a random page per user or operation. record_keys
-- says which hours to look in.
CREATE INDEX IF NOT EXISTS records_hour_user ON records(created_at / 3600000000, user_id, created_at) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_subject_time ON records(subject, created_at) WHERE subject IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_hour_op ON records(created_at / 3600000000, operation_key, created_at) WHERE operation_key IS NOT NULL;
-- The Event API's poll (seed 004): a log's pollable records after a seq. Partial: records that are not pollable
-- (API_CALL, LOGIN_FAILED, ...) cost nothing here, and a poll never walks past them.
CREATE INDEX IF NOT EXISTS records_poll ON records(log_id, seq) WHERE pollable IS NOT 0;
-- Led by the hour (store/hour-index.ts): appends, of the current hour, write into one small region of it. Keyed by the
-- canonical address (SEARCHED_IP), so one search finds every spelling; the index keyed by ip itself is replaced.
DROP INDEX IF EXISTS records_hour_ip;
CREATE INDEX IF NOT EXISTS records_hour_ip_search ON records(created_at / 3600000000, coalesce(ip_search, ip), created_at)
  WHERE ip IS NOT NULL;

-- Record counts per minute, log, event and class, kept by the append transaction: counts and histograms over long
-- ranges read a row per minute and code instead of a row per record. A pre-aggregate, not evidence: no triggers.
CREATE TABLE IF NOT EXISTS record_minutes (
  minute           INTEGER NOT NULL,  -- floor(created_at / 60 s)
  log_id           INTEGER NOT NULL,
  event            INTEGER NOT NULL,
  classified_event INTEGER NOT NULL,
  n                INTEGER NOT NULL,
  min_seq          INTEGER NOT NULL,  -- lowest and highest seq of those records
  max_seq          INTEGER NOT NULL,
  PRIMARY KEY (minute, log_id, event, classified_event)
) WITHOUT ROWID;

-- Per log, each user id (kind 1) and operation key (kind 2) records hold, with the first and last hour
-- (created_at / 3600000000) of those records: a search by user or operation key, with or without a time range, looks
-- in those hours of records_hour_user / records_hour_op. Kept by the append transaction (a row written when a record
-- falls outside its hours); a superset after a retention purge. A pre-aggregate, not evidence: no triggers.
CREATE TABLE IF NOT EXISTS record_keys (
  kind        INTEGER NOT NULL,
  value       TEXT NOT NULL,
  log_id      INTEGER NOT NULL,
  first_hour  INTEGER NOT NULL,
  last_hour   INTEGER NOT NULL,
  PRIMARY KEY (kind, value, log_id)
) WITHOUT ROWID;

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

-- Retention (docs/decisions/0035-retention.md). How far each log was purged: records [0, purged_to) are gone.
CREATE TABLE IF NOT EXISTS log_purges (
  log_id      INTEGER PRIMARY KEY,
  purged_to   INTEGER NOT NULL,
  root_at_cut BLOB NOT NULL,
  newest_purged INTEGER NOT NULL,  -- the newest created_at of a purged record
  updated_at  INTEGER NOT NULL
);
-- Merkle nodes below a cut, levels 0-7 (levels 8, 16, ... stay in merkle_nodes): what proofs of the remaining records
-- and consistency proofs from older checkpoints need once the records' leaf hashes are gone. Append-only.
CREATE TABLE IF NOT EXISTS retained_nodes (
  log_id  INTEGER NOT NULL,
  level   INTEGER NOT NULL,
  idx     INTEGER NOT NULL,
  hash    BLOB NOT NULL,
  PRIMARY KEY (log_id, level, idx)
) WITHOUT ROWID;
-- Written and removed inside the purge transaction; the records' DELETE trigger looks for it.
CREATE TABLE IF NOT EXISTS purge_permit (
  log_id  INTEGER PRIMARY KEY,
  cut     INTEGER NOT NULL
);
-- Legal holds: active while released_at is NULL.
CREATE TABLE IF NOT EXISTS legal_holds (
  id             TEXT PRIMARY KEY,
  tenant_key     TEXT NOT NULL,
  user_id        TEXT,
  operation_key  TEXT,
  reason         TEXT NOT NULL,
  set_by         TEXT NOT NULL,
  set_at         INTEGER NOT NULL,
  released_by    TEXT,
  released_at    INTEGER
);
CREATE INDEX IF NOT EXISTS legal_holds_tenant ON legal_holds(tenant_key) WHERE released_at IS NULL;
-- Witnesses' cosignatures of checkpoints (c2sp.org/tlog-cosignature): extra signature lines of the stored note.
CREATE TABLE IF NOT EXISTS checkpoint_cosignatures (
  log_id     INTEGER NOT NULL,
  size       INTEGER NOT NULL,
  witness    TEXT NOT NULL,          -- the witness's verifier key
  line       TEXT NOT NULL,          -- its signature line
  created_at INTEGER NOT NULL,
  PRIMARY KEY (log_id, size, witness)
);
CREATE INDEX IF NOT EXISTS checkpoint_cosignatures_witness ON checkpoint_cosignatures(log_id, witness, size);

CREATE TABLE IF NOT EXISTS settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- The subject backfill (docs/decisions/0028-text-search-and-subjects.md): the records with rid in (through, until] are
-- still to be examined; until is the newest record when the journal first had this table (later ones get their
-- subject at append).
CREATE TABLE IF NOT EXISTS subject_backfill (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  through  INTEGER NOT NULL,
  until    INTEGER NOT NULL
);
INSERT OR IGNORE INTO subject_backfill (id, through, until) SELECT 1, 0, coalesce(max(rid), 0) FROM records;

-- The UPDATEs allowed on records: the erasure of a payload (docs/decisions/0008-evidence-and-erasure.md), which sets
-- entity_data, text and payload_salt to NULL and redacted to 1 on a record not yet erased, and the subject backfill,
-- which sets subject on a record that has neither user_id nor subject. Every other column stays as it was. A new
-- column of records MUST be added to these lists.
DROP TRIGGER IF EXISTS records_append_only_update;
CREATE TRIGGER IF NOT EXISTS records_append_only_except_erasure BEFORE UPDATE ON records
  WHEN NOT (NEW.rid IS OLD.rid AND NEW.log_id IS OLD.log_id AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id
    AND NEW.event IS OLD.event AND NEW.event_name IS OLD.event_name AND NEW.user_id IS OLD.user_id
    AND NEW.api_created_at IS OLD.api_created_at AND NEW.created_at IS OLD.created_at AND NEW.ip IS OLD.ip
    AND NEW.tenant_id IS OLD.tenant_id AND NEW.node_id IS OLD.node_id AND NEW.operation_key IS OLD.operation_key
    AND NEW.classified_event IS OLD.classified_event AND NEW.severity IS OLD.severity AND NEW.outcome IS OLD.outcome
    AND NEW.extra IS OLD.extra AND NEW.sig_kid IS OLD.sig_kid AND NEW.signature IS OLD.signature
    AND NEW.canonical IS OLD.canonical AND NEW.leaf_hash IS OLD.leaf_hash AND NEW.pollable IS OLD.pollable
    AND NEW.ip_search IS OLD.ip_search
    AND ((NEW.entity_data IS NULL AND NEW.text IS NULL AND NEW.payload_salt IS NULL AND NEW.redacted = 1
          AND OLD.redacted = 0 AND NEW.subject IS OLD.subject)
      OR (OLD.user_id IS NULL AND OLD.subject IS NULL AND NEW.subject IS NOT NULL AND NEW.entity_data IS OLD.entity_data
          AND NEW.text IS OLD.text AND NEW.payload_salt IS OLD.payload_salt AND NEW.redacted IS OLD.redacted)))
  BEGIN SELECT RAISE(ABORT, 'records are append-only (only the erasure of a payload may update them)'); END;
-- The one DELETE allowed on records is the retention procedure's (purgeSlice): in its transaction it writes the
-- permit of the log's cut, deletes the records below it and removes the permit. A plain DELETE finds no permit.
DROP TRIGGER IF EXISTS records_append_only_delete;
CREATE TRIGGER IF NOT EXISTS records_append_only_except_purge BEFORE DELETE ON records
  WHEN NOT EXISTS (SELECT 1 FROM purge_permit WHERE log_id = OLD.log_id AND OLD.seq < cut)
  BEGIN SELECT RAISE(ABORT, 'records are append-only (only the retention procedure may delete them)'); END;
CREATE TRIGGER IF NOT EXISTS merkle_nodes_append_only_update BEFORE UPDATE ON merkle_nodes
  BEGIN SELECT RAISE(ABORT, 'merkle nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS merkle_nodes_append_only_delete BEFORE DELETE ON merkle_nodes
  BEGIN SELECT RAISE(ABORT, 'merkle nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS retained_nodes_append_only_update BEFORE UPDATE ON retained_nodes
  BEGIN SELECT RAISE(ABORT, 'retained merkle nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS retained_nodes_append_only_delete BEFORE DELETE ON retained_nodes
  BEGIN SELECT RAISE(ABORT, 'retained merkle nodes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_delete BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoint_cosignatures_append_only_update BEFORE UPDATE ON checkpoint_cosignatures
  BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoint_cosignatures_append_only_delete BEFORE DELETE ON checkpoint_cosignatures
  BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only'); END;
`;
