/**
 * The SQLite store with its reads on reader threads (`readers`, as `tamga serve` runs it): the whole journal store
 * contract with the reads answered by the threads' read-only connections, an answered append visible to the very next
 * read, long reads leaving a thread to the short ones, and a thread that dies answering its read and being replaced.
 * The threads run the compiled script: `npm run build` first (as for the writer thread's test).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRecord, StoreError } from '@tamga/core';
import { describeJournalStoreContract } from '../journal-store.contract.js';
import { pendingRecord, tempDir, TEST_HMAC_KEY, testSealer } from '../../test-support/fixtures.js';
import type { RecordCursor } from '../../journal/journal-store.js';
import { recordLines } from '../../http/record-export.js';
import { bundleLines } from '../../evidence/bundle-lines.js';
import { SqliteJournalStore } from './sqlite-journal-store.js';
import type { ExportThreadTiming, ReaderPriority } from './sqlite-reader-threads.js';

const DIST = new URL('../../../dist/store/sqlite/', import.meta.url);
const READER = new URL('sqlite-reader-thread.js', DIST);
const WRITER = new URL('sqlite-writer-thread.js', DIST);
if (!existsSync(fileURLToPath(READER)))
  throw new Error(`${fileURLToPath(READER)} is missing: run npm run build first`);

const dir = tempDir();
afterAll(() => dir.remove());
let n = 0;
const open = (readers = 2, readerPriority?: ReaderPriority, exportTiming?: ExportThreadTiming): SqliteJournalStore => {
  const path = join(dir.path, `readers-${++n}.sqlite`);
  const store = new SqliteJournalStore({
    path,
    writer: 'thread',
    writerScript: WRITER,
    readers,
    readerScript: READER,
    ...(readerPriority !== undefined && { readerPriority }),
    ...(exportTiming !== undefined && { exportTiming }),
  });
  expect(store.threaded).toBe(true);
  expect(store.readerThreads?.size).toBe(readers);
  return store;
};

describeJournalStoreContract(
  'SqliteJournalStore with reader threads',
  () => Promise.resolve(open()),
  (store) => store.close(),
  async (store, sql) => void (store as SqliteJournalStore).database.exec(sql),
);

const keyFor = (kid: string): Buffer | undefined => (kid === 'test-key' ? TEST_HMAC_KEY : undefined);
const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);

/** This process's threads named `name` (Linux /proc): thread id → nice value and scheduling policy (0 normal, 5 idle). */
function threadsNamed(name: string): Map<number, { nice: number; policy: number }> {
  const found = new Map<number, { nice: number; policy: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== name) continue;
    // Fields after the name start at the 3rd: nice is the 19th, policy the 41st.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    found.set(Number(tid), { nice: Number(fields[16]), policy: Number(fields[38]) });
  }
  return found;
}

describe('SqliteJournalStore with reader threads', () => {
  it.runIf(existsSync('/proc/self/task'))('runs its reads below the threads that append: at nice 10, or in SCHED_IDLE when asked', async () => {
    for (const [priority, expected] of [
      ['low', { nice: 10, policy: 0 }],
      ['idle', { nice: 0, policy: 5 }],
    ] as const) {
      const before = new Set(threadsNamed('tamga-reader').keys());
      const store = open(2, priority);
      try {
        await store.append([pendingRecord({ tenantId: 'nice' })], testSealer());
        // Two long reads at once: both threads of the pool start.
        await Promise.all([store.countRecords({ tenants: ['nice'] }), store.countRecords({ tenants: ['nice'] })]);
        const started = [...threadsNamed('tamga-reader')].filter(([tid]) => !before.has(tid)).map(([, t]) => t);
        expect(started.length, priority).toBeGreaterThan(0);
        for (const thread of started) expect(thread, priority).toEqual(expected);
        const writer = [...threadsNamed('tamga-writer').values()];
        expect(writer.length).toBeGreaterThan(0);
        for (const thread of writer) expect(thread).toEqual({ nice: 0, policy: 0 });
      } finally {
        await store.close();
      }
    }
  });

  it.runIf(existsSync('/proc/self/task'))(
    'reads the pages of an export on a thread of its own in SCHED_IDLE, kept once unused; a page of the API stays on the pool',
    async () => {
      const store = open(2, 'low', { starvedMs: 60_000, onPoolMs: 60_000, idleMs: 300 });
      try {
        await store.append(range(30).map((i) => pendingRecord({ tenantId: 'bulk', userId: `u${i}` })), testSealer());
        const keys: [string, Uint8Array][] = [['test-key', TEST_HMAC_KEY]];
        const apiPage = await store.exportPage!({ tenants: ['bulk'] }, 10, undefined, 'ndjson', 0, keys);
        expect(threadsNamed('tamga-export').size).toBe(0);
        const exported = await store.exportPage!({ tenants: ['bulk'] }, 10, undefined, 'ndjson', 0, keys, true);
        // The same lines, both as UTF-8 bytes (moved from the thread, sent as they are).
        expect(Buffer.isBuffer(exported.chunk)).toBe(true);
        expect(Buffer.isBuffer(apiPage.chunk)).toBe(true);
        expect(exported).toEqual(apiPage);
        expect(exported.records).toBe(10);
        const exporters = [...threadsNamed('tamga-export').values()];
        expect(exporters).toEqual([{ nice: 0, policy: 5 }]);
        for (const reader of threadsNamed('tamga-reader').values()) expect(reader).toEqual({ nice: 10, policy: 0 });
        // Unused for longer than idleMs, the thread freed its page cache; it is not ended (the request thread would wait
        // for it): the next page runs on it.
        const [exporter] = threadsNamed('tamga-export').keys();
        await new Promise((r) => setTimeout(r, 600));
        const next = await store.exportPage!({ tenants: ['bulk'] }, 10, exported.last, 'ndjson', 10, keys, true);
        expect(next.records).toBe(10);
        expect(next.chunk.toString()).not.toBe(exported.chunk.toString());
        expect([...threadsNamed('tamga-export').keys()]).toEqual([exporter]);
      } finally {
        await store.close();
      }
      expect(threadsNamed('tamga-export').size).toBe(0);
    },
  );

  it.runIf(existsSync('/proc/self/task'))('reads exports on the pool for a while after a page waited too long on the export thread', async () => {
    // Every page counts as starved (starvedMs 0), as on a machine whose cores other work keeps busy.
    const store = open(2, 'low', { starvedMs: 0, onPoolMs: 60_000, idleMs: 60_000 });
    try {
      await store.append(range(30).map((i) => pendingRecord({ tenantId: 'starved', userId: `u${i}` })), testSealer());
      const keys: [string, Uint8Array][] = [['test-key', TEST_HMAC_KEY]];
      expect(store.readerThreads!.exportsOnOwnThread).toBe(true);
      const first = await store.exportPage!({ tenants: ['starved'] }, 10, undefined, 'ndjson', 0, keys, true);
      expect(threadsNamed('tamga-export').size).toBe(1);
      expect(store.readerThreads!.exportsOnOwnThread).toBe(false);
      await store.readerThreads!.terminate();
      const second = await store.exportPage!({ tenants: ['starved'] }, 10, first.last, 'ndjson', 10, keys, true);
      expect(second.records).toBe(10);
      // Read on the pool: no export thread was started again.
      expect(threadsNamed('tamga-export').size).toBe(0);
      expect(threadsNamed('tamga-reader').size).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('shows an answered append to the next read, on whichever thread it runs', async () => {
    const store = open();
    try {
      for (const i of range(60)) {
        const [result] = await store.append(
          [pendingRecord({ tenantId: 'ryw', userId: `u${i}` })],
          testSealer(),
        );
        const [page, record, count, leaves] = await Promise.all([
          store.queryRecords({ tenants: ['ryw'] }, 1),
          store.getRecord(result!.id),
          store.countRecords({ tenants: ['ryw'] }),
          store.readNodes((await store.getLog('ryw'))!.logId, 0, 0, i + 1),
        ]);
        expect(page[0]!.id).toBe(result!.id);
        expect(checkRecord(record!, record!, keyFor)).toBe('valid');
        expect(count).toBe(i + 1);
        expect(leaves[i]!.equals(record!.leafHash)).toBe(true);
      }
    } finally {
      await store.close();
    }
  });

  it('checks and formats export pages on the reader threads, byte for byte as the HTTP thread would', async () => {
    const store = open();
    try {
      const otherKey = Buffer.alloc(32, 9);
      await store.append(
        range(20).map((i) =>
          pendingRecord({
            tenantId: i % 2 === 0 ? 'ex' : 'ey',
            text: i % 3 === 0 ? `Ошибка входа "${i}", \\ путь;=cmd` : null,
            entityData: i % 4 === 0 ? { login: `user${i}`, nested: { ok: true, n: [1, 2.5, null] } } : null,
            userId: i % 5 === 0 ? null : `u${i}`,
            createdAt: Date.UTC(2026, 10, 22, 10, 0, i) * 1000,
          }),
        ),
        testSealer(),
      );
      // A record signed with a key this caller does not hold, and one altered by an insider.
      await store.append([pendingRecord({ tenantId: 'ex', createdAt: Date.UTC(2026, 10, 22, 10, 1) * 1000 })], {
        ...testSealer('other-key'),
        hmacKey: otherKey,
        seal: (fields) => testSealer().seal({ ...fields }),
      });
      // A record whose payload an erasure removed (redacted), then one altered by an insider.
      expect((await store.erasePayloads({ userId: 'u3' })).length).toBe(1);
      store.database.exec("DROP TRIGGER records_append_only_except_erasure; UPDATE records SET text = 'altered' WHERE seq = 3 AND log_id = (SELECT log_id FROM logs WHERE tenant_key = 'ex')");
      const rows = await store.queryRecords({ order: 'asc' }, 1000);
      expect(rows.length).toBe(21);
      expect(rows.filter((r) => r.redacted).length).toBe(1);
      const checked = rows.map((r) => ({ ...r, integrity: checkRecord(r, r, keyFor) }));
      expect(checked.filter((r) => r.integrity === 'tampered').length).toBe(1);
      for (const format of ['ndjson', 'csv'] as const) {
        let lines = '';
        let index = 0;
        let after: RecordCursor | undefined;
        const unknown = new Set<string>();
        for (;;) {
          const page = await store.exportPage!({ order: 'asc' }, 6, after, format, index, [['test-key', TEST_HMAC_KEY]]);
          lines += page.chunk;
          index += page.records;
          page.unknownKids.forEach((kid) => unknown.add(kid));
          if (!page.hasMore) break;
          after = page.last;
        }
        expect(index).toBe(21);
        expect(lines).toBe(recordLines(checked, format, 0));
        expect([...unknown]).toEqual(['other-key']);
      }
    } finally {
      await store.close();
    }
  });

  it('formats bundle record lines on the reader threads, byte for byte as the HTTP thread would', async () => {
    const store = open();
    try {
      await store.append(
        range(30).map((i) =>
          pendingRecord({
            tenantId: 'bx',
            text: i % 3 === 0 ? `Ошибка входа "${i}", \\ путь;=cmd` : null,
            entityData: i % 4 === 0 ? { login: `user${i}`, nested: { ok: true, n: [1, 2.5, null] } } : null,
            userId: `u${i % 7}`,
            createdAt: Date.UTC(2026, 10, 22, 10, 0, i) * 1000,
          }),
        ),
        testSealer(),
      );
      // Redacted records (an erasure), then one altered by an insider: the lines carry them as stored.
      expect((await store.erasePayloads({ userId: 'u2' })).length).toBe(4);
      store.database.exec("DROP TRIGGER records_append_only_except_erasure; UPDATE records SET text = 'altered' WHERE seq = 5");
      const { logId } = (await store.getLog('bx'))!;
      const records = await store.readRecordsBySeq(logId, 0, 30);
      expect(records.filter((r) => r.redacted).length).toBe(4);
      expect(records.filter((r) => checkRecord(r, r, keyFor) === 'tampered').length).toBe(1);
      let lines = '';
      let count = 0;
      for (let at = 0; at < 30; at += 8) {
        const page = await store.readBundleLines(logId, at, Math.min(30, at + 8));
        expect(Buffer.isBuffer(page.chunk)).toBe(true);
        lines += page.chunk.toString();
        count += page.records;
      }
      expect(count).toBe(30);
      expect(lines).toBe(bundleLines(records));
      expect(lines).toContain('altered');
      const none = await store.readBundleLines(logId, 30, 40);
      expect([none.chunk.toString(), none.records]).toEqual(['', 0]);
    } finally {
      await store.close();
    }
  });

  it('answers a page while long counts keep the other thread busy', async () => {
    const store = open(2);
    try {
      // Records past the text index (its follower is not started): a text count scans every one of them.
      for (const b of range(10)) {
        await store.append(
          range(5000).map((i) => pendingRecord({ tenantId: 'big', text: `message ${b}-${i}` })),
          testSealer(),
        );
      }
      await Promise.all([store.getLog('big'), store.queryRecords({}, 1), store.queryRecords({}, 1)]); // both threads up
      const order: string[] = [];
      const track = <T>(name: string, p: Promise<T>): Promise<T> => p.then((v) => (order.push(name), v));
      const longs = range(3).map((i) => track(`count ${i}`, store.countRecords({ q: 'message' })));
      const page = track('page', store.queryRecords({ tenants: ['big'] }, 50));
      expect((await page).length).toBe(50);
      expect(await Promise.all(longs)).toEqual([50_000, 50_000, 50_000]);
      // One count at a time on one thread; the page on the other, answered before the second count.
      expect(order.indexOf('page')).toBeLessThan(order.indexOf('count 1'));
      expect(order.filter((o) => o.startsWith('count'))).toEqual(['count 0', 'count 1', 'count 2']);
    } finally {
      await store.close();
    }
  });

  it("answers a proof's Merkle rows on the request thread while the only reader thread counts; a wide range waits its turn", async () => {
    const store = open(1);
    try {
      for (const b of range(10)) {
        await store.append(
          range(5000).map((i) => pendingRecord({ tenantId: 'proofs', text: `entry ${b}-${i}` })),
          testSealer(),
        );
      }
      const logId = (await store.getLog('proofs'))!.logId;
      await store.countRecords({ tenants: ['proofs'] }); // the thread up
      const order: string[] = [];
      const track = <T>(name: string, p: Promise<T>): Promise<T> => p.then((v) => (order.push(name), v));
      const count = track('count', store.countRecords({ q: 'entry' }));
      // An inclusion proof's range (a block of 256 leaves) and an evidence bundle's (every leaf).
      const block = track('proof block', store.readNodes(logId, 0, 256, 512));
      const wide = track('wide range', store.readNodes(logId, 0, 0, 50_000));
      expect((await block).length).toBe(256);
      expect((await wide).length).toBe(50_000);
      expect(await count).toBe(50_000);
      expect(order).toEqual(['proof block', 'count', 'wide range']);
      // The same hashes wherever they were read.
      expect((await wide).slice(256, 512)).toEqual(await block);
    } finally {
      await store.close();
    }
  });

  it('answers the read of a thread that dies STORE_UNAVAILABLE, and runs the next reads on a new thread', async () => {
    const store = open(1);
    try {
      await store.append(
        range(2000).map((i) => pendingRecord({ tenantId: 'd', text: `line ${i}` })),
        testSealer(),
      );
      expect(await store.countRecords({ tenants: ['d'] })).toBe(2000);
      const running = store.countRecords({ q: 'line' });
      await store.readerThreads!.terminate();
      const error = await running.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('STORE_UNAVAILABLE');
      expect(await store.countRecords({ q: 'line' })).toBe(2000);
    } finally {
      await store.close();
    }
  });

  it('refuses reads once closed', async () => {
    const store = open(1);
    await store.close();
    await expect(store.queryRecords({}, 10)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
