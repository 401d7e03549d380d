import { TamgaError } from '@tamga/core';
import type { ReaderPriority } from './sqlite/sqlite-reader-threads.js';

/** Settings of the stores: SQLite's readiness margin, PostgreSQL's timeouts. */
export interface StoreConfig {
  /**
   * `TAMGA_MIN_FREE_DISK_MB`: free space the SQLite database's file system must keep for `/readyz` to answer ready.
   * Default 64 (MiB); 0 checks only that a write commits.
   */
  readonly minFreeDiskBytes: number;
  /** `TAMGA_DATABASE_CONNECT_TIMEOUT_SECONDS`: how long to wait for a PostgreSQL connection (new or pooled). Default 5. */
  readonly connectTimeoutMs: number;
  /**
   * `TAMGA_DATABASE_STATEMENT_TIMEOUT_SECONDS`: longest a PostgreSQL statement may run (the server's
   * `statement_timeout`); 2 s later the client gives up on a database that does not answer at all. Default 10.
   */
  readonly statementTimeoutMs: number;
  /**
   * `TAMGA_SQLITE_READERS`: reader threads that run SQLite's queries, exports and Merkle reads, each on a read-only
   * connection, so that none holds the thread serving HTTP and appends. Default 2; 0 runs them on that thread.
   */
  readonly sqliteReaders: number;
  /**
   * `TAMGA_SQLITE_READER_PRIORITY`: how the reader threads yield the cores to appends. `low` (default): nice 10.
   * `idle`: Linux's SCHED_IDLE class, only CPU time nothing else wants — appends lose the least to queries beside them,
   * and under full load a query waits; for a machine given to Tamga.
   */
  readonly sqliteReaderPriority: ReaderPriority;
  /**
   * `TAMGA_SQLITE_EXPORT_PRIORITY`: where the pages of exports and evidence bundles are read. `idle` (default): on a
   * thread of their own in SCHED_IDLE, so an export takes only the CPU time appends and queries leave (on the pool
   * while that is too little to go on); `low`: on the pool, at `sqliteReaderPriority`.
   */
  readonly sqliteExportPriority: ReaderPriority;
}

/** The defaults of {@link StoreConfig}. */
export const DEFAULT_STORE_CONFIG: StoreConfig = Object.freeze({
  minFreeDiskBytes: 64 * 1024 * 1024,
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 10_000,
  sqliteReaders: 2,
  sqliteReaderPriority: 'low',
  sqliteExportPriority: 'idle',
});

/** A number of `unit`s from `env[name]`, at least `min`; `fallback` when unset. */
function amount(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, unit: string): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) {
    throw new TamgaError('CONFIG_INVALID', `${name} must be a number of ${unit} of at least ${min}, not "${text}"`, { field: name });
  }
  return value;
}

/** `env[name]`, `low` or `idle`; `fallback` when unset. */
function readerPriority(env: NodeJS.ProcessEnv, name: string, fallback: ReaderPriority): ReaderPriority {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (text === 'low' || text === 'idle') return text;
  throw new TamgaError('CONFIG_INVALID', `${name} must be low or idle, not "${text}"`, { field: name });
}

/** Reads {@link StoreConfig} from `env`; a malformed number is `CONFIG_INVALID`. Seconds may have decimals. */
export function loadStoreConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const d = DEFAULT_STORE_CONFIG;
  return {
    minFreeDiskBytes: Math.round(amount(env, 'TAMGA_MIN_FREE_DISK_MB', d.minFreeDiskBytes / 1024 / 1024, 0, 'MiB') * 1024 * 1024),
    connectTimeoutMs: Math.round(amount(env, 'TAMGA_DATABASE_CONNECT_TIMEOUT_SECONDS', d.connectTimeoutMs / 1000, 0.1, 'seconds') * 1000),
    statementTimeoutMs: Math.round(amount(env, 'TAMGA_DATABASE_STATEMENT_TIMEOUT_SECONDS', d.statementTimeoutMs / 1000, 0.1, 'seconds') * 1000),
    sqliteReaders: Math.floor(amount(env, 'TAMGA_SQLITE_READERS', d.sqliteReaders, 0, 'threads')),
    sqliteReaderPriority: readerPriority(env, 'TAMGA_SQLITE_READER_PRIORITY', d.sqliteReaderPriority),
    sqliteExportPriority: readerPriority(env, 'TAMGA_SQLITE_EXPORT_PRIORITY', d.sqliteExportPriority),
  };
}
