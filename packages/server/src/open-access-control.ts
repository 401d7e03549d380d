import { CatalogSet } from '@tamga/core';
import { AccessControl } from './auth/access-control.js';
import { BootstrapKeyAuthenticator } from './auth/api-key-auth.js';
import { loadBuiltinCatalogDocuments } from './catalog/load-builtin-catalogs.js';
import type { TamgaConfig } from './config/tamga-config.js';
import { Journal } from './journal/journal.js';
import { loadTenantIds } from './journal/load-tenant-ids.js';
import { KeyRing } from './keys/key-ring.js';
import { openAccessStore } from './store/open-access-store.js';
import { openStore } from './tamga-server.js';

/**
 * Opens the configured store (data dir or database URL, like `tamga serve`) for user administration from
 * the command line: the access control, journalling into the same journal with the same keys.
 * The server may be running at the same time (SQLite WAL, PostgreSQL).
 */
export async function openAccessControl(config: TamgaConfig): Promise<{ access: AccessControl; close(): Promise<void> }> {
  const store = await openStore(config);
  try {
    const accessStore = await openAccessStore(store);
    const journal = new Journal({
      store,
      catalog: CatalogSet.of(loadBuiltinCatalogDocuments()),
      keys: KeyRing.openOrCreate(config.keysDir),
      nodeId: config.nodeId,
      originPrefix: config.logOrigin,
      tenantIds: await loadTenantIds({ journal: store, access: accessStore }),
    });
    const access = new AccessControl({
      store: accessStore,
      journal,
      bootstrap: new BootstrapKeyAuthenticator(store),
      config: config.access,
    });
    return { access, close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}
