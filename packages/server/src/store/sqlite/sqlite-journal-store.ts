import { mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalIp, PreparedSealBatch, StoreError } from '@tamga/core';
import type { TamgaError } from '@tamga/core';
import type { EventClass, PreparedSealBytes } from '@tamga/core';
import type {
  AppendResult,
  ErasedRecord,
  ErasureSelector,
  EventListQuery,
  HistogramBucket,
  JournalStore,
  SearchIndexStatus,
  SubjectOf,
  LegalHold,
  LogHead,
  MatchedRecords,
  MinuteBuckets,
  MinuteCount,
  PendingRecord,
  PurgeSlice,
  PurgeState,
  ExportPage,
  RecordCursor,
  RecordFilter,
  RetentionFact,
  Sealer,
  SeqRange,
  StoredCheckpoint,
  StoredCosignature,
  StoredRecord,
  TenantScope,
} from '../../journal/journal-store.js';
import { APPEND_SLICE, checkerOfKeys, MINUTE_MICROS, sealedFields, splitUserFilter, STORED_LEVEL_STRIDE } from '../../journal/journal-store.js';
import { countRecordStats } from '../../journal/minute-counts.js';
import { matchRecords } from '../../journal/record-matcher.js';
import type { RecordStats } from '../../journal/minute-counts.js';
import { eventOrderBy } from '../event-api-columns.js';
import type { EventOrderDialect } from '../event-api-columns.js';
import { HOUR_MICROS, ipIndexHours, SEARCHED_IP } from '../hour-index.js';
import { DEFAULT_STORE_CONFIG } from '../store-config.js';
import { MAX_SUGGEST_PROBES, mergeBuckets, mergePages } from '../user-filter.js';
import { exportPage as formatExportPage } from '../../http/record-export.js';
import { readBundleLines } from '../../evidence/bundle-lines.js';
import type { BundleLines } from '../../evidence/bundle-lines.js';
import { RECORD_COLUMNS, rowLogId, sideWriteAction, SqliteAppender, tenantKey, toStoredRecord } from './sqlite-appender.js';
import type { BatchOutcome, LogRow, RecordRow, SideWrite } from './sqlite-appender.js';
import { wrapSqliteError } from './sqlite-errors.js';
import { SqliteReaderThreads } from './sqlite-reader-threads.js';
import type { ExportThreadTiming, ReaderPriority } from './sqlite-reader-threads.js';
import { hourOf, keyHours, KEY_KIND } from './sqlite-record-keys.js';
import { SQLITE_CACHE_KIB } from './sqlite-writer-protocol.js';
import { SqliteWriterThreads } from './sqlite-writer-threads.js';
import {
  SQLITE_ADD_IP_SEARCH,
  SQLITE_ADD_POLLABLE,
  SQLITE_ADD_SUBJECT,
  SQLITE_BACKFILL_MINUTES,
  SQLITE_HOUR_LED_KEYS,
  SQLITE_SCHEMA,
  SQLITE_SUBJECT_FILL_MARK,
} from './sqlite-schema.js';
import { ftsPhrase, SqliteTextIndex } from './sqlite-text-index.js';
import { holdsSearchedText } from '../../journal/searched-text.js';
import { type MinuteSpan, ridSegments } from './sqlite-minute-spans.js';
import type { IndexedRange, RidSpan, TextRow } from './sqlite-text-index.js';

/** Options of {@link SqliteJournalStore}. */
export interface SqliteJournalStoreConfig {
  /** Path of the database file; created with its directory when missing. */
  readonly path: string;
  /**
   * SQLite `synchronous` setting. Default `FULL`: in WAL mode each commit is fsynced, so an
   * acknowledged batch survives power loss, not only a process crash.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /**
   * Free space the database's file system must keep for {@link SqliteJournalStore.checkReady} to pass, bytes.
   * Default 64 MiB (`DEFAULT_STORE_CONFIG`): room for a few of the largest batches and the WAL checkpoint after them.
   */
  readonly minFreeBytes?: number;
  /**
   * Where appends are sealed and committed. `thread` (what `tamga serve` uses): on a writer thread with a connection of
   * its own, the WAL checkpointed by another thread, so the thread serving HTTP only parses and validates; it needs the
   * compiled writer script (`writerScript`, default the one beside this module when it is compiled) and a file, and
   * falls back to `inline` otherwise; it commits the batches that arrive together in one transaction. `inline`
   * (default): on this connection, in this thread, one transaction per batch, committed before `append` returns.
   */
  readonly writer?: 'thread' | 'inline';
  /** The compiled `sqlite-writer-thread.js` to run (tests running the source point at the build). */
  readonly writerScript?: URL;
  /**
   * Reader threads that run the read queries (pages, counts, histograms, exports, the Event API, Merkle reads), each
   * on a read-only connection of its own, so that no query holds the thread serving HTTP. 0 (default): they run on
   * this connection, in this thread. Like `writer: 'thread'`, it needs the compiled script (`readerScript`, default
   * the one beside this module when compiled) and a file, and falls back to 0 otherwise.
   */
  readonly readers?: number;
  /** How the reader threads yield the cores to appends (`ReaderPriority`); default `low`. */
  readonly readerPriority?: ReaderPriority;
  /**
   * Where the reader threads run the pages of exports: `idle` (default), on a thread of their own in SCHED_IDLE;
   * `low`, on the pool (`SqliteReaderThreadsConfig.exportPriority`).
   */
  readonly exportPriority?: ReaderPriority;
  /** When the export thread yields to the pool (tests shorten it). */
  readonly exportTiming?: ExportThreadTiming;
  /** The compiled `sqlite-reader-thread.js` to run (tests running the source point at the build). */
  readonly readerScript?: URL;
  /**
   * Opens the file read-only, as it is, without creating or upgrading its schema: the read side a reader thread runs
   * (a store opened by the request thread has prepared the file first).
   */
  readonly readOnly?: boolean;
}

/** The compiled writer script beside this module, when this module is compiled. */
const WRITER_SCRIPT = import.meta.url.endsWith('.js') ? new URL('./sqlite-writer-thread.js', import.meta.url) : undefined;

/** The compiled reader script beside this module, when this module is compiled. */
const READER_SCRIPT = import.meta.url.endsWith('.js') ? new URL('./sqlite-reader-thread.js', import.meta.url) : undefined;

/**
 * Page size of a new journal, bytes. A group commit writes every page it dirtied to the WAL, one frame each (a write
 * and a checksum per frame): with 16 KiB pages, rows and index entries appended side by side fill fewer, larger frames
 * than with SQLite's default 4 KiB (decision 0057). A journal made before keeps its page size.
 */
export const SQLITE_PAGE_SIZE = 16_384;

/** The page cache this store's own connection keeps (`SQLITE_CACHE_KIB`). */
function cacheKiB(config: SqliteJournalStoreConfig): number {
  if (config.readOnly === true) return SQLITE_CACHE_KIB.reader;
  return config.writer === 'thread' ? SQLITE_CACHE_KIB.request : SQLITE_CACHE_KIB.writer;
}

/**
 * The embedded store: one SQLite file in WAL mode (better-sqlite3). Appends run in IMMEDIATE transactions, one per
 * group of batches that arrived together (a savepoint each), so SQLite's single writer serializes them and `seq`
 * stays contiguous; on a writer thread of their own with `writer: 'thread'`.
 */
export class SqliteJournalStore implements JournalStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #minFreeBytes: number;
  /** Tenant → log id; a log, once created, never changes id. */
  readonly #logIds = new Map<string, number>();
  readonly #appender: SqliteAppender;
  readonly #threads: SqliteWriterThreads | undefined;
  readonly #readers: SqliteReaderThreads | undefined;
  readonly #text: SqliteTextIndex;
  readonly #stmt: {
    getLog: Database.Statement<[string], LogRow>;
    readLeaves: Database.Statement<[number, number, number], Buffer>;
    readNodes: Database.Statement<[number, number, number, number], Buffer>;
    purgeState: Database.Statement<[number], PurgeRow>;
    getSetting: Database.Statement<[string], string>;
    firstTime: Database.Statement<[], number | null>;
    lastTime: Database.Statement<[], number | null>;
  };

  constructor(config: SqliteJournalStoreConfig) {
    this.#path = config.path;
    this.#minFreeBytes = config.minFreeBytes ?? DEFAULT_STORE_CONFIG.minFreeDiskBytes;
    try {
      if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true, mode: 0o700 });
      this.#db = new Database(config.path, { readonly: config.readOnly === true, fileMustExist: config.readOnly === true });
      this.#db.pragma('busy_timeout = 5000');
      this.#db.pragma(`cache_size = -${cacheKiB(config)}`);
      if (config.readOnly !== true) this.#prepareFile(config);
      this.#appender = new SqliteAppender(this.#db);
      this.#text = new SqliteTextIndex(this.#db, { createSchema: config.readOnly !== true });
      this.#stmt = {
        getLog: this.#db.prepare('SELECT * FROM logs WHERE tenant_key = ?'),
        // Prepared once: a proof reads a few ranges, and preparing cost as much as reading 100 rows.
        readLeaves: this.#db.prepare<[number, number, number], Buffer>('SELECT leaf_hash FROM records WHERE log_id = ? AND seq >= ? AND seq < ? ORDER BY seq').pluck(),
        readNodes: this.#db
          .prepare<[number, number, number, number], Buffer>('SELECT hash FROM merkle_nodes WHERE log_id = ? AND level = ? AND idx >= ? AND idx < ? ORDER BY idx')
          .pluck(),
        purgeState: this.#db.prepare<[number], PurgeRow>('SELECT * FROM log_purges WHERE log_id = ?'),
        // Every request with the bootstrap key reads its hash: preparing cost more than the read.
        getSetting: this.#db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck(),
        // Two statements: SQLite answers min() or max() alone with one seek of records_time, not both in one.
        firstTime: this.#db.prepare<[], number | null>('SELECT min(created_at) FROM records').pluck(),
        lastTime: this.#db.prepare<[], number | null>('SELECT max(created_at) FROM records').pluck(),
      };
    } catch (error) {
      throw this.#wrap(error, 'open the database');
    }
    const script = config.writerScript ?? WRITER_SCRIPT;
    this.#threads =
      config.writer === 'thread' && script !== undefined && config.path !== ':memory:' && existsSync(fileURLToPath(script))
        ? new SqliteWriterThreads({ path: config.path, synchronous: config.synchronous ?? 'FULL', script })
        : undefined;
    const readerScript = config.readerScript ?? READER_SCRIPT;
    if ((config.readers ?? 0) > 0 && readerScript !== undefined && config.path !== ':memory:' && existsSync(fileURLToPath(readerScript))) {
      const readers = new SqliteReaderThreads({
        path: config.path,
        size: config.readers!,
        script: readerScript,
        priority: config.readerPriority,
        exportPriority: config.exportPriority,
        exportTiming: config.exportTiming,
      });
      this.#readers = readers;
      // The instance's own property shadows the method: the same query code runs, on a reader thread's store.
      for (const [method, placeOf] of Object.entries(THREAD_READS)) {
        const own = (SqliteJournalStore.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[method]!;
        const value = (...args: unknown[]): Promise<unknown> => {
          const place = placeOf(args);
          return place === 'here' ? own.apply(this, args) : readers.call(method, args, place);
        };
        Object.defineProperty(this, method, { value });
      }
    }
  }

  /** The journal's pragmas and schema: created, upgraded in place, the per-minute counts backfilled. */
  #prepareFile(config: SqliteJournalStoreConfig): void {
    {
      // A new file only: a journal's page size is fixed when its first page is written (VACUUM alone changes it).
      if (this.#db.pragma('page_count', { simple: true }) === 0) this.#db.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${config.synchronous ?? 'FULL'}`);
      this.#db.pragma('foreign_keys = ON');
      const columns = this.#db.prepare("SELECT name FROM pragma_table_info('records')").all() as { name: string }[];
      if (columns.length > 0 && !columns.some((c) => c.name === 'pollable')) {
        this.#db.transaction(() => this.#db.exec(SQLITE_ADD_POLLABLE)).immediate();
      }
      if (columns.length > 0 && !this.#db.prepare("SELECT 1 FROM pragma_table_info('records') WHERE name = 'subject'").get()) {
        this.#db.transaction(() => this.#db.exec(SQLITE_ADD_SUBJECT)).immediate();
      }
      if (
        columns.length > 0 &&
        !this.#db.prepare("SELECT 1 FROM pragma_table_info('records') WHERE name = 'ip_search'").get()
      ) {
        this.#db.transaction(() => this.#addIpSearch()).immediate();
      }
      const guard = this.#db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'records_append_only_except_erasure'").get() as
        | { sql: string }
        | undefined;
      if (guard !== undefined && !guard.sql.includes(SQLITE_SUBJECT_FILL_MARK)) this.#db.exec('DROP TRIGGER records_append_only_except_erasure');
      if (this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'records_user_time'").get() !== undefined) {
        this.#db.transaction(() => this.#db.exec(SQLITE_HOUR_LED_KEYS)).immediate();
      }
      this.#db.exec(SQLITE_SCHEMA);
      this.#db
        .transaction(() => {
          const hasCounts = this.#db.prepare('SELECT 1 FROM record_minutes LIMIT 1').get() !== undefined;
          if (!hasCounts && this.#db.prepare('SELECT 1 FROM records LIMIT 1').get() !== undefined) {
            this.#db.exec(SQLITE_BACKFILL_MINUTES);
          }
        })
        .immediate();
    }
  }

  /**
   * Adds `records.ip_search` to a journal made before it and fills it for the records whose signed `ip` is another
   * spelling of an address than its canonical text, so an IP search finds them; their signed bytes stay as they are.
   * IPv4 was stored only as `isIP` accepts it (canonical already): only addresses with a colon are read.
   */
  #addIpSearch(): void {
    this.#db.exec(SQLITE_ADD_IP_SEARCH);
    const update = this.#db.prepare('UPDATE records SET ip_search = ? WHERE rid = ?');
    // In pages: the connection cannot update while a query iterates.
    const page = this.#db.prepare(
      "SELECT rid, ip FROM records WHERE rid > ? AND ip IS NOT NULL AND instr(ip, ':') > 0 ORDER BY rid LIMIT 10000",
    );
    for (let after = 0; ;) {
      const rows = page.all(after) as { rid: number; ip: string }[];
      if (rows.length === 0) break;
      for (const { rid, ip } of rows) {
        const canonical = canonicalIp(ip);
        if (canonical !== undefined && canonical !== ip) update.run(canonical, rid);
      }
      after = rows[rows.length - 1]!.rid;
    }
  }

  /** Whether appends run on the writer thread. */
  get threaded(): boolean {
    return this.#threads !== undefined;
  }

  /** The reader threads the reads run on, if they do. */
  get readerThreads(): SqliteReaderThreads | undefined {
    return this.#readers;
  }

  /** Wraps a driver error (sqlite-errors.ts), telling a damaged file from a failing disk by reading the files. */
  #wrap(error: unknown, what: string): TamgaError {
    const files = this.#path === ':memory:' ? undefined : [this.#path, `${this.#path}-wal`];
    return wrapSqliteError(error, what, files);
  }

  /** The underlying connection, for tests that tamper with rows the way an insider would. */
  get database(): Database.Database {
    return this.#db;
  }

  /**
   * As much of each record's seal as this thread can make before the writer assigns its log and `seq` (the payload
   * digest, the canonical text around them): work taken off the writer thread, which every append waits on.
   */
  async #prepareSeals(records: readonly PendingRecord[], sigKid: string, prepare: NonNullable<Sealer['prepare']>): Promise<PreparedSealBytes> {
    const n = records.length;
    const batch = new PreparedSealBatch(n);
    for (let i = 0; i < n; i++) {
      if (i > 0 && i % APPEND_SLICE === 0) await nextTurn();
      batch.add(prepare(sealedFields(records[i]!, '', 0, sigKid), batch.salt(i)));
    }
    return batch.finish();
  }

  append(records: readonly PendingRecord[], sealer: Sealer): Promise<AppendResult[]> {
    // The writer thread seals with the key itself; a sealer without one (a test's own) is run here.
    if (this.#threads !== undefined && sealer.hmacKey !== undefined) {
      const origins: Record<string, string> = {};
      for (const r of records) {
        const key = tenantKey(r.tenantId);
        if (!(key in origins)) origins[key] = sealer.originFor(r.tenantId);
      }
      const threads = this.#threads;
      const { sigKid, hmacKey } = sealer;
      const send = (prepared?: PreparedSealBytes): Promise<AppendResult[]> => threads.append({ records, sigKid, hmacKey, origins, prepared });
      return sealer.prepare === undefined ? send() : this.#prepareSeals(records, sigKid, sealer.prepare).then(send);
    }
    // Inline: committed now, as one group of one (what is committed before this call returns is visible at once).
    let outcome: BatchOutcome;
    try {
      outcome = this.#appender.appendGroup([{ records, sealer }])[0]!;
    } catch (error) {
      outcome = { error };
    }
    return 'results' in outcome ? Promise.resolve(outcome.results) : Promise.reject(this.#wrap(outcome.error, 'append'));
  }

  /**
   * The filter's WHERE clause and its parameters. A filter by user id or operation key looks in the hours record_keys
   * gives (`hours`, ascending), on the hour-led index: all of them in one `IN` list, or, with `perHour`, one given as
   * the first parameter (`params[0]`), so a page can walk them in time order one hour at a time.
   */
  #where(filter: RecordFilter, perHour = false): { sql: string; params: unknown[]; hours?: number[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const hours = keyHours(this.#db, filter, filter.tenants === undefined ? undefined : this.#logIdsFor(filter.tenants));
    if (hours !== undefined && perHour) {
      clauses.push(`created_at / ${HOUR_MICROS} = ?`);
      params.push(hours[0] ?? 0);
    } else if (hours !== undefined) {
      clauses.push(hours.length === 0 ? '0' : `created_at / ${HOUR_MICROS} IN (${hours.join(',')})`);
    }
    if (filter.from !== undefined) {
      clauses.push('created_at >= ?');
      params.push(filter.from);
    }
    if (filter.to !== undefined) {
      clauses.push('created_at < ?');
      params.push(filter.to);
    }
    // With a user, an operation key or an IP over listed hours, its hour-led index is the one to walk: `+` keeps SQLite,
    // which has no statistics, from walking records_event_time (or records_log_time) instead, a row lookup per record
    // of the code in the range (at 10 M: a user's count of one code 2.1 s instead of 0.17 s, an IP's 2.1 s).
    const ipHours = filter.ip === undefined ? undefined : ipIndexHours(this.#boundedByRecords(filter));
    const plain = hours === undefined && ipHours === undefined ? '' : '+';
    if (filter.events && filter.events.length > 0) {
      clauses.push(`${plain}event IN (${filter.events.map(() => '?').join(',')})`);
      params.push(...filter.events);
    }
    if (filter.classes && filter.classes.length > 0) {
      clauses.push(`classified_event IN (${filter.classes.map(() => '?').join(',')})`);
      params.push(...filter.classes);
    }
    if (filter.tenants !== undefined) {
      const ids = this.#logIdsFor(filter.tenants);
      clauses.push(ids.length > 0 ? `${plain}log_id IN (${ids.join(',')})` : '0');
    }
    for (const [column, value] of [
      ['outcome', filter.outcome],
      ['operation_key', filter.operationKey],
      ['user_id', filter.userId],
      ['subject', filter.subject],
      ['node_id', filter.nodeId],
    ] as const) {
      if (value !== undefined) {
        clauses.push(`${column} = ?`);
        params.push(value);
      }
    }
    if (filter.ip !== undefined) {
      // `ip IS NOT NULL` lets SQLite use the partial index records_hour_ip_search.
      clauses.push(`ip IS NOT NULL AND ${SEARCHED_IP} = ?`);
      params.push(filter.ip);
    }
    if (ipHours !== undefined) clauses.push(`created_at / ${HOUR_MICROS} IN (${ipHours.join(',')})`);
    if (hasText(filter)) throw new StoreError('STORE_FAILED', 'a text filter is read through the text index (#textWhere)');
    const not = filter.exclude;
    if (not !== undefined) {
      const marks = (values: readonly unknown[]): string => values.map(() => '?').join(',');
      for (const [column, values] of [
        ['event', not.events],
        ['classified_event', not.classes],
      ] as const) {
        if (values !== undefined && values.length > 0) {
          clauses.push(`${column} NOT IN (${marks(values)})`);
          params.push(...values);
        }
      }
      if (not.tenants !== undefined) {
        const ids = this.#logIdsFor(not.tenants);
        if (ids.length > 0) clauses.push(`log_id NOT IN (${ids.join(',')})`);
      }
      for (const [column, values] of [
        ['user_id', not.userIds],
        ['subject', not.userIds],
        [SEARCHED_IP, not.ips],
        ['operation_key', not.operationKeys],
        ['node_id', not.nodeIds],
      ] as const) {
        if (values !== undefined && values.length > 0) {
          // NOT IN is NULL for a NULL column: such records have none of the values and stay.
          clauses.push(`(${column} IS NULL OR ${column} NOT IN (${marks(values)}))`);
          params.push(...values);
        }
      }
    }
    return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params, ...(hours === undefined ? {} : { hours }) };
  }

  /**
   * The filter with an open end of its time range closed at the journal's earliest or latest record (two index
   * seeks), so that a search by IP without a range still lists the hours of the hour-led IP index to look in, as long
   * as the journal spans at most a year (at 10 M over a day: an IP's first page 3.1 s without, a few ms with).
   */
  #boundedByRecords(filter: RecordFilter): RecordFilter {
    if (filter.from !== undefined && filter.to !== undefined) return filter;
    const first = this.#stmt.firstTime.get() ?? null;
    const last = this.#stmt.lastTime.get() ?? null;
    if (first === null || last === null) return filter;
    return { ...filter, from: filter.from ?? first, to: filter.to ?? last + 1 };
  }

  /** A statement reading records (`SELECT` {@link RECORD_COLUMNS} followed by `from`) as raw rows. */
  #recordReads(from: string): Database.Statement<unknown[], RecordRow> {
    return this.#db.prepare<unknown[], RecordRow>(`SELECT ${RECORD_COLUMNS} ${from}`).raw(true);
  }

  /** The record of a raw row, in its log. */
  #toRecord(row: RecordRow): StoredRecord {
    return toStoredRecord(row, this.#originOf(rowLogId(row)));
  }

  /** The origin of a log; origins never change, so they are cached. */
  #originOf(logId: number): string {
    let origin = this.#origins.get(logId);
    if (origin === undefined) {
      origin = (this.#db.prepare('SELECT origin FROM logs WHERE log_id = ?').get(logId) as { origin: string }).origin;
      this.#origins.set(logId, origin);
    }
    return origin;
  }

  readonly #origins = new Map<number, string>();

  #logIdsFor(tenants: TenantScope): number[] {
    const ids: number[] = [];
    for (const t of tenants) {
      const key = tenantKey(t);
      let id = this.#logIds.get(key);
      if (id === undefined) {
        id = this.#stmt.getLog.get(key)?.log_id;
        if (id !== undefined) this.#logIds.set(key, id);
      }
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  /**
   * The filter's WHERE clause. A text filter (`q`) selects the rids the FTS5 index finds, and the records after the
   * index's last one whose text holds `q` (scanned in slices, with other requests served between them): complete
   * whether or not the index has caught up.
   *
   * For a page (`ordered`), a text many records hold is better served by walking the other filters' index in time
   * order and testing each rid against the matches (`+rid` keeps SQLite from looking the matches up one by one and
   * sorting them all): the walk stops after a page of hits. A rarer text is looked up by rid.
   */
  async #textWhere(filter: RecordFilter, ordered = false, perHour = false, probe?: TextProbe): Promise<{ sql: string; params: unknown[]; hours?: number[] }> {
    if (!hasText(filter)) return this.#where(filter, perHour);
    const { q, ...rest } = filter;
    const base = this.#where(rest, perHour);
    // The tail is read over every hour of the filter, not the first one a page's walk starts from.
    const tail = await this.#text.tailHits(this.#text.through(), q, perHour ? this.#where(rest) : base);
    const phrase = ftsPhrase(q);
    const span = probe === undefined ? this.#ridSpan(filter.from, filter.to) : probe.span;
    const dense =
      ordered &&
      (tail.length === 0 && probe !== undefined
        ? probe.many
        : tail.length > DENSE_TEXT_MATCHES || this.#text.nthMatch(phrase, DENSE_TEXT_MATCHES - tail.length + 1, span?.lo, span?.hi) !== undefined);
    const within = span === undefined ? '' : ' AND rowid >= ? AND rowid <= ?';
    const clause = `${dense ? '+' : ''}rid IN (SELECT rowid FROM record_text WHERE record_text MATCH ?${within} UNION ALL SELECT value FROM json_each(?))`;
    return {
      sql: base.sql ? `${base.sql} AND ${clause}` : `WHERE ${clause}`,
      params: [...base.params, phrase, ...(span === undefined ? [] : [span.lo, span.hi]), JSON.stringify(tail)],
      ...(base.hours === undefined ? {} : { hours: base.hours }),
    };
  }

  /**
   * A rid range holding every record whose created_at is in `[from, to)`: per log, the rids of the lowest and highest
   * seq the per-minute counts give for the minutes the range touches (a log's rids grow with its seqs, both in commit
   * order). Undefined without a time range, or when such a record is gone (purged): then the whole index is read.
   */
  #ridSpan(from: number | undefined, to: number | undefined): RidSpan | undefined {
    if (from === undefined && to === undefined) return undefined;
    const minutes = this.#db
      .prepare('SELECT log_id, min(min_seq) AS lo, max(max_seq) AS hi FROM record_minutes WHERE minute >= ? AND minute <= ? GROUP BY log_id')
      .all(
        from === undefined ? Number.MIN_SAFE_INTEGER : Math.floor(from / MINUTE_MICROS),
        to === undefined ? Number.MAX_SAFE_INTEGER : Math.floor((to - 1) / MINUTE_MICROS),
      ) as { log_id: number; lo: number; hi: number }[];
    const ridOf = this.#db.prepare('SELECT rid FROM records WHERE log_id = ? AND seq = ?');
    let lo = Number.MAX_SAFE_INTEGER;
    let hi = 0;
    for (const m of minutes) {
      const first = ridOf.get(m.log_id, m.lo) as { rid: number } | undefined;
      const last = ridOf.get(m.log_id, m.hi) as { rid: number } | undefined;
      if (first === undefined || last === undefined) return undefined;
      lo = Math.min(lo, first.rid);
      hi = Math.max(hi, last.rid);
    }
    return { lo, hi };
  }

  async queryRecords(filter: RecordFilter, limit: number, after?: RecordCursor): Promise<StoredRecord[]> {
    try {
      const parts = splitUserFilter(filter);
      const pages: StoredRecord[][] = [];
      for (const part of parts) {
        const probe = hasText(part) ? this.#textProbe(part) : undefined;
        const walked = probe?.many === true ? await this.#denseTextPage(part, probe, limit, after) : undefined;
        if (walked !== undefined) {
          pages.push(walked);
          continue;
        }
        const where = await this.#textWhere(part, true, true, probe);
        const page = this.#recordReads(ordered(where.sql, filter.order, after !== undefined, tableFor(part)));
        let rows: RecordRow[];
        if (where.hours === undefined) rows = page.all(...where.params, ...cursorParams(after), limit);
        else {
          // One hour at a time in the page's order (each read in order from the hour-led index), until the page is full.
          const asc = filter.order === 'asc';
          const cursorHour = after === undefined ? undefined : hourOf(after.createdAt);
          const hours = where.hours.filter((h) => cursorHour === undefined || (asc ? h >= cursorHour : h <= cursorHour));
          if (!asc) hours.reverse();
          rows = [];
          for (const hour of hours) {
            if (rows.length >= limit) break;
            where.params[0] = hour;
            rows.push(...page.all(...where.params, ...cursorParams(after), limit - rows.length));
          }
        }
        pages.push(rows.map((row) => this.#toRecord(row)));
      }
      return pages.length === 1 ? pages[0]! : mergePages(pages, filter.order, limit);
    } catch (error) {
      throw this.#wrap(error, 'query records');
    }
  }

  /**
   * The rid span of a text filter's time range and whether the index holds more than {@link DENSE_TEXT_MATCHES} matches
   * in it (a text with fewer is looked up through the index: its matches are read whole either way), for a page's
   * two ways of reading ({@link #denseTextPage}, {@link #textWhere}) to share.
   */
  #textProbe(filter: RecordFilter & { q: string }): TextProbe {
    const span = this.#ridSpan(filter.from, filter.to);
    return { span, many: this.#text.nthMatch(ftsPhrase(filter.q), DENSE_TEXT_MATCHES + 1, span?.lo, span?.hi) !== undefined };
  }

  /**
   * A page of a text search that narrows only by time and tenant, when the text is common where the page starts: the
   * time index is walked in the page's order and each record's text and entityData tested as the index's tail is
   * ({@link holdsSearchedText}), in slices, until the page is full. The index would list every match of the range first for the
   * walk to test against (at 10 M, "error" in one record of 50: 200,000 matches over a day for a page of 100). For a
   * text with many matches in the range (`probe.many`). Undefined when fewer than `limit` of them lie within
   * {@link DENSE_WALK_ROWS} rids of the page's start (then looking the matches up is cheaper), or when the walk passes
   * that many records without filling the page (records far out of commit order): the caller reads the page through
   * the index.
   */
  async #denseTextPage(filter: RecordFilter, probe: TextProbe, limit: number, after: RecordCursor | undefined): Promise<StoredRecord[] | undefined> {
    if (!hasText(filter) || this.#indexedRange(filter) === undefined) return undefined;
    const { q, ...rest } = filter;
    const asc = filter.order === 'asc';
    let lo = probe.span?.lo ?? 0;
    let hi = probe.span?.hi ?? Number.MAX_SAFE_INTEGER;
    const phrase = ftsPhrase(q);
    if (after !== undefined) [lo, hi] = asc ? [Math.max(lo, after.rid), hi] : [lo, Math.min(hi, after.rid)];
    // The limit-th match from where the page starts: how far a walk would go if records are in commit order.
    const nth = this.#text.nthMatch(phrase, limit, lo, hi, asc);
    const start = asc ? lo : Math.min(hi, this.#text.lastRid());
    if (nth === undefined || Math.abs(start - nth) > DENSE_WALK_ROWS) return undefined;
    const base = this.#where(rest);
    const columns = 'SELECT rid, created_at, text, entity_data';
    const first = this.#db.prepare(`${columns} ${ordered(base.sql, filter.order, after !== undefined)}`);
    const next = this.#db.prepare(`${columns} ${ordered(base.sql, filter.order, true)}`);
    const needle = q.toLowerCase();
    const hits: number[] = [];
    let cursor = after;
    for (let walked = 0; hits.length < limit; ) {
      if (walked > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const rows = (cursor === after ? first : next).all(...base.params, ...cursorParams(cursor), DENSE_WALK_SLICE) as (TextRow & { created_at: number })[];
      for (const row of rows) if (hits.length < limit && holdsSearchedText(row.text, row.entity_data, needle)) hits.push(row.rid);
      walked += rows.length;
      if (rows.length < DENSE_WALK_SLICE) break;
      if (walked >= DENSE_WALK_ROWS && hits.length < limit) return undefined;
      const last = rows[rows.length - 1]!;
      cursor = { createdAt: last.created_at, rid: last.rid };
    }
    if (hits.length === 0) return [];
    const byRid = new Map(this.#recordReads(`FROM records WHERE rid IN (${hits.join(',')})`).all().map((row) => [row[0], row]));
    return hits.map((rid) => this.#toRecord(byRid.get(rid)!));
  }

  /** One page of an export, checked and formatted here: on a reader thread when the store has them. */
  async exportPage(
    filter: RecordFilter,
    limit: number,
    after: RecordCursor | undefined,
    format: 'csv' | 'ndjson',
    firstIndex: number,
    hmacKeys: readonly (readonly [string, Uint8Array])[],
    _exporting?: boolean,
  ): Promise<ExportPage> {
    const rows = await this.queryRecords(filter, limit + 1, after);
    return formatExportPage(rows, limit, new Map(hmacKeys), format, firstIndex);
  }

  getRecord(id: string, tenants?: TenantScope): Promise<StoredRecord | undefined> {
    try {
      const row = this.#recordReads('FROM records WHERE id = ?').get(id);
      const record = row && this.#toRecord(row);
      if (record === undefined || (tenants !== undefined && !tenants.includes(record.tenantId))) return Promise.resolve(undefined);
      return Promise.resolve(record);
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read a record'));
    }
  }

  /**
   * A text search that narrows only by time and tenant: its count and histogram are read from the text index alone
   * (which keeps each record's created_at and log_id) and from the few records after it, not by looking every match
   * up among the records (a random read each: seconds for the 200,000 matches of a common word in 10 M records).
   */
  #indexedRange(filter: RecordFilter): IndexedRange | undefined {
    if (!hasText(filter)) return undefined;
    const { q: _q, from, to, tenants, order: _o, exclude, ...rest } = filter;
    const narrowed = (v: unknown): boolean => v !== undefined && !(Array.isArray(v) && v.length === 0);
    if (Object.values(rest).some(narrowed) || (exclude !== undefined && Object.values(exclude).some(narrowed))) return undefined;
    return { from, to, logIds: tenants === undefined ? undefined : this.#logIdsFor(tenants), span: this.#ridSpan(from, to) };
  }

  /** Count (one bucket) or histogram of a search {@link #indexedRange} allows, the index's matches and the tail's. */
  async #indexedBuckets(filter: RecordFilter & { q: string }, range: IndexedRange, bucket?: { origin: number; bucketMicros: number }): Promise<HistogramBucket[]> {
    const { q, ...rest } = filter;
    const through = this.#text.through();
    const tail = await this.#text.tailHits(through, q, this.#where(rest));
    const phrase = ftsPhrase(q);
    // Its thousands of small reads in one read transaction: each statement of its own would begin one, which costs
    // 5–25 µs (after another connection's commit, SQLite drops the connection's page cache at each).
    const byMinutes = this.#db.transaction(() => this.#bucketsByMinutes(phrase, q, through, range, bucket))();
    const indexed = byMinutes ?? this.#text.matchBuckets(phrase, through, range, bucket);
    const b = bucket === undefined ? '0' : 'CAST((created_at - ?) / ? AS INTEGER)';
    const tailed =
      tail.length === 0
        ? []
        : (this.#db
            .prepare(`SELECT ${b} AS b, count(*) AS n FROM records WHERE rid IN (SELECT value FROM json_each(?)) GROUP BY b ORDER BY b`)
            .all(...(bucket === undefined ? [] : [bucket.origin, bucket.bucketMicros]), JSON.stringify(tail)) as { b: number; n: number }[]);
    const origin = bucket?.origin ?? 0;
    const width = bucket?.bucketMicros ?? 0;
    const toBuckets = (rows: { b: number; n: number }[]): HistogramBucket[] => rows.map((r) => ({ start: origin + r.b * width, count: r.n }));
    return mergeBuckets([toBuckets(indexed), toBuckets(tailed)]);
  }

  /**
   * The indexed matches of `phrase` per bucket without reading each match's time, when the rids of the range's minutes
   * say it: per minute, the per-minute counts give each log's lowest and highest seq and the records' number; when the
   * rids of those seqs span exactly that many rids, every rid between them is a record of that minute (rids have no
   * gaps a record could hide in), and every record of the minute is among them. A match in such an exact minute, inside
   * the range and inside one bucket, is counted from its rid alone (the index's doclist, in rid order beside the
   * minutes); one of a minute at the range's or a bucket's edge by its time.
   *
   * The other minutes are interleaved with another's: a record stored long after its time or far ahead of the clock,
   * or a busy minute whose last batches were committed after the next minute's first. The smallest of them, up to
   * {@link MAX_UNSURE_RECORDS} records, are read and tested as the index's tail is. The rest are resolved by their
   * spans ({@link ridSegments}): a match in a rid one of them covers alone, in a cluster of spans that holds no other
   * records, is counted by that minute; one where their spans overlap, or in a cluster that holds a record of another
   * minute, by its time. Only the index's matches within the minutes' spans are read, so one stray record does not
   * widen the read to the whole journal. For a tenant's logs, the minutes are those logs' records: another log's
   * record inside a minute's span makes it inexact as any stray does. Undefined for a count over all time (the index
   * counts its matches faster alone) and when the range holds more than {@link MAX_MINUTE_SPANS} minutes and logs,
   * and the caller reads each match's time.
   */
  #bucketsByMinutes(phrase: string, q: string, through: number, range: IndexedRange, bucket?: { origin: number; bucketMicros: number }): { b: number; n: number }[] | undefined {
    const { logIds } = range;
    // No range and no buckets: FTS5 counts the matches alone (the caller), faster than any reading of rids.
    if (range.from === undefined && range.to === undefined && bucket === undefined) return undefined;
    // An open end: every minute on that side (a count of everything since a time).
    const from = range.from ?? Number.MIN_SAFE_INTEGER;
    const to = range.to ?? Number.MAX_SAFE_INTEGER;
    if (to <= from) return undefined;
    if (logIds?.length === 0) return [];
    const origin = bucket?.origin ?? from;
    const width = bucket?.bucketMicros ?? to - from;
    // A tenant's logs only: a minute's span is then exact when no other log's record lies in it either.
    const ofLogs = logIds === undefined ? '' : ` AND log_id IN (${logIds.join(',')})`;
    const rows = this.#db
      .prepare(`SELECT minute, log_id, min(min_seq) AS lo, max(max_seq) AS hi, sum(n) AS n FROM record_minutes WHERE minute >= ? AND minute <= ?${ofLogs} GROUP BY minute, log_id`)
      .all(Math.floor(from / MINUTE_MICROS), Math.floor((to - 1) / MINUTE_MICROS)) as { minute: number; log_id: number; lo: number; hi: number; n: number }[];
    if (rows.length > MAX_MINUTE_SPANS) return undefined;
    const ridOf = this.#db.prepare('SELECT rid FROM records WHERE log_id = ? AND seq = ?').pluck();
    const byMinute = new Map<number, MinuteSpan>();
    for (const r of rows) {
      const lo = ridOf.get(r.log_id, r.lo) as number | undefined;
      const hi = ridOf.get(r.log_id, r.hi) as number | undefined;
      if (lo === undefined || hi === undefined) return undefined;
      const m = byMinute.get(r.minute);
      if (m === undefined) byMinute.set(r.minute, { minute: r.minute, lo, hi, n: r.n });
      else byMinute.set(r.minute, { minute: r.minute, lo: Math.min(m.lo, lo), hi: Math.max(m.hi, hi), n: m.n + r.n });
    }
    const minutes = [...byMinute.values()];
    const exact = minutes.filter((m) => m.hi - m.lo + 1 === m.n);
    const inexact = minutes.filter((m) => m.hi - m.lo + 1 !== m.n).sort((a, b) => a.n - b.n);
    let tested = 0;
    for (let n = 0; tested < inexact.length && n + inexact[tested]!.n <= MAX_UNSURE_RECORDS; tested++) n += inexact[tested]!.n;
    const others = inexact.slice(0, tested);
    const spanned = inexact.slice(tested);
    const bucketOf = (t: number): number => Math.floor((t - origin) / width);
    const counts = new Map<number, number>();
    const add = (b: number, n: number): void => void counts.set(b, (counts.get(b) ?? 0) + n);

    // The smallest interleaved minutes' records, tested one by one (those after the index are the caller's tail).
    const ofMinute = this.#db.prepare(`SELECT rid, created_at, text, entity_data FROM records WHERE created_at >= ? AND created_at < ?${ofLogs}`);
    const needle = q.toLowerCase();
    const testedRids = new Set<number>();
    for (const m of others) {
      for (const row of ofMinute.all(m.minute * MINUTE_MICROS, (m.minute + 1) * MINUTE_MICROS) as (TextRow & { created_at: number })[]) {
        testedRids.add(row.rid);
        if (row.rid <= through && row.created_at >= from && row.created_at < to && holdsSearchedText(row.text, row.entity_data, needle)) add(bucketOf(row.created_at), 1);
      }
    }

    const segments = ridSegments(exact, spanned, [...testedRids]);
    const edge: number[] = [];
    const matches =
      segments.length === 0
        ? []
        : (this.#db
            .prepare('SELECT rowid FROM record_text WHERE record_text MATCH ? AND rowid >= ? AND rowid <= ?')
            .pluck()
            .all(phrase, segments[0]!.lo, Math.min(segments[segments.length - 1]!.hi, through)) as number[]);
    let p = 0;
    for (const rid of matches) {
      while (p < segments.length && segments[p]!.hi < rid) p++;
      const s = segments[p];
      // Between the minutes' spans: a record of a minute outside the range. A tested record is counted above.
      if (s === undefined || rid < s.lo || testedRids.has(rid)) continue;
      // A rid whose minute only its time tells.
      if (s.minute === undefined) {
        edge.push(rid);
        continue;
      }
      const start = s.minute * MINUTE_MICROS;
      const end = start + MINUTE_MICROS;
      if (start >= from && end <= to && bucketOf(start) === bucketOf(end - 1)) add(bucketOf(start), 1);
      else edge.push(rid);
    }
    // From the index, which keeps each record's time in a table of its own: 1.3 µs a match against 6–10 µs from the
    // records' rows, a page each.
    const timeOf = this.#db.prepare('SELECT created_at, log_id FROM record_text WHERE rowid = ?');
    const scoped = logIds === undefined ? undefined : new Set(logIds);
    for (const rid of edge) {
      const row = timeOf.get(rid) as { created_at: number; log_id: number } | undefined;
      if (row === undefined || (scoped !== undefined && !scoped.has(row.log_id))) continue;
      if (row.created_at >= from && row.created_at < to) add(bucketOf(row.created_at), 1);
    }
    return [...counts].sort(([a], [b]) => a - b).map(([b, n]) => ({ b: bucket === undefined ? 0 : b, n }));
  }

  async countRecords(filter: RecordFilter): Promise<number> {
    try {
      let n = 0;
      for (const part of splitUserFilter(filter)) {
        const range = this.#indexedRange(part);
        if (range !== undefined) {
          for (const bucket of await this.#indexedBuckets(part as RecordFilter & { q: string }, range)) n += bucket.count;
          continue;
        }
        const { sql, params } = await this.#textWhere(part);
        n += (this.#db.prepare(`SELECT count(*) AS n FROM ${tableFor(part)} ${sql}`).get(...params) as { n: number }).n;
      }
      return n;
    } catch (error) {
      throw this.#wrap(error, 'count records');
    }
  }

  async histogram(filter: RecordFilter, bucketMicros: number, origin = filter.from ?? 0): Promise<HistogramBucket[]> {
    try {
      const parts: HistogramBucket[][] = [];
      for (const part of splitUserFilter(filter)) {
        const range = this.#indexedRange(part);
        if (range !== undefined) {
          parts.push(await this.#indexedBuckets(part as RecordFilter & { q: string }, range, { origin, bucketMicros }));
          continue;
        }
        const { sql, params } = await this.#textWhere(part);
        const rows = this.#db
          .prepare(`SELECT CAST((created_at - ?) / ? AS INTEGER) AS b, count(*) AS n FROM ${tableFor(part)} ${sql} GROUP BY b ORDER BY b`)
          .all(origin, bucketMicros, ...params) as { b: number; n: number }[];
        parts.push(rows.map((r) => ({ start: origin + r.b * bucketMicros, count: r.n })));
      }
      return parts.length === 1 ? parts[0]! : mergeBuckets(parts);
    } catch (error) {
      throw this.#wrap(error, 'compute a histogram');
    }
  }

  searchIndexStatus(): Promise<SearchIndexStatus> {
    try {
      return Promise.resolve(this.#text.status());
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read the search index status'));
    }
  }

  /**
   * Starts keeping the text index: each append group indexes what it stored, a follower what was left behind, both on
   * the connection that appends (the writer thread's, when there is one). `onError` hears of indexing that failed (tried
   * again later; appends go on).
   */
  startSearchIndex(onError: (error: unknown) => void = () => undefined): void {
    this.#appender.indexText(this.#text, onError);
    if (this.#threads !== undefined) this.#threads.indexText(onError);
    else this.#text.start(onError);
  }

  /** Indexes every record not indexed yet, now (tests, tools). */
  indexText(): Promise<void> {
    try {
      this.#text.catchUp();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'index text'));
    }
  }

  backfillSubjects(subjectOf: SubjectOf, span: number): Promise<{ filled: number; remaining: number }> {
    try {
      return Promise.resolve(
        this.#db
          .transaction(() => {
            const state = this.#db.prepare('SELECT through, until FROM subject_backfill WHERE id = 1').get() as { through: number; until: number };
            const to = Math.min(state.until, state.through + span);
            if (to <= state.through) return { filled: 0, remaining: 0 };
            const rows = this.#db
              .prepare(
                `SELECT rid, tenant_id, event, entity_data FROM records
                 WHERE rid > ? AND rid <= ? AND user_id IS NULL AND subject IS NULL AND entity_data IS NOT NULL`,
              )
              .all(state.through, to) as { rid: number; tenant_id: string | null; event: number; entity_data: string }[];
            const set = this.#db.prepare('UPDATE records SET subject = ? WHERE rid = ?');
            let filled = 0;
            for (const row of rows) {
              const subject = subjectOf({ tenantId: row.tenant_id, event: row.event, entityData: row.entity_data });
              if (subject !== null) filled += set.run(subject, row.rid).changes;
            }
            this.#db.prepare('UPDATE subject_backfill SET through = ? WHERE id = 1').run(to);
            return { filled, remaining: state.until - to };
          })
          .immediate(),
      );
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'fill the subjects of older records'));
    }
  }

  suggestUsers(prefix: string, tenants: TenantScope | undefined, limit: number): Promise<string[]> {
    try {
      const logIds = tenants === undefined ? undefined : this.#logIdsFor(tenants);
      if (logIds !== undefined && logIds.length === 0) return Promise.resolve([]);
      const logs = logIds === undefined ? '' : ` AND log_id IN (${logIds.join(',')})`;
      // User ids from record_keys (a row per user and log, in name order): the first `limit` from the prefix on.
      const users = this.#db
        .prepare(`SELECT DISTINCT value FROM record_keys WHERE kind = ? AND value >= ?${logs} ORDER BY value LIMIT ?`)
        .pluck()
        .all(KEY_KIND.user, prefix, limit) as string[];
      const names = new Set(users.filter((name) => name.startsWith(prefix)));
      // Subjects: one seek per distinct name on records_subject_time, never a walk over a name's records.
      const next = this.#db.prepare('SELECT subject FROM records WHERE subject IS NOT NULL AND subject > ? ORDER BY subject LIMIT 1').pluck();
      const first = this.#db.prepare('SELECT subject FROM records WHERE subject IS NOT NULL AND subject >= ? ORDER BY subject LIMIT 1').pluck();
      const visible = logIds === undefined ? undefined : this.#db.prepare(`SELECT 1 FROM records WHERE subject = ?${logs} LIMIT 1`);
      let name = first.get(prefix) as string | undefined;
      let found = 0;
      for (let probes = 0; name !== undefined && name.startsWith(prefix) && found < limit && probes < MAX_SUGGEST_PROBES; probes++) {
        if (visible === undefined || visible.get(name) !== undefined) {
          names.add(name);
          found++;
        }
        name = next.get(name) as string | undefined;
      }
      return Promise.resolve([...names].sort(codePointOrder).slice(0, limit));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'suggest users'));
    }
  }

  minuteCounts(filter: RecordFilter, fromMinute: number, toMinute: number, buckets?: MinuteBuckets): Promise<MinuteCount[]> {
    try {
      // A countable filter narrows only by log_id, event and classified_event, which record_minutes has too.
      const { from: _from, to: _to, ...rest } = filter;
      const { sql, params } = this.#where(rest);
      const { originMinute, minutes } = buckets ?? { originMinute: fromMinute, minutes: 1 };
      // minute >= fromMinute >= originMinute: the integer division rounds down (the driver binds numbers as REAL).
      const rows = this.#db
        .prepare(
          `SELECT ? + (minute - CAST(? AS INTEGER)) / CAST(? AS INTEGER) * ? AS minute, sum(n) AS n FROM record_minutes
           ${sql} ${sql ? 'AND' : 'WHERE'} minute >= ? AND minute < ? GROUP BY 1 ORDER BY 1`,
        )
        .all(originMinute, originMinute, minutes, minutes, ...params, fromMinute, toMinute) as { minute: number; n: number }[];
      return Promise.resolve(rows.map((r) => ({ minute: r.minute, count: r.n })));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read minute counts'));
    }
  }

  recordStats(filter: RecordFilter & { readonly from: number }, bucketMicros: number): Promise<RecordStats> {
    // On a reader thread (THREAD_READS), its reads run there too: one round trip from the request thread.
    return countRecordStats(this, filter, bucketMicros);
  }

  minuteSeqRange(logId: number, fromMinute: number, toMinute: number): Promise<SeqRange | undefined> {
    try {
      const row = this.#db
        .prepare('SELECT min(min_seq) AS lo, max(max_seq) AS hi FROM record_minutes WHERE minute >= ? AND minute < ? AND log_id = ?')
        .get(fromMinute, toMinute, logId) as { lo: number | null; hi: number | null };
      return Promise.resolve(row.lo === null || row.hi === null ? undefined : { from: row.lo, to: row.hi + 1 });
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'find a seq range'));
    }
  }

  getLog(tenantId: string | null): Promise<LogHead | undefined> {
    try {
      const row = this.#stmt.getLog.get(tenantKey(tenantId));
      return Promise.resolve(row ? toLogHead(row) : undefined);
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read a log head'));
    }
  }

  listLogs(): Promise<LogHead[]> {
    try {
      const rows = this.#db.prepare('SELECT * FROM logs ORDER BY log_id').all() as LogRow[];
      return Promise.resolve(rows.map(toLogHead));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'list logs'));
    }
  }

  readNodes(logId: number, level: number, from: number, to: number): Promise<Buffer[]> {
    try {
      const hashes = level === 0 ? this.#stmt.readLeaves.all(logId, from, to) : this.#stmt.readNodes.all(logId, level, from, to);
      if (hashes.length !== to - from) {
        throw new StoreError('STORE_FAILED', `Merkle nodes missing at level ${level} [${from}, ${to}) of log ${logId}`);
      }
      return Promise.resolve(hashes);
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read Merkle nodes'));
    }
  }

  addCheckpoint(cp: StoredCheckpoint): Promise<void> {
    return this.#write({ kind: 'checkpoint', ...cp });
  }

  /** A write of the server's own: on the writer thread when there is one (never waiting here for the write lock). */
  #write(op: SideWrite): Promise<void> {
    if (this.#threads !== undefined) return this.#threads.write(op);
    try {
      this.#appender.write(op);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.#wrap(error, sideWriteAction(op)));
    }
  }

  latestCheckpoint(logId: number): Promise<StoredCheckpoint | undefined> {
    try {
      const row = this.#db
        .prepare('SELECT * FROM checkpoints WHERE log_id = ? ORDER BY size DESC LIMIT 1')
        .get(logId) as { log_id: number; size: number; root_hash: Buffer; note: string; created_at: number } | undefined;
      return Promise.resolve(
        row && { logId: row.log_id, size: row.size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at },
      );
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read a checkpoint'));
    }
  }

  listCheckpoints(logId: number, minSize: number, maxSize: number): Promise<StoredCheckpoint[]> {
    try {
      const rows = this.#db
        .prepare('SELECT * FROM checkpoints WHERE log_id = ? AND size >= ? AND size <= ? ORDER BY size')
        .all(logId, minSize, maxSize) as { log_id: number; size: number; root_hash: Buffer; note: string; created_at: number }[];
      return Promise.resolve(rows.map((row) => ({ logId: row.log_id, size: row.size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at })));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'list checkpoints'));
    }
  }

  addCosignature(c: StoredCosignature): Promise<void> {
    try {
      this.#db
        .prepare('INSERT OR IGNORE INTO checkpoint_cosignatures (log_id, size, witness, line, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(c.logId, c.size, c.witness, c.line, c.createdAt);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'store a cosignature'));
    }
  }

  listCosignatures(logId: number, minSize: number, maxSize: number): Promise<StoredCosignature[]> {
    try {
      const rows = this.#db
        .prepare('SELECT * FROM checkpoint_cosignatures WHERE log_id = ? AND size >= ? AND size <= ? ORDER BY size, witness')
        .all(logId, minSize, maxSize) as { log_id: number; size: number; witness: string; line: string; created_at: number }[];
      return Promise.resolve(rows.map((r) => ({ logId: r.log_id, size: r.size, witness: r.witness, line: r.line, createdAt: r.created_at })));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'list cosignatures'));
    }
  }

  cosignedSize(logId: number, witness: string): Promise<number> {
    try {
      const row = this.#db
        .prepare('SELECT max(size) AS size FROM checkpoint_cosignatures WHERE log_id = ? AND witness = ?')
        .get(logId, witness) as { size: number | null };
      return Promise.resolve(row.size ?? 0);
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read a cosignature'));
    }
  }

  /** Bundle lines of `[from, to)`, formatted here: on a reader thread when the store has them. */
  readBundleLines(logId: number, from: number, to: number): Promise<BundleLines> {
    return readBundleLines(this, logId, from, to);
  }

  readRecordsBySeq(logId: number, from: number, to: number): Promise<StoredRecord[]> {
    try {
      const rows = this.#recordReads('FROM records WHERE log_id = ? AND seq >= ? AND seq < ? ORDER BY seq').all(logId, from, to);
      const origin = rows.length > 0 ? this.#originOf(logId) : '';
      return Promise.resolve(rows.map((row) => toStoredRecord(row, origin)));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read records by seq'));
    }
  }

  async readMatching(
    logId: number,
    from: number,
    to: number,
    filters: readonly RecordFilter[],
    hmacKeys: readonly (readonly [string, Uint8Array])[],
  ): Promise<MatchedRecords> {
    const checker = checkerOfKeys(new Map(hmacKeys));
    const matched = matchRecords(await this.readRecordsBySeq(logId, from, to), filters, (record) => ({ ...record, integrity: checker.check(record) }));
    return { ...matched, unknownKids: [...checker.unknownKids] };
  }

  seqRangeForTime(logId: number, fromMicros: number | undefined, toMicros: number | undefined): Promise<SeqRange | undefined> {
    try {
      const row = this.#db
        .prepare('SELECT min(seq) AS lo, max(seq) AS hi FROM records WHERE log_id = ? AND created_at >= ? AND created_at < ?')
        .get(logId, fromMicros ?? Number.MIN_SAFE_INTEGER, toMicros ?? Number.MAX_SAFE_INTEGER) as { lo: number | null; hi: number | null };
      return Promise.resolve(row.lo === null || row.hi === null ? undefined : { from: row.lo, to: row.hi + 1 });
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'find a seq range'));
    }
  }

  pollRecords(logId: number, fromSeq: number, limit: number, legacyPollable: readonly number[]): Promise<StoredRecord[]> {
    try {
      // INDEXED BY: records_log_seq has the same columns, and walking it would read every record that is not pollable.
      const rows = this.#recordReads(`FROM records INDEXED BY records_poll WHERE log_id = ? AND seq >= ? AND ${POLLABLE} ORDER BY seq LIMIT ?`).all(
        logId,
        fromSeq,
        JSON.stringify(legacyPollable),
        limit,
      );
      const origin = rows.length > 0 ? this.#originOf(logId) : '';
      return Promise.resolve(rows.map((row) => toStoredRecord(row, origin)));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'poll records'));
    }
  }

  listEventRecords(query: EventListQuery): Promise<StoredRecord[]> {
    try {
      const clauses = ['log_id = ?'];
      const params: unknown[] = [query.logId];
      if (query.pollable === true) {
        clauses.push(POLLABLE);
        params.push(JSON.stringify(query.legacyPollable));
      } else if (query.pollable === false) {
        clauses.push(`(pollable = 0 OR (pollable IS NULL AND event NOT IN (SELECT value FROM json_each(?))))`);
        params.push(JSON.stringify(query.legacyPollable));
      }
      if (query.events !== undefined) {
        clauses.push(`event IN (${query.events.map(() => '?').join(',')})`);
        params.push(...query.events);
      }
      if (query.userId !== undefined) {
        // In the hours record_keys gives for the user in this log (records_hour_user is led by the hour).
        const hours = keyHours(this.#db, { userId: query.userId }, [query.logId]) ?? [];
        clauses.push(hours.length === 0 ? '0' : `created_at / ${HOUR_MICROS} IN (${hours.join(',')})`, 'user_id = ?');
        params.push(query.userId);
      }
      if (query.baseType !== undefined) {
        clauses.push(
          `(json_extract(extra, '$.object.baseType') = ? OR (upper(json_extract(extra, '$.object.schema')) = 'BASE' AND json_extract(extra, '$.object.type') = ?))`,
        );
        params.push(query.baseType, query.baseType);
      }
      for (const [sql, value] of [
        ['created_at >= ?', query.from],
        ['created_at <= ?', query.to],
        ['seq >= ?', query.seqFrom],
        ['seq < ?', query.seqTo],
      ] as const) {
        if (value !== undefined) {
          clauses.push(sql);
          params.push(value);
        }
      }
      const rows = this.#recordReads(`FROM records WHERE ${clauses.join(' AND ')} ORDER BY ${eventOrderBy(query.sort, SQLITE_EVENT_ORDER)} LIMIT ? OFFSET ?`).all(
        ...params,
        query.limit,
        query.offset,
      );
      const origin = rows.length > 0 ? this.#originOf(query.logId) : '';
      return Promise.resolve(rows.map((row) => toStoredRecord(row, origin)));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'list records'));
    }
  }

  erasePayloads(selector: ErasureSelector): Promise<ErasedRecord[]> {
    try {
      const set = 'UPDATE records SET entity_data = NULL, text = NULL, payload_salt = NULL, redacted = 1';
      // One transaction: the payloads and their index entries go together (the writer thread indexes meanwhile, and
      // reads the erased records' text as NULL once this commits).
      const rows = this.#db
        .transaction(() => {
          const erased = (
            'ids' in selector
              ? this.#db.prepare(`${set} WHERE id IN (SELECT value FROM json_each(?)) AND redacted = 0 RETURNING rid, id, tenant_id, seq`).all(JSON.stringify(selector.ids))
              : this.#erasedOfUser(set, selector.userId)
          ) as { rid: number; id: string; tenant_id: string | null; seq: number }[];
          // The erased text must not be found any more (nor betray by a match what it said).
          this.#text.forget(erased.map((r) => r.rid));
          return erased;
        })
        .immediate();
      return Promise.resolve(rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, seq: r.seq })));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'erase payloads'));
    }
  }

  /** Runs the erasure `set` on the records of a user, by user id (in the user's hours) and by subject. */
  #erasedOfUser(set: string, userId: string): unknown[] {
    const hours = keyHours(this.#db, { userId }, undefined) ?? [];
    const returning = 'AND redacted = 0 RETURNING rid, id, tenant_id, seq';
    const byId =
      hours.length === 0
        ? []
        : this.#db.prepare(`${set} WHERE created_at / ${HOUR_MICROS} IN (${hours.join(',')}) AND user_id = ? ${returning}`).all(userId);
    return [...byId, ...this.#db.prepare(`${set} WHERE subject = ? ${returning}`).all(userId)];
  }

  purgeState(logId: number): Promise<PurgeState | undefined> {
    try {
      const row = this.#stmt.purgeState.get(logId);
      return Promise.resolve(
        row && { logId: row.log_id, purgedTo: row.purged_to, rootAtCut: row.root_at_cut, newestPurged: row.newest_purged, updatedAt: row.updated_at },
      );
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read the purge state'));
    }
  }

  readRetentionFacts(logId: number, from: number, to: number): Promise<RetentionFact[]> {
    try {
      const rows = this.#db
        .prepare(
          `SELECT seq, created_at, classified_event, user_id, operation_key FROM records
           WHERE log_id = ? AND seq >= ? AND seq < ? ORDER BY seq`,
        )
        .all(logId, from, to) as { seq: number; created_at: number; classified_event: number; user_id: string | null; operation_key: string | null }[];
      return Promise.resolve(
        rows.map((r) => ({ seq: r.seq, createdAt: r.created_at, classifiedEvent: r.classified_event as EventClass, userId: r.user_id, operationKey: r.operation_key })),
      );
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read records for retention'));
    }
  }

  purgeSlice(slice: PurgeSlice): Promise<boolean> {
    try {
      const done = this.#db
        .transaction((): boolean => {
          const current = (this.#db.prepare('SELECT purged_to FROM log_purges WHERE log_id = ?').get(slice.logId) as { purged_to: number } | undefined)
            ?.purged_to ?? 0;
          if (current !== slice.from || slice.to <= slice.from) return false;
          const insertNode = this.#db.prepare('INSERT OR IGNORE INTO retained_nodes (log_id, level, idx, hash) VALUES (?, ?, ?, ?)');
          for (const n of slice.nodes) insertNode.run(slice.logId, n.level, n.index, n.hash);
          // The per-minute counts lose the purged records; a remaining row's lowest seq moves up to the cut at least.
          this.#db
            .prepare(
              `WITH gone AS (
                 SELECT ${MINUTE_OF} AS m, event, classified_event, count(*) AS n FROM records
                 WHERE log_id = ? AND seq >= ? AND seq < ? GROUP BY m, event, classified_event)
               UPDATE record_minutes SET n = record_minutes.n - gone.n, min_seq = max(record_minutes.min_seq, ?)
               FROM gone WHERE record_minutes.minute = gone.m AND record_minutes.log_id = ? AND record_minutes.event = gone.event
                 AND record_minutes.classified_event = gone.classified_event`,
            )
            .run(slice.logId, slice.from, slice.to, slice.to, slice.logId);
          this.#db.prepare('DELETE FROM record_minutes WHERE log_id = ? AND n <= 0').run(slice.logId);
          const { newest } = this.#db
            .prepare('SELECT max(created_at) AS newest FROM records WHERE log_id = ? AND seq >= ? AND seq < ?')
            .get(slice.logId, slice.from, slice.to) as { newest: number };
          this.#db.prepare('INSERT INTO purge_permit (log_id, cut) VALUES (?, ?)').run(slice.logId, slice.to);
          const deleted = this.#db.prepare('DELETE FROM records WHERE log_id = ? AND seq >= ? AND seq < ?').run(slice.logId, slice.from, slice.to);
          this.#db.prepare('DELETE FROM purge_permit WHERE log_id = ?').run(slice.logId);
          if (deleted.changes !== slice.to - slice.from) {
            throw new StoreError('STORE_FAILED', `Purge of [${slice.from}, ${slice.to}) of log ${slice.logId} found ${deleted.changes} records`);
          }
          this.#db
            .prepare(
              `INSERT INTO log_purges (log_id, purged_to, root_at_cut, newest_purged, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (log_id) DO UPDATE SET purged_to = excluded.purged_to, root_at_cut = excluded.root_at_cut,
                 newest_purged = max(newest_purged, excluded.newest_purged), updated_at = excluded.updated_at`,
            )
            .run(slice.logId, slice.to, slice.rootAtCut, newest, slice.at);
          return true;
        })
        .immediate();
      return Promise.resolve(done);
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'purge records'));
    }
  }

  readRetainedNode(logId: number, level: number, index: number): Promise<Buffer | undefined> {
    try {
      const row = this.#db.prepare('SELECT hash FROM retained_nodes WHERE log_id = ? AND level = ? AND idx = ?').get(logId, level, index) as
        | { hash: Buffer }
        | undefined;
      return Promise.resolve(row?.hash);
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read a retained Merkle node'));
    }
  }

  listHolds(tenantId: string | null): Promise<LegalHold[]> {
    try {
      const rows = this.#db
        .prepare('SELECT * FROM legal_holds WHERE tenant_key = ? AND released_at IS NULL ORDER BY set_at, id')
        .all(tenantKey(tenantId)) as HoldRow[];
      return Promise.resolve(rows.map(toLegalHold));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'list legal holds'));
    }
  }

  addHold(hold: LegalHold): Promise<void> {
    try {
      this.#db
        .prepare('INSERT INTO legal_holds (id, tenant_key, user_id, operation_key, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(hold.id, tenantKey(hold.tenantId), hold.userId, hold.operationKey, hold.reason, hold.setBy, hold.setAt);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'store a legal hold'));
    }
  }

  releaseHold(tenantId: string | null, id: string, by: string, at: number): Promise<LegalHold | undefined> {
    try {
      const row = this.#db
        .prepare('UPDATE legal_holds SET released_by = ?, released_at = ? WHERE id = ? AND tenant_key = ? AND released_at IS NULL RETURNING *')
        .get(by, at, id, tenantKey(tenantId)) as HoldRow | undefined;
      return Promise.resolve(row && toLegalHold(row));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'release a legal hold'));
    }
  }

  getSetting(key: string): Promise<string | undefined> {
    try {
      return Promise.resolve(this.#stmt.getSetting.get(key));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read a setting'));
    }
  }

  putSetting(key: string, value: string): Promise<void> {
    try {
      this.#db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'write a setting'));
    }
  }

  /**
   * Ready when appends can be stored now: the file system keeps at least `minFreeBytes` free, and a one-row write
   * commits (WAL append and fsync under `synchronous=FULL`, like an append's commit). `SELECT 1` would pass on a
   * full or failed disk, from the page cache.
   */
  checkReady(): Promise<void> {
    try {
      if (this.#path !== ':memory:') {
        const fs = statfsSync(dirname(this.#path));
        const free = fs.bavail * fs.bsize;
        if (free < this.#minFreeBytes) {
          const mib = (n: number): string => `${Math.floor(n / 1024 / 1024)} MiB`;
          throw new StoreError(
            'STORE_UNAVAILABLE',
            `The disk holding the SQLite database is nearly full: ${mib(free)} free, below the ${mib(this.#minFreeBytes)} kept for appends (TAMGA_MIN_FREE_DISK_MB)`,
          );
        }
      }
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'write to the database (readiness)'));
    }
    return this.#write({ kind: 'readiness', at: Date.now() * 1000 });
  }

  async close(): Promise<void> {
    await this.#readers?.close();
    await this.#threads?.close();
    this.#text.close();
    if (this.#db.open) this.#db.close();
  }
}

/**
 * Merkle rows a read may span and still run on the request thread: the ranges of one proof (a block of 2^stride leaves
 * or nodes, and what merged into it), 0.3–0.6 ms warm. A reader thread's round trip adds ~0.1 ms and, at the tail,
 * more than the read itself (decision 0056). The upper tree's first growth and evidence bundles read more: threads.
 */
const HERE_MERKLE_ROWS = 2 * 2 ** STORED_LEVEL_STRIDE;

/**
 * Where a read runs when the store has reader threads: `long` on a thread, but never the last free one (a count or
 * histogram over a range, a text search, which may scan what the index has not caught up with, retention's scan);
 * `short` on any free thread, before the long ones (a page, a poll); `bulk` on the export thread, in SCHED_IDLE (the
 * pages of an export, an evidence bundle's records: decision 0072); `here` on the request thread's connection (small
 * and bounded: a proof's Merkle ranges).
 */
export type ReadPlace = 'here' | 'short' | 'long' | 'bulk';

/** The reads reader threads may run, each with where the given arguments make it run. */
export const THREAD_READS: Readonly<Partial<Record<keyof JournalStore, (args: readonly unknown[]) => ReadPlace>>> = {
  queryRecords: ([filter]) => (hasText(filter as RecordFilter) ? 'long' : 'short'),
  exportPage: ([filter, , , , , , exporting]) => (exporting === true ? 'bulk' : hasText(filter as RecordFilter) ? 'long' : 'short'),
  getRecord: () => 'short',
  countRecords: () => 'long',
  histogram: () => 'long',
  suggestUsers: () => 'short',
  minuteCounts: () => 'short',
  recordStats: () => 'long',
  minuteSeqRange: () => 'short',
  readNodes: ([, , from, to]) => ((to as number) - (from as number) <= HERE_MERKLE_ROWS ? 'here' : 'short'),
  readRecordsBySeq: () => 'short',
  readMatching: () => 'short',
  readBundleLines: () => 'bulk',
  seqRangeForTime: () => 'short',
  pollRecords: () => 'short',
  listEventRecords: () => 'short',
  readRetentionFacts: () => 'long',
};

/**
 * `FROM records <where> [AND after a cursor] ORDER BY created_at, rid LIMIT ?` in `order` (newest first by default);
 * its parameters: the where clause's, {@link cursorParams}, the limit.
 */
function ordered(where: string, order: 'asc' | 'desc' | undefined, hasCursor: boolean, table = 'records'): string {
  const cmp = order === 'asc' ? '>' : '<';
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  // The plain bound first: with the OR alone, a filter without `to` is planned as a MULTI-INDEX OR that sorts every
  // record past the cursor (each page of an export then costs O(n log n)); the bound keeps it a walk of the index.
  const keyset = hasCursor ? `${where ? ' AND' : 'WHERE'} created_at ${cmp}= ? AND (created_at ${cmp} ? OR (created_at = ? AND rid ${cmp} ?))` : '';
  return `FROM ${table} ${where}${keyset} ORDER BY created_at ${dir}, rid ${dir} LIMIT ?`;
}

function cursorParams(after: RecordCursor | undefined): unknown[] {
  return after === undefined ? [] : [after.createdAt, after.createdAt, after.createdAt, after.rid];
}

/**
 * The table of a query, with the subject index forced for the subject half of a user filter: subjects are few (sign-ins
 * without userId), and without statistics SQLite would walk the event or time index over every record of the range.
 */
function tableFor(filter: RecordFilter): string {
  return filter.subject === undefined ? 'records' : 'records INDEXED BY records_subject_time';
}

/**
 * A record the Event API's poll returns: its `pollable` column says so, or it has none (written before the column
 * existed) and its code is in the JSON array parameter. `pollable IS NOT 0` is the partial index's own condition.
 */
const POLLABLE = '(pollable IS NOT 0 AND (pollable = 1 OR event IN (SELECT value FROM json_each(?))))';

/**
 * The Event API list's ORDER BY terms in SQLite ({@link EventListQuery}): absent added fields last in both directions,
 * integers before strings ascending, strings by code point (SQLite's BINARY collation of UTF-8).
 */
const SQLITE_EVENT_ORDER: EventOrderDialect = {
  column: (field, direction) => `${field === 'seq' ? 'seq' : field === 'createdAt' ? 'created_at' : 'event_name'} ${direction}`,
  extra(path, direction) {
    const json = `'$.${path.join('.')}'`;
    return [`coalesce(json_type(extra, ${json}), 'null') = 'null'`, `json_type(extra, ${json}) = 'text' ${direction}`, `json_extract(extra, ${json}) ${direction}`];
  },
};

/**
 * Matches of a text search above which a page walks the time (or other filter's) index instead of looking each match
 * up: a lookup is a random row read (~10 µs warm), a step of the walk an index entry (~0.3 µs).
 */
const DENSE_TEXT_MATCHES = 4000;

/**
 * Records a page of a common text walks at most before it reads through the index instead ({@link
 * SqliteJournalStore.#denseTextPage}), and per slice between turns of other requests. At 10 M a walk cost ~4 µs a
 * record (the first 100 rows of "ERROR", one record in 50: ~5,000 walked in 20–30 ms over HTTP), so a walk that gives
 * up has spent ~80 ms; listing the 200,000 matches of a day cost 60–110 ms.
 */
const DENSE_WALK_ROWS = 20_000;
const DENSE_WALK_SLICE = 2000;

/** What a page of a text search learnt of the index before choosing how to read (`SqliteJournalStore.#textProbe`). */
interface TextProbe {
  readonly span: RidSpan | undefined;
  /** More than {@link DENSE_TEXT_MATCHES} indexed matches in the span. */
  readonly many: boolean;
}

/** Minutes × logs of a range above which a text search's histogram reads each match's time instead (years of data). */
const MAX_MINUTE_SPANS = 200_000;
/**
 * Records of a text search's interleaved minutes read and tested one by one, smallest minutes first; the larger ones
 * are resolved by their rid spans (`ridSegments`).
 */
const MAX_UNSURE_RECORDS = 20_000;

/** Orders strings by code point, as SQLite's BINARY collation of UTF-8 does. */
function codePointOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Whether the filter searches text (`q`). */
function hasText(filter: RecordFilter): filter is RecordFilter & { readonly q: string } {
  return filter.q !== undefined && filter.q !== '';
}

/** ⌊created_at / 60 s⌋ in SQL, for negative times too (as SQLITE_BACKFILL_MINUTES). */
const MINUTE_OF = '(created_at - ((created_at % 60000000) + 60000000) % 60000000) / 60000000';

interface PurgeRow {
  log_id: number;
  purged_to: number;
  root_at_cut: Buffer;
  newest_purged: number;
  updated_at: number;
}

interface HoldRow {
  id: string;
  tenant_key: string;
  user_id: string | null;
  operation_key: string | null;
  reason: string;
  set_by: string;
  set_at: number;
}

function toLegalHold(row: HoldRow): LegalHold {
  return {
    id: row.id,
    tenantId: row.tenant_key === '' ? null : row.tenant_key,
    userId: row.user_id,
    operationKey: row.operation_key,
    reason: row.reason,
    setBy: row.set_by,
    setAt: row.set_at,
  };
}

function toLogHead(row: LogRow): LogHead {
  return { logId: row.log_id, tenantId: row.tenant_key === '' ? null : row.tenant_key, origin: row.origin, size: row.size, rootHash: row.root_hash };
}
