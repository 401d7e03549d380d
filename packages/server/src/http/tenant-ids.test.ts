/**
 * The tenant-id rule (docs/decisions/0016-tenant-ids.md) wherever a tenant id enters: events, API keys, users,
 * catalogue and settings routes, query filters, log paths, TAMGA_CATALOG_DIR. Look-alikes of the system tenant
 * (`TAMGA`, `tamga.`) are refused with the field named; a tenant stored before the rule under an id it refuses stays
 * readable and verifiable after a restart, on both stores, and takes nothing new.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealRecord, uuidv7 } from '@tamga/core';
import type { RecordFields } from '@tamga/core';
import type { LightMyRequestResponse } from 'fastify';
import { hashApiKey } from '../auth/api-key-auth.js';
import { loadConfig } from '../config/tamga-config.js';
import type { JournalStore } from '../journal/journal-store.js';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { openAccessStore } from '../store/open-access-store.js';
import { createTamgaServer } from '../tamga-server.js';
import { pendingRecord, tempDir } from '../test-support/fixtures.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../test-support/postgres.js';
import { startTestServer, TEST_API_KEY } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

const LOOKALIKES = ['TAMGA', 'tamga.', 'Tamga', 'tamga-', 'DEFAULT'];

function expectRefused(r: LightMyRequestResponse, field: string, what: string): void {
  expect(r.statusCode, `${what}: ${r.body}`).toBe(400);
  expect(r.headers['content-type'], what).toContain('application/problem+json');
  expect(r.json(), what).toMatchObject({ code: 'VALIDATION_FAILED', field });
}

describe('tenant ids where they enter', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    expect((await t.request({ method: 'POST', url: '/api/v1/events', payload: { event: 2001, tenantId: 'acme' } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses look-alikes of the system and default tenants as an event tenantId, storing nothing', async () => {
    const before = await t.server.journal.store.countRecords({});
    for (const tenantId of LOOKALIKES) {
      const r = await t.request({ method: 'POST', url: '/api/v1/events', payload: [{ event: 2001, tenantId: 'acme' }, { event: 2001, tenantId }] });
      expectRefused(r, 'tenantId', tenantId);
      expect(r.json().index).toBe(1);
      expect(r.json().detail).toMatch(/looks like the reserved tenant id "(tamga|default)"/);
    }
    const r = await t.request({ method: 'POST', url: '/api/v1/events', payload: { event: 2001, tenantId: 'Acme' } });
    expect(r.json().detail).toContain('did you mean "acme"?');
    expect(await t.server.journal.store.countRecords({})).toBe(before);
  });

  it('refuses them in API keys, users, catalogue and settings routes, filters and log paths', async () => {
    for (const id of LOOKALIKES) {
      const enc = encodeURIComponent(id);
      expectRefused(await t.request({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'k', scopes: ['read'], tenants: [id] } }), 'tenants', id);
      expectRefused(
        await t.request({ method: 'POST', url: '/api/v1/users', payload: { login: 'u1', password: 'long enough password', roles: ['tenant-auditor'], tenants: [id] } }),
        'tenants',
        id,
      );
      expectRefused(await t.request({ method: 'PUT', url: `/api/v1/tenants/${enc}/settings`, payload: { openCodes: true } }), 'tenant', id);
      expectRefused(await t.request({ method: 'GET', url: `/api/v1/tenants/${enc}/settings` }), 'tenant', id);
      expectRefused(
        await t.request({ method: 'PUT', url: `/api/v1/tenants/${enc}/catalog`, payload: 'catalog: x', headers: { 'content-type': 'application/yaml' } }),
        'tenant',
        id,
      );
      expectRefused(await t.request({ method: 'GET', url: `/api/v1/events?tenantId=${enc}` }), 'tenantId', id);
      expectRefused(await t.request({ method: 'GET', url: `/api/v1/events/stats?not.tenantId=${enc}` }), 'not.tenantId', id);
      expectRefused(await t.request({ method: 'GET', url: `/api/v1/catalog?tenantId=${enc}` }), 'tenantId', id);
      expectRefused(await t.request({ method: 'GET', url: `/api/v1/logs/${enc}/checkpoint` }), 'tenant', id);
      expectRefused(await t.request({ method: 'GET', url: `/api/v1/logs/${enc}/export` }), 'tenant', id);
    }
    expect((await t.request({ method: 'GET', url: '/api/v1/events?tenantId=acme,default,tamga' })).statusCode).toBe(200);
  });

  it('refuses a TAMGA_CATALOG_DIR file named after a look-alike, naming the file', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'TAMGA.yaml'), 'catalog: x\n');
      await expect(startTestServer({ env: { TAMGA_CATALOG_DIR: dir.path } })).rejects.toMatchObject({
        code: 'CATALOG_INVALID',
        message: expect.stringContaining('TAMGA.yaml:?: the file name must be <tenant id>.json|.yaml|.yml: "TAMGA" is not a tenant id: it looks like the reserved tenant id "tamga"') as unknown,
      });
    } finally {
      dir.remove();
    }
  });
});

interface Backend {
  readonly name: string;
  open(): Promise<JournalStore>;
  reopen(first: JournalStore): Promise<JournalStore>;
  drop(store: JournalStore): Promise<void>;
}

const PG_URL = await findTestDatabase();
const files = tempDir();
const backends: Backend[] = [
  {
    name: 'SQLite',
    open: async () => new SqliteJournalStore({ path: join(files.path, 'legacy.sqlite') }),
    reopen: async () => new SqliteJournalStore({ path: join(files.path, 'legacy.sqlite') }),
    drop: async () => undefined,
  },
];
if (PG_URL !== undefined) {
  const schema = testSchemaName('tamga_tenant_ids');
  backends.push({
    name: 'PostgreSQL',
    open: () => PostgresJournalStore.connect({ url: PG_URL, schema }),
    reopen: () => PostgresJournalStore.connect({ url: PG_URL, schema }),
    drop: async (store) => (store as PostgresJournalStore).dropSchema(),
  });
} else {
  reportMissingPostgres('the tenant-id rule on PostgreSQL');
}
afterAll(() => files.remove());

for (const backend of backends) {
  describe(`a tenant stored before the rule under "Acme" (${backend.name})`, () => {
    const dataDir = join(files.path, backend.name);
    const readerKey = 'tmg_legacy_reader_0123456789abcdefghijklmnopqrstuvwx';
    let server: Awaited<ReturnType<typeof createTamgaServer>>;
    const request = (method: 'GET' | 'POST', url: string, payload?: unknown, key = TEST_API_KEY) =>
      server.http.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as object }) });

    beforeAll(async () => {
      mkdirSync(dataDir, { recursive: true });
      const config = loadConfig({ TAMGA_DATA_DIR: dataDir, TAMGA_ADMIN_API_KEY: TEST_API_KEY, TAMGA_NODE_ID: 'old-node' });
      // An earlier Tamga stored records, and an API key scoped to the tenant, under an id the rule now refuses.
      const first = await createTamgaServer(config, { store: await backend.open(), checkpointDelayMs: 20 });
      const key = first.journal.keys.activeHmacKey;
      await first.journal.store.append(
        [0, 1, 2].map((n) => pendingRecord({ tenantId: 'Acme', userId: `u${n}`, createdAt: Date.now() * 1000, apiCreatedAt: Date.now() * 1000 })),
        { sigKid: key.kid, originFor: (tenantId) => first.journal.originFor(tenantId), seal: (fields: RecordFields) => sealRecord(fields, key.secret) },
      );
      const access = await openAccessStore(first.journal.store);
      await access.createApiKey({
        id: uuidv7(),
        name: 'legacy reader',
        keyHash: hashApiKey(readerKey),
        scopes: ['read'],
        tenants: ['Acme'],
        createdBy: 'test',
        createdAt: Date.now(),
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
      });
      await first.checkpointer.signPending();
      await first.close();
      server = await createTamgaServer(config, { store: await backend.reopen(first.journal.store), checkpointDelayMs: 20 });
    });
    afterAll(async () => {
      await backend.drop(server.journal.store);
      await server.close();
    });

    it('is listed as stored before the rule', () => {
      expect(server.journal.tenantIds.legacy).toEqual(['Acme']);
    });

    it('stays readable, checkable and verifiable under its exact id, also by the key scoped to it', async () => {
      for (const key of [TEST_API_KEY, readerKey]) {
        const items = (await request('GET', '/api/v1/events?tenantId=Acme&from=2000-01-01T00:00:00Z', undefined, key)).json().items;
        expect(items.map((i: { userId: string; integrity: string }) => [i.userId, i.integrity]).sort()).toEqual([
          ['u0', 'valid'],
          ['u1', 'valid'],
          ['u2', 'valid'],
        ]);
      }
      expect((await request('GET', '/api/v1/logs/Acme/checkpoint')).statusCode).toBe(200);
      const verified = (await request('GET', '/api/v1/logs/Acme/verify')).json();
      expect(verified).toMatchObject({ status: 'valid' });
      expect((await request('GET', '/api/v1/logs/Acme/export')).body.split('\n').filter((l) => l.includes('"seq"')).length).toBeGreaterThanOrEqual(3);
      expect((await request('POST', '/api/v1/api-keys', { name: 'another reader', scopes: ['read'], tenants: ['Acme'] })).statusCode).toBe(201);
    });

    it('takes no new events, and says where they go instead', async () => {
      const r = await request('POST', '/api/v1/events', { event: 2001, tenantId: 'Acme' });
      expectRefused(r, 'tenantId', 'Acme');
      expect(r.json().detail).toContain('stays readable and verifiable but takes nothing new; store new data under "acme"');
      expectRefused(await request('POST', '/api/v1/events', { event: 2001, tenantId: 'ACME' }), 'tenantId', 'ACME');
      expect((await request('POST', '/api/v1/events', { event: 2001, tenantId: 'acme' })).statusCode).toBe(201);
      expect((await server.journal.store.getLog('Acme'))?.size).toBe(3);
    });
  });
}
