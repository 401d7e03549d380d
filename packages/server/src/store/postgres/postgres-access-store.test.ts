import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../../test-support/postgres.js';
import { describeAccessStoreContract } from '../access-store.contract.js';
import { PostgresAccessStore } from './postgres-access-store.js';
import { PostgresJournalStore } from './postgres-journal-store.js';

/**
 * Runs against a real PostgreSQL: `TAMGA_TEST_DATABASE_URL`, else the local server (trust auth), in a
 * fresh schema dropped afterwards. Unreachable: skipped loudly, except in CI (`CI=true`) where it fails.
 */
const url = await findTestDatabase();

if (url === undefined) {
  reportMissingPostgres('the PostgreSQL access store suite');
} else {
  describeAccessStoreContract('PostgresAccessStore', async () => {
    const journal = await PostgresJournalStore.connect({ url, schema: testSchemaName() });
    return {
      store: await PostgresAccessStore.open(journal.pool, journal.schema),
      reopen: () => PostgresAccessStore.open(journal.pool, journal.schema),
      async close() {
        await journal.dropSchema();
        await journal.close();
      },
    };
  });
}
