import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '@tamga/core';
import { SqliteJournalStore } from './sqlite-journal-store.js';
import { describeJournalStoreContract } from '../journal-store.contract.js';
import { pendingRecord, tempDir, testSealer } from '../../test-support/fixtures.js';

const dir = tempDir();
afterAll(() => dir.remove());
let n = 0;

describeJournalStoreContract(
  'SqliteJournalStore',
  () => Promise.resolve(new SqliteJournalStore({ path: join(dir.path, `contract-${++n}.sqlite`) })),
  (store) => store.close(),
  // async: a synchronous throw of exec() must reach the contract as a rejection
  async (store, sql) => void (store as SqliteJournalStore).database.exec(sql),
);

describe('SqliteJournalStore', () => {
  it('keeps committed records after the file is closed and reopened', async () => {
    const path = join(dir.path, 'reopen.sqlite');
    const a = new SqliteJournalStore({ path });
    const [r] = await a.append([pendingRecord()], testSealer());
    await a.close();
    const b = new SqliteJournalStore({ path });
    expect((await b.getRecord(r!.id))?.signature).toBe(r!.signature);
    const [next] = await b.append([pendingRecord()], testSealer());
    expect(next!.seq).toBe(1);
    await b.close();
  });

  it('counts per minute the records of a journal made before the per-minute counts existed', async () => {
    const path = join(dir.path, 'backfill.sqlite');
    const a = new SqliteJournalStore({ path });
    const minute = 29_000_000;
    await a.append(
      [0, 1, 1, 3].map((m) => pendingRecord({ createdAt: (minute + m) * 60_000_000 + 5 })),
      testSealer(),
    );
    a.database.exec('DELETE FROM record_minutes');
    await a.close();
    const b = new SqliteJournalStore({ path });
    expect(await b.minuteCounts({}, minute, minute + 10)).toEqual([
      { minute, count: 1 },
      { minute: minute + 1, count: 2 },
      { minute: minute + 3, count: 1 },
    ]);
    await b.close();
  });

  it('runs in WAL mode with full sync', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'wal.sqlite') });
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.database.pragma('synchronous', { simple: true })).toBe(2);
    await store.close();
  });

  it('reports a database it cannot open as a StoreError', () => {
    const file = join(dir.path, 'not-a-dir');
    writeFileSync(file, 'x');
    expect(() => new SqliteJournalStore({ path: join(file, 'x.sqlite') })).toThrow(StoreError);
  });
});
