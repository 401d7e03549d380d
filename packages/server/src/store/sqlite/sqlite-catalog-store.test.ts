import { join } from 'node:path';
import { describeCatalogStoreContract } from '../catalog-store.contract.js';
import { tempDir } from '../../test-support/fixtures.js';
import { SqliteCatalogStore } from './sqlite-catalog-store.js';
import { SqliteJournalStore } from './sqlite-journal-store.js';

const dir = tempDir();
const opened: SqliteJournalStore[] = [];

describeCatalogStoreContract(
  'SqliteCatalogStore',
  () => {
    const path = join(dir.path, 'catalog.sqlite');
    const journal = new SqliteJournalStore({ path });
    opened.push(journal);
    return Promise.resolve({
      store: new SqliteCatalogStore(journal),
      reopen: () => {
        const again = new SqliteJournalStore({ path });
        opened.push(again);
        return Promise.resolve(new SqliteCatalogStore(again));
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
