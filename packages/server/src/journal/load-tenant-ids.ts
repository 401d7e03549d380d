import { TenantIds } from '@tamga/core';
import type { AccessStore } from '../auth/access-store.js';
import type { CatalogRegistry } from '../catalog/catalog-registry.js';
import type { JournalStore } from './journal-store.js';

/**
 * Reads every tenant id stored anywhere — logs, tenant catalogues and settings, the tenants of users and API keys —
 * and returns the {@link TenantIds} that keeps those breaking the tenant-id rule readable (docs/decisions/0016-tenant-ids.md).
 * Runs once at start: no id breaking the rule can be stored afterwards, so the set never grows.
 */
export async function loadTenantIds(stores: {
  readonly journal: JournalStore;
  readonly access?: AccessStore | undefined;
  readonly catalogs?: CatalogRegistry | undefined;
}): Promise<TenantIds> {
  const ids: (string | null)[] = (await stores.journal.listLogs()).map((log) => log.tenantId);
  if (stores.catalogs !== undefined) ids.push(...stores.catalogs.tenantIds());
  if (stores.access !== undefined) {
    for (const user of await stores.access.listUsers()) ids.push(...user.tenants);
    for (const key of await stores.access.listApiKeys()) ids.push(...(key.tenants ?? []));
  }
  return new TenantIds(ids);
}
