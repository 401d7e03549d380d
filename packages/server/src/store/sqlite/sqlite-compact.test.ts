/**
 * `compactSqliteJournal` (`tamga compact`): a journal of an earlier version (4 KiB pages, free pages left by deleted
 * rows) comes back with 16 KiB pages and no free pages, every record, head and search as before; a journal another
 * process has open is refused and left as it was.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRecord, StoreError } from '@tamga/core';
import { pendingRecord, tempDir, TEST_HMAC_KEY, testSealer } from '../../test-support/fixtures.js';
import { compactSqliteJournal } from './sqlite-compact.js';
import { SQLITE_PAGE_SIZE, SqliteJournalStore } from './sqlite-journal-store.js';

const dir = tempDir();
afterAll(() => dir.remove());
/** Where `better-sqlite3` resolves from for the other process. */
const PACKAGE_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const keyFor = (kid: string): Buffer | undefined => (kid === 'test-key' ? TEST_HMAC_KEY : undefined);

/** A journal as an earlier version made it: 4 KiB pages, 300 records in two tenants, and free pages. */
async function earlierJournal(name: string): Promise<string> {
  const path = join(dir.path, name);
  const earlier = new Database(path);
  earlier.pragma('page_size = 4096');
  earlier.pragma('journal_mode = WAL');
  // Space a purge would leave: pages used, then freed.
  earlier.exec(
    'CREATE TABLE scratch (x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO scratch SELECT randomblob(1000) FROM n; DROP TABLE scratch;',
  );
  earlier.close();
  const store = new SqliteJournalStore({ path, writer: 'inline' });
  for (const tenant of ['a', 'b']) {
    await store.append(
      Array.from({ length: 150 }, (_, i) =>
        pendingRecord({
          tenantId: tenant,
          userId: `u${i % 7}`,
          text: `record ${i} of ${tenant}: Ошибка диска`,
        }),
      ),
      testSealer(),
    );
  }
  await store.close();
  return path;
}

describe('compactSqliteJournal', () => {
  it('rewrites an earlier journal with 16 KiB pages and without free pages; records, heads and searches are unchanged', async () => {
    const path = await earlierJournal('old.sqlite');
    const before = new SqliteJournalStore({ path, writer: 'inline' });
    const records = await before.queryRecords({ order: 'asc' }, 1000);
    const heads = [await before.getLog('a'), await before.getLog('b')];
    await before.close();
    const sizeBefore = statSync(path).size;

    const report = compactSqliteJournal(path);
    expect(report.before.pageSize).toBe(4096);
    expect(report.before.freePages).toBeGreaterThan(100);
    expect(report.after).toMatchObject({ pageSize: SQLITE_PAGE_SIZE, freePages: 0 });
    expect(report.after.bytes).toBe(statSync(path).size);
    expect(report.after.bytes).toBeLessThan(sizeBefore);

    const after = new SqliteJournalStore({ path, writer: 'inline' });
    try {
      expect(after.database.pragma('page_size', { simple: true })).toBe(SQLITE_PAGE_SIZE);
      expect(after.database.pragma('journal_mode', { simple: true })).toBe('wal');
      const again = await after.queryRecords({ order: 'asc' }, 1000);
      expect(again).toEqual(records);
      expect(again.every((r) => checkRecord(r, r, keyFor) === 'valid')).toBe(true);
      expect([await after.getLog('a'), await after.getLog('b')]).toEqual(heads);
      // The text index came along.
      after.startSearchIndex(() => undefined);
      expect(await after.countRecords({ tenants: ['b'], q: 'ОШИБКА' })).toBe(150);
      // Appends go on at the next seq.
      const [next] = await after.append([pendingRecord({ tenantId: 'a' })], testSealer());
      expect(next!.seq).toBe(150);
    } finally {
      await after.close();
    }
  });

  it('says a file that is not a journal is damaged, and leaves it', () => {
    const path = join(dir.path, 'garbage.sqlite');
    writeFileSync(path, 'not a database, only some bytes '.repeat(200));
    let error: unknown;
    try {
      compactSqliteJournal(path);
    } catch (e) {
      error = e;
    }
    expect((error as StoreError).code).toBe('STORE_CORRUPT');
    expect((error as Error).message).toMatch(
      /^SQLite could not compact .*garbage\.sqlite: the database file is damaged/,
    );
    expect(readFileSync(path, 'utf8')).toBe('not a database, only some bytes '.repeat(200));
    expect(existsSync(`${path}.compacting`)).toBe(false);
  });

  it('refuses a journal another process has open, changing nothing', async () => {
    const path = await earlierJournal('open.sqlite');
    const sizeBefore = statSync(path).size;
    // A reader in another process, as a running server's connections are.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import Database from 'better-sqlite3';
         const db = new Database(${JSON.stringify(path)});
         db.prepare('SELECT count(*) FROM records').get();
         process.stdout.write('open\\n');
         setInterval(() => db.prepare('SELECT count(*) FROM records').get(), 100);`,
      ],
      { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(holder.stdout, 'data');
      let error: unknown;
      try {
        compactSqliteJournal(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('STORE_UNAVAILABLE');
      expect((error as Error).message).toMatch(/open in another process.*Nothing was changed/);
    } finally {
      holder.kill();
      await once(holder, 'exit');
    }
    const db = new Database(path, { readonly: true });
    expect(db.pragma('page_size', { simple: true })).toBe(4096);
    db.close();
    expect(statSync(path).size).toBe(sizeBefore);
    // Once the other process is gone, it compacts.
    expect(compactSqliteJournal(path).after.pageSize).toBe(SQLITE_PAGE_SIZE);
  });
});
