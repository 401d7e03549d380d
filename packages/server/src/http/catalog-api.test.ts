import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogProblem, ValidationError } from '@tamga/core';
import { loadConfig } from '../config/tamga-config.js';
import { createTamgaServer } from '../tamga-server.js';
import { tempDir } from '../test-support/fixtures.js';
import { startTestServer, TEST_NOW_MS } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

/** Code/name pairs literally listed in seeds 000, 001 and 004 (see core/src/catalog/testdata/extract-seed-pairs.mjs). */
const seedPairs = JSON.parse(
  readFileSync(new URL('../../../core/src/catalog/testdata/seed-code-names.json', import.meta.url), 'utf8'),
) as { code: number | null; name: string; seed: string }[];

const acmeCatalog = (name: string, extra = ''): string => `# ACME's own events
catalog: acme
version: 1
title: { en: ACME events, ru: События ACME }
codeRange: [50000, 50999]
domains:
  widgets: { en: Widgets, ru: Виджеты }
entries:
  - code: 50000
    name: ${name}
    domain: widgets
    description: { en: A widget was made., ru: Изготовлен виджет. }
    classifiedEvent: 1
${extra}`;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const get = (url: string, headers: Record<string, string> = {}) => t.request({ method: 'GET', url, headers });
const post = (payload: unknown) => t.request({ method: 'POST', url: '/api/v1/events', payload: payload as string });
const putCatalog = (tenant: string, text: string, type = 'application/yaml') =>
  t.request({ method: 'PUT', url: `/api/v1/tenants/${tenant}/catalog`, payload: text, headers: { 'content-type': type } });
const putSettings = (tenant: string, settings: unknown) =>
  t.request({ method: 'PUT', url: `/api/v1/tenants/${tenant}/settings`, payload: settings as string });
const stored = async (id: string): Promise<Record<string, unknown>> => (await get(`/api/v1/events/${id}`)).json();

describe('GET /api/v1/catalog', () => {
  it('lists every code and name of seeds 000, 001 and 004 with its description', async () => {
    const res = await get('/api/v1/catalog');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { code: number; name: string; description: string; descriptions: { en: string; ru: string }; seedCode?: number }[];
    const byName = new Map(items.map((i) => [i.name, i]));
    for (const pair of seedPairs) {
      const item = byName.get(pair.name);
      expect(item, `${pair.seed} ${pair.name}`).toBeDefined();
      // 004 names carry Tamga's codes; the renumbered 15800 keeps its seed code (docs/decisions/0002).
      if (pair.code !== null && pair.seed !== '004') expect(item!.seedCode ?? item!.code, pair.name).toBe(pair.code);
      expect(item!.description.length, pair.name).toBeGreaterThan(0);
      expect(item!.descriptions.ru.length, pair.name).toBeGreaterThan(0);
    }
  });

  it('gives the fields the journal page reads, localized by Accept-Language', async () => {
    const en = (await get('/api/v1/catalog?catalog=ai-server')).json().items.find((i: { code: number }) => i.code === 2001);
    expect(en).toMatchObject({
      code: 2001,
      name: 'Login',
      catalog: 'ai-server',
      catalogVersion: 'ai-server@1',
      domain: expect.any(String),
      domainTitle: 'Authorization',
      classifiedEvent: 3,
      severity: expect.any(Number),
      status: 'active',
      pollable: true,
    });
    const res = await get('/api/v1/catalog/2001', { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' });
    expect(res.headers['content-language']).toBe('ru');
    expect(res.json().description).toBe(res.json().descriptions.ru);
    expect(res.json().description).not.toBe(en.description);
  });

  it('filters by catalog, domain, class and status', async () => {
    const items = (await get('/api/v1/catalog?catalog=asset-server&classifiedEvent=1&status=active')).json().items as {
      catalog: string;
      classifiedEvent: number;
    }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.catalog === 'asset-server' && i.classifiedEvent === 1)).toBe(true);
    const domain = (await get('/api/v1/catalog?domain=session')).json().items as { domain: string }[];
    expect(domain.length).toBeGreaterThan(0);
    expect(domain.every((i) => i.domain === 'session')).toBe(true);
  });

  it('finds one entry by code or name, and answers CATALOG_NOT_FOUND for neither', async () => {
    expect((await get('/api/v1/catalog/USER_LOGIN')).json()).toMatchObject({ catalog: 'asset-server', name: 'USER_LOGIN' });
    const res = await get('/api/v1/catalog/99999');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('CATALOG_NOT_FOUND');
  });
});

describe('ingest against the catalogues', () => {
  it('stores an event sent with only eventName USER_LOGIN under its code, with the catalogue version', async () => {
    const res = await post({ eventName: 'USER_LOGIN', userId: 'alice' });
    expect(res.statusCode).toBe(201);
    const code = (await get('/api/v1/catalog/USER_LOGIN')).json().code as number;
    expect(await stored(res.json().items[0].id)).toMatchObject({ event: code, eventName: 'USER_LOGIN', catalogVersion: 'asset-server@1', validSignature: true });
  });

  it('refuses an unknown code, naming it', async () => {
    const res = await post({ event: 12345 });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'UNKNOWN_EVENT_CODE', field: 'event', eventCode: 12345 });
    expect(res.json().detail).toContain('12345');
  });
});

describe('tenant catalogues', () => {
  let first: string;

  it('registers a YAML catalogue, journals the change, and accepts its codes for that tenant only', async () => {
    const put = await putCatalog('acme', acmeCatalog('WidgetMade'));
    expect(put.statusCode).toBe(201);
    expect(put.json()).toMatchObject({ tenantId: 'acme', catalog: 'acme', version: 1, changed: true, entries: 1 });
    expect((await putCatalog('acme', acmeCatalog('WidgetMade'))).json()).toMatchObject({ version: 1, changed: false });

    const ok = await post({ event: 50000, tenantId: 'acme' });
    expect(ok.statusCode).toBe(201);
    first = ok.json().items[0].id;
    expect(await stored(first)).toMatchObject({ eventName: 'WidgetMade', catalogVersion: 'acme@1', validSignature: true });
    // Built-ins still resolve for acme.
    expect((await post({ event: 2001, tenantId: 'acme' })).statusCode).toBe(201);

    const other = await post({ event: 50000, tenantId: 'globex' });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('UNKNOWN_EVENT_CODE');

    const changes = (await get('/api/v1/events?tenantId=tamga&event=32011')).json().items;
    expect(changes[0]).toMatchObject({ eventName: 'CatalogChanged', userId: 'bootstrap-admin', entityData: { change: 'catalog', tenantId: 'acme', version: 1 } });
    expect((await get('/api/v1/catalog?tenantId=acme&catalog=acme')).json().items).toEqual([
      expect.objectContaining({ code: 50000, tenantId: 'acme', catalogVersion: 'acme@1', domainTitle: 'Widgets' }),
    ]);
  });

  it('keeps old records as they were when a new version renames an entry', async () => {
    const put = await putCatalog('acme', JSON.stringify(yamlAsJson("WidgetCreated")), 'application/json');
    expect(put.json()).toMatchObject({ version: 2, previousVersion: 1, changed: true });
    const next = (await post({ event: 50000, tenantId: 'acme' })).json().items[0].id as string;
    expect(await stored(next)).toMatchObject({ eventName: 'WidgetCreated', catalogVersion: 'acme@2', validSignature: true });
    expect(await stored(first)).toMatchObject({ eventName: 'WidgetMade', catalogVersion: 'acme@1', validSignature: true, integrity: 'valid' });

    const v1 = (await get('/api/v1/tenants/acme/catalog?version=1')).json();
    expect(v1).toMatchObject({ version: 1, current: false, format: 'yaml' });
    expect(v1.text).toContain('# ACME');
    expect((await get('/api/v1/tenants/acme/catalog')).json()).toMatchObject({ version: 2, current: true, format: 'json' });
    expect((await get('/api/v1/tenants/globex/catalog')).json().code).toBe('CATALOG_NOT_FOUND');
  });

  it('refuses a catalogue with duplicate codes, a missing name and a bad class, listing every problem with its line', async () => {
    const bad = acmeCatalog(
      'WidgetMade',
      `  - code: 50000
    name: WidgetAgain
    description: { en: again, ru: снова }
    classifiedEvent: 1
  - code: 50001
    description: { en: nameless, ru: безымянный }
    classifiedEvent: 7
`,
    );
    const res = await putCatalog('acme', bad);
    expect(res.statusCode).toBe(422);
    const problems = res.json().problems as CatalogProblem[];
    expect(problems.map((p) => [p.line, p.path])).toEqual([
      [14, 'entries[1].code'],
      [18, 'entries[2].name'],
      [20, 'entries[2].classifiedEvent'],
    ]);
    expect((await putCatalog('acme', 'catalog: [unclosed')).json().code).toBe('CATALOG_INVALID');
    expect((await get('/api/v1/tenants/acme/catalog')).json().version).toBe(2);
  });

  it('refuses a catalogue repeating seed code 15800 under another name (a conflict with ai-server)', async () => {
    const text = acmeCatalog('WidgetMade').replace('codeRange: [50000, 50999]', 'codeRange: [15800, 50999]') +
      `  - code: 15800
    name: TrainProcessTimeout
    description: { en: timeout, ru: тайм-аут }
    classifiedEvent: 2
`;
    const res = await putCatalog('acme', text);
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('CATALOG_INVALID');
    expect((res.json().problems as CatalogProblem[]).map((p) => [p.line, p.path])).toEqual([
      [14, 'entries[1].code'],
      [14, 'entries[1].name'],
    ]);
    expect(res.json().detail).toContain('15800');
  });

  it('refuses a YAML alias bomb, a 40,000-key object and an oversize text with 422 CATALOG_INVALID naming the limit', async () => {
    const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) {
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = await putCatalog('acme', laughs.join('\n'));
    expect(bomb.statusCode).toBe(422);
    expect(bomb.json()).toMatchObject({ code: 'CATALOG_INVALID', limit: { aliases: 100 } });
    const keys = await putCatalog('acme', JSON.stringify(Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`k${i}`, i]))), 'application/json');
    expect(keys.statusCode).toBe(422);
    expect(keys.json().problems).toHaveLength(100);
    expect(keys.json().problemCount).toBe(40_005);
    const big = await putCatalog('acme', `catalog: acme\nnote: "${'x'.repeat(1024 * 1024)}"`);
    expect(big.json()).toMatchObject({ status: 422, code: 'CATALOG_INVALID', limit: { bytes: 1024 * 1024 } });
    expect((await get('/api/v1/tenants/acme/catalog')).json().version).toBe(2);
  });
});

describe('tenant settings', () => {
  it('stores codes in no catalogue as unregistered when the tenant opened its codes', async () => {
    const res = await putSettings('open', { openCodes: true });
    expect(res.json()).toMatchObject({ tenantId: 'open', openCodes: true, builtinCatalogs: ['ai-server', 'asset-server', 'platform-security', 'tamga'] });
    const ack = await post({ event: 12345, tenantId: 'open' });
    expect(ack.statusCode).toBe(201);
    const record = await stored(ack.json().items[0].id);
    expect(record).toMatchObject({ event: 12345, eventName: 'Unregistered(12345)', unregistered: true, validSignature: true });
    expect(record).not.toHaveProperty('catalogVersion');
    // Registered codes still resolve normally.
    expect(await stored((await post({ event: 2001, tenantId: 'open' })).json().items[0].id)).toMatchObject({ eventName: 'Login', catalogVersion: 'ai-server@1' });
    expect((await post({ event: 12345, eventName: 'Login', tenantId: 'open' })).json().code).toBe('EVENT_NAME_MISMATCH');
  });

  it('resolves only the built-ins a tenant enabled', async () => {
    await putSettings('assets-only', { builtinCatalogs: ['asset-server'] });
    expect((await post({ eventName: 'USER_LOGIN', tenantId: 'assets-only' })).statusCode).toBe(201);
    const refused = await post({ event: 2001, tenantId: 'assets-only' });
    expect(refused.json()).toMatchObject({ code: 'UNKNOWN_EVENT_CODE', eventCode: 2001 });
    expect((await putSettings('x', { builtinCatalogs: ['no-such'] })).json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'builtinCatalogs' });
  });

  it('refuses settings enabling a built-in the tenant catalogue conflicts with', async () => {
    await putSettings('solo', { builtinCatalogs: [] });
    const own = acmeCatalog('WidgetMade').replace('codeRange: [50000, 50999]', 'codeRange: [2001, 50999]') +
      `  - code: 2001
    name: SoloLogin
    description: { en: sign-in, ru: вход }
    classifiedEvent: 1
`;
    expect((await putCatalog('solo', own)).statusCode).toBe(201);
    const res = await putSettings('solo', { builtinCatalogs: ['ai-server'] });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('CATALOG_INVALID');
    expect((await get('/api/v1/tenants/solo/settings')).json().builtinCatalogs).toEqual([]);
  });

  it('keeps Tamga own tenant closed to changes', async () => {
    expect((await putSettings('tamga', { openCodes: true })).statusCode).toBe(403);
  });
});

describe('TAMGA_CATALOG_DIR', () => {
  it('registers <tenantId>.yaml files at start-up', async () => {
    const dir = tempDir();
    writeFileSync(join(dir.path, 'acme.yaml'), acmeCatalog('WidgetMade'));
    writeFileSync(join(dir.path, 'README.md'), 'ignored');
    const s = await startTestServer({ env: { TAMGA_CATALOG_DIR: dir.path } });
    try {
      const res = await s.request({ method: 'POST', url: '/api/v1/events', payload: { event: 50000, tenantId: 'acme' } });
      expect(res.statusCode).toBe(201);
    } finally {
      await s.close();
      dir.remove();
    }
  });

  it('refuses to start on bad files, listing every problem of every file', async () => {
    const dir = tempDir();
    const data = tempDir();
    writeFileSync(join(dir.path, 'acme.yaml'), acmeCatalog('WidgetMade').replace('classifiedEvent: 1', 'classifiedEvent: 9'));
    writeFileSync(join(dir.path, 'globex.json'), '{ "catalog": "globex", ');
    writeFileSync(join(dir.path, 'bad name!.yaml'), acmeCatalog('WidgetMade'));
    try {
      const config = loadConfig({ TAMGA_DATA_DIR: data.path, TAMGA_ADMIN_API_KEY: 'tmg_x', TAMGA_CATALOG_DIR: dir.path });
      const error = (await createTamgaServer(config, { now: () => TEST_NOW_MS }).then(
        () => undefined,
        (e: unknown) => e,
      )) as ValidationError;
      expect(error.code).toBe('CATALOG_INVALID');
      const problems = error.details['problems'] as CatalogProblem[];
      expect(problems.map((p) => p.source).sort()).toEqual(['acme.yaml', 'bad name!.yaml', 'globex.json']);
      expect(error.message).toContain('acme.yaml:13 entries[0].classifiedEvent');
    } finally {
      dir.remove();
      data.remove();
    }
  });
});

/** The YAML catalogue of {@link acmeCatalog} as a JSON value. */
function yamlAsJson(name: string): unknown {
  return {
    catalog: 'acme',
    version: 2,
    title: { en: 'ACME events', ru: 'События ACME' },
    codeRange: [50000, 50999],
    domains: { widgets: { en: 'Widgets', ru: 'Виджеты' } },
    entries: [
      { code: 50000, name, domain: 'widgets', description: { en: 'A widget was made.', ru: 'Изготовлен виджет.' }, classifiedEvent: 1 },
    ],
  };
}
