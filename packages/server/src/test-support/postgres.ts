import pg from 'pg';
import { it } from 'vitest';
import { randomSuffix } from './fixtures.js';

/**
 * Where the PostgreSQL suites look for a server: `TAMGA_TEST_DATABASE_URL`, else this machine's local server
 * (trust auth), first as `postgres` on database `test`, then as `root` on database `root`.
 */
export const TEST_DATABASE_URLS: readonly string[] = process.env.TAMGA_TEST_DATABASE_URL
  ? [process.env.TAMGA_TEST_DATABASE_URL]
  : ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/root'];

/** The first URL that answers, or undefined when PostgreSQL is unreachable. */
export async function findTestDatabase(): Promise<string | undefined> {
  for (const url of TEST_DATABASE_URLS) {
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

/** A schema name of its own for one test run, so runs don't interfere; drop it afterwards. */
export function testSchemaName(prefix = 'tamga_test'): string {
  return `${prefix}_${process.pid}_${randomSuffix()}`;
}

/**
 * Says loudly that a PostgreSQL suite cannot run. With `CI=true` it registers a failing test instead: in CI a
 * missing PostgreSQL is a failure, never a silent skip.
 */
export function reportMissingPostgres(suite: string): void {
  const where = TEST_DATABASE_URLS.join(' or ');
  console.warn(`\n*** PostgreSQL is not reachable at ${where}: ${suite} is SKIPPED ***\n`);
  if (process.env.CI === 'true') {
    it(`${suite} reaches PostgreSQL (required in CI)`, () => {
      throw new Error(`PostgreSQL is not reachable at ${where}; set TAMGA_TEST_DATABASE_URL`);
    });
  } else {
    it.skip(`${suite} (PostgreSQL not reachable)`, () => undefined);
  }
}
