import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecord } from '@tamga/core';
import type { CheckedRecord, StoredRecord } from '../journal/journal-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { pendingRecord, tempDir, TEST_HMAC_KEY, testSealer } from '../test-support/fixtures.js';
import { SharedRecordReader } from './shared-record-reader.js';

const dir = tempDir();
let store: SqliteJournalStore;
let logId: number;
const reads: [number, number][] = [];
let checks = 0;

beforeAll(async () => {
  store = new SqliteJournalStore({ path: `${dir.path}/reader.sqlite` });
  for (let b = 0; b < 3; b++) await store.append(Array.from({ length: 1000 }, (_, i) => pendingRecord({ text: `r ${b * 1000 + i}` })), testSealer());
  logId = (await store.getLog(null))!.logId;
});
afterAll(async () => {
  await store.close();
  dir.remove();
});

/** A reader over the real store that notes every store read and every check. */
function reader(limits?: { perLog?: number; total?: number }): SharedRecordReader {
  const counting = Object.create(store) as SqliteJournalStore;
  counting.readRecordsBySeq = (id: number, from: number, to: number) => {
    reads.push([from, to]);
    return store.readRecordsBySeq(id, from, to);
  };
  return new SharedRecordReader(counting, (r: StoredRecord): CheckedRecord => {
    checks++;
    return { ...r, integrity: checkRecord(r, r, () => TEST_HMAC_KEY) };
  }, limits);
}

describe('SharedRecordReader', () => {
  it('reads and checks each record once for destinations that follow the log together', async () => {
    reads.length = 0;
    checks = 0;
    const shared = reader();
    const a = await shared.read(logId, 0, 500);
    const b = await shared.read(logId, 0, 500);
    const c = await shared.read(logId, 200, 800);
    expect(reads).toEqual([
      [0, 500],
      [500, 800],
    ]);
    expect(b).toEqual(a);
    expect(c.map((r) => r.seq)).toEqual(Array.from({ length: 600 }, (_, i) => 200 + i));
    expect(c).toEqual(await store.readRecordsBySeq(logId, 200, 800));
    for (const r of [...a, ...b]) expect(shared.check(r).integrity).toBe('valid');
    expect(checks).toBe(500);
  });

  it('reads around its window for a destination behind, and keeps within its limits', async () => {
    reads.length = 0;
    const shared = reader({ perLog: 1000, total: 1000 });
    await shared.read(logId, 2000, 2500);
    const behind = await shared.read(logId, 0, 100);
    expect(behind.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // The window is still where the others read.
    await shared.read(logId, 2000, 2500);
    expect(reads).toEqual([
      [2000, 2500],
      [0, 100],
    ]);
    await shared.read(logId, 2500, 3000);
    await shared.read(logId, 2900, 3000);
    expect(shared.size).toBeLessThanOrEqual(1000);
    expect(reads.slice(2)).toEqual([[2500, 3000]]);
  });
});
