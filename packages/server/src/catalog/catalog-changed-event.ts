import type { TenantCatalogSettings } from './catalog-store.js';

/** Code of `CatalogChanged` in the tamga catalogue (`catalogs/tamga.json`). */
export const CATALOG_CHANGED_CODE = 32011;

/** What changed, for {@link catalogChangedEvent}. */
export type CatalogChange =
  | {
      readonly kind: 'catalog';
      readonly tenantId: string | null;
      readonly catalog: string;
      readonly version: number;
      readonly previousVersion: number | undefined;
    }
  | { readonly kind: 'settings'; readonly tenantId: string | null; readonly settings: TenantCatalogSettings }
  | { readonly kind: 'builtin'; readonly versions: Readonly<Record<string, number>>; readonly previous: Readonly<Record<string, number>> };

/**
 * The `CatalogChanged` event (32011) Tamga journals in its own log when a catalogue or a tenant's catalogue
 * settings change. `entityData` says what changed; `userId` who did it (an API principal, or `TAMGA_CATALOG_DIR`
 * for files read at start-up, or `tamga` for a built-in upgrade).
 */
export function catalogChangedEvent(change: CatalogChange, by: string): Record<string, unknown> {
  const tenant = change.kind === 'builtin' ? undefined : (change.tenantId ?? 'default');
  const text =
    change.kind === 'catalog'
      ? `Catalogue "${change.catalog}" of tenant ${tenant} is now version ${change.version}`
      : change.kind === 'settings'
        ? `Catalogue settings of tenant ${tenant} changed`
        : 'Built-in catalogues upgraded';
  const { kind, ...rest } = change;
  return {
    event: CATALOG_CHANGED_CODE,
    userId: by,
    outcome: 'success',
    text,
    entityData: JSON.parse(JSON.stringify({ change: kind, ...rest })) as Record<string, unknown>,
  };
}
