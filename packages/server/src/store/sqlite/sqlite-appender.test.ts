/**
 * A group of batches committed by one transaction (`SqliteAppender.appendGroup`), run on the store's own connection:
 * the batches go without savepoints, so a batch refused after it began writing must have the group run again with
 * them — the batch absent, the others stored, `seq` contiguous and the Merkle head right.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRecord, rootFromLeaves, ValidationError } from '@tamga/core';
import type { RecordFields } from '@tamga/core';
import type { Sealer } from '../../journal/journal-store.js';
import { pendingRecord, tempDir, TEST_HMAC_KEY, testSealer } from '../../test-support/fixtures.js';
import { SqliteAppender } from './sqlite-appender.js';
import { SqliteJournalStore } from './sqlite-journal-store.js';

const dir = tempDir();
afterAll(() => dir.remove());

/** A sealer that refuses to seal the records of `userId`, as a rule of Tamga's own would (a `TamgaError`). */
function refusingSealer(userId: string): Sealer {
  const sealer = testSealer();
  return {
    ...sealer,
    seal: (fields: RecordFields) => {
      if (fields.userId === userId)
        throw new ValidationError('VALIDATION_FAILED', `refused ${userId}`, { field: 'userId' });
      return sealer.seal(fields);
    },
  };
}

describe('SqliteAppender.appendGroup', () => {
  it('leaves out a batch refused after it began writing; the batches of its group are stored at contiguous seq', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'group.sqlite'), writer: 'inline' });
    try {
      await store.append([pendingRecord({ tenantId: 'g' })], testSealer());
      const appender = new SqliteAppender(store.database);
      const before = [pendingRecord({ tenantId: 'g' }), pendingRecord({ tenantId: 'g' })];
      // Its first record is written before its second is refused.
      const refused = [
        pendingRecord({ tenantId: 'g', userId: 'fine' }),
        pendingRecord({ tenantId: 'g', userId: 'refused' }),
      ];
      const after = [pendingRecord({ tenantId: 'g' })];
      const outcomes = appender.appendGroup([
        { records: before, sealer: testSealer() },
        { records: refused, sealer: refusingSealer('refused') },
        { records: after, sealer: testSealer() },
      ]);
      expect(
        outcomes.map((o) =>
          'results' in o ? o.results.map((r) => r.seq) : (o.error as ValidationError).code,
        ),
      ).toEqual([[1, 2], 'VALIDATION_FAILED', [3]]);
      const records = await store.queryRecords({ tenants: ['g'], order: 'asc' }, 100);
      expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
      expect(records.some((r) => refused.some((p) => p.id === r.id))).toBe(false);
      expect(
        records.every(
          (r) => checkRecord(r, r, (kid) => (kid === 'test-key' ? TEST_HMAC_KEY : undefined)) === 'valid',
        ),
      ).toBe(true);
      const log = (await store.getLog('g'))!;
      expect(log.size).toBe(4);
      expect(log.rootHash.equals(rootFromLeaves(await store.readNodes(log.logId, 0, 0, log.size)))).toBe(
        true,
      );
      // The per-minute counts hold the stored records only.
      expect(await store.countRecords({ tenants: ['g'] })).toBe(4);
      // The next append continues at the next seq.
      const [next] = await store.append([pendingRecord({ tenantId: 'g' })], testSealer());
      expect(next!.seq).toBe(4);
    } finally {
      await store.close();
    }
  });
});
