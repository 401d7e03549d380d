import pg from 'pg';
import { it } from 'vitest';
import { randomSuffix } from '../../test-support/fixtures.js';
import { describeAccessStoreContract } from '../access-store.contract.js';
import { PostgresAccessStore } from './postgres-access-store.js';
import { PostgresJournalStore } from './postgres-journal-store.js';

/**
 * Runs against a real PostgreSQL: `TAMGA_TEST_DATABASE_URL`, else the local server (trust auth), in a
 * fresh schema dropped afterwards. Unreachable: skipped loudly, except in CI (`CI=true`) where it fails.
 */
const CANDIDATE_URLS = process.env.TAMGA_TEST_DATABASE_URL
  ? [process.env.TAMGA_TEST_DATABASE_URL]
  : ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/root'];

async function findDatabase(): Promise<string | undefined> {
  for (const url of CANDIDATE_URLS) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return url;
    } catch {
      // try the next candidate
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return undefined;
}

const url = await findDatabase();

if (url === undefined) {
  const where = CANDIDATE_URLS.join(' or ');
  console.warn(`\n*** PostgreSQL is not reachable at ${where}: the PostgreSQL access store suite is SKIPPED ***\n`);
  if (process.env.CI === 'true') {
    it('reaches PostgreSQL (required in CI)', () => {
      throw new Error(`PostgreSQL is not reachable at ${where}; set TAMGA_TEST_DATABASE_URL`);
    });
  } else {
    it.skip('PostgresAccessStore (PostgreSQL not reachable)', () => undefined);
  }
} else {
  describeAccessStoreContract('PostgresAccessStore', async () => {
    const journal = await PostgresJournalStore.connect({ url, schema: `tamga_test_${process.pid}_${randomSuffix()}` });
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
