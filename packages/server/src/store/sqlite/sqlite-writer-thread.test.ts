/**
 * The SQLite store with its writer on a thread of its own (`writer: 'thread'`, as `tamga serve` runs it): the whole
 * journal store contract, and what grouping several requests' batches per commit must keep — each batch whole or
 * absent, `seq` contiguous and the Merkle head right when a batch or a whole group is refused, later batches continuing
 * at the right `seq`. The thread runs the compiled script: `npm run build` first (as for the CLI's e2e tests).
 */
import { existsSync } from 'node:fs';
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
