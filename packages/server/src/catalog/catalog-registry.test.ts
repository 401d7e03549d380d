import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCatalogStore } from '../store/sqlite/sqlite-catalog-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { tempDir } from '../test-support/fixtures.js';
import { CatalogRegistry } from './catalog-registry.js';
import { loadBuiltinCatalogDocuments } from './load-builtin-catalogs.js';

const dir = tempDir();
const stores: SqliteJournalStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  dir.remove();
});

const builtins = loadBuiltinCatalogDocuments();
async function node(): Promise<CatalogRegistry> {
  const journal = new SqliteJournalStore({ path: join(dir.path, 'shared.sqlite') });
  stores.push(journal);
  return CatalogRegistry.open({ builtins, store: new SqliteCatalogStore(journal) });
}

const acme = `catalog: acme
version: 1
title: { en: A, ru: А }
codeRange: [50000, 50999]
entries:
  - { code: 50000, name: WidgetMade, description: { en: w, ru: в }, classifiedEvent: 1 }
`;

describe('CatalogRegistry', () => {
  it('resolves every tenant without a catalogue or settings through one shared view', async () => {
    const registry = await node();
    expect(registry.forTenant('a')).toBe(registry.forTenant(null));
    expect(registry.forTenant('a').set.byCode(2001)?.name).toBe('Login');
    expect(registry.forTenant('a').catalogVersionOf(registry.forTenant('a').set.byCode(2001)!)).toBe('ai-server@1');
  });

  it('sees a change made by another node on refresh, not before', async () => {
    const a = await node();
    const b = await node();
    await a.putTenantCatalog('acme', acme, 'yaml', 'acme.yaml');
    expect(a.forTenant('acme').set.byCode(50000)?.name).toBe('WidgetMade');
    expect(b.forTenant('acme').set.byCode(50000)).toBeUndefined();
    await b.refresh();
    expect(b.forTenant('acme').set.byCode(50000)?.name).toBe('WidgetMade');
    expect(b.forTenant('acme').catalogs).toEqual(['acme', 'ai-server', 'asset-server', 'platform-security', 'tamga']);
  });

  it('polls for changes when asked to', async () => {
    const a = await node();
    const b = await node();
    b.startRefreshing(10, (e) => {
      throw e;
    });
    await a.putTenantSettings('polled', { builtinCatalogs: ['tamga'], openCodes: true, backdatedImports: false });
    await expect.poll(() => b.forTenant('polled').openCodes, { timeout: 2_000 }).toBe(true);
    await b.stop();
  });
});
