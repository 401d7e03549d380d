/**
 * PostgreSQL tables of the catalogue store, the twin of `../sqlite/sqlite-catalog-schema.ts`. Every statement
 * is idempotent; the store runs them in one transaction under the journal's schema advisory lock, after the
 * journal store created the schema (whose `tamga_refuse_change()` the append-only trigger reuses).
 */
export const POSTGRES_CATALOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS tenant_catalogs (
  tenant_key  TEXT NOT NULL,      -- '' is the default tenant
  version     INTEGER NOT NULL,
  catalog     TEXT NOT NULL,
  format      TEXT NOT NULL,
  text        TEXT NOT NULL,
  created_at  BIGINT NOT NULL,    -- UTC microseconds
  PRIMARY KEY (tenant_key, version)
);

CREATE TABLE IF NOT EXISTS tenant_catalog_settings (
  tenant_key        TEXT PRIMARY KEY,
  builtin_catalogs  TEXT,          -- JSON array of catalogue ids; NULL = every built-in
  open_codes        BOOLEAN NOT NULL,
  updated_at        BIGINT NOT NULL
);
-- Added after the table first shipped: whether createdAt may be before 1970 (back-dated imports).
ALTER TABLE tenant_catalog_settings ADD COLUMN IF NOT EXISTS backdated_imports BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE IF NOT EXISTS catalog_revision (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  revision  BIGINT NOT NULL
);
INSERT INTO catalog_revision (id, revision) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgrelid = to_regclass('tenant_catalogs') AND tgname = 'tenant_catalogs_append_only') THEN
    CREATE TRIGGER tenant_catalogs_append_only BEFORE UPDATE OR DELETE ON tenant_catalogs
      FOR EACH ROW EXECUTE FUNCTION tamga_refuse_change('tenant catalogue versions');
  END IF;
END
$do$;
`;
