import { CatalogSet } from '@tamga/core';
import type { CatalogDocument, CatalogEntry } from '@tamga/core';

/**
 * The catalogues one tenant's events resolve against, indexed for the ingest hot path: its own catalogue first,
 * then the built-ins it enabled. Lookups and {@link TenantCatalog.catalogVersionOf} are O(1).
 */
export class TenantCatalog {
  /** Codes and names, tenant catalogue first. */
  readonly set: CatalogSet;
  /** Whether codes in no catalogue are stored (flagged `unregistered`) instead of refused. */
  readonly openCodes: boolean;
  /** Whether `createdAt` may be before 1970 (the tenant imports back-dated events). */
  readonly backdatedImports: boolean;
  /** Ids of the catalogues in resolution order, e.g. `['acme', 'ai-server', …]`. */
  readonly catalogs: readonly string[];
  readonly #versions: ReadonlyMap<string, string>;

  private constructor(set: CatalogSet, versions: ReadonlyMap<string, string>, options: TenantCatalogOptions) {
    this.set = set;
    this.openCodes = options.openCodes;
    this.backdatedImports = options.backdatedImports;
    this.catalogs = Object.freeze(set.catalogs());
    this.#versions = versions;
  }

  /**
   * Builds the view of catalogue documents in resolution order, each with the version records name: built-ins
   * their file's `version`, a tenant catalogue its stored version.
   */
  static of(docs: readonly { readonly doc: CatalogDocument; readonly version: number }[], options: TenantCatalogOptions): TenantCatalog {
    const versions = new Map(docs.map((d) => [d.doc.catalog, `${d.doc.catalog}@${d.version}`]));
    return new TenantCatalog(CatalogSet.of(docs.map((d) => d.doc)), versions, options);
  }

  /**
   * A view over a plain set: no versions known (records get no `catalogVersion`), closed to unknown codes, no
   * back-dated imports.
   */
  static ofSet(set: CatalogSet): TenantCatalog {
    return new TenantCatalog(set, new Map(), { openCodes: false, backdatedImports: false });
  }

  /** `<catalog>@<version>` of the catalogue that defines `entry`, e.g. `ai-server@1` or `acme@3`. */
  catalogVersionOf(entry: CatalogEntry): string | undefined {
    return this.#versions.get(entry.catalog);
  }
}

/** The tenant's choices a {@link TenantCatalog} carries to the ingest path (see `TenantCatalogSettings`). */
export interface TenantCatalogOptions {
  readonly openCodes: boolean;
  readonly backdatedImports: boolean;
}

/** Finds the {@link TenantCatalog} of a tenant; what the journal asks on every event. */
export interface CatalogResolver {
  /** The tenant's view (`null` = default tenant); O(1), never does I/O. */
  forTenant(tenantId: string | null): TenantCatalog;
}
