import { StoreError } from '@tamga/core';

/**
 * Wraps a better-sqlite3 error: `STORE_UNAVAILABLE` when the file cannot be used now (busy, unopenable, full, I/O
 * error), `STORE_FAILED` otherwise. The message names the operation only, never SQL.
 */
export function wrapSqliteError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: string }).code ?? '';
  const unavailable = code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_FULL' || code === 'SQLITE_IOERR';
  return new StoreError(unavailable ? 'STORE_UNAVAILABLE' : 'STORE_FAILED', `SQLite failed to ${what}`, {}, { cause: error });
}
