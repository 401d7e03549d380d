import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogStore } from '../catalog/catalog-store.js';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0) * 1000;

/**
 * The contract every {@link CatalogStore} passes, run against real databases (no mocks).
 * `open` gives a fresh, empty store (and, a second time with the same argument, a second store on the same
 * database, as another node would); `tamper` runs raw SQL the way an insider with database access would.
 */
export function describeCatalogStoreContract(
  name: string,
  open: () => Promise<{ store: CatalogStore; reopen: () => Promise<CatalogStore>; tamper: (sql: string) => Promise<void> }>,
  cleanup: () => Promise<void>,
): void {
  describe(`${name} (catalogue store contract)`, () => {
    let store: CatalogStore;
    let reopen: () => Promise<CatalogStore>;
    let tamper: (sql: string) => Promise<void>;
    beforeAll(async () => {
      ({ store, reopen, tamper } = await open());
    });
    afterAll(cleanup);

    it('numbers versions 1, 2, … per tenant, keeps every version, and stores nothing for identical text', async () => {
      expect(await store.revision()).toBe(0);
      const a1 = await store.putTenantCatalog('acme', { catalog: 'acme', format: 'yaml', text: 'v: 1' }, T0);
      expect(a1).toMatchObject({ changed: true, previousVersion: undefined, stored: { tenantId: 'acme', version: 1, createdAt: T0 } });
      const same = await store.putTenantCatalog('acme', { catalog: 'acme', format: 'yaml', text: 'v: 1' }, T0 + 1);
      expect(same).toMatchObject({ changed: false, previousVersion: 1, stored: { version: 1, createdAt: T0 } });
      const a2 = await store.putTenantCatalog('acme', { catalog: 'acme', format: 'json', text: '{"v": 2}' }, T0 + 2);
      expect(a2).toMatchObject({ changed: true, previousVersion: 1, stored: { version: 2, format: 'json' } });
      const d1 = await store.putTenantCatalog(null, { catalog: 'house', format: 'json', text: '{}' }, T0 + 3);
      expect(d1.stored).toMatchObject({ tenantId: null, version: 1 });

      expect((await store.getTenantCatalog('acme'))?.text).toBe('{"v": 2}');
      expect((await store.getTenantCatalog('acme', 1))?.text).toBe('v: 1');
      expect(await store.getTenantCatalog('acme', 3)).toBeUndefined();
      expect(await store.getTenantCatalog('globex')).toBeUndefined();
      const current = await store.listTenantCatalogs();
      // Ordered by tenant, the default tenant first.
      expect(current.map((c) => [c.tenantId, c.version])).toEqual([
        [null, 1],
        ['acme', 2],
      ]);
      expect(await store.revision()).toBe(3);
    });

    it('replaces settings per tenant and bumps the revision', async () => {
      const before = await store.revision();
      expect(await store.getTenantSettings('acme')).toBeUndefined();
      const rev = await store.putTenantSettings('acme', { builtinCatalogs: ['ai-server'], openCodes: true, backdatedImports: true }, T0);
      expect(rev).toBe(before + 1);
      expect(await store.getTenantSettings('acme')).toEqual({ builtinCatalogs: ['ai-server'], openCodes: true, backdatedImports: true });
      await store.putTenantSettings(null, { builtinCatalogs: null, openCodes: false, backdatedImports: false }, T0);
      await store.putTenantSettings('acme', { builtinCatalogs: [], openCodes: false, backdatedImports: false }, T0 + 1);
      expect(await store.getTenantSettings('acme')).toEqual({ builtinCatalogs: [], openCodes: false, backdatedImports: false });
      const all = await store.listTenantSettings();
      expect(all).toContainEqual({ tenantId: null, settings: { builtinCatalogs: null, openCodes: false, backdatedImports: false } });
      expect(all).toHaveLength(2);
      expect(await store.revision()).toBe(before + 3);
    });

    it('adds the backdated_imports column to a settings table made before it existed, keeping its rows', async () => {
      await store.putTenantSettings('legacy', { builtinCatalogs: null, openCodes: true, backdatedImports: true }, T0);
      await tamper('ALTER TABLE tenant_catalog_settings DROP COLUMN backdated_imports');
      const upgraded = await reopen();
      expect(await upgraded.getTenantSettings('legacy')).toEqual({ builtinCatalogs: null, openCodes: true, backdatedImports: false });
      await upgraded.putTenantSettings('legacy', { builtinCatalogs: null, openCodes: true, backdatedImports: true }, T0 + 2);
      expect((await store.getTenantSettings('legacy'))?.backdatedImports).toBe(true);
    });

    it('is seen by a second store on the same database, as another node would see it', async () => {
      const other = await reopen();
      expect((await other.getTenantCatalog('acme'))?.version).toBe(2);
      expect(await other.revision()).toBe(await store.revision());
      const next = await other.putTenantCatalog('acme', { catalog: 'acme', format: 'yaml', text: 'v: 3' }, T0 + 9);
      expect(next.stored.version).toBe(3);
    });

    it('refuses to change or delete a stored version', async () => {
      await expect(tamper("UPDATE tenant_catalogs SET text = 'forged' WHERE version = 1")).rejects.toThrow(/append-only/);
      await expect(tamper('DELETE FROM tenant_catalogs')).rejects.toThrow(/append-only/);
      expect((await store.getTenantCatalog('acme', 1))?.text).toBe('v: 1');
    });
  });
}
