/**
 * Two nodes on one PostgreSQL schema (issue #14, part 1), in one process but with nothing shared except the
 * database and the key directory: each node's live stream, long polls and catalogues follow the other's changes
 * (LISTEN/NOTIFY), a change signalled by nobody is still found (the catch-up read), and nothing is delivered twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { createApiKey, createUserAndSignIn, GOOD_PASSWORD } from '../test-support/access-helpers.js';
import { tempDir } from '../test-support/fixtures.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../test-support/postgres.js';
import { openSse } from '../test-support/sse-collector.js';
import { startTestServer, TEST_API_KEY } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { Journal } from '../journal/journal.js';

const PG_URL = await findTestDatabase();

if (PG_URL === undefined) {
  reportMissingPostgres('two nodes on one PostgreSQL');
} else {
  describe('two nodes on one PostgreSQL schema', () => {
    const schema = testSchemaName('tamga_feed');
    const keys = tempDir('tamga-feed-keys-');
    let a: TestServer;
    let b: TestServer;
    let urlA = '';
    let urlB = '';
    const node = async (id: string): Promise<TestServer> =>
      startTestServer({
        store: await PostgresJournalStore.connect({ url: PG_URL, schema }),
        now: Date.now,
        env: { TAMGA_NODE_ID: id, TAMGA_KEYS_DIR: keys.path, TAMGA_INGEST_BURST: '100', TAMGA_INGEST_RATE: '1' },
      });
    beforeAll(async () => {
      a = await node('node-a');
      b = await node('node-b');
      urlA = await a.server.http.listen({ host: '127.0.0.1', port: 0 });
      urlB = await b.server.http.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => {
      await b?.close();
      if (a?.server.journal.store instanceof PostgresJournalStore) await a.server.journal.store.dropSchema();
      await a?.close();
      keys.remove();
    });

    const post = (ts: TestServer, events: unknown[]) => ts.request({ method: 'POST', url: '/api/v1/events', payload: events as object });

    it("streams every record of both nodes once, in log order, on each node", async () => {
      const streams = [await openSse(`${urlA}/api/v1/events/stream?tenantId=feed`, TEST_API_KEY), await openSse(`${urlB}/api/v1/events/stream?tenantId=feed`, TEST_API_KEY)];
      await new Promise((r) => setTimeout(r, 100));
      const batches = Array.from({ length: 40 }, (_, i) => Array.from({ length: 5 }, (_, j) => ({ event: 2001, tenantId: 'feed', text: `b${i}e${j}` })));
      const answers = await Promise.all(batches.map((batch, i) => post(i % 2 === 0 ? a : b, batch)));
      expect(answers.every((r) => r.statusCode === 201)).toBe(true);
      const ids = answers.flatMap((r) => r.json<{ items: { id: string }[] }>().items.map((e) => e.id));
      for (const stream of streams) {
        await stream.waitFor(200, 5_000);
        await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive by now
        stream.close();
        expect(stream.records.map((r) => r.id).sort()).toEqual([...ids].sort());
        expect(stream.records.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
        expect(stream.records.every((r) => r.validSignature === true)).toBe(true);
      }
    });

    it('resumes a stream on the other node from its Last-Event-ID: what both nodes appended meanwhile, once', async () => {
      const first = await openSse(`${urlA}/api/v1/events/stream?userId=roamer`, TEST_API_KEY);
      await new Promise((r) => setTimeout(r, 100));
      await post(b, [{ event: 2001, userId: 'roamer', tenantId: 'roam-1', text: 'seen' }]);
      await first.waitFor(1, 5_000);
      const cursor = first.lastId();
      first.close();
      await first.ended;
      // While away, both nodes append to two tenants' logs (one of them new).
      await post(a, [{ event: 2001, userId: 'roamer', tenantId: 'roam-1', text: 'a1' }]);
      await post(b, [{ event: 2001, userId: 'roamer', tenantId: 'roam-2', text: 'b1' }]);
      await post(a, [{ event: 2001, userId: 'roamer', tenantId: 'roam-2', text: 'a2' }]);
      // Reconnecting reaches the other node, as behind a load balancer.
      const second = await openSse(`${urlB}/api/v1/events/stream?userId=roamer`, TEST_API_KEY, cursor);
      await second.waitFor(3, 5_000);
      await post(a, [{ event: 2001, userId: 'roamer', tenantId: 'roam-1', text: 'live' }]);
      await second.waitFor(4, 5_000);
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive by now
      second.close();
      const texts = second.records.map((r) => r.text);
      expect(texts.slice(0, 3).sort()).toEqual(['a1', 'a2', 'b1']);
      expect(texts.slice(3)).toEqual(['live']);
    });

    it('wakes a long poll on one node by an append on the other within 200 ms', async () => {
      await post(a, [{ eventName: 'OBJECT_DELETE', tenantId: 'polled' }]);
      const polling = b.request({ method: 'GET', url: '/api/v1/event/poll/1?tenantId=polled&timeout=10' });
      await new Promise((r) => setTimeout(r, 300));
      await post(a, [{ eventName: 'OBJECT_DELETE', tenantId: 'polled' }]);
      const committedAt = performance.now();
      const answer = await polling;
      expect(performance.now() - committedAt).toBeLessThan(200);
      expect(answer.json<{ event: { _id: number } }[]>().map((e) => e.event._id)).toEqual([2]);
    });

    it('finds an append nobody signalled by its catch-up read, and sends it once', async () => {
      const stream = await openSse(`${urlB}/api/v1/events/stream?tenantId=quiet`, TEST_API_KEY);
      await new Promise((r) => setTimeout(r, 100));
      // A third writer without signals: as a node killed between its commit and its NOTIFY.
      const store = await PostgresJournalStore.connect({ url: PG_URL, schema });
      try {
        const silent = new Journal({ store, catalog: a.server.journal.catalog, keys: a.server.journal.keys, nodeId: 'silent', originPrefix: a.server.journal.originPrefix });
        const [stored] = await silent.append([{ event: 2001, tenantId: 'quiet', text: 'unsignalled' }]);
        const started = performance.now();
        await stream.waitFor(1, 4_000);
        expect(performance.now() - started).toBeLessThan(2_500);
        // The next signalled append is sent after it, and the silent one is not sent again.
        await post(a, [{ event: 2001, tenantId: 'quiet', text: 'signalled' }]);
        await stream.waitFor(2, 2_000);
        await new Promise((r) => setTimeout(r, 2_200));
        stream.close();
        expect(stream.records.map((r) => [r.id === stored!.id, r.seq, r.text])).toEqual([
          [true, 0, 'unsignalled'],
          [false, 1, 'signalled'],
        ]);
      } finally {
        await store.close();
      }
    });

    it("applies a tenant's settings changed on one node on the other within 1 s", async () => {
      expect((await post(b, [{ event: 2001, tenantId: 'narrowed' }])).statusCode).toBe(201);
      const put = await a.request({ method: 'PUT', url: '/api/v1/tenants/narrowed/settings', payload: { builtinCatalogs: ['asset-server'] } });
      expect(put.statusCode).toBe(200);
      const changedAt = performance.now();
      let refused = false;
      while (!refused && performance.now() - changedAt < 1_000) {
        refused = (await post(b, [{ event: 2001, tenantId: 'narrowed' }])).json<{ code?: string }>().code === 'UNKNOWN_EVENT_CODE';
        if (!refused) await new Promise((r) => setTimeout(r, 20));
      }
      expect(refused, 'node B refuses a code the new settings disabled within 1 s').toBe(true);
    });
    /** Polls `check` until it holds or `ms` passed; returns the time it took. */
    const within = async (ms: number, check: () => Promise<boolean>): Promise<number> => {
      const started = performance.now();
      while (!(await check())) {
        if (performance.now() - started > ms) throw new Error(`not within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return performance.now() - started;
    };

    it('refuses on node B a key revoked on node A at once, and ends its open stream on B within 1 s', async () => {
      const { id, key } = await createApiKey(a, { name: 'reader', scopes: ['read', 'ingest'] });
      const asKey = { authorization: `Bearer ${key}` };
      expect((await b.request({ method: 'GET', url: '/api/v1/events?tenantId=feed&limit=1', headers: asKey })).statusCode).toBe(200);
      const stream = await openSse(`${urlB}/api/v1/events/stream?tenantId=feed`, key);
      await new Promise((r) => setTimeout(r, 100));
      expect((await a.request({ method: 'DELETE', url: `/api/v1/api-keys/${id}` })).statusCode).toBe(204);
      const refusedIn = await within(1_000, async () => (await b.request({ method: 'GET', url: '/api/v1/events?tenantId=feed&limit=1', headers: asKey })).statusCode === 401);
      expect(refusedIn).toBeLessThan(1_000);
      const ended = await Promise.race([stream.ended.then(() => true), new Promise((r) => setTimeout(() => r(false), 1_000))]);
      expect(ended, "B's open stream of the revoked key ended within 1 s").toBe(true);
    });

    it("ends on node B a session of a user disabled on node A, and a role change takes effect there", async () => {
      const session = await createUserAndSignIn(b, { login: 'olga', roles: ['auditor'] });
      const read = () => session.request({ method: 'GET', url: '/api/v1/events?tenantId=feed&limit=1' });
      const seen = async (): Promise<number> => (await read()).json<{ items: unknown[] }>().items.length;
      await post(a, [{ event: 2001, tenantId: 'feed' }]);
      expect(await seen()).toBe(1);
      // Now a tenant auditor of another tenant: the records of "feed" are out of sight.
      expect((await a.request({ method: 'PATCH', url: '/api/v1/users/olga', payload: { roles: ['tenant-auditor'], tenants: ['elsewhere'] } })).statusCode).toBe(200);
      await within(1_000, async () => (await seen()) === 0);
      expect((await a.request({ method: 'PATCH', url: '/api/v1/users/olga', payload: { enabled: false } })).statusCode).toBe(200);
      await within(1_000, async () => (await read()).statusCode === 401);
    });
    it('holds an ingest limit for the cluster, not once per node', async () => {
      const { key } = await createApiKey(a, { name: 'producer', scopes: ['ingest'] });
      const batch = Array.from({ length: 60 }, () => ({ event: 2001, tenantId: 'limited' }));
      const send = (ts: TestServer) => ts.request({ method: 'POST', url: '/api/v1/events', payload: batch, headers: { authorization: `Bearer ${key}` } });
      expect((await send(a)).statusCode).toBe(201);
      // 60 of the burst of 100 are spent on node A: node B has only what is left.
      const refused = await send(b);
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('locks an account after five failed sign-ins spread over both nodes', async () => {
      expect((await a.request({ method: 'POST', url: '/api/v1/users', payload: { login: 'spread', password: GOOD_PASSWORD, roles: ['auditor'], mustChangePassword: false } })).statusCode).toBe(201);
      const signIn = (ts: TestServer, password: string) =>
        ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'spread', password }, remoteAddress: '198.51.100.7' });
      for (let i = 0; i < 5; i++) expect((await signIn(i % 2 === 0 ? a : b, `wrong ${i}`)).json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect((await signIn(b, GOOD_PASSWORD)).json()).toMatchObject({ code: 'ACCOUNT_LOCKED' });
      expect((await signIn(a, GOOD_PASSWORD)).json()).toMatchObject({ code: 'ACCOUNT_LOCKED' });
    });
    it('signs with a key rotated on node A on node B too, and B verifies what A signed with it', async () => {
      const rotated = await a.request({ method: 'POST', url: '/api/v1/keys/rotate', payload: { type: 'hmac' } });
      expect(rotated.statusCode).toBe(200);
      const kid = rotated.json<{ id: string }>().id;
      // Signed by A with the new key, read through B at once (before or after B heard of the rotation).
      const fromA = (await post(a, [{ event: 2001, tenantId: 'rotated' }])).json<{ items: { id: string; sigKid: string }[] }>().items[0]!;
      expect(fromA.sigKid).toBe(kid);
      const read = await b.request({ method: 'GET', url: `/api/v1/events/${fromA.id}` });
      expect(read.json()).toMatchObject({ sigKid: kid, validSignature: true });
      await within(1_000, async () => (await post(b, [{ event: 2001, tenantId: 'rotated' }])).json<{ items: { sigKid: string }[] }>().items[0]!.sigKid === kid);
    });
  });
}
