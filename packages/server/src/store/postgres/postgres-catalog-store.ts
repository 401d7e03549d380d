import type pg from 'pg';
import { tenantIdOf, tenantKeyOf } from '../../catalog/catalog-store.js';
import type {
  CatalogFormat,
  CatalogStore,
  NewTenantCatalog,
  PutCatalogResult,
  StoredTenantCatalog,
  TenantCatalogSettings,
} from '../../catalog/catalog-store.js';
import type { PostgresJournalStore } from './postgres-journal-store.js';
import { POSTGRES_CATALOG_SCHEMA } from './postgres-catalog-schema.js';
import { inPostgresTransaction, wrapPostgresError } from './postgres-errors.js';
import { SCHEMA_LOCK_CLASS } from './postgres-schema.js';

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
  open_codes: boolean;
  backdated_imports: boolean;
}

/**
 * Tenant catalogues and settings in the journal's PostgreSQL schema, on the journal store's pool
 * ({@link PostgresJournalStore.pool}). Every change locks the single `catalog_revision` row first, so changes
 * from all nodes are serialized and version numbers stay contiguous per tenant.
 */
export class PostgresCatalogStore implements CatalogStore {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Creates the catalogue tables when missing (in the journal store's schema) and returns the store. */
  static async open(journalStore: PostgresJournalStore): Promise<PostgresCatalogStore> {
    const store = new PostgresCatalogStore(journalStore.pool);
    try {
      await store.#transaction(async (client) => {
        // Same lock as the journal's migration: CREATE … IF NOT EXISTS is not safe against a concurrent create.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SCHEMA_LOCK_CLASS, journalStore.schema]);
        await client.query(POSTGRES_CATALOG_SCHEMA);
      });
    } catch (error) {
      throw wrapPostgresError(error, 'create the catalogue tables');
    }
    return store;
  }

  #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inPostgresTransaction(this.#pool, fn);
  }

  async #bumpRevision(client: pg.PoolClient): Promise<number> {
    const result = await client.query<{ revision: number }>(
      'UPDATE catalog_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision',
    );
    return Number(result.rows[0]!.revision);
  }

  async putTenantCatalog(tenantId: string | null, catalog: NewTenantCatalog, now: number): Promise<PutCatalogResult> {
    const key = tenantKeyOf(tenantId);
    try {
      return await this.#transaction(async (client) => {
        await client.query('SELECT revision FROM catalog_revision WHERE id = 1 FOR UPDATE');
        const found = await client.query<CatalogRow>(
          'SELECT * FROM tenant_catalogs WHERE tenant_key = $1 ORDER BY version DESC LIMIT 1',
          [key],
        );
        const current = found.rows[0];
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
        await client.query(
          'INSERT INTO tenant_catalogs (tenant_key, version, catalog, format, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
          [row.tenant_key, row.version, row.catalog, row.format, row.text, row.created_at],
        );
        await this.#bumpRevision(client);
        return { stored: toStored(row), changed: true, previousVersion: current?.version };
      });
    } catch (error) {
      throw wrapPostgresError(error, 'store a tenant catalogue');
    }
  }

  async getTenantCatalog(tenantId: string | null, version?: number): Promise<StoredTenantCatalog | undefined> {
    try {
      const key = tenantKeyOf(tenantId);
      const result =
        version === undefined
          ? await this.#pool.query<CatalogRow>('SELECT * FROM tenant_catalogs WHERE tenant_key = $1 ORDER BY version DESC LIMIT 1', [key])
          : await this.#pool.query<CatalogRow>('SELECT * FROM tenant_catalogs WHERE tenant_key = $1 AND version = $2', [key, version]);
      const row = result.rows[0];
      return row && toStored(row);
    } catch (error) {
      throw wrapPostgresError(error, 'read a tenant catalogue');
    }
  }

  async listTenantCatalogs(): Promise<StoredTenantCatalog[]> {
    try {
      const result = await this.#pool.query<CatalogRow>(
        'SELECT DISTINCT ON (tenant_key) * FROM tenant_catalogs ORDER BY tenant_key, version DESC',
      );
      return result.rows.map(toStored);
    } catch (error) {
      throw wrapPostgresError(error, 'list tenant catalogues');
    }
  }

  async putTenantSettings(tenantId: string | null, settings: TenantCatalogSettings, now: number): Promise<number> {
    try {
      return await this.#transaction(async (client) => {
        await client.query('SELECT revision FROM catalog_revision WHERE id = 1 FOR UPDATE');
        await client.query(
          `INSERT INTO tenant_catalog_settings (tenant_key, builtin_catalogs, open_codes, backdated_imports, updated_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant_key) DO UPDATE SET builtin_catalogs = excluded.builtin_catalogs,
             open_codes = excluded.open_codes, backdated_imports = excluded.backdated_imports, updated_at = excluded.updated_at`,
          [
            tenantKeyOf(tenantId),
            settings.builtinCatalogs === null ? null : JSON.stringify(settings.builtinCatalogs),
            settings.openCodes,
            settings.backdatedImports,
            now,
          ],
        );
        return this.#bumpRevision(client);
      });
    } catch (error) {
      throw wrapPostgresError(error, 'store tenant settings');
    }
  }

  async getTenantSettings(tenantId: string | null): Promise<TenantCatalogSettings | undefined> {
    try {
      const result = await this.#pool.query<SettingsRow>('SELECT * FROM tenant_catalog_settings WHERE tenant_key = $1', [
        tenantKeyOf(tenantId),
      ]);
      const row = result.rows[0];
      return row && toSettings(row);
    } catch (error) {
      throw wrapPostgresError(error, 'read tenant settings');
    }
  }

  async listTenantSettings(): Promise<{ tenantId: string | null; settings: TenantCatalogSettings }[]> {
    try {
      const result = await this.#pool.query<SettingsRow>('SELECT * FROM tenant_catalog_settings ORDER BY tenant_key');
      return result.rows.map((row) => ({ tenantId: tenantIdOf(row.tenant_key), settings: toSettings(row) }));
    } catch (error) {
      throw wrapPostgresError(error, 'list tenant settings');
    }
  }

  async revision(): Promise<number> {
    try {
      const result = await this.#pool.query<{ revision: number }>('SELECT revision FROM catalog_revision WHERE id = 1');
      return Number(result.rows[0]?.revision ?? 0);
    } catch (error) {
      throw wrapPostgresError(error, 'read the catalogue revision');
    }
  }
}

function toStored(row: CatalogRow): StoredTenantCatalog {
  return {
    tenantId: tenantIdOf(row.tenant_key),
    version: Number(row.version),
    catalog: row.catalog,
    format: row.format as CatalogFormat,
    text: row.text,
    createdAt: Number(row.created_at),
  };
}

function toSettings(row: SettingsRow): TenantCatalogSettings {
  return {
    builtinCatalogs: row.builtin_catalogs === null ? null : (JSON.parse(row.builtin_catalogs) as string[]),
    openCodes: row.open_codes,
    backdatedImports: row.backdated_imports,
  };
}
