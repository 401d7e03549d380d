/**
 * SQLite on a disk that fills up or fails (issue #10 item 6), on a small loop-mounted ext4 (needs root, see
 * loop-filesystem.ts): every answer is a 503 STORE_UNAVAILABLE with Retry-After, never a bare 500; `/readyz` says not
 * ready; nothing of a refused batch is stored; what was acknowledged before the disk failed is there after a remount.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoopFilesystem, loopFilesystemUnavailable, reportMissingLoopFilesystem } from '../../test-support/loop-filesystem.js';
import { startTestServer } from '../../test-support/test-server.js';
import type { TestServer } from '../../test-support/test-server.js';
import { SqliteJournalStore } from './sqlite-journal-store.js';

const unavailable = loopFilesystemUnavailable();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const MIB = 1024 * 1024;

/** `n` events of about 2 KB each, with fixed ids so a batch can be sent again. */
function batch(n: number, from = 0): object[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `01937d4e-8f2a-7c3b-9d4e-${(from + i).toString(16).padStart(12, '0')}`,
    event: 2001,
    userId: `user${i}`,
    entityData: { pad: 'x'.repeat(2000), n: from + i },
  }));
}

/** Expects a 503 STORE_UNAVAILABLE problem with Retry-After. */
function expectUnavailable(res: Awaited<ReturnType<TestServer['request']>>, what: string): void {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(503);
  expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after'], what).toBeDefined();
  expect(res.json().code, what).toBe('STORE_UNAVAILABLE');
}

if (unavailable !== undefined) {
  reportMissingLoopFilesystem('the SQLite disk-fault tests', unavailable);
} else {
  describe('SQLite on a full disk', () => {
    it('refuses appends with 503 and is not ready, storing nothing; once space is freed the same batch is stored', async () => {
      const fs = createLoopFilesystem(32);
      cleanups.push(() => fs.destroy());
      const t = await startTestServer({ store: new SqliteJournalStore({ path: join(fs.path, 'tamga.sqlite'), minFreeBytes: 4 * MIB }) });
      cleanups.push(() => t.close());
      const post = (events: object[]) => t.request({ method: 'POST', url: '/api/v1/events', payload: events });
      expect((await post(batch(10))).statusCode).toBe(201);
      expect((await t.request({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

      fs.fill();
      const ready = await t.request({ method: 'GET', url: '/readyz' });
      expectUnavailable(ready, '/readyz');
      expect(ready.json().detail).toMatch(/nearly full/);
      const big = batch(2000, 100);
      expectUnavailable(await post(big), 'append');
      expect(await t.server.journal.store.countRecords({ tenants: [null] })).toBe(10);

      fs.unfill();
      expect((await t.request({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      const stored = await post(big);
      expect(stored.statusCode).toBe(201);
      expect(stored.json().items.every((i: { duplicate: boolean }) => !i.duplicate)).toBe(true);
      expect(await t.server.journal.store.countRecords({ tenants: [null] })).toBe(2010);
    });
  });

  describe('SQLite on a failed disk (EXT4_IOC_SHUTDOWN)', () => {
    it('answers 503 and is not ready; what was acknowledged before is there after a remount', async () => {
      const fs = createLoopFilesystem(64);
      cleanups.push(() => fs.destroy());
      const path = join(fs.path, 'tamga.sqlite');
      const t = await startTestServer({ store: new SqliteJournalStore({ path, minFreeBytes: 4 * MIB }) });
      let closed = false;
      cleanups.push(async () => {
        if (!closed) await t.close();
      });
      const acknowledged = await t.request({ method: 'POST', url: '/api/v1/events', payload: batch(500) });
      expect(acknowledged.statusCode).toBe(201);

      fs.shutdown();
      expectUnavailable(await t.request({ method: 'POST', url: '/api/v1/events', payload: batch(10, 1000) }), 'append');
      expectUnavailable(await t.request({ method: 'GET', url: '/readyz' }), '/readyz');
      for (const url of ['/api/v1/events?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z', '/api/v1/events/stats?from=2000-01-01T00:00:00Z']) {
        const res = await t.request({ method: 'GET', url });
        expect(res.statusCode, `${url}: ${res.body}`).not.toBe(500);
      }
      await t.close();
      closed = true;

      fs.remount();
      const store = new SqliteJournalStore({ path });
      cleanups.push(() => store.close());
      const ids = (acknowledged.json().items as { id: string; signature: string }[]).map((i) => i.id);
      expect(await store.countRecords({ tenants: [null] })).toBe(ids.length);
      expect((await store.getRecord(ids[ids.length - 1]!))?.signature).toBe(acknowledged.json().items[ids.length - 1].signature);
    });
  });
}
