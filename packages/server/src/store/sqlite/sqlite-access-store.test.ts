import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/fixtures.js';
import { describeAccessStoreContract } from '../access-store.contract.js';
import { SqliteAccessStore } from './sqlite-access-store.js';
import { SqliteJournalStore } from './sqlite-journal-store.js';

const dir = tempDir();
afterAll(() => dir.remove());
let n = 0;

describeAccessStoreContract('SqliteAccessStore', () => {
  const journal = new SqliteJournalStore({ path: join(dir.path, `access-${++n}.sqlite`) });
  return Promise.resolve({
    store: new SqliteAccessStore(journal.database),
    reopen: () => Promise.resolve(new SqliteAccessStore(journal.database)),
    close: () => journal.close(),
  });
});

describe('SqliteAccessStore', () => {
  it('shares the journal file: the access tables live in tamga.sqlite', async () => {
    const path = join(dir.path, 'shared.sqlite');
    const journal = new SqliteJournalStore({ path });
    const store = new SqliteAccessStore(journal.database);
    await store.admitLoginAttempt('someone', '10.0.0.1', 1, 0, 5);
    await journal.close();
    expect(readFileSync(path).includes(Buffer.from('access_login_failures'))).toBe(true);
  });
});
