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
  /** Ids of the catalogues in resolution order, e.g. `['acme', 'ai-server', …]`. */
  readonly catalogs: readonly string[];
  readonly #versions: ReadonlyMap<string, string>;

  private constructor(set: CatalogSet, versions: ReadonlyMap<string, string>, openCodes: boolean) {
    this.set = set;
    this.openCodes = openCodes;
    this.catalogs = Object.freeze(set.catalogs());
    this.#versions = versions;
  }

  /**
   * Builds the view of catalogue documents in resolution order, each with the version records name: built-ins
   * their file's `version`, a tenant catalogue its stored version.
   */
  static of(docs: readonly { readonly doc: CatalogDocument; readonly version: number }[], openCodes: boolean): TenantCatalog {
    const versions = new Map(docs.map((d) => [d.doc.catalog, `${d.doc.catalog}@${d.version}`]));
    return new TenantCatalog(CatalogSet.of(docs.map((d) => d.doc)), versions, openCodes);
  }

  /** A view over a plain set: no versions known (records get no `catalogVersion`), closed to unknown codes. */
  static ofSet(set: CatalogSet): TenantCatalog {
    return new TenantCatalog(set, new Map(), false);
  }

  /** `<catalog>@<version>` of the catalogue that defines `entry`, e.g. `ai-server@1` or `acme@3`. */
  catalogVersionOf(entry: CatalogEntry): string | undefined {
    return this.#versions.get(entry.catalog);
  }
}

/** Finds the {@link TenantCatalog} of a tenant; what the journal asks on every event. */
export interface CatalogResolver {
  /** The tenant's view (`null` = default tenant); O(1), never does I/O. */
  forTenant(tenantId: string | null): TenantCatalog;
}
