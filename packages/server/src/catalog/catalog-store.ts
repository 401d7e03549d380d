/**
 * The catalogue store port: tenant catalogues (every version) and tenant catalogue settings. A separate small
 * port next to the journal store; implementations share the journal store's connection
 * (`../store/<backend>/<backend>-catalog-store.ts`) and pass one contract suite
 * (`../store/catalog-store.contract.ts`).
 *
 * Guarantees every implementation MUST give:
 * - Stored catalogue versions are append-only: a version, once stored, never changes; the database refuses
 *   UPDATE and DELETE on them.
 * - `putTenantCatalog` assigns the next version (1, 2, 3, … per tenant) inside the transaction that stores it,
 *   serialized across every node sharing the database; text identical to the current version stores nothing
 *   and returns the current version with `changed: false`.
 * - Every change (catalogue or settings) increases {@link CatalogStore.revision} in the same transaction, so
 *   other nodes notice it by polling one number.
 * - Driver errors leave the store only as `StoreError` (`STORE_UNAVAILABLE`, `STORE_FAILED`).
 */
export interface CatalogStore {
  /** `sqlite` or `postgres`. */
  readonly kind: string;
  /**
   * Stores `text` as the tenant's next catalogue version, unless it is identical to the current one.
   * @param tenantId - `null` is the default tenant.
   * @param now - UTC microseconds, stored as `createdAt`.
   */
  putTenantCatalog(tenantId: string | null, catalog: NewTenantCatalog, now: number): Promise<PutCatalogResult>;
  /** The tenant's catalogue: the current version, or the given one; undefined when there is none. */
  getTenantCatalog(tenantId: string | null, version?: number): Promise<StoredTenantCatalog | undefined>;
  /** The current version of every tenant's catalogue. */
  listTenantCatalogs(): Promise<StoredTenantCatalog[]>;
  /** Replaces the tenant's settings; returns the revision after the change. */
  putTenantSettings(tenantId: string | null, settings: TenantCatalogSettings, now: number): Promise<number>;
  /** The tenant's settings, or undefined when it never set any (the defaults apply). */
  getTenantSettings(tenantId: string | null): Promise<TenantCatalogSettings | undefined>;
  /** Settings of every tenant that has set any. */
  listTenantSettings(): Promise<{ tenantId: string | null; settings: TenantCatalogSettings }[]>;
  /** A number that grows with every change of catalogues or settings (0 before the first). */
  revision(): Promise<number>;
}

/** What a caller hands to {@link CatalogStore.putTenantCatalog}. */
export interface NewTenantCatalog {
  /** The catalogue id inside the text (`catalog`). */
  readonly catalog: string;
  /** `json` or `yaml`: how the text was sent. */
  readonly format: CatalogFormat;
  /** The catalogue exactly as received (comments and layout kept, so line numbers stay meaningful). */
  readonly text: string;
}

/** How a catalogue text is written. */
export type CatalogFormat = 'json' | 'yaml';

/** One stored version of a tenant's catalogue. */
export interface StoredTenantCatalog extends NewTenantCatalog {
  readonly tenantId: string | null;
  /** 1 for the first catalogue the tenant stored, then +1 per change. */
  readonly version: number;
  /** UTC microseconds. */
  readonly createdAt: number;
}

/** Result of {@link CatalogStore.putTenantCatalog}. */
export interface PutCatalogResult {
  readonly stored: StoredTenantCatalog;
  /** False when the text equalled the current version and nothing was stored. */
  readonly changed: boolean;
  /** The version that was current before, if any. */
  readonly previousVersion: number | undefined;
}

/** A tenant's choices about catalogues. */
export interface TenantCatalogSettings {
  /** Ids of the built-in catalogues the tenant's codes resolve against; `null` = every built-in (default). */
  readonly builtinCatalogs: readonly string[] | null;
  /** Whether events with codes in no catalogue are stored (flagged `unregistered`) instead of refused. */
  readonly openCodes: boolean;
  /**
   * Whether the tenant imports back-dated events: `createdAt` may then go back to 1700-01-01 instead of
   * 1970-01-01 (the upper bound, one day ahead of the server clock, holds either way). Default false.
   */
  readonly backdatedImports: boolean;
}

/** The settings of a tenant that never set any. */
export const DEFAULT_TENANT_CATALOG_SETTINGS: TenantCatalogSettings = Object.freeze({
  builtinCatalogs: null,
  openCodes: false,
  backdatedImports: false,
});

/** Key of a tenant in catalogue tables: `''` stands for the default tenant, as in the journal's `logs`. */
export function tenantKeyOf(tenantId: string | null): string {
  return tenantId ?? '';
}

/** Inverse of {@link tenantKeyOf}. */
export function tenantIdOf(key: string): string | null {
  return key === '' ? null : key;
}
