import Database from 'better-sqlite3';
import type { SearchIndexStatus } from '../../journal/journal-store.js';
import { entitySearchTextOfJson, holdsSearchedText } from '../../journal/searched-text.js';

/** FTS5's `automerge` of the text index (see the schema). */
export const FTS_AUTOMERGE = 8;

/**
 * The text index of the SQLite store: an FTS5 table with the `trigram` tokenizer (case_sensitive 0, which folds
 * Unicode case: Cyrillic as well as Latin), keyed by the record's `rid`, holding its `text` and the values of its
 * `entityData` (`entitySearchText`: its strings and numbers, not its keys or punctuation).
 *
 * Once started, each append group indexes what it stored in its own transaction (`SqliteAppender`, on the writer
 * thread: no transaction, commit or lock of the index's own, nothing on the thread serving HTTP). A follower indexes
 * what is left behind (a journal made before the index, records appended while it was not started): it reads the
 * records after the last one indexed (by `rid`, which SQLite's single writer assigns in commit order) in slices of
 * {@link INDEX_SLICE} and indexes each slice in a transaction of its own, on the connection that appends. A search reads the index for the records it covers
 * and scans the few after it ({@link SqliteTextIndex.tailHits}), so a result never misses a record; the answer says how
 * far behind the index is. A journal made before the index existed is indexed the same way after the upgrade.
 */
export const SQLITE_TEXT_INDEX_SCHEMA = `
-- created_at and log_id are kept beside the trigrams (UNINDEXED, stored although the table is contentless): the count
-- and histogram of a search that narrows only by time and tenant are read from here, never from the records.
CREATE VIRTUAL TABLE IF NOT EXISTS record_text USING fts5(
  text, entity_values, created_at UNINDEXED, log_id UNINDEXED,
  content='', contentless_delete=1, contentless_unindexed=1, tokenize='trigram case_sensitive 0');
-- How far the follower got: every record with rid <= through is in record_text.
CREATE TABLE IF NOT EXISTS record_text_state (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  through  INTEGER NOT NULL
);
INSERT OR IGNORE INTO record_text_state (id, through) VALUES (1, 0);
-- Segments a level gathers before they are merged into one of the next level (FTS5's default is 4). Appends pay for the
-- merges: each level rewrites the doclists once, so 8 rewrites them ~1.5 times fewer over the journal's life, and a
-- search reads at most 7 segments a level (docs/decisions/0053-writer-columns-and-fts-merges.md).
INSERT INTO record_text (record_text, rank) VALUES ('automerge', ${FTS_AUTOMERGE});`;

/** Records one slice of the follower indexes in one transaction. */
export const INDEX_SLICE = 2000;
/** Pause of the follower once it has caught up, ms. */
const IDLE_MS = 200;
/** Rows of the tail a search reads between two turns of other requests. */
const TAIL_SLICE = 2000;

/** Records past the index up to which a search reads them by rid range; beyond, through the filter's time index. */
const SMALL_TAIL = 50_000;

/** Shortest `q`, in characters: a trigram index has nothing for one or two. */
export const MIN_TEXT_QUERY = 3;

export interface TextRow {
  rid: number;
  text: string | null;
  entity_data: string | null;
}

/** What the index keeps of one record, as an append group has it in hand. */
export interface IndexedText {
  readonly rid: number;
  readonly text: string | null;
  /** The searched text of `entityData` (`entitySearchText`). */
  readonly entityValues: string | null;
  readonly createdAt: number;
  readonly logId: number;
}

/**
 * Rids `[lo, hi]` holding every record of a time range (a superset: the index's doclists are read within it only, so a
 * common word costs what it costs in the range, not in the whole journal).
 */
export interface RidSpan {
  readonly lo: number;
  readonly hi: number;
}

/** What a search narrows by besides `q` when its count and histogram come from the index alone. */
export interface IndexedRange {
  readonly from: number | undefined;
  readonly to: number | undefined;
  /** The logs of the caller's tenants; undefined: every log. */
  readonly logIds: readonly number[] | undefined;
  readonly span: RidSpan | undefined;
}

/** `q` as an FTS5 phrase: a literal substring (double quotes doubled), every other character taken as is. */
export function ftsPhrase(q: string): string {
  return `"${q.replaceAll('"', '""')}"`;
}

/** The follower and the reads of the index; one per store. */
export class SqliteTextIndex {
  readonly #db: Database.Database;
  readonly #stmt: {
    through: Database.Statement<[], { through: number }>;
    setThrough: Database.Statement<[number]>;
    next: Database.Statement<[number, number], TextRow & { created_at: number; log_id: number }>;
    insert: Database.Statement<[number, string | null, string | null, number, number]>;
    lastRid: Database.Statement<[], { rid: number | null }>;
    firstPending: Database.Statement<[number], { api_created_at: number } | undefined>;
  };
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #closed = false;
  #onError: (error: unknown) => void = () => undefined;

  readonly #smallTail: number;

  /**
   * `smallTail`: records past the index up to which a search reads them by rid range (default 50,000). `createSchema`
   * false: the tables exist already (a read-only connection, which could not create them).
   */
  constructor(db: Database.Database, { smallTail = SMALL_TAIL, createSchema = true } = {}) {
    this.#db = db;
    this.#smallTail = smallTail;
    if (createSchema) {
      const existing = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'record_text'").get() as { sql: string } | undefined;
      if (existing !== undefined && !existing.sql.includes('entity_values')) {
        // An index made before it kept created_at and log_id, or that holds entityData's JSON rather than its values:
        // built again from the first record, by the follower.
        db.transaction(() => db.exec('DROP TABLE record_text; UPDATE record_text_state SET through = 0 WHERE id = 1')).immediate();
      }
      // A contentless FTS5 table's DROP leaves the shadow table of its UNINDEXED values behind (SQLite 3.53), and the
      // next CREATE would fail on it. The connection that dropped the table refuses to drop it ("may not be dropped"):
      // another one does.
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'record_text'").get() === undefined) {
        if (db.memory) db.exec('DROP TABLE IF EXISTS record_text_content');
        else {
          const other = new Database(db.name);
          try {
            other.pragma('busy_timeout = 5000');
            other.exec('DROP TABLE IF EXISTS record_text_content');
          } finally {
            other.close();
          }
        }
      }
      db.exec(SQLITE_TEXT_INDEX_SCHEMA);
    }
    this.#stmt = {
      through: db.prepare('SELECT through FROM record_text_state WHERE id = 1'),
      setThrough: db.prepare('UPDATE record_text_state SET through = ? WHERE id = 1'),
      next: db.prepare('SELECT rid, text, entity_data, created_at, log_id FROM records WHERE rid > ? ORDER BY rid LIMIT ?'),
      insert: db.prepare('INSERT INTO record_text (rowid, text, entity_values, created_at, log_id) VALUES (?, ?, ?, ?, ?)'),
      lastRid: db.prepare('SELECT max(rid) AS rid FROM records'),
      firstPending: db.prepare('SELECT api_created_at FROM records WHERE rid > ? ORDER BY rid LIMIT 1'),
    };
  }

  /** Starts the follower; `onError` hears of a slice that failed (it is tried again later). */
  start(onError?: (error: unknown) => void): void {
    if (onError !== undefined) this.#onError = onError;
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      let indexed = 0;
      try {
        indexed = this.indexSlice();
      } catch (error) {
        this.#onError(error);
      }
      this.#schedule(indexed === INDEX_SLICE ? 0 : IDLE_MS);
    }, ms);
    this.#timer.unref();
  }

  /** Indexes the next slice of records after the last one indexed, in one transaction; returns how many. */
  indexSlice(max = INDEX_SLICE): number {
    if (this.#running || !this.#db.open) return 0;
    // Nothing new: no write transaction (it would take the write lock from the appends for nothing).
    if (this.lastRid() <= this.through()) return 0;
    this.#running = true;
    try {
      return this.#db.transaction(() => this.indexInTransaction(max)).immediate();
    } finally {
      this.#running = false;
    }
  }

  /**
   * Indexes the records after the last one indexed, at most `max`, inside the caller's transaction: an append group's
   * own (`SqliteAppender`), which then commits its records and their index entries together, with no transaction,
   * commit or write lock of the index's own. Returns how many.
   */
  indexInTransaction(max: number): number {
    const through = this.#stmt.through.get()!.through;
    const rows = this.#stmt.next.all(through, max);
    for (const row of rows) this.#stmt.insert.run(row.rid, row.text, entitySearchTextOfJson(row.entity_data), row.created_at, row.log_id);
    if (rows.length > 0) this.#stmt.setThrough.run(rows[rows.length - 1]!.rid);
    return rows.length;
  }

  /**
   * Inside the caller's transaction, indexes the records an append group has just stored (`stored`: ascending,
   * contiguous rids), from the values in hand rather than read back, when they are exactly the records after the
   * last one indexed; otherwise (records left behind) as {@link indexInTransaction} does, with a slice more. Returns
   * how many.
   */
  indexStored(stored: readonly IndexedText[]): number {
    const through = this.#stmt.through.get()!.through;
    if (stored.length === 0 || stored[0]!.rid !== through + 1) return this.indexInTransaction(stored.length + INDEX_SLICE);
    for (const r of stored) this.#stmt.insert.run(r.rid, r.text, r.entityValues, r.createdAt, r.logId);
    this.#stmt.setThrough.run(stored[stored.length - 1]!.rid);
    return stored.length;
  }

  /** Indexes until no record is left (tests, tools). */
  catchUp(): void {
    while (this.indexSlice() > 0);
  }

  /** The rid through which every record is indexed. */
  through(): number {
    return this.#stmt.through.get()!.through;
  }

  /** How far the index is behind the records. */
  status(nowMicros = Date.now() * 1000): SearchIndexStatus {
    const through = this.through();
    const last = this.lastRid();
    if (last <= through) return { pending: 0, behindMicros: 0 };
    const first = this.#stmt.firstPending.get(through);
    return { pending: last - through, behindMicros: first === undefined ? 0 : Math.max(0, nowMicros - first.api_created_at) };
  }

  /**
   * The rids after `through` that `where` selects and whose text holds `q`, ignoring case: the records the index does
   * not cover yet, read {@link TAIL_SLICE} at a time with other requests served between slices.
   */
  async tailHits(through: number, q: string, where: { sql: string; params: unknown[] }): Promise<number[]> {
    const needle = q.toLowerCase();
    const pending = this.lastRid() - through;
    const hits: number[] = [];
    const take = (rows: readonly (TextRow & { selected: number })[]): void => {
      for (const row of rows) if (row.selected === 1 && holdsSearchedText(row.text, row.entity_data, needle)) hits.push(row.rid);
    };
    if (pending <= this.#smallTail) {
      // The filter is a column, not a condition: the rows come by rid range alone, never from a walk over the time
      // range's index in search of the few rids past the index.
      const selected = where.sql === '' ? '1' : where.sql.replace(/^WHERE /, '');
      const statement = this.#db.prepare(`SELECT rid, text, entity_data, (${selected}) AS selected FROM records WHERE rid > ? ORDER BY rid LIMIT ?`);
      for (let after = through, first = true; ; first = false) {
        if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
        const rows = statement.all(...where.params, after, TAIL_SLICE) as (TextRow & { selected: number })[];
        take(rows);
        if (rows.length < TAIL_SLICE) return hits;
        after = rows[rows.length - 1]!.rid;
      }
    }
    // A long tail (a journal indexed after an upgrade): the filter's own index in time order, a slice at a time.
    const and = where.sql === '' ? 'WHERE' : `${where.sql} AND`;
    const fromStart = this.#db.prepare(`SELECT rid, created_at, text, entity_data, 1 AS selected FROM records ${and} rid > ? ORDER BY created_at, rid LIMIT ?`);
    const fromCursor = this.#db.prepare(
      `SELECT rid, created_at, text, entity_data, 1 AS selected FROM records ${and} rid > ? AND (created_at > ? OR (created_at = ? AND rid > ?)) ORDER BY created_at, rid LIMIT ?`,
    );
    let cursor: { createdAt: number; rid: number } | undefined;
    for (let first = true; ; first = false) {
      if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
      const rows = (
        cursor === undefined
          ? fromStart.all(...where.params, through, TAIL_SLICE)
          : fromCursor.all(...where.params, through, cursor.createdAt, cursor.createdAt, cursor.rid, TAIL_SLICE)
      ) as (TextRow & { selected: number; created_at: number })[];
      take(rows);
      if (rows.length < TAIL_SLICE) return hits;
      const last = rows[rows.length - 1]!;
      cursor = { createdAt: last.created_at, rid: last.rid };
    }
  }

  /** The newest record's rid (0 in an empty journal): the index's work ends there. */
  lastRid(): number {
    return this.#stmt.lastRid.get()!.rid ?? 0;
  }

  /**
   * The rid of the indexed record that is the `n`-th (from 1) to hold the FTS5 phrase in rids `[lo, hi]`, counted from
   * `hi` down (from `lo` up with `asc`); undefined when fewer hold it. The doclists are read from that end and no
   * further: a common word's n-th match costs what n matches cost, not what all of them do (a count of the 200,000
   * "error"s of 10 M records takes ~30 ms).
   */
  nthMatch(phrase: string, n: number, lo = 0, hi = Number.MAX_SAFE_INTEGER, asc = false): number | undefined {
    return this.#db
      .prepare(`SELECT rowid FROM record_text WHERE record_text MATCH ? AND rowid >= ? AND rowid <= ? ORDER BY rowid ${asc ? 'ASC' : 'DESC'} LIMIT 1 OFFSET ?`)
      .pluck()
      .get(phrase, lo, hi, n - 1) as number | undefined;
  }

  /**
   * Per bucket of `bucketMicros` from `origin` (one bucket without them), the records up to rid `through` that hold the
   * FTS5 phrase in `range`: read from the index alone (the match's rids and their stored created_at and log_id), however many
   * records the range holds.
   */
  matchBuckets(phrase: string, through: number, range: IndexedRange, bucket?: { origin: number; bucketMicros: number }): { b: number; n: number }[] {
    // rowid <= through: the records the index held when the caller read the tail after it, not one the follower added
    // since. One lower and one upper bound of rowid, first: FTS5 seeks its doclists by the first of each it is given.
    const clauses = ['record_text MATCH ?', 'rowid >= ?', 'rowid <= ?'];
    const params: unknown[] = [phrase, range.span?.lo ?? 0, Math.min(through, range.span?.hi ?? through)];
    if (range.from !== undefined) {
      clauses.push('created_at >= ?');
      params.push(range.from);
    }
    if (range.to !== undefined) {
      clauses.push('created_at < ?');
      params.push(range.to);
    }
    if (range.logIds !== undefined) clauses.push(`log_id IN (${range.logIds.length > 0 ? range.logIds.join(',') : 'NULL'})`);
    const b = bucket === undefined ? '0' : 'CAST((created_at - ?) / ? AS INTEGER)';
    const sql = `SELECT ${b} AS b, count(*) AS n FROM record_text WHERE ${clauses.join(' AND ')} GROUP BY b ORDER BY b`;
    return this.#db.prepare(sql).all(...(bucket === undefined ? [] : [bucket.origin, bucket.bucketMicros]), ...params) as { b: number; n: number }[];
  }

  /** Removes erased records from the index (their text must not be found any more). */
  forget(rids: readonly number[]): void {
    const through = this.through();
    const del = this.#db.prepare('DELETE FROM record_text WHERE rowid = ?');
    for (const rid of rids) if (rid <= through) del.run(rid);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
