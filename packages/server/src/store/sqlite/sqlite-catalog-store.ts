import type Database from 'better-sqlite3';
import { StoreError } from '@tamga/core';
import { tenantIdOf, tenantKeyOf } from '../../catalog/catalog-store.js';
import type {
  CatalogFormat,
  CatalogStore,
  NewTenantCatalog,
  PutCatalogResult,
  StoredTenantCatalog,
  TenantCatalogSettings,
} from '../../catalog/catalog-store.js';
import type { SqliteJournalStore } from './sqlite-journal-store.js';
import { SQLITE_CATALOG_MIGRATIONS, SQLITE_CATALOG_SCHEMA } from './sqlite-catalog-schema.js';

interface CatalogRow {
  tenant_key: string;
  version: number;
  catalog: string;
  format: string;
  text: string;
  created_at: number;
}

interface SettingsRow {
  tenant_key: string;
  builtin_catalogs: string | null;
  open_codes: number;
  backdated_imports: number;
}

function wrap(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: string }).code ?? '';
  const unavailable = code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_FULL' || code === 'SQLITE_IOERR';
  return new StoreError(unavailable ? 'STORE_UNAVAILABLE' : 'STORE_FAILED', `SQLite failed to ${what}`, {}, { cause: error });
}

/**
 * Tenant catalogues and settings in the journal's SQLite file, on the journal store's connection
 * ({@link SqliteJournalStore.database}). Changes run in IMMEDIATE transactions, so the single writer
 * serializes version numbers.
 */
export class SqliteCatalogStore implements CatalogStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;

  /** Creates the catalogue tables when missing, on the journal store's connection. */
  constructor(journalStore: SqliteJournalStore) {
    this.#db = journalStore.database;
    try {
      this.#db.exec(SQLITE_CATALOG_SCHEMA);
      for (const [table, column, alter] of SQLITE_CATALOG_MIGRATIONS) {
        const columns = this.#db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
        if (!columns.some((c) => c.name === column)) this.#db.exec(alter);
      }
    } catch (error) {
      throw wrap(error, 'create the catalogue tables');
    }
  }

  putTenantCatalog(tenantId: string | null, catalog: NewTenantCatalog, now: number): Promise<PutCatalogResult> {
    const key = tenantKeyOf(tenantId);
    try {
      const run = this.#db.transaction((): PutCatalogResult => {
        const current = this.#db
          .prepare('SELECT * FROM tenant_catalogs WHERE tenant_key = ? ORDER BY version DESC LIMIT 1')
          .get(key) as CatalogRow | undefined;
        if (current !== undefined && current.text === catalog.text && current.format === catalog.format) {
          return { stored: toStored(current), changed: false, previousVersion: current.version };
        }
        const row: CatalogRow = {
          tenant_key: key,
          version: (current?.version ?? 0) + 1,
          catalog: catalog.catalog,
          format: catalog.format,
          text: catalog.text,
          created_at: now,
        };
        this.#db
          .prepare(
            'INSERT INTO tenant_catalogs (tenant_key, version, catalog, format, text, created_at) VALUES (@tenant_key, @version, @catalog, @format, @text, @created_at)',
          )
          .run(row);
        this.#bumpRevision();
        return { stored: toStored(row), changed: true, previousVersion: current?.version };
      });
      return Promise.resolve(run.immediate());
    } catch (error) {
      return Promise.reject(wrap(error, 'store a tenant catalogue'));
    }
  }

  getTenantCatalog(tenantId: string | null, version?: number): Promise<StoredTenantCatalog | undefined> {
    try {
      const key = tenantKeyOf(tenantId);
      const row = (
        version === undefined
          ? this.#db.prepare('SELECT * FROM tenant_catalogs WHERE tenant_key = ? ORDER BY version DESC LIMIT 1').get(key)
          : this.#db.prepare('SELECT * FROM tenant_catalogs WHERE tenant_key = ? AND version = ?').get(key, version)
      ) as CatalogRow | undefined;
      return Promise.resolve(row && toStored(row));
    } catch (error) {
      return Promise.reject(wrap(error, 'read a tenant catalogue'));
    }
  }

  listTenantCatalogs(): Promise<StoredTenantCatalog[]> {
    try {
      const rows = this.#db
        .prepare(
          `SELECT c.* FROM tenant_catalogs c
           JOIN (SELECT tenant_key, max(version) AS version FROM tenant_catalogs GROUP BY tenant_key) m
             USING (tenant_key, version)
           ORDER BY c.tenant_key`,
        )
        .all() as CatalogRow[];
      return Promise.resolve(rows.map(toStored));
    } catch (error) {
      return Promise.reject(wrap(error, 'list tenant catalogues'));
    }
  }

  putTenantSettings(tenantId: string | null, settings: TenantCatalogSettings, now: number): Promise<number> {
    try {
      const run = this.#db.transaction((): number => {
        this.#db
          .prepare(
            `INSERT INTO tenant_catalog_settings (tenant_key, builtin_catalogs, open_codes, backdated_imports, updated_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (tenant_key) DO UPDATE SET builtin_catalogs = excluded.builtin_catalogs,
               open_codes = excluded.open_codes, backdated_imports = excluded.backdated_imports, updated_at = excluded.updated_at`,
          )
          .run(
            tenantKeyOf(tenantId),
            settings.builtinCatalogs === null ? null : JSON.stringify(settings.builtinCatalogs),
            settings.openCodes ? 1 : 0,
            settings.backdatedImports ? 1 : 0,
            now,
          );
        return this.#bumpRevision();
      });
      return Promise.resolve(run.immediate());
    } catch (error) {
      return Promise.reject(wrap(error, 'store tenant settings'));
    }
  }

  getTenantSettings(tenantId: string | null): Promise<TenantCatalogSettings | undefined> {
    try {
      const row = this.#db.prepare('SELECT * FROM tenant_catalog_settings WHERE tenant_key = ?').get(tenantKeyOf(tenantId)) as
        | SettingsRow
        | undefined;
      return Promise.resolve(row && toSettings(row));
    } catch (error) {
      return Promise.reject(wrap(error, 'read tenant settings'));
    }
  }

  listTenantSettings(): Promise<{ tenantId: string | null; settings: TenantCatalogSettings }[]> {
    try {
      const rows = this.#db.prepare('SELECT * FROM tenant_catalog_settings ORDER BY tenant_key').all() as SettingsRow[];
      return Promise.resolve(rows.map((row) => ({ tenantId: tenantIdOf(row.tenant_key), settings: toSettings(row) })));
    } catch (error) {
      return Promise.reject(wrap(error, 'list tenant settings'));
    }
  }

  revision(): Promise<number> {
    try {
      const row = this.#db.prepare('SELECT revision FROM catalog_revision WHERE id = 1').get() as { revision: number };
      return Promise.resolve(row.revision);
    } catch (error) {
      return Promise.reject(wrap(error, 'read the catalogue revision'));
    }
  }

  #bumpRevision(): number {
    const row = this.#db.prepare('UPDATE catalog_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision').get() as {
      revision: number;
    };
    return row.revision;
  }
}

function toStored(row: CatalogRow): StoredTenantCatalog {
  return {
    tenantId: tenantIdOf(row.tenant_key),
    version: row.version,
    catalog: row.catalog,
    format: row.format as CatalogFormat,
    text: row.text,
    createdAt: row.created_at,
  };
}

function toSettings(row: SettingsRow): TenantCatalogSettings {
  return {
    builtinCatalogs: row.builtin_catalogs === null ? null : (JSON.parse(row.builtin_catalogs) as string[]),
    openCodes: row.open_codes === 1,
    backdatedImports: row.backdated_imports === 1,
  };
}
