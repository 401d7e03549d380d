import type { CheckedRecord, JournalStore, StoredRecord } from '../journal/journal-store.js';

/** A contiguous run of a log's records kept in memory: `rows[i]` has `seq` = `from + i`. */
interface Window {
  from: number;
  rows: StoredRecord[];
}

/** Default of the records kept per log. */
const DEFAULT_PER_LOG = 5_000;
/** Default of the records kept over all logs (about 20–30 MB of records). */
const DEFAULT_TOTAL = 10_000;

/**
 * Reads records by log and `seq` for every destination at once: destinations that follow the same logs closely
 * (the usual case: they all deliver what was just appended) read each record and check its integrity once, not once
 * each. Per log it keeps the most recent contiguous run of records read (at most `perLog`, `total` over all logs,
 * least recently used logs dropped first); a read outside it goes to the store and leaves it alone, so a destination
 * catching up does not push out what the others are about to read. Records are shared: callers must not change them.
 */
export class SharedRecordReader {
  readonly #store: JournalStore;
  readonly #check: (record: StoredRecord) => CheckedRecord;
  readonly #perLog: number;
  readonly #total: number;
  /** By log id, least recently used first (a Map keeps insertion order). */
  readonly #windows = new Map<number, Window>();
  readonly #checked = new WeakMap<StoredRecord, CheckedRecord>();
  #size = 0;

  constructor(store: JournalStore, check: (record: StoredRecord) => CheckedRecord, limits: { perLog?: number; total?: number } = {}) {
    this.#store = store;
    this.#check = check;
    this.#perLog = limits.perLog ?? DEFAULT_PER_LOG;
    this.#total = limits.total ?? DEFAULT_TOTAL;
  }

  /** Records kept in memory now (for tests and the bench). */
  get size(): number {
    return this.#size;
  }

  /** Records of a log with `seq` in `[from, to)`, in order (as {@link JournalStore.readRecordsBySeq}). */
  async read(logId: number, from: number, to: number): Promise<StoredRecord[]> {
    const window = this.#windows.get(logId);
    if (window !== undefined) {
      this.#touch(logId, window);
      const end = window.from + window.rows.length;
      if (from >= window.from && to <= end) return window.rows.slice(from - window.from, to - window.from);
      if (from >= window.from && from <= end) {
        const head = window.rows.slice(from - window.from);
        const more = await this.#store.readRecordsBySeq(logId, end, to);
        // Another destination may have extended the window meanwhile; then it already holds these records.
        if (this.#windows.get(logId) === window && window.from + window.rows.length === end) this.#append(logId, window, more);
        return [...head, ...more];
      }
      // Behind the window (a destination catching up): read around it, leaving it to the others.
      if (from < window.from) return this.#store.readRecordsBySeq(logId, from, to);
    }
    // No window yet, or a gap after it: this read starts the log's window.
    const rows = await this.#store.readRecordsBySeq(logId, from, to);
    this.#replace(logId, rows[0]?.seq ?? from, rows);
    return rows;
  }

  /** The record checked ({@link Journal.check}), once however many destinations ask. */
  check(record: StoredRecord): CheckedRecord {
    let checked = this.#checked.get(record);
    if (checked === undefined) {
      checked = this.#check(record);
      this.#checked.set(record, checked);
    }
    return checked;
  }

  #touch(logId: number, window: Window): void {
    this.#windows.delete(logId);
    this.#windows.set(logId, window);
  }

  #append(logId: number, window: Window, rows: readonly StoredRecord[]): void {
    for (const row of rows) {
      if (row.seq !== window.from + window.rows.length) break;
      window.rows.push(row);
      this.#size++;
    }
    const excess = window.rows.length - this.#perLog;
    if (excess > 0) {
      window.rows.splice(0, excess);
      window.from += excess;
      this.#size -= excess;
    }
    this.#shrink(logId);
  }

  #replace(logId: number, from: number, rows: readonly StoredRecord[]): void {
    const old = this.#windows.get(logId);
    if (old !== undefined) this.#size -= old.rows.length;
    this.#windows.delete(logId);
    const window: Window = { from, rows: [] };
    this.#windows.set(logId, window);
    this.#append(logId, window, rows);
  }

  /** Drops least recently used logs (never `keep`) until the total fits. */
  #shrink(keep: number): void {
    for (const [logId, window] of this.#windows) {
      if (this.#size <= this.#total) return;
      if (logId === keep) continue;
      this.#windows.delete(logId);
      this.#size -= window.rows.length;
    }
  }
}
