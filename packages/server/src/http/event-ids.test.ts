/**
 * Event ids over HTTP (issue #10 item 2, issue #16): an id belongs to one event of one tenant. A producer retrying
 * gets its stored result back; anyone reusing the id for another event, in another tenant or with other content,
 * gets 409 ID_CONFLICT, learns nothing of the other event, and has nothing of its batch stored. Both stores.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalStore } from '../journal/journal-store.js';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { createApiKey } from '../test-support/access-helpers.js';
import { randomSuffix, tempDir } from '../test-support/fixtures.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../test-support/postgres.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

const PG_URL = await findTestDatabase();
const files = tempDir();
afterAll(() => files.remove());

const backends: { name: string; open: () => Promise<JournalStore>; drop: (store: JournalStore) => Promise<void> }[] = [
  { name: 'SQLite', open: async () => new SqliteJournalStore({ path: join(files.path, `ids-${randomSuffix()}.sqlite`) }), drop: async () => undefined },
];
if (PG_URL !== undefined) {
  backends.push({
    name: 'PostgreSQL',
    open: () => PostgresJournalStore.connect({ url: PG_URL, schema: testSchemaName('tamga_ids') }),
    drop: (store) => (store as PostgresJournalStore).dropSchema(),
  });
} else {
  reportMissingPostgres('the PostgreSQL event-id HTTP tests');
}

for (const backend of backends) {
  describe(`event ids over HTTP (${backend.name})`, () => {
    async function setUp(): Promise<{ t: TestServer; post: (key: string, body: unknown) => ReturnType<TestServer['request']>; close: () => Promise<void> }> {
      const store = await backend.open();
      const t = await startTestServer({ store });
      return {
        t,
        post: (key, body) => t.request({ method: 'POST', url: '/api/v1/events', payload: body as object, headers: { authorization: `Bearer ${key}` } }),
        async close() {
          await backend.drop(store);
          await t.close();
        },
      };
    }

    it('an ingest key of one tenant cannot use an id of another tenant: 409 that reveals nothing, nothing stored', async () => {
      const { t, post, close } = await setUp();
      const victim = await createApiKey(t, { name: 'victim producer', scopes: ['ingest'], tenants: ['victim'] });
      const attacker = await createApiKey(t, { name: 'attacker producer', scopes: ['ingest'], tenants: ['attacker'] });
      const stored = await post(victim.key, { event: 2001, tenantId: 'victim', userId: 'ceo', text: 'approved the wire transfer' });
      expect(stored.statusCode).toBe(201);
      const [record] = stored.json().items as { id: string; seq: number; signature: string }[];

      // The attack of issue #10: the attacker's own event, sent with the victim's id.
      const own = { id: '01937d4e-8f2a-7c3b-9d4e-000000000001', event: 2001, tenantId: 'attacker', userId: 'eve' };
      const res = await post(attacker.key, [own, { id: record!.id, event: 2001, tenantId: 'attacker', userId: 'eve' }]);
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'ID_CONFLICT', field: 'id', index: 1 });
      for (const secret of ['victim', record!.signature, String(record!.seq) + ',', 'ceo', 'wire']) expect(res.body).not.toContain(secret);
      expect(res.body).not.toContain('duplicate');

      // Nothing of the attacker's batch was stored, and the victim's record is untouched.
      const all = (await t.request({ method: 'GET', url: '/api/v1/events?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=100' })).json().items as {
        id: string;
        tenantId: string | null;
      }[];
      expect(all.filter((r) => r.tenantId === 'attacker')).toEqual([]);
      expect((await t.request({ method: 'GET', url: `/api/v1/events/${own.id}` })).statusCode).toBe(404);
      const read = (await t.request({ method: 'GET', url: `/api/v1/events/${record!.id}` })).json();
      expect(read).toMatchObject({ tenantId: 'victim', seq: record!.seq, signature: record!.signature, userId: 'ceo', integrity: 'valid' });
      await close();
    });

    it('the same id with other content is 409 for every producer; the same body again is duplicate: true', async () => {
      const { t, post, close } = await setUp();
      const producer = await createApiKey(t, { name: 'asset puller', scopes: ['ingest'], tenants: ['assets'] });
      const body = { id: '01937d4e-8f2a-7c3b-9d4e-000000000002', eventName: 'USER_LOGIN', tenantId: 'assets', userId: 'anna', createdAt: '2026-11-22T09:00:00Z', entityData: { _id: 17 } };
      const first = await post(producer.key, body);
      expect(first.statusCode).toBe(201);
      const ack = first.json().items[0];

      const retry = await post(producer.key, body);
      expect(retry.statusCode).toBe(200);
      expect(retry.json().items).toEqual([{ ...ack, duplicate: true }]);

      // A restored source reusing the id for a newer event (issue #16): not silently dropped.
      const reused = await post(producer.key, { ...body, createdAt: '2026-11-22T09:05:00Z', entityData: { _id: 17, restored: true } });
      expect(reused.statusCode).toBe(409);
      expect(reused.json()).toMatchObject({ code: 'ID_CONFLICT', index: 0 });
      const admin = await post((await createApiKey(t, { name: 'admin', scopes: ['ingest'], tenants: null })).key, { ...body, userId: 'boris' });
      expect(admin.statusCode).toBe(409);
      await close();
    });

    it('a retry that left createdAt and the class to the server is still the same event after the clock moved', async () => {
      let now = Date.UTC(2026, 10, 22, 10, 0, 0);
      const store = await backend.open();
      const t = await startTestServer({ store, now: () => now });
      const body = { id: '01937d4e-8f2a-7c3b-9d4e-000000000003', event: 2001, userId: 'anna' };
      const first = await t.request({ method: 'POST', url: '/api/v1/events', payload: body });
      now += 90_000; // the SDK retries 90 s later: its body has no createdAt, so today's default differs
      const again = await t.request({ method: 'POST', url: '/api/v1/events', payload: body });
      expect(again.statusCode).toBe(200);
      expect(again.json().items[0]).toEqual({ ...first.json().items[0], duplicate: true });
      await backend.drop(store);
      await t.close();
    });
  });
}
