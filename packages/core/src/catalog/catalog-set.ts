import type { CatalogDocument, CatalogEntry } from './catalog-types.js';

/**
 * The catalogues a journal accepts, indexed for the ingest hot path: O(1) lookup by code and by name.
 *
 * Built with {@link CatalogSet.of}. A code or name defined by two catalogues resolves to the first one in load
 * order; later documents never override earlier ones. Such conflicts are errors that
 * {@link validateCatalogs} reports — check it before building a set from untrusted catalogues.
 */
export class CatalogSet {
  readonly #byCode: ReadonlyMap<number, CatalogEntry>;
  readonly #byName: ReadonlyMap<string, CatalogEntry>;
  readonly #entries: readonly CatalogEntry[];
  readonly #catalogs: readonly string[];

  private constructor(docs: readonly CatalogDocument[]) {
    const byCode = new Map<number, CatalogEntry>();
    const byName = new Map<string, CatalogEntry>();
    const entries: CatalogEntry[] = [];
    const catalogs: string[] = [];
    for (const doc of docs) {
      if (!catalogs.includes(doc.catalog)) catalogs.push(doc.catalog);
      for (const entry of doc.entries) {
        if (byCode.has(entry.code) || byName.has(entry.name)) continue;
        byCode.set(entry.code, entry);
        byName.set(entry.name, entry);
        entries.push(entry);
      }
    }
    this.#byCode = byCode;
    this.#byName = byName;
    this.#entries = Object.freeze(entries);
    this.#catalogs = Object.freeze(catalogs);
  }

  /**
   * Builds a set from catalogue documents in load order (e.g. built-ins first, then the tenant's).
   * An entry whose code or name is already taken by an earlier entry is left out.
   */
  static of(docs: readonly CatalogDocument[]): CatalogSet {
    return new CatalogSet(docs);
  }

  /** The entry with this numeric code, or `undefined`. */
  byCode(code: number): CatalogEntry | undefined {
    return this.#byCode.get(code);
  }

  /** The entry with exactly this name (case-sensitive, e.g. `Login`, `USER_LOGIN`), or `undefined`. */
  byName(name: string): CatalogEntry | undefined {
    return this.#byName.get(name);
  }

  /** Every entry of the set, in load order. */
  entries(): readonly CatalogEntry[] {
    return this.#entries;
  }

  /** Ids of the catalogues in the set, in load order. */
  catalogs(): string[] {
    return [...this.#catalogs];
  }
}
