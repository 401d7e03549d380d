/**
 * PostgreSQL frozen, cut off or losing answers (issue #10 item 5), between the store and a real PostgreSQL through a
 * proxy on loopback that the test freezes (what a client sees of a SIGSTOPped server; the shared server itself is
 * never stopped). Every wait is bounded, and acknowledged means committed: a commit whose answer was lost is
 * acknowledged when it committed, and reported as of unknown outcome when that cannot be learned.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isTamgaError } from '@tamga/core';
import { FreezableProxy } from '../../test-support/freezable-proxy.js';
import { pendingRecord, testSealer } from '../../test-support/fixtures.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../../test-support/postgres.js';
import { startTestServer } from '../../test-support/test-server.js';
import { PostgresJournalStore } from './postgres-journal-store.js';

const url = await findTestDatabase();

/** Short timeouts so the tests are quick: statements 1 s (the client gives up 2 s later), connections 1 s. */
const TIMEOUTS = { statementTimeoutMillis: 1_000, connectionTimeoutMillis: 1_000 } as const;
/** What a caller may wait at most with these timeouts: the client's 3 s, a connection's 1 s, and slack for a loaded CI. */
const BOUND_MS = 6_500;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A store through a freezable proxy, and a direct one on the same schema to see what really was stored. */
async function setUp(): Promise<{ proxy: FreezableProxy; store: PostgresJournalStore; direct: PostgresJournalStore }> {
  const target = new URL(url!);
  const proxy = await FreezableProxy.start(target.hostname, Number(target.port || 5432));
  const schema = testSchemaName('tamga_outage');
  const direct = await PostgresJournalStore.connect({ url: url!, schema });
  const store = await PostgresJournalStore.connect({ url: proxy.url(url!), schema, ...TIMEOUTS });
  cleanups.push(async () => {
    await direct.dropSchema();
    await direct.close();
  });
  cleanups.push(async () => {
    proxy.thaw();
    await store.close();
    await proxy.close();
  });
  return { proxy, store, direct };
}

/** The error code a promise rejects with, and how long it took. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; ms: number }> {
  const t0 = Date.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { code: isTamgaError(error) ? error.code : String(error), ms: Date.now() - t0 };
}

/** Waits until `check` holds (PostgreSQL processes what a thawed proxy delivers at its own pace). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('never happened');
}

if (url === undefined) {
  reportMissingPostgres('the PostgreSQL outage tests');
} else {
  describe('PostgresJournalStore with the database frozen or cut off', () => {
    it('answers an append with STORE_UNAVAILABLE within the bound, and stores nothing of it', async () => {
      const { proxy, store, direct } = await setUp();
      await store.append([pendingRecord({ tenantId: 'outage' })], testSealer());
      proxy.freeze();
      const record = pendingRecord({ tenantId: 'outage' });
      const { code, ms } = await failure(store.append([record], testSealer()));
      expect(code).toBe('STORE_UNAVAILABLE');
      expect(ms).toBeLessThan(BOUND_MS);
      proxy.thaw();
      // What the server gets on thaw (the statements, then the closed connection) rolls back.
      await eventually(async () => (await direct.getLog('outage'))?.size === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await direct.getRecord(record.id)).toBeUndefined();
      expect((await store.append([record], testSealer()))[0]).toMatchObject({ seq: 1, duplicate: false });
    });

    it('is not ready within 2 s', async () => {
      const { proxy, store } = await setUp();
      await store.checkReady();
      proxy.freeze();
      const { code, ms } = await failure(store.checkReady());
      expect(code).toBe('STORE_UNAVAILABLE');
      expect(ms).toBeLessThan(2_500);
      proxy.thaw();
      await store.checkReady();
    });

    it('acknowledges a batch whose COMMIT answer was lost, once the database says it committed', async () => {
      const { proxy, store, direct } = await setUp();
      proxy.when('COMMIT', 'lose-answers');
      const record = pendingRecord({ tenantId: 'lost-answer' });
      const t0 = Date.now();
      const [result] = await store.append([record], testSealer());
      expect(Date.now() - t0).toBeLessThan(BOUND_MS);
      expect(result).toMatchObject({ id: record.id, seq: 0, duplicate: false });
      expect((await direct.getRecord(record.id))?.signature).toBe(result!.signature);
    });

    it('says the outcome is unknown when the database stops right after COMMIT reached it; a retry then finds the batch', async () => {
      const { proxy, store, direct } = await setUp();
      await store.append([pendingRecord({ tenantId: 'unknown' })], testSealer());
      proxy.when('COMMIT', 'freeze');
      const batch = [pendingRecord({ tenantId: 'unknown' }), pendingRecord({ tenantId: 'unknown' })];
      const { code, ms } = await failure(store.append(batch, testSealer()));
      expect(code).toBe('STORE_OUTCOME_UNKNOWN');
      expect(ms).toBeLessThan(BOUND_MS + 1_000);
      proxy.thaw();
      await eventually(async () => (await direct.getRecord(batch[1]!.id)) !== undefined);
      const retried = await store.append(batch, testSealer());
      expect(retried.map((r) => [r.seq, r.duplicate])).toEqual([
        [1, true],
        [2, true],
      ]);
    });

    it('answers STORE_UNAVAILABLE when the connection drops in the middle of an append, and goes on serving', async () => {
      const { proxy, store, direct } = await setUp();
      await store.append([pendingRecord({ tenantId: 'cut' })], testSealer());
      // The records' INSERT names its prepared statement: cut the connection as it is sent.
      proxy.when('tamga_insert_records', 'cut');
      const record = pendingRecord({ tenantId: 'cut' });
      const { code } = await failure(store.append([record], testSealer()));
      expect(code).toBe('STORE_UNAVAILABLE');
      expect(await direct.getRecord(record.id)).toBeUndefined();
      expect((await store.append([record], testSealer()))[0]).toMatchObject({ seq: 1, duplicate: false });
    });
  });

  describe('the HTTP API with the database frozen', () => {
    it('answers /readyz and appends with 503 problem+json and Retry-After within the bound, then recovers', async () => {
      const { proxy, store } = await setUp();
      const t = await startTestServer({ store });
      cleanups.push(async () => {
        proxy.thaw();
        await t.close();
      });
      expect((await t.request({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      proxy.freeze();
      for (const [request, bound] of [
        [{ method: 'GET' as const, url: '/readyz' }, 2_500],
        [{ method: 'POST' as const, url: '/api/v1/events', payload: { event: 2001, userId: 'anna' } }, BOUND_MS],
      ] as const) {
        const t0 = Date.now();
        const res = await t.request(request);
        expect(Date.now() - t0, request.url).toBeLessThan(bound);
        expect(res.statusCode, request.url).toBe(503);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.headers['retry-after']).toBeDefined();
        expect(res.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      }
      proxy.thaw();
      await eventually(async () => (await t.request({ method: 'GET', url: '/readyz' })).statusCode === 200);
      expect((await t.request({ method: 'POST', url: '/api/v1/events', payload: { event: 2001, userId: 'anna' } })).statusCode).toBe(201);
    });
  });
}
