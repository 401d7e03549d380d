import type Database from 'better-sqlite3';
import type { SearchIndexStatus } from '../../journal/journal-store.js';

/**
 * The text index of the SQLite store: an FTS5 table with the `trigram` tokenizer (case_sensitive 0, which folds
 * Unicode case: Cyrillic as well as Latin), keyed by the record's `rid`, holding its `text` and its `entityData` JSON.
 *
 * It is filled behind the append, not in it: a follower reads the records after the last one it indexed (by `rid`,
 * which SQLite's single writer assigns in commit order) in slices of {@link INDEX_SLICE} and indexes each slice in a
 * transaction of its own, between which every other request runs. A search reads the index for the records it covers
 * and scans the few after it ({@link SqliteTextIndex.tailHits}), so a result never misses a record; the answer says how
 * far behind the index is. A journal made before the index existed is indexed the same way after the upgrade.
 */
export const SQLITE_TEXT_INDEX_SCHEMA = `
CREATE VIRTUAL TABLE IF NOT EXISTS record_text USING fts5(
  text, entity, content='', contentless_delete=1, tokenize='trigram case_sensitive 0');
-- How far the follower got: every record with rid <= through is in record_text.
CREATE TABLE IF NOT EXISTS record_text_state (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  through  INTEGER NOT NULL
);
INSERT OR IGNORE INTO record_text_state (id, through) VALUES (1, 0);`;

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

interface TextRow {
  rid: number;
  text: string | null;
  entity_data: string | null;
}

/** Whether `text` or `entityData`'s JSON holds `needle` (already lower-case), ignoring case. */
export function holdsText(row: { text: string | null; entity_data: string | null }, needle: string): boolean {
  return (row.text !== null && row.text.toLowerCase().includes(needle)) || (row.entity_data !== null && row.entity_data.toLowerCase().includes(needle));
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
    next: Database.Statement<[number, number], TextRow>;
    insert: Database.Statement<[number, string | null, string | null]>;
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
    if (createSchema) db.exec(SQLITE_TEXT_INDEX_SCHEMA);
    this.#stmt = {
      through: db.prepare('SELECT through FROM record_text_state WHERE id = 1'),
      setThrough: db.prepare('UPDATE record_text_state SET through = ? WHERE id = 1'),
      next: db.prepare('SELECT rid, text, entity_data FROM records WHERE rid > ? ORDER BY rid LIMIT ?'),
      insert: db.prepare('INSERT INTO record_text (rowid, text, entity) VALUES (?, ?, ?)'),
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
    if ((this.#stmt.lastRid.get()!.rid ?? 0) <= this.through()) return 0;
    this.#running = true;
    try {
      return this.#db
        .transaction(() => {
          const through = this.#stmt.through.get()!.through;
          const rows = this.#stmt.next.all(through, max);
          for (const row of rows) this.#stmt.insert.run(row.rid, row.text, row.entity_data);
          if (rows.length > 0) this.#stmt.setThrough.run(rows[rows.length - 1]!.rid);
          return rows.length;
        })
        .immediate();
    } finally {
      this.#running = false;
    }
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
    const last = this.#stmt.lastRid.get()!.rid ?? 0;
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
    const pending = (this.#stmt.lastRid.get()!.rid ?? 0) - through;
    const hits: number[] = [];
    const take = (rows: readonly (TextRow & { selected: number })[]): void => {
      for (const row of rows) if (row.selected === 1 && holdsText(row, needle)) hits.push(row.rid);
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

  /** How many indexed records hold the FTS5 phrase (a doclist walk: milliseconds for tens of thousands). */
  countMatches(phrase: string): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM record_text WHERE record_text MATCH ?').get(phrase) as { n: number }).n;
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
