import { describeCatalogStoreContract } from '../catalog-store.contract.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../../test-support/postgres.js';
import { PostgresCatalogStore } from './postgres-catalog-store.js';
import { PostgresJournalStore } from './postgres-journal-store.js';

/**
 * Runs against a real PostgreSQL: `TAMGA_TEST_DATABASE_URL`, else the local server (trust auth), in a fresh
 * schema dropped afterwards. Unreachable: skipped with a loud warning, except in CI (`CI=true`) where it fails.
 */
const url = await findTestDatabase();

if (url === undefined) {
  reportMissingPostgres('the PostgreSQL catalogue store suite');
} else {
  const schema = testSchemaName('tamga_test_catalog');
  const opened: PostgresJournalStore[] = [];
  const connect = async (): Promise<PostgresJournalStore> => {
    const journal = await PostgresJournalStore.connect({ url, schema, poolSize: 2 });
    opened.push(journal);
    return journal;
  };
  describeCatalogStoreContract(
    'PostgresCatalogStore',
    async () => {
      const journal = await connect();
      return {
        store: await PostgresCatalogStore.open(journal),
        reopen: async () => PostgresCatalogStore.open(await connect()),
        tamper: async (sql) => void (await journal.pool.query(sql)),
      };
    },
    async () => {
      await opened[0]?.dropSchema();
      for (const store of opened) await store.close();
    },
  );
}
