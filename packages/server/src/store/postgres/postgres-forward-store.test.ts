import { describeForwardStoreContract } from '../forward-store.contract.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../../test-support/postgres.js';
import { PostgresForwardStore } from './postgres-forward-store.js';
import { PostgresJournalStore } from './postgres-journal-store.js';

/**
 * Runs against a real PostgreSQL: `TAMGA_TEST_DATABASE_URL`, else the local server (trust auth), in a fresh
 * schema dropped afterwards. Unreachable: skipped with a loud warning, except in CI (`CI=true`) where it fails.
 */
const url = await findTestDatabase();

if (url === undefined) {
  reportMissingPostgres('the PostgreSQL forwarding store suite');
} else {
  const schema = testSchemaName('tamga_test_forward');
  const opened: PostgresJournalStore[] = [];
  const forwardStores: PostgresForwardStore[] = [];
  const connect = async (): Promise<PostgresForwardStore> => {
    const journal = await PostgresJournalStore.connect({ url, schema, poolSize: 2 });
    opened.push(journal);
    const store = await PostgresForwardStore.open(journal);
    forwardStores.push(store);
    return store;
  };
  describeForwardStoreContract(
    'PostgresForwardStore',
    async () => {
      const store = await connect();
      return {
        store,
        reopen: connect,
        tamper: async (sql) => void (await opened[0]!.pool.query(sql)),
      };
    },
    async () => {
      for (const store of forwardStores) await store.close();
      await opened[0]?.dropSchema();
      for (const store of opened) await store.close();
    },
  );
}
