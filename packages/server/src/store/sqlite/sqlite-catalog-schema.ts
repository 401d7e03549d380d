/**
 * SQLite tables of the catalogue store, the twin of `../postgres/postgres-catalog-schema.ts`. Every statement
 * is idempotent. Kept apart from the journal's schema: the catalogue store owns these tables.
 *
 * - `tenant_catalogs` keeps every version of every tenant's catalogue, append-only (triggers).
 * - `tenant_catalog_settings` holds one row per tenant that set anything; `builtin_catalogs` is a JSON array or
 *   NULL for "every built-in". `backdated_imports` came later: {@link SQLITE_CATALOG_MIGRATIONS} adds it to older
 *   files.
 * - `catalog_revision` is one row whose number grows with every change, for other nodes to poll.
 */
export const SQLITE_CATALOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS tenant_catalogs (
  tenant_key  TEXT NOT NULL,      -- '' is the default tenant
  version     INTEGER NOT NULL,
  catalog     TEXT NOT NULL,
  format      TEXT NOT NULL,
  text        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,   -- UTC microseconds
  PRIMARY KEY (tenant_key, version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS tenant_catalog_settings (
  tenant_key        TEXT PRIMARY KEY,
  builtin_catalogs  TEXT,          -- JSON array of catalogue ids; NULL = every built-in
  open_codes        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  backdated_imports INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS catalog_revision (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  revision  INTEGER NOT NULL
);
INSERT OR IGNORE INTO catalog_revision (id, revision) VALUES (1, 0);

CREATE TRIGGER IF NOT EXISTS tenant_catalogs_append_only_update BEFORE UPDATE ON tenant_catalogs
  BEGIN SELECT RAISE(ABORT, 'tenant catalogue versions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS tenant_catalogs_append_only_delete BEFORE DELETE ON tenant_catalogs
  BEGIN SELECT RAISE(ABORT, 'tenant catalogue versions are append-only'); END;
`;

/**
 * Columns added after a table first shipped, as `[table, column, ALTER statement]`: SQLite has no
 * `ADD COLUMN IF NOT EXISTS`, so the store adds each one whose column `PRAGMA table_info` does not list.
 */
export const SQLITE_CATALOG_MIGRATIONS: readonly (readonly [string, string, string])[] = [
  [
    'tenant_catalog_settings',
    'backdated_imports',
    'ALTER TABLE tenant_catalog_settings ADD COLUMN backdated_imports INTEGER NOT NULL DEFAULT 0',
  ],
];
