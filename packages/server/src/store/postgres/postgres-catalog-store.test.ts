import pg from 'pg';
import { it } from 'vitest';
import { describeCatalogStoreContract } from '../catalog-store.contract.js';
import { randomSuffix } from '../../test-support/fixtures.js';
import { PostgresCatalogStore } from './postgres-catalog-store.js';
import { PostgresJournalStore } from './postgres-journal-store.js';

/**
 * Runs against a real PostgreSQL: `TAMGA_TEST_DATABASE_URL`, else the local server (trust auth), in a fresh
 * schema dropped afterwards. Unreachable: skipped with a loud warning, except in CI (`CI=true`) where it fails.
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
  console.warn(`\n*** PostgreSQL is not reachable at ${where}: the PostgreSQL catalogue store suite is SKIPPED ***\n`);
  if (process.env.CI === 'true') {
    it('reaches PostgreSQL (required in CI)', () => {
      throw new Error(`PostgreSQL is not reachable at ${where}; set TAMGA_TEST_DATABASE_URL`);
    });
  } else {
    it.skip('PostgresCatalogStore (PostgreSQL not reachable)', () => undefined);
  }
} else {
  const schema = `tamga_test_catalog_${process.pid}_${randomSuffix()}`;
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
