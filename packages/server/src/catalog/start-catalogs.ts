import type { CatalogDocument } from '@tamga/core';
import type { Journal } from '../journal/journal.js';
import type { JournalStore } from '../journal/journal-store.js';
import { PostgresCatalogStore } from '../store/postgres/postgres-catalog-store.js';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { SqliteCatalogStore } from '../store/sqlite/sqlite-catalog-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { applyCatalogDir } from './catalog-dir.js';
import { catalogChangedEvent } from './catalog-changed-event.js';
import { CatalogRegistry, throwIfProblems } from './catalog-registry.js';
import type { CatalogStore } from './catalog-store.js';

/**
 * How often a node sharing a PostgreSQL database with others checks whether they changed a catalogue or a
 * tenant's settings (one indexed single-row read). Changes made through this node apply at once.
 */
export const CATALOG_REFRESH_MS = 2_000;

/** Journal store setting holding the built-in catalogue versions last started with, to journal upgrades. */
const BUILTIN_VERSIONS_SETTING = 'builtin-catalog-versions';

/** The catalogue store sharing the journal store's connection; undefined for other store implementations. */
export async function openCatalogStore(store: JournalStore): Promise<CatalogStore | undefined> {
  if (store instanceof SqliteJournalStore) return new SqliteCatalogStore(store);
  if (store instanceof PostgresJournalStore) return PostgresCatalogStore.open(store);
  return undefined;
}

/** Opens the catalogue store next to the journal store and loads every tenant catalogue into memory. */
export async function openCatalogRegistry(
  store: JournalStore,
  builtins: readonly CatalogDocument[],
  now?: () => number,
): Promise<CatalogRegistry> {
  const catalogStore = await openCatalogStore(store);
  return CatalogRegistry.open({ builtins, ...(catalogStore !== undefined && { store: catalogStore }), ...(now !== undefined && { now }) });
}

/**
 * The catalogue part of start-up, once the journal exists: registers `TAMGA_CATALOG_DIR`, refuses to start when a
 * stored tenant catalogue conflicts with a built-in its tenant enabled (e.g. after a built-in upgrade), journals
 * a built-in upgrade, and, for PostgreSQL, starts polling for other nodes' changes.
 *
 * @throws ValidationError `CATALOG_INVALID` listing every problem; the server must not start.
 */
export async function startCatalogs(
  registry: CatalogRegistry,
  journal: Journal,
  options: { readonly catalogDir?: string | undefined; readonly onError: (error: unknown) => void },
): Promise<void> {
  if (options.catalogDir !== undefined) await applyCatalogDir(registry, journal, options.catalogDir);
  throwIfProblems(registry.checkAll(), 'Stored tenant catalogues conflict with the built-in catalogues; the server does not start');

  const versions = Object.fromEntries(registry.builtins.map((d) => [d.catalog, d.version]));
  const text = JSON.stringify(versions);
  const previous = await journal.store.getSetting(BUILTIN_VERSIONS_SETTING);
  if (previous !== text) {
    // The first start records the versions silently; later upgrades are journalled.
    if (previous !== undefined) {
      const before = JSON.parse(previous) as Record<string, number>;
      await journal.appendSystem(catalogChangedEvent({ kind: 'builtin', versions, previous: before }, 'tamga'));
    }
    await journal.store.putSetting(BUILTIN_VERSIONS_SETTING, text);
  }
  if (journal.store.kind === 'postgres') registry.startRefreshing(CATALOG_REFRESH_MS, options.onError);
}
