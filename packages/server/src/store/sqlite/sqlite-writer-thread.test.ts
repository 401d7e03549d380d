/**
 * The SQLite store with its writer on a thread of its own (`writer: 'thread'`, as `tamga serve` runs it): the whole
 * journal store contract, and what grouping several requests' batches per commit must keep — each batch whole or
 * absent, `seq` contiguous and the Merkle head right when a batch or a whole group is refused, later batches continuing
 * at the right `seq`. The thread runs the compiled script: `npm run build` first (as for the CLI's e2e tests).
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRecord, rootFromLeaves, ValidationError } from '@tamga/core';
import { describeJournalStoreContract } from '../journal-store.contract.js';
import { pendingRecord, tempDir, TEST_HMAC_KEY, testSealer } from '../../test-support/fixtures.js';
import { SqliteJournalStore } from './sqlite-journal-store.js';

const SCRIPT = new URL('../../../dist/store/sqlite/sqlite-writer-thread.js', import.meta.url);
if (!existsSync(fileURLToPath(SCRIPT))) throw new Error(`${fileURLToPath(SCRIPT)} is missing: run npm run build first`);

const dir = tempDir();
afterAll(() => dir.remove());
let n = 0;
const open = (): SqliteJournalStore => {
  const store = new SqliteJournalStore({ path: join(dir.path, `threaded-${++n}.sqlite`), writer: 'thread', writerScript: SCRIPT });
  expect(store.threaded).toBe(true);
  return store;
};

describeJournalStoreContract(
  'SqliteJournalStore with a writer thread',
  () => Promise.resolve(open()),
  (store) => store.close(),
  async (store, sql) => void (store as SqliteJournalStore).database.exec(sql),
);

const keyFor = (kid: string): Buffer | undefined => (kid === 'test-key' ? TEST_HMAC_KEY : undefined);

/** Every record of a tenant's log in seq order, checked; and whether the head's root is the leaves' Merkle root. */
async function logOf(store: SqliteJournalStore, tenant: string): Promise<{ seqs: number[]; valid: boolean; rootMatches: boolean }> {
  const records = await store.queryRecords({ tenants: [tenant], order: 'asc' }, 100_000);
  const log = await store.getLog(tenant);
  const leaves = log === undefined ? [] : await store.readNodes(log.logId, 0, 0, log.size);
  return {
    seqs: records.map((r) => r.seq).sort((a, b) => a - b),
    valid: records.every((r) => checkRecord(r, r, keyFor) === 'valid'),
    rootMatches: log === undefined || (log.size === records.length && log.rootHash.equals(rootFromLeaves(leaves))),
  };
}

const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);

describe('SqliteJournalStore with a writer thread', () => {
  it('commits batches sent together, each whole, seq contiguous per log in the order they were sent', async () => {
    const store = open();
    try {
      const batches = range(24).map((b) => range(50).map(() => pendingRecord({ tenantId: b % 3 === 0 ? 'x' : 'y', userId: `u${b}` })));
      const results = await Promise.all(batches.map((batch) => store.append(batch, testSealer())));
      for (const tenant of ['x', 'y']) {
        const log = await logOf(store, tenant);
        expect(log.seqs).toEqual(range(log.seqs.length));
        expect(log.valid && log.rootMatches).toBe(true);
      }
      // Each batch's records are contiguous in its log, in input order, and batches in the order they were sent.
      let last = { x: -1, y: -1 } as Record<string, number>;
      for (const batchResults of results) {
        const tenant = batchResults[0]!.tenantId!;
        expect(batchResults.map((r) => r.seq)).toEqual(range(50).map((i) => last[tenant]! + 1 + i));
        last = { ...last, [tenant]: batchResults[49]!.seq };
      }
    } finally {
      await store.close();
    }
  });

  it('refuses a batch with an id conflict alone; the batches sent with it are stored and take the seq it would have had', async () => {
    const store = open();
    try {
      const [first] = await store.append([pendingRecord({ tenantId: 'c' })], testSealer());
      const conflicting = [pendingRecord({ tenantId: 'c' }), pendingRecord({ tenantId: 'c', id: first!.id, userId: 'someone else' })];
      const [before, refused, after] = await Promise.allSettled([
        store.append([pendingRecord({ tenantId: 'c' })], testSealer()),
        store.append(conflicting, testSealer()),
        store.append([pendingRecord({ tenantId: 'c' }), pendingRecord({ tenantId: 'c' })], testSealer()),
      ]);
      expect(refused.status).toBe('rejected');
      const error = (refused as PromiseRejectedResult).reason as ValidationError;
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe('ID_CONFLICT');
      expect(error.details).toMatchObject({ field: 'id', index: 1 });
      expect((before as PromiseFulfilledResult<{ seq: number }[]>).value.map((r) => r.seq)).toEqual([1]);
      expect((after as PromiseFulfilledResult<{ seq: number }[]>).value.map((r) => r.seq)).toEqual([2, 3]);
      const log = await logOf(store, 'c');
      expect(log).toEqual({ seqs: [0, 1, 2, 3], valid: true, rootMatches: true });
    } finally {
      await store.close();
    }
  });

  it('refuses a whole group when its commit fails, storing none of it; later batches continue at the right seq', async () => {
    const store = open();
    try {
      await store.append([pendingRecord({ tenantId: 'f' })], testSealer());
      // A database error inside the writer's transaction (an insider's trigger stands in for a failing disk).
      store.database.exec(`CREATE TRIGGER poison BEFORE INSERT ON records WHEN NEW.user_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`);
      const outcomes = await Promise.allSettled([
        store.append([pendingRecord({ tenantId: 'f' })], testSealer()),
        store.append([pendingRecord({ tenantId: 'f', userId: 'poison' })], testSealer()),
        store.append([pendingRecord({ tenantId: 'f' })], testSealer()),
      ]);
      const poisoned = outcomes[1]!;
      expect(poisoned.status).toBe('rejected');
      expect(((poisoned as PromiseRejectedResult).reason as { code: string }).code).toBe('STORE_FAILED');
      // The others were committed in a group of their own or refused with it: never half stored.
      const stored = outcomes.filter((o) => o.status === 'fulfilled').length;
      store.database.exec('DROP TRIGGER poison');
      const [next] = await store.append([pendingRecord({ tenantId: 'f' })], testSealer());
      expect(next!.seq).toBe(1 + stored);
      expect(await logOf(store, 'f')).toEqual({ seqs: range(2 + stored), valid: true, rootMatches: true });
    } finally {
      await store.close();
    }
  });

  it('indexes text in the append that stores it: a search finds a record as soon as its append is answered', async () => {
    const store = open();
    try {
      // Records appended before the index was started are left to the follower, on the writer thread too.
      await store.append(range(30).map((i) => pendingRecord({ tenantId: 't', text: `before ${i} Ошибка диска` })), testSealer());
      const failures: unknown[] = [];
      store.startSearchIndex((error) => failures.push(error));
      for (let b = 0; b < 5; b++) {
        await store.append(range(40).map((i) => pendingRecord({ tenantId: 't', text: `batch ${b} record ${i} ошибка сети` })), testSealer());
        // Answered means indexed: nothing pending, no follower round needed, and the index finds the new records.
        expect((await store.searchIndexStatus()).pending).toBe(0);
        expect(await store.countRecords({ tenants: ['t'], q: `batch ${b} record` })).toBe(40);
      }
      expect(await store.countRecords({ tenants: ['t'], q: 'ОШИБКА' })).toBe(230);
      expect(failures).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('never makes the calling thread wait for the write lock: checkpoints and the readiness write go to the writer thread', async () => {
    const store = open();
    await store.append([pendingRecord({ tenantId: 'w' })], testSealer());
    const log = (await store.getLog('w'))!;
    // Another connection holds SQLite's write lock (as a long append group or an operator's tool would).
    const other = new Database(join(dir.path, `threaded-${n}.sqlite`));
    other.exec('BEGIN IMMEDIATE');
    try {
      // Neither call blocks this thread, and its timers still run while both wait for the lock (the inline path would
      // block in the call itself, up to busy_timeout's 5 s).
      const started = performance.now();
      const checkpoint = store.addCheckpoint({ logId: log.logId, size: 1, rootHash: log.rootHash, note: 'note\n', createdAt: Date.now() * 1000 });
      const ready = store.checkReady();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(performance.now() - started).toBeLessThan(500);
      expect(await Promise.race([checkpoint.then(() => 'stored'), new Promise((resolve) => setTimeout(resolve, 50, 'waiting'))])).toBe('waiting');
      other.exec('COMMIT');
      await Promise.all([checkpoint, ready]);
      expect((await store.latestCheckpoint(log.logId))?.size).toBe(1);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await store.close();
    }
  });

  it('answers every batch sent before close, then ends its threads', async () => {
    const store = open();
    const pending = range(10).map(() => store.append(range(100).map(() => pendingRecord({ tenantId: 'z' })), testSealer()));
    await store.close();
    const results = await Promise.all(pending);
    expect(results.flat().map((r) => r.seq)).toEqual(range(1000));
    const again = new SqliteJournalStore({ path: join(dir.path, `threaded-${n}.sqlite`) });
    expect((await again.getLog('z'))?.size).toBe(1000);
    await again.close();
  });
});
