/**
 * `tamga compact`: rewrites a SQLite journal file while no server has it open. The new file holds the same rows —
 * records, Merkle nodes, checkpoints, the text index — with {@link SQLITE_PAGE_SIZE} pages (a journal made before
 * decision 0057 has 4 KiB) and without the free pages retention's purges left. Integrity is untouched: records,
 * signatures and Merkle heads are copied as they are, so every export and proof stays what it was.
 */
import { existsSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '@tamga/core';
import { syncDirectory, syncFile } from '../../keys/durable-file.js';
import { wrapSqliteError } from './sqlite-errors.js';
import { SQLITE_PAGE_SIZE } from './sqlite-journal-store.js';

/** `bytes` in MB (MiB) for messages, e.g. `1,369.5 MB`. */
export const megabytes = (bytes: number): string =>
  `${(bytes / 1_048_576).toLocaleString('en', { maximumFractionDigits: 1 })} MB`;

/** What a journal file was or became. */
export interface JournalFileFacts {
  readonly pageSize: number;
  /** The file's size. */
  readonly bytes: number;
  /** Pages that hold nothing (freed by purges), reclaimed by a compaction. */
  readonly freePages: number;
}

export interface CompactReport {
  readonly path: string;
  readonly before: JournalFileFacts;
  readonly after: JournalFileFacts;
  readonly ms: number;
}

const facts = (db: Database.Database, path: string): JournalFileFacts => ({
  pageSize: db.pragma('page_size', { simple: true }) as number,
  bytes: statSync(path).size,
  freePages: db.pragma('freelist_count', { simple: true }) as number,
});

/**
 * Rewrites the journal at `path` with `VACUUM INTO` a file beside it, checks the copy (`quick_check`), and renames it
 * over the journal. Refuses, changing nothing, when another connection has the journal open (a running server), when
 * the copy would not fit on the disk, or when the copy fails its check. The journal stays locked against other
 * processes from the first check to the rename, so no append can land in the old file meanwhile.
 */
export function compactSqliteJournal(
  path: string,
  options: { readonly pageSize?: number } = {},
): CompactReport {
  if (!existsSync(path))
    throw new StoreError('STORE_UNAVAILABLE', `There is no journal at ${path}: check the data directory`);
  const started = Date.now();
  const copy = `${path}.compacting`;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true, timeout: 0 });
    // Exclusive locking mode keeps the lock from the first transaction on; in WAL mode SQLite can only take it when
    // no other connection (of this process or another) has the file open.
    db.pragma('locking_mode = EXCLUSIVE');
    try {
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY') !== true) throw error;
      throw new StoreError(
        'STORE_UNAVAILABLE',
        `The journal ${path} is open in another process (is tamga serve running?): stop it, then compact again. Nothing was changed`,
      );
    }
    // Everything in the WAL into the file, so the facts and the copy are the whole journal.
    db.pragma('wal_checkpoint(TRUNCATE)');
    const before = facts(db, path);
    const pageSize = Math.max(before.pageSize, options.pageSize ?? SQLITE_PAGE_SIZE);
    const pageCount = db.pragma('page_count', { simple: true }) as number;
    // The copy holds the used pages; pages of a larger size fill less, so leave room for a tenth more.
    const needed = Math.ceil((pageCount - before.freePages) * before.pageSize * 1.1);
    const { bavail, bsize } = statfsSync(dirname(path));
    if (bavail * bsize < needed) {
      throw new StoreError(
        'STORE_FAILED',
        `Compacting ${path} needs about ${megabytes(needed)} free on its disk (a copy is written beside it); ${megabytes(bavail * bsize)} is free. Nothing was changed`,
      );
    }
    rmSync(copy, { force: true });
    db.pragma(`page_size = ${pageSize}`);
    db.prepare('VACUUM INTO ?').run(copy);
    const check = new Database(copy, { fileMustExist: true });
    let after: JournalFileFacts;
    try {
      const problems = check.pragma('quick_check', { simple: true });
      if (problems !== 'ok')
        throw new StoreError(
          'STORE_FAILED',
          `The compacted copy of ${path} failed its check (${String(problems)}). Nothing was changed`,
        );
      after = facts(check, copy);
    } finally {
      check.close();
    }
    syncFile(copy);
    // Out of WAL mode before the rename: closing this connection afterwards must not touch the -wal and -shm names,
    // which then belong to the new file once a server opens it.
    db.pragma('journal_mode = DELETE');
    for (const suffix of ['-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    renameSync(copy, path);
    syncDirectory(dirname(path));
    return { path, before, after, ms: Date.now() - started };
  } catch (error) {
    // A full or failing disk, a read-only directory, a damaged file: said as the store says it (TamgaErrors as they are).
    throw wrapSqliteError(error, `compact ${path}`, [path]);
  } finally {
    rmSync(copy, { force: true });
    db?.close();
  }
}
