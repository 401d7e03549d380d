import type { AccessStore } from '../auth/access-store.js';
import type { JournalStore } from '../journal/journal-store.js';
import { PostgresAccessStore } from './postgres/postgres-access-store.js';
import { PostgresJournalStore } from './postgres/postgres-journal-store.js';
import { SqliteAccessStore } from './sqlite/sqlite-access-store.js';
import { SqliteJournalStore } from './sqlite/sqlite-journal-store.js';

/**
 * The access store on the same database as `store` (same SQLite file, same PostgreSQL pool and schema),
 * with its tables created when missing. A store of another kind needs its own access store.
 */
export async function openAccessStore(store: JournalStore): Promise<AccessStore> {
  if (store instanceof SqliteJournalStore) return new SqliteAccessStore(store.database);
  if (store instanceof PostgresJournalStore) return PostgresAccessStore.open(store.pool, store.schema);
  throw new TypeError(`No access store for a ${store.kind} journal store; pass one in the options`);
}
