import { closeSync, openSync, readSync } from 'node:fs';
import { StoreError, TamgaError } from '@tamga/core';

/*
 * How a better-sqlite3 error becomes a StoreError: one classification for every SQLite store, so the same disk
 * failure answers the same from each. better-sqlite3 gives the extended result code as `code` (SQLITE_IOERR_FSYNC,
 * SQLITE_CORRUPT_INDEX, …); the class is its primary code, the part before the second underscore
 * (https://sqlite.org/rescode.html).
 */

/** What went wrong, by primary result code, for codes that mean "not now" (503, retry later). */
const UNAVAILABLE: Readonly<Record<string, string>> = {
  SQLITE_BUSY: 'the database is locked by another process',
  SQLITE_LOCKED: 'the database is locked',
  SQLITE_IOERR: 'the disk failed to read or write (I/O error)',
  SQLITE_FULL: 'the disk is full',
  SQLITE_CANTOPEN: 'the database file cannot be opened',
  SQLITE_READONLY: 'the database file is read-only (a file system remounted read-only after errors?)',
  SQLITE_PERM: 'the operating system denied access to the database file',
  SQLITE_NOMEM: 'SQLite ran out of memory',
  SQLITE_PROTOCOL: 'the WAL lock protocol failed (another process?)',
  SQLITE_NOLFS: 'the file system cannot hold a file this large',
};

/** Primary codes meaning the database file is damaged: retrying does not help, an operator must act. */
const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** What an operator does about a damaged database (also in docs/errors.md, STORE_CORRUPT). */
export const CORRUPT_ADVICE =
  'Stop Tamga and keep a copy of its data directory as it is; check the file with ' +
  "`sqlite3 tamga.sqlite 'PRAGMA integrity_check'`, restore it from a backup, and verify every log " +
  '(tamga export, then tamga verify) before starting again. Producers keep their events and retry meanwhile.';

/** The primary result code of a better-sqlite3 error (`SQLITE_IOERR` for `SQLITE_IOERR_FSYNC`), or undefined. */
export function primarySqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const second = code.indexOf('_', 'SQLITE_'.length);
  return second === -1 ? code : code.slice(0, second);
}

/** Whether the start of `path` can be read (true for a file that does not exist: nothing to fail on). */
function isReadable(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    readSync(fd, Buffer.alloc(512), 0, 512, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'ENOENT';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Wraps a driver error; the message names the operation and the condition, never SQL text or the driver's code. Busy, I/O, full-disk,
 * read-only and open errors are `STORE_UNAVAILABLE` (503, retry later); a damaged file (`SQLITE_CORRUPT*`,
 * `SQLITE_NOTADB`) is `STORE_CORRUPT` with what to do — unless one of the database's `files` cannot be read, which
 * makes it a failing disk (`STORE_UNAVAILABLE`); anything else `STORE_FAILED`. Tamga's own errors (raised on purpose
 * inside the store, e.g. ID_CONFLICT) pass unchanged.
 */
export function wrapSqliteError(error: unknown, what: string, files?: readonly string[]): TamgaError {
  if (error instanceof TamgaError) return error;
  // The extended code stays in `cause`, for the server log; the answer says what it means.
  let primary = primarySqliteCode(error);
  // A disk that fails to read makes SQLite see pages of garbage and say SQLITE_CORRUPT (seen after ext4 shut down):
  // the file is not damaged, the disk is. Only a file that reads back is called damaged.
  if (primary !== undefined && CORRUPT.has(primary) && files !== undefined && !files.every(isReadable)) primary = 'SQLITE_IOERR';
  if (primary !== undefined && CORRUPT.has(primary)) {
    // Retrying soon does not help: producers are told to come back in a minute (their SDKs keep the events).
    return new StoreError('STORE_CORRUPT', `SQLite could not ${what}: the database file is damaged. ${CORRUPT_ADVICE}`, { retryAfter: 60 }, { cause: error });
  }
  const condition = primary === undefined ? undefined : UNAVAILABLE[primary];
  if (condition !== undefined) {
    return new StoreError('STORE_UNAVAILABLE', `SQLite could not ${what}: ${condition}`, {}, { cause: error });
  }
  return new StoreError('STORE_FAILED', `SQLite failed to ${what}`, {}, { cause: error });
}
