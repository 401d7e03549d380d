import { join } from 'node:path';
import { describeForwardStoreContract } from '../forward-store.contract.js';
import { tempDir } from '../../test-support/fixtures.js';
import { SqliteForwardStore } from './sqlite-forward-store.js';
import { SqliteJournalStore } from './sqlite-journal-store.js';

const dir = tempDir();
const opened: SqliteJournalStore[] = [];

describeForwardStoreContract(
  'SqliteForwardStore',
  () => {
    const path = join(dir.path, 'forward.sqlite');
    const journal = new SqliteJournalStore({ path });
    opened.push(journal);
    return Promise.resolve({
      store: new SqliteForwardStore(journal),
      reopen: () => {
        const again = new SqliteJournalStore({ path });
        opened.push(again);
        return Promise.resolve(new SqliteForwardStore(again));
      },
      // async: a synchronous throw of exec() must reach the contract as a rejection
      tamper: async (sql) => void journal.database.exec(sql),
    });
  },
  async () => {
    for (const store of opened) await store.close();
    dir.remove();
  },
);
