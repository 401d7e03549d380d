import { mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CompactRange, StoreError } from '@tamga/core';
import type { TamgaError } from '@tamga/core';
import type { EntityData, EventClass, Outcome, RecordExtra, RecordFields } from '@tamga/core';
import { STORED_LEVEL_STRIDE } from '../../journal/journal-store.js';
import { findRepeats } from '../../journal/same-event.js';
import type { StoredEvent } from '../../journal/same-event.js';
import type {
  AppendResult,
  ErasedRecord,
  ErasureSelector,
  EventListQuery,
  HistogramBucket,
  JournalStore,
  SearchIndexStatus,
  LogHead,
  MinuteCount,
  PendingRecord,
  RecordCursor,
  RecordFilter,
  Sealer,
  SeqRange,
  StoredCheckpoint,
  StoredRecord,
  TenantScope,
} from '../../journal/journal-store.js';
import { splitUserFilter } from '../../journal/journal-store.js';
import { eventOrderBy, withPollable } from '../event-api-columns.js';
import type { EventOrderDialect } from '../event-api-columns.js';
import { HOUR_MICROS, ipIndexHours } from '../hour-index.js';
import { MinuteTally } from '../minute-tally.js';
import { DEFAULT_STORE_CONFIG } from '../store-config.js';
import { MAX_SUGGEST_PROBES, mergeBuckets, mergePages } from '../user-filter.js';
import { wrapSqliteError } from './sqlite-errors.js';
import { SQLITE_ADD_POLLABLE, SQLITE_ADD_SUBJECT, SQLITE_BACKFILL_MINUTES, SQLITE_SCHEMA } from './sqlite-schema.js';
import { ftsPhrase, SqliteTextIndex } from './sqlite-text-index.js';

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
}

interface LogRow {
  log_id: number;
  tenant_key: string;
  origin: string;
  size: number;
  root_hash: Buffer;
  frontier: Buffer;
}

interface RecordRow {
  rid: number;
  log_id: number;
  seq: number;
  id: string;
  event: number;
  event_name: string;
  entity_data: string | null;
  user_id: string | null;
  api_created_at: number;
  created_at: number;
  text: string | null;
  ip: string | null;
  tenant_id: string | null;
  node_id: string | null;
  operation_key: string | null;
  classified_event: number;
  severity: number;
  outcome: string | null;
  extra: string | null;
  sig_kid: string;
  signature: string;
  canonical: Buffer;
  leaf_hash: Buffer;
  payload_salt: Buffer | null;
  redacted: number;
  pollable: number | null;
  subject: string | null;
}

const INSERT_RECORD = `INSERT INTO records (log_id, seq, id, event, event_name, entity_data, user_id, api_created_at,
  created_at, text, ip, tenant_id, node_id, operation_key, classified_event, severity, outcome, extra, sig_kid,
  signature, canonical, leaf_hash, payload_salt, pollable, subject)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const tenantKey = (tenantId: string | null): string => tenantId ?? '';

/**
 * The embedded store: one SQLite file in WAL mode (better-sqlite3). Appends run in one IMMEDIATE
 * transaction per batch, so SQLite's single writer serializes them and `seq` stays contiguous.
 */
export class SqliteJournalStore implements JournalStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #minFreeBytes: number;
  /** Tenant → log id; a log, once created, never changes id. */
  readonly #logIds = new Map<string, number>();
  readonly #text: SqliteTextIndex;
  readonly #stmt: {
    insertRecord: Database.Statement;
    insertNode: Database.Statement;
    addMinuteCount: Database.Statement;
    insertLog: Database.Statement;
    updateLog: Database.Statement;
    findIds: Database.Statement<[string], RecordRow>;
    getLog: Database.Statement<[string], LogRow>;
    touchReadiness: Database.Statement<[number]>;
  };

  constructor(config: SqliteJournalStoreConfig) {
    this.#path = config.path;
    this.#minFreeBytes = config.minFreeBytes ?? DEFAULT_STORE_CONFIG.minFreeDiskBytes;
    try {
      if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true, mode: 0o700 });
      this.#db = new Database(config.path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${config.synchronous ?? 'FULL'}`);
      this.#db.pragma('foreign_keys = ON');
      this.#db.pragma('busy_timeout = 5000');
      this.#db.pragma('cache_size = -65536'); // 64 MiB page cache
      const columns = this.#db.prepare("SELECT name FROM pragma_table_info('records')").all() as { name: string }[];
      if (columns.length > 0 && !columns.some((c) => c.name === 'pollable')) {
        this.#db.transaction(() => this.#db.exec(SQLITE_ADD_POLLABLE)).immediate();
      }
      if (columns.length > 0 && !this.#db.prepare("SELECT 1 FROM pragma_table_info('records') WHERE name = 'subject'").get()) {
        this.#db.transaction(() => this.#db.exec(SQLITE_ADD_SUBJECT)).immediate();
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
      this.#text = new SqliteTextIndex(this.#db);
      this.#stmt = {
        insertRecord: this.#db.prepare(INSERT_RECORD),
        insertNode: this.#db.prepare('INSERT INTO merkle_nodes (log_id, level, idx, hash) VALUES (?, ?, ?, ?)'),
        addMinuteCount: this.#db.prepare(
          `INSERT INTO record_minutes (minute, log_id, event, classified_event, n, min_seq, max_seq) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (minute, log_id, event, classified_event)
           DO UPDATE SET n = n + excluded.n, min_seq = min(min_seq, excluded.min_seq), max_seq = max(max_seq, excluded.max_seq)`,
        ),
        insertLog: this.#db.prepare(
          'INSERT INTO logs (tenant_key, origin, size, root_hash, frontier, created_at) VALUES (?, ?, 0, ?, ?, ?) RETURNING *',
        ),
        updateLog: this.#db.prepare('UPDATE logs SET size = ?, root_hash = ?, frontier = ? WHERE log_id = ?'),
        findIds: this.#db.prepare('SELECT * FROM records WHERE id IN (SELECT value FROM json_each(?))'),
        getLog: this.#db.prepare('SELECT * FROM logs WHERE tenant_key = ?'),
        touchReadiness: this.#db.prepare(
          'INSERT INTO readiness (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
        ),
      };
    } catch (error) {
      throw this.#wrap(error, 'open the database');
    }
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

  append(records: readonly PendingRecord[], sealer: Sealer): Promise<AppendResult[]> {
    try {
      return Promise.resolve(this.#db.transaction(() => this.#appendInTransaction(records, sealer)).immediate());
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'append'));
    }
  }

  #appendInTransaction(records: readonly PendingRecord[], sealer: Sealer): AppendResult[] {
    const results = new Array<AppendResult | undefined>(records.length);
    const stored = new Map<string, StoredEvent>();
    for (const row of this.#stmt.findIds.all(JSON.stringify(records.map((r) => r.id)))) {
      const result = { id: row.id, tenantId: row.tenant_id, seq: row.seq, signature: row.signature, sigKid: row.sig_kid, duplicate: true };
      stored.set(row.id, { result, content: toStoredRecord(row, '') });
    }
    const repeats = findRepeats(records, stored);
    // Group by tenant in first-seen order; each tenant's log is appended to in input order.
    const groups = new Map<string, number[]>();
    records.forEach((r, i) => {
      const key = tenantKey(r.tenantId);
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    });
    const now = Date.now() * 1000;
    for (const [key, indexes] of groups) {
      const tenantId = records[indexes[0]!]!.tenantId;
      // The head is read inside the transaction: another process may have appended since.
      const log = this.#stmt.getLog.get(key) ?? this.#createLog(key, tenantId, sealer, now);
      const range = CompactRange.fromBytes(log.size, log.frontier);
      const logId = log.log_id;
      const onNode = (level: number, index: number, hash: Buffer): void => {
        if (level > 0 && level % STORED_LEVEL_STRIDE === 0) this.#stmt.insertNode.run(logId, level, index, hash);
      };
      const minuteCounts = new MinuteTally();
      for (const i of indexes) {
        const pending = records[i]!;
        const repeat = repeats[i];
        if (repeat !== undefined) {
          results[i] = typeof repeat === 'number' ? { ...results[repeat]!, duplicate: true } : repeat;
          continue;
        }
        const fields: RecordFields = { ...pending, log: log.origin, seq: range.size, sigKid: sealer.sigKid };
        const seal = sealer.seal(fields);
        this.#stmt.insertRecord.run(
          logId,
          fields.seq,
          fields.id,
          fields.event,
          fields.eventName,
          fields.entityData === null ? null : JSON.stringify(fields.entityData),
          fields.userId,
          fields.apiCreatedAt,
          fields.createdAt,
          fields.text,
          fields.ip,
          fields.tenantId,
          fields.nodeId,
          fields.operationKey,
          fields.classifiedEvent,
          fields.severity,
          fields.outcome,
          Object.keys(fields.extra).length === 0 ? null : JSON.stringify(fields.extra),
          fields.sigKid,
          seal.signature,
          seal.canonical,
          seal.leafHash,
          seal.payloadSalt,
          pollableColumn(fields.extra),
          pending.subject ?? null,
        );
        range.append(seal.leafHash, onNode);
        minuteCounts.add(fields.createdAt, fields.event, fields.classifiedEvent, fields.seq);
        results[i] = { id: fields.id, tenantId, seq: fields.seq, signature: seal.signature, sigKid: fields.sigKid, duplicate: false };
      }
      if (range.size !== log.size) {
        this.#stmt.updateLog.run(range.size, range.root(), range.toBytes(), logId);
      }
      for (const c of minuteCounts.counts()) {
        this.#stmt.addMinuteCount.run(c.minute, logId, c.event, c.classifiedEvent, c.n, c.minSeq, c.maxSeq);
      }
    }
    return results as AppendResult[];
  }

  #createLog(key: string, tenantId: string | null, sealer: Sealer, now: number): LogRow {
    const empty = CompactRange.empty();
    return this.#stmt.insertLog.get(key, sealer.originFor(tenantId), empty.root(), empty.toBytes(), now) as LogRow;
  }

  #where(filter: RecordFilter): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.from !== undefined) {
      clauses.push('created_at >= ?');
      params.push(filter.from);
    }
    if (filter.to !== undefined) {
      clauses.push('created_at < ?');
      params.push(filter.to);
    }
    if (filter.events && filter.events.length > 0) {
      clauses.push(`event IN (${filter.events.map(() => '?').join(',')})`);
      params.push(...filter.events);
    }
    if (filter.classes && filter.classes.length > 0) {
      clauses.push(`classified_event IN (${filter.classes.map(() => '?').join(',')})`);
      params.push(...filter.classes);
    }
    if (filter.tenants !== undefined) {
      const ids = this.#logIdsFor(filter.tenants);
      clauses.push(ids.length > 0 ? `log_id IN (${ids.join(',')})` : '0');
    }
    for (const [column, value] of [
      ['outcome', filter.outcome],
      ['operation_key', filter.operationKey],
      ['user_id', filter.userId],
      ['subject', filter.subject],
      ['node_id', filter.nodeId],
      ['ip', filter.ip],
    ] as const) {
      if (value !== undefined) {
        clauses.push(`${column} = ?`);
        params.push(value);
      }
    }
    const hours = filter.ip === undefined ? undefined : ipIndexHours(filter);
    if (hours !== undefined) clauses.push(`created_at / ${HOUR_MICROS} IN (${hours.join(',')})`);
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
        ['ip', not.ips],
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
    return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
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
  async #textWhere(filter: RecordFilter, ordered = false): Promise<{ sql: string; params: unknown[] }> {
    if (!hasText(filter)) return this.#where(filter);
    const { q, ...rest } = filter;
    const base = this.#where(rest);
    const tail = await this.#text.tailHits(this.#text.through(), q, base);
    const phrase = ftsPhrase(q);
    const dense = ordered && this.#text.countMatches(phrase) + tail.length > DENSE_TEXT_MATCHES;
    const clause = `${dense ? '+' : ''}rid IN (SELECT rowid FROM record_text WHERE record_text MATCH ? UNION ALL SELECT value FROM json_each(?))`;
    return { sql: base.sql ? `${base.sql} AND ${clause}` : `WHERE ${clause}`, params: [...base.params, phrase, JSON.stringify(tail)] };
  }

  async queryRecords(filter: RecordFilter, limit: number, after?: RecordCursor): Promise<StoredRecord[]> {
    try {
      const parts = splitUserFilter(filter);
      const pages: StoredRecord[][] = [];
      for (const part of parts) {
        const where = await this.#textWhere(part, true);
        const rows = this.#db
          .prepare(`SELECT * ${ordered(where.sql, filter.order, after !== undefined, tableFor(part))}`)
          .all(...where.params, ...cursorParams(after), limit) as RecordRow[];
        pages.push(rows.map((row) => toStoredRecord(row, this.#originOf(row.log_id))));
      }
      return pages.length === 1 ? pages[0]! : mergePages(pages, filter.order, limit);
    } catch (error) {
      throw this.#wrap(error, 'query records');
    }
  }

  getRecord(id: string, tenants?: TenantScope): Promise<StoredRecord | undefined> {
    try {
      const row = this.#db.prepare('SELECT * FROM records WHERE id = ?').get(id) as RecordRow | undefined;
      if (!row) return Promise.resolve(undefined);
      if (tenants !== undefined && !tenants.includes(row.tenant_id)) return Promise.resolve(undefined);
      return Promise.resolve(toStoredRecord(row, this.#originOf(row.log_id)));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read a record'));
    }
  }

  async countRecords(filter: RecordFilter): Promise<number> {
    try {
      let n = 0;
      for (const part of splitUserFilter(filter)) {
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

  /** Starts indexing text behind the appends; `onError` hears of a slice that failed (tried again later). */
  startSearchIndex(onError?: (error: unknown) => void): void {
    this.#text.start(onError);
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

  suggestUsers(prefix: string, tenants: TenantScope | undefined, limit: number): Promise<string[]> {
    try {
      const logIds = tenants === undefined ? undefined : this.#logIdsFor(tenants);
      if (logIds !== undefined && logIds.length === 0) return Promise.resolve([]);
      const names = new Set<string>();
      for (const column of ['user_id', 'subject'] as const) {
        // One seek per distinct name on the (column, created_at) index: never a walk over a name's records.
        const next = this.#db.prepare(
          `SELECT ${column} AS name FROM records WHERE ${column} IS NOT NULL AND ${column} > ? ORDER BY ${column} LIMIT 1`,
        );
        const first = this.#db.prepare(`SELECT ${column} AS name FROM records WHERE ${column} IS NOT NULL AND ${column} >= ? ORDER BY ${column} LIMIT 1`);
        const visible =
          logIds === undefined ? undefined : this.#db.prepare(`SELECT 1 FROM records WHERE ${column} = ? AND log_id IN (${logIds.join(',')}) LIMIT 1`);
        let row = first.get(prefix) as { name: string } | undefined;
        let found = 0;
        for (let probes = 0; row !== undefined && row.name.startsWith(prefix) && found < limit && probes < MAX_SUGGEST_PROBES; probes++) {
          if (visible === undefined || visible.get(row.name) !== undefined) {
            names.add(row.name);
            found++;
          }
          row = next.get(row.name) as { name: string } | undefined;
        }
      }
      return Promise.resolve([...names].sort(codePointOrder).slice(0, limit));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'suggest users'));
    }
  }

  minuteCounts(filter: RecordFilter, fromMinute: number, toMinute: number): Promise<MinuteCount[]> {
    try {
      // A countable filter narrows only by log_id, event and classified_event, which record_minutes has too.
      const { from: _from, to: _to, ...rest } = filter;
      const { sql, params } = this.#where(rest);
      const rows = this.#db
        .prepare(
          `SELECT minute, sum(n) AS n FROM record_minutes ${sql} ${sql ? 'AND' : 'WHERE'} minute >= ? AND minute < ?
           GROUP BY minute ORDER BY minute`,
        )
        .all(...params, fromMinute, toMinute) as { minute: number; n: number }[];
      return Promise.resolve(rows.map((r) => ({ minute: r.minute, count: r.n })));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read minute counts'));
    }
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
      const rows =
        level === 0
          ? (this.#db
              .prepare('SELECT leaf_hash AS hash FROM records WHERE log_id = ? AND seq >= ? AND seq < ? ORDER BY seq')
              .all(logId, from, to) as { hash: Buffer }[])
          : (this.#db
              .prepare('SELECT hash FROM merkle_nodes WHERE log_id = ? AND level = ? AND idx >= ? AND idx < ? ORDER BY idx')
              .all(logId, level, from, to) as { hash: Buffer }[]);
      if (rows.length !== to - from) {
        throw new StoreError('STORE_FAILED', `Merkle nodes missing at level ${level} [${from}, ${to}) of log ${logId}`);
      }
      return Promise.resolve(rows.map((r) => r.hash));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read Merkle nodes'));
    }
  }

  addCheckpoint(cp: StoredCheckpoint): Promise<void> {
    try {
      this.#db
        .prepare('INSERT OR IGNORE INTO checkpoints (log_id, size, root_hash, note, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(cp.logId, cp.size, cp.rootHash, cp.note, cp.createdAt);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'store a checkpoint'));
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

  readRecordsBySeq(logId: number, from: number, to: number): Promise<StoredRecord[]> {
    try {
      const rows = this.#db
        .prepare('SELECT * FROM records WHERE log_id = ? AND seq >= ? AND seq < ? ORDER BY seq')
        .all(logId, from, to) as RecordRow[];
      const origin = rows.length > 0 ? this.#originOf(logId) : '';
      return Promise.resolve(rows.map((row) => toStoredRecord(row, origin)));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'read records by seq'));
    }
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
      const rows = this.#db
        .prepare(
          `SELECT * FROM records INDEXED BY records_poll WHERE log_id = ? AND seq >= ? AND ${POLLABLE} ORDER BY seq LIMIT ?`,
        )
        .all(logId, fromSeq, JSON.stringify(legacyPollable), limit) as RecordRow[];
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
        clauses.push('user_id = ?');
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
      const rows = this.#db
        .prepare(`SELECT * FROM records WHERE ${clauses.join(' AND ')} ORDER BY ${eventOrderBy(query.sort, SQLITE_EVENT_ORDER)} LIMIT ? OFFSET ?`)
        .all(...params, query.limit, query.offset) as RecordRow[];
      const origin = rows.length > 0 ? this.#originOf(query.logId) : '';
      return Promise.resolve(rows.map((row) => toStoredRecord(row, origin)));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'list records'));
    }
  }

  erasePayloads(selector: ErasureSelector): Promise<ErasedRecord[]> {
    try {
      const set = 'UPDATE records SET entity_data = NULL, text = NULL, payload_salt = NULL, redacted = 1';
      const rows = (
        'ids' in selector
          ? this.#db.prepare(`${set} WHERE id IN (SELECT value FROM json_each(?)) AND redacted = 0 RETURNING rid, id, tenant_id, seq`).all(JSON.stringify(selector.ids))
          : this.#db
              .prepare(`${set} WHERE (user_id = ? OR subject = ?) AND redacted = 0 RETURNING rid, id, tenant_id, seq`)
              .all(selector.userId, selector.userId)
      ) as { rid: number; id: string; tenant_id: string | null; seq: number }[];
      // The erased text must not be found any more (nor betray by a match what it said).
      this.#text.forget(rows.map((r) => r.rid));
      return Promise.resolve(rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, seq: r.seq })));
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'erase payloads'));
    }
  }

  getSetting(key: string): Promise<string | undefined> {
    try {
      const row = this.#db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
      return Promise.resolve(row?.value);
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
      this.#stmt.touchReadiness.run(Date.now() * 1000);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'write to the database (readiness)'));
    }
  }

  close(): Promise<void> {
    this.#text.close();
    if (this.#db.open) this.#db.close();
    return Promise.resolve();
  }
}

/**
 * `FROM records <where> [AND after a cursor] ORDER BY created_at, rid LIMIT ?` in `order` (newest first by default);
 * its parameters: the where clause's, {@link cursorParams}, the limit.
 */
function ordered(where: string, order: 'asc' | 'desc' | undefined, hasCursor: boolean, table = 'records'): string {
  const cmp = order === 'asc' ? '>' : '<';
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const keyset = hasCursor ? `${where ? ' AND' : 'WHERE'} (created_at ${cmp} ? OR (created_at = ? AND rid ${cmp} ?))` : '';
  return `FROM ${table} ${where}${keyset} ORDER BY created_at ${dir}, rid ${dir} LIMIT ?`;
}

function cursorParams(after: RecordCursor | undefined): unknown[] {
  return after === undefined ? [] : [after.createdAt, after.createdAt, after.rid];
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

/** Orders strings by code point, as SQLite's BINARY collation of UTF-8 does. */
function codePointOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Whether the filter searches text (`q`). */
function hasText(filter: RecordFilter): filter is RecordFilter & { readonly q: string } {
  return filter.q !== undefined && filter.q !== '';
}

function toLogHead(row: LogRow): LogHead {
  return { logId: row.log_id, tenantId: row.tenant_key === '' ? null : row.tenant_key, origin: row.origin, size: row.size, rootHash: row.root_hash };
}

function toStoredRecord(row: RecordRow, origin: string): StoredRecord {
  return {
    rid: row.rid,
    log: origin,
    seq: row.seq,
    id: row.id,
    event: row.event,
    eventName: row.event_name,
    entityData: parseEntityData(row.entity_data),
    userId: row.user_id,
    apiCreatedAt: row.api_created_at,
    createdAt: row.created_at,
    text: row.text,
    ip: row.ip,
    tenantId: row.tenant_id,
    nodeId: row.node_id,
    operationKey: row.operation_key,
    classifiedEvent: row.classified_event as EventClass,
    severity: row.severity,
    outcome: row.outcome as Outcome | null,
    extra: withPollable(parseExtra(row.extra), row.pollable === null ? undefined : row.pollable !== 0),
    sigKid: row.sig_kid,
    signature: row.signature,
    canonical: row.canonical,
    leafHash: row.leaf_hash,
    payloadSalt: row.payload_salt,
    redacted: row.redacted !== 0,
    subject: row.subject ?? null,
  };
}

/** `extra.pollable` as the `pollable` column stores it: 1, 0, or NULL when the record has none. */
function pollableColumn(extra: RecordExtra): number | null {
  return extra.pollable === undefined ? null : extra.pollable ? 1 : 0;
}

/** Parses stored `entityData`; text that is no JSON (a tampered row) is returned as is and fails its digest. */
function parseEntityData(text: string | null): EntityData | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as EntityData;
  } catch {
    return text;
  }
}

/** Parses stored added fields; text that is no JSON (a tampered row) is kept so the record fails its check. */
function parseExtra(text: string | null): RecordExtra {
  if (text === null) return {};
  try {
    return JSON.parse(text) as RecordExtra;
  } catch {
    return { unparsable: text } as RecordExtra;
  }
}
