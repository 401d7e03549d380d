import type { RecordStats } from './minute-counts.js';
import type { ClusterSignals } from './cluster-signals.js';
import type { BundleLines } from '../evidence/bundle-lines.js';
import { checkRecord } from '@tamga/core';
import type { EventClass, IntegrityStatus, Outcome, PreparedBytes, PreparedSeal, RecordFields, RecordSeal, StoredSeal } from '@tamga/core';

/**
 * The store port: what the journal needs from a database. Implementations live in `../store/<backend>/`
 * and pass one contract suite (`../store/journal-store.contract.ts`).
 *
 * Guarantees every implementation MUST give:
 * - `append` MUST NOT resolve before the whole batch is durably committed; a batch is stored whole or
 *   not at all.
 * - Sequence numbers are assigned inside the transaction that stores the batch, start at 0 and are
 *   contiguous per tenant log; the log order is the `seq` order.
 * - Appends are idempotent on `id`: an id already stored (or repeated within the batch) by the same event
 *   (`isSameEvent` of `same-event.ts`: same tenant, same content) stores nothing new and reports the stored record's `seq` and
 *   `signature`. An id used by a different event (another tenant's, or other content) refuses the whole batch with
 *   `ID_CONFLICT` (`findRepeats`), which reveals nothing of the other record.
 * - Records, Merkle nodes and checkpoints are append-only: the database itself refuses UPDATE and
 *   DELETE on them (triggers), outside the erasure and retention procedures.
 * - Every query is restricted to the tenants in `RecordFilter.tenants` when it is given; the HTTP
 *   layer never filters tenants on its own.
 * - Driver errors are wrapped in `StoreError`: `STORE_UNAVAILABLE` when the database cannot be reached or
 *   cannot write now (a full or failed disk included), `STORE_CORRUPT` when its files are damaged,
 *   `STORE_OUTCOME_UNKNOWN` when a commit was sent and its outcome could not be learned, `STORE_FAILED`
 *   otherwise; SQL errors never leave the store.
 */
export interface JournalStore {
  /** `sqlite` or `postgres`. */
  readonly kind: string;
  /** Appends a batch atomically; see the guarantees above. Results are in input order. */
  append(records: readonly PendingRecord[], sealer: Sealer): Promise<AppendResult[]>;
  /** One page of records matching `filter`, in `filter.order` (newest first by default). */
  queryRecords(filter: RecordFilter, limit: number, after?: RecordCursor): Promise<StoredRecord[]>;
  /**
   * One page of an export (`http/record-export.ts` `exportPage`): the records of `filter` after `after`, checked with
   * `hmacKeys` and formatted, where the store reads them — a store with threads of its own for reads, so the thread
   * serving HTTP neither checks nor formats them. `exporting`: a page of an export (a bulk read, which the store may run
   * below the reads a person waits for), not of `GET /api/v1/events`. Absent: the caller queries, checks and formats.
   */
  exportPage?(
    filter: RecordFilter,
    limit: number,
    after: RecordCursor | undefined,
    format: 'csv' | 'ndjson',
    firstIndex: number,
    hmacKeys: readonly (readonly [string, Uint8Array])[],
    exporting?: boolean,
  ): Promise<ExportPage>;
  /**
   * The records of `[from, to)` of a log as bundle record lines (`evidence/bundle-lines.ts`) and how many there are,
   * formatted where the store reads them — a store with threads of its own for reads. Absent: the caller reads the
   * records ({@link readRecordsBySeq}) and formats them.
   */
  readBundleLines?(logId: number, from: number, to: number): Promise<BundleLines>;
  /**
   * The records of `[from, to)` of a log that match any of `filters`, checked with `hmacKeys` (each once), and for each
   * filter the indexes of its records among them: read, matched and checked where the store reads — a store with
   * threads of its own for reads — so only the records a live subscriber takes reach the thread serving HTTP. Absent:
   * the caller reads ({@link readRecordsBySeq}), matches and checks.
   */
  readMatching?(
    logId: number,
    from: number,
    to: number,
    filters: readonly RecordFilter[],
    hmacKeys: readonly (readonly [string, Uint8Array])[],
  ): Promise<MatchedRecords>;
  /** The record with this id, if it is visible under `tenants` (all tenants when undefined). */
  getRecord(id: string, tenants?: TenantScope): Promise<StoredRecord | undefined>;
  /** How many records match `filter`. */
  countRecords(filter: RecordFilter): Promise<number>;
  /**
   * Counts per time bucket: buckets start at `origin + k * bucketMicros`, `origin` at most `filter.from` (default
   * `filter.from`, else 0); empty buckets omitted.
   */
  histogram(filter: RecordFilter, bucketMicros: number, origin?: number): Promise<HistogramBucket[]>;
  /**
   * Record counts per UTC minute (`minute` = ⌊createdAt / 60 s⌋) for minutes in `[fromMinute, toMinute)`, read from
   * the per-minute pre-aggregate that `append` keeps in the same transaction; minutes without records omitted.
   * `filter` MUST be {@link isMinuteCountable} (its time range is ignored: the minutes bound it). With `buckets`, the
   * counts are summed per bucket of `buckets.minutes` minutes starting at `buckets.originMinute` (at most `fromMinute`)
   * by the store, and `minute` is a bucket's first minute: a histogram over a day reads a row per bucket, not 1,440.
   */
  minuteCounts(filter: RecordFilter, fromMinute: number, toMinute: number, buckets?: MinuteBuckets): Promise<MinuteCount[]>;
  /**
   * `countRecordStats` over this store's own reads, run where that saves hops: SQLite's reader threads run it whole on
   * one thread, so the thread serving HTTP posts one read and gets the buckets. Optional (`recordStatsOf`).
   */
  recordStats?(filter: RecordFilter & { readonly from: number }, bucketMicros: number): Promise<RecordStats>;
  /**
   * The smallest `seq` range holding every record of a log whose minute is in `[fromMinute, toMinute)`, from the
   * lowest and highest `seq` the per-minute counts keep; undefined when no record is.
   */
  minuteSeqRange(logId: number, fromMinute: number, toMinute: number): Promise<SeqRange | undefined>;
  /** The head of a tenant's log (`null` = the default tenant), if the log exists. */
  getLog(tenantId: string | null): Promise<LogHead | undefined>;
  /** Every log's head. */
  listLogs(): Promise<LogHead[]>;
  /**
   * Stored Merkle node hashes of a log at `level` for indexes `[from, to)`: level 0 is the leaf hashes,
   * and levels that are multiples of {@link STORED_LEVEL_STRIDE} hold the perfect subtrees completed
   * so far. Throws if any is missing.
   */
  readNodes(logId: number, level: number, from: number, to: number): Promise<Buffer[]>;
  /** Stores a signed checkpoint of a log. Idempotent on `(logId, size)`. */
  addCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
  /** The checkpoint with the largest size of a log. */
  latestCheckpoint(logId: number): Promise<StoredCheckpoint | undefined>;
  /** Checkpoints of a log with `minSize ≤ size ≤ maxSize`, smallest first (evidence bundles, self-check). */
  listCheckpoints(logId: number, minSize: number, maxSize: number): Promise<StoredCheckpoint[]>;
  /**
   * Stores a witness's cosignature of a checkpoint (c2sp.org/tlog-cosignature; `checkpoint_cosignatures`, append-only).
   * Idempotent on `(logId, size, witness)`: the first stored line stays.
   */
  addCosignature(cosignature: StoredCosignature): Promise<void>;
  /** Cosignatures of a log's checkpoints with `minSize ≤ size ≤ maxSize`, smallest size first. */
  listCosignatures(logId: number, minSize: number, maxSize: number): Promise<StoredCosignature[]>;
  /** The largest checkpoint size of a log that `witness` (its verifier key) cosigned, 0 when none. */
  cosignedSize(logId: number, witness: string): Promise<number>;
  /** Records of a log with `seq` in `[from, to)`, in `seq` order (export, server-side verification). */
  readRecordsBySeq(logId: number, from: number, to: number): Promise<StoredRecord[]>;
  /**
   * The smallest `seq` range `[from, to)` holding every record of a log whose `createdAt` is in
   * `[fromMicros, toMicros)` (either bound may be absent); undefined when no record is. Reads the records: for long
   * ranges use `findSeqRange` (journal/minute-counts.ts), which asks {@link minuteSeqRange} for the whole minutes.
   */
  seqRangeForTime(logId: number, fromMicros: number | undefined, toMicros: number | undefined): Promise<SeqRange | undefined>;
  /**
   * The seed 004 Event API's poll: the pollable records of a log with `seq >= fromSeq`, in `seq` order, at most
   * `limit`. A record is pollable when its `pollable` field says so; a record stored before that field existed has
   * none and is pollable when its code is in `legacyPollable` (the tenant's catalogue today). Served by the partial
   * index on the pollable records of each log.
   */
  pollRecords(logId: number, fromSeq: number, limit: number, legacyPollable: readonly number[]): Promise<StoredRecord[]>;
  /** The seed 004 Event API's list: one page of a log's records ({@link EventListQuery}). */
  listEventRecords(query: EventListQuery): Promise<StoredRecord[]>;
  /**
   * How far the text index that serves `q` is behind the records (a search scans the records it does not cover yet,
   * so results are complete either way). A store whose index is kept in the append transaction reports nothing pending.
   */
  searchIndexStatus(): Promise<SearchIndexStatus>;
  /**
   * Up to `limit` distinct user names starting with `prefix` (case-sensitive), in code-point order, among the records'
   * `userId` and `subject` under `tenants` (all when undefined): the user filter's suggestions. Served by the
   * indexes on those columns, one probe per name.
   */
  suggestUsers(prefix: string, tenants: TenantScope | undefined, limit: number): Promise<string[]>;
  /**
   * Starts keeping the text index behind the appends (SQLite: the follower) or building it on a journal made before it
   * (PostgreSQL: CREATE INDEX CONCURRENTLY); `onError` hears of a failure (retried later where it can be).
   */
  startSearchIndex?(onError?: (error: unknown) => void): void;
  /** Brings the text index up to date now (tests, tools). */
  indexText?(): Promise<void>;
  /**
   * One slice of the subject backfill (docs/decisions/0028-text-search-and-subjects.md): of the records the journal
   * held when the backfill was first set up (those stored before `subject` was filled at append among them), the next
   * `span` by rid are read, and each without `userId` and `subject` whose `subjectOf` names a user gets it as
   * `subject` (the one change the append-only guard lets through besides erasure). Returns how many were filled and
   * how many records are left to examine (0: done, for good).
   */
  backfillSubjects?(subjectOf: SubjectOf, span: number): Promise<{ filled: number; remaining: number }>;
  /**
   * The erasure procedure (DESIGN.md §4): sets `entity_data`, `text` and `payload_salt` to NULL and `redacted`
   * to true on the selected records not yet erased, and changes nothing else. The append-only triggers let
   * exactly this UPDATE through. Returns the records it erased.
   */
  erasePayloads(selector: ErasureSelector): Promise<ErasedRecord[]>;
  /**
   * How far the retention procedure purged a log: records `[0, purgedTo)` are gone (undefined: never purged). Read by
   * the prover, which resolves Merkle nodes below the cut from the retained nodes ({@link purgeSlice}).
   */
  purgeState(logId: number): Promise<PurgeState | undefined>;
  /**
   * The fields the retention procedure decides on, of a log's records with `seq` in `[from, to)`, in `seq` order (no
   * record bytes: cheap enough to walk a log from its start).
   */
  readRetentionFacts(logId: number, from: number, to: number): Promise<RetentionFact[]>;
  /**
   * The retention procedure (docs/decisions, retention): in one transaction, checks that the log is purged exactly to
   * `slice.from` (another node may have moved it: then `false` and nothing changes), stores `slice.nodes` (the Merkle
   * nodes below the new cut that proofs of the remaining records and of older checkpoints need, levels below
   * {@link STORED_LEVEL_STRIDE}), deletes the records `[from, to)` — the only DELETE the append-only triggers let
   * through, for exactly these seqs — takes them off the per-minute counts, and records the new cut.
   */
  purgeSlice(slice: PurgeSlice): Promise<boolean>;
  /** A node kept by a purge ({@link purgeSlice}), if one was stored at `level`/`index`. */
  readRetainedNode(logId: number, level: number, index: number): Promise<Buffer | undefined>;
  /** The active legal holds of a tenant (`null` = default), oldest first. */
  listHolds(tenantId: string | null): Promise<LegalHold[]>;
  /** Stores a new legal hold. */
  addHold(hold: LegalHold): Promise<void>;
  /** Releases an active hold of a tenant; returns it, or undefined when there is none with that id. */
  releaseHold(tenantId: string | null, id: string, by: string, at: number): Promise<LegalHold | undefined>;
  /** A persistent setting (e.g. the hash of the bootstrap API key). */
  getSetting(key: string): Promise<string | undefined>;
  /** Sets a persistent setting. */
  putSetting(key: string, value: string): Promise<void>;
  /**
   * Whether this process is the one that signs checkpoints. Stores shared by several nodes (PostgreSQL)
   * implement it with a lock that moves to another node when the holder dies; a store without it has
   * a single writer, which always signs.
   */
  tryLeadCheckpoints?(): Promise<boolean>;
  /**
   * For a store several nodes share: the signals through which they wake each other (appends, access and catalogue
   * changes). Absent for a single-node store.
   */
  openSignals?(): ClusterSignals;
  /**
   * Resolves when the store can take appends now (readiness, `/readyz`); rejects with a `StoreError` saying why
   * not. It MUST touch what an append needs: SQLite writes and syncs a row and checks the free disk space;
   * PostgreSQL must answer within a bounded time.
   */
  checkReady(): Promise<void>;
  /** Releases connections and file handles. */
  close(): Promise<void>;
}

/**
 * Events of a batch checked (and, by the SQLite store, prepared for sealing) between two turns of the event loop: a
 * batch of 1,000 holds the thread serving HTTP for ~15 ms, in slices of ~4 ms.
 */
export const APPEND_SLICE = 250;

/** Merkle nodes at levels that are multiples of this are stored; others are computed from them. */
export const STORED_LEVEL_STRIDE = 8;

/** An event ready to be sealed: every field except its place in the log and its key. */
export interface PendingRecord extends Omit<RecordFields, 'log' | 'seq' | 'sigKid'> {
  /**
   * Which fields the server filled in because the producer left them out (bits `DEFAULTED_*` of `same-event.ts`):
   * a retry is not compared on them. Default 0: the producer gave every field.
   */
  readonly defaulted?: number;
  /**
   * The user an event without `userId` is about, taken from its `entityData` by its catalogue entry's `subject` rule
   * (seed 002's Login names the login there). Not part of the signed record: an index the user filter also matches.
   */
  readonly subject?: string | null;
}

/**
 * Checks records with the HMAC keys a read was given where the store reads (`exportPage`, `readMatching`; the journal's
 * `readChecked`), and keeps the key ids of those none of them checked, for the caller to look up and ask again.
 */
export function checkerOfKeys(hmacKeys: ReadonlyMap<string, Uint8Array>): { check(record: StoredRecord): IntegrityStatus; readonly unknownKids: Set<string> } {
  const unknownKids = new Set<string>();
  const keyFor = (kid: string): Uint8Array | undefined => hmacKeys.get(kid);
  return {
    unknownKids,
    check(record) {
      const integrity = checkRecord(record, record, keyFor);
      if (integrity === 'unknown-key') unknownKids.add(record.sigKid);
      return integrity;
    },
  };
}

/**
 * The fields a record is sealed with, as an object literal of one fixed shape: a spread of the pending record (a
 * structured clone on the SQLite writer thread; an object with more members on PostgreSQL's path) cost 3.5-4 µs a
 * record, and left the sealer's reads of it polymorphic.
 */
export function sealedFields(p: PendingRecord, log: string, seq: number, sigKid: string): RecordFields {
  return {
    log,
    seq,
    id: p.id,
    event: p.event,
    eventName: p.eventName,
    entityData: p.entityData,
    userId: p.userId,
    apiCreatedAt: p.apiCreatedAt,
    createdAt: p.createdAt,
    text: p.text,
    ip: p.ip,
    tenantId: p.tenantId,
    nodeId: p.nodeId,
    operationKey: p.operationKey,
    classifiedEvent: p.classifiedEvent,
    severity: p.severity,
    outcome: p.outcome,
    extra: p.extra,
    sigKid,
  };
}

/** Seals records inside the append transaction, once their `seq` is known. */
export interface Sealer {
  /** Id of the HMAC key that signs new records. */
  readonly sigKid: string;
  /** Builds the log origin of a new tenant log. */
  originFor(tenantId: string | null): string;
  /** Seals one record (canonical bytes, signature, leaf hash). */
  seal(fields: RecordFields): RecordSeal;
  /**
   * The part of `seal` that needs neither the record's log nor its `seq` (`RecordSealer.prepare`; `fields.log` and
   * `fields.seq` are placeholders), so a store can do it on another thread than the one that assigns them. A store may
   * give the payload salt (`PreparedSealBatch.salt`); else a fresh one is drawn.
   */
  prepare?(fields: RecordFields, payloadSalt?: Buffer): PreparedSeal | undefined;
  /**
   * Seals a record {@link prepare}d before its log and `seq` were known, as written into a `PreparedSealBatch`
   * (`RecordSealer.sealPrepared`).
   */
  sealPrepared?(prepared: PreparedBytes, log: string, seq: number): RecordSeal;
  /**
   * The HMAC secret of `sigKid`, when `seal` is the standard sealing under it (`RecordSealer`): a store may then seal
   * on a thread of its own (the SQLite writer thread). Absent, the store calls `seal`.
   */
  readonly hmacKey?: Uint8Array;
}

/** What an append reports per event. */
export interface AppendResult {
  readonly id: string;
  readonly tenantId: string | null;
  readonly seq: number;
  readonly signature: string;
  readonly sigKid: string;
  /** True when the id was already stored (nothing new was written for it). */
  readonly duplicate: boolean;
}

/** Tenants a caller may see: `null` stands for the default tenant. `undefined` means all tenants. */
export type TenantScope = readonly (string | null)[];

/** Filters of a records query; times are UTC microseconds, the range is `[from, to)` on `createdAt`. */
export interface RecordFilter {
  readonly from?: number;
  readonly to?: number;
  readonly events?: readonly number[];
  readonly classes?: readonly EventClass[];
  readonly outcome?: Outcome;
  readonly operationKey?: string;
  /** Records of this user: its `userId`, or its `subject` when it has no `userId` (sign-ins, seed 002). */
  readonly userId?: string;
  /** Records whose `subject` (not `userId`) is this: the stores' half of the `userId` filter ({@link splitUserFilter}). */
  readonly subject?: string;
  /** Restricts to these tenants (`null` = default tenant); undefined = all tenants. */
  readonly tenants?: TenantScope;
  readonly nodeId?: string;
  readonly ip?: string;
  /**
   * Substring of `text` or of `entityData`'s JSON, ignoring case (Unicode: Cyrillic and Latin alike); at least
   * three characters (the text indexes are of trigrams).
   */
  readonly q?: string;
  /** `desc` (newest first, default) or `asc`. */
  readonly order?: 'asc' | 'desc';
  /** Values the records' fields must not have. */
  readonly exclude?: RecordExclusion;
}

/**
 * The negative filters: a record is left out when its field equals any of the listed values. A record whose
 * field is null is kept (null equals no value). Empty or absent lists exclude nothing.
 */
export interface RecordExclusion {
  readonly events?: readonly number[];
  readonly classes?: readonly EventClass[];
  /** `null` = the default tenant. */
  readonly tenants?: TenantScope;
  readonly userIds?: readonly string[];
  readonly ips?: readonly string[];
  readonly operationKeys?: readonly string[];
  readonly nodeIds?: readonly string[];
}

/** Position after which the next page starts. */
export interface RecordCursor {
  readonly createdAt: number;
  readonly rid: number;
}

/** A record as stored, with what is needed to check it. */
export interface StoredRecord extends RecordFields, StoredSeal {
  /** Store-wide row id: the tie-breaker of the sort order. */
  readonly rid: number;
  readonly leafHash: Buffer;
  /** The user a record without `userId` is about ({@link PendingRecord.subject}); null when none. */
  readonly subject?: string | null;
}

/** A histogram bucket. */
export interface HistogramBucket {
  /** Start of the bucket, UTC microseconds. */
  readonly start: number;
  readonly count: number;
}

/** A minute's record count (see {@link JournalStore.minuteCounts}). */
export interface MinuteCount {
  /** ⌊createdAt / 60 s⌋: minutes since 1970-01-01T00:00Z. */
  readonly minute: number;
  readonly count: number;
}

/** Buckets of whole minutes for {@link JournalStore.minuteCounts}: `[originMinute + k * minutes, … + minutes)`. */
export interface MinuteBuckets {
  readonly originMinute: number;
  readonly minutes: number;
}

/** One minute in microseconds: the grain of the per-minute counts. */
export const MINUTE_MICROS = 60_000_000;

/**
 * Whether the per-minute counts can answer `filter`: they are kept per log, event code and class, so the filter
 * may narrow by time, tenants, events and classes (and exclude events, classes and tenants), and by nothing else.
 */
export function isMinuteCountable(filter: RecordFilter): boolean {
  const not = filter.exclude;
  return (
    filter.outcome === undefined &&
    filter.operationKey === undefined &&
    filter.userId === undefined &&
    filter.subject === undefined &&
    filter.nodeId === undefined &&
    filter.ip === undefined &&
    (filter.q === undefined || filter.q === '') &&
    (not === undefined ||
      ((not.userIds ?? []).length === 0 && (not.ips ?? []).length === 0 && (not.operationKeys ?? []).length === 0 && (not.nodeIds ?? []).length === 0))
  );
}

/** The head of a tenant's Merkle log. */
export interface LogHead {
  readonly logId: number;
  readonly tenantId: string | null;
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Buffer;
}

/** A sort key of the Event API's list: `seq` (`_id`), `eventName` (`type`), `createdAt` (`timestamp`) or an added field. */
export type EventSortField = 'seq' | 'eventName' | 'createdAt' | 'objectVersion' | 'objectId' | 'schema' | 'userDisplayName';

/** One sort key and its direction. */
export interface EventSort {
  readonly field: EventSortField;
  readonly descending: boolean;
}

/**
 * A page of the seed 004 Event API's list over one log. Filters combine with AND; the sort keys apply in order,
 * then `seq` in the direction of the last key breaks ties. Values an added field lacks sort after the present
 * ones in both directions; present ones order integers before strings (ascending), strings by code point.
 */
export interface EventListQuery {
  readonly logId: number;
  /** Only pollable (true) or only not pollable (false) records; see {@link JournalStore.pollRecords} for `legacyPollable`. */
  readonly pollable?: boolean;
  readonly legacyPollable: readonly number[];
  readonly events?: readonly number[];
  readonly userId?: string;
  /** Records about objects of this base type: `object.baseType`, or `object.type` of a `BASE` schema object. */
  readonly baseType?: string;
  /** `createdAt` at or after, UTC microseconds (inclusive). */
  readonly from?: number;
  /** `createdAt` at or before, UTC microseconds (inclusive). */
  readonly to?: number;
  /** Records with `seq` in `[seqFrom, seqTo)` only: a superset of the time range the journal found cheaply. */
  readonly seqFrom?: number;
  readonly seqTo?: number;
  readonly sort: readonly EventSort[];
  readonly offset: number;
  readonly limit: number;
}

/** The subject a stored record names by its tenant's catalogue rule, or null ({@link JournalStore.backfillSubjects}). */
export type SubjectOf = (record: { readonly tenantId: string | null; readonly event: number; readonly entityData: string }) => string | null;

/** What {@link JournalStore.readMatching} found. */
export interface MatchedRecords {
  /** Every record some filter took, checked, in `seq` order. */
  readonly records: CheckedRecord[];
  /** For each filter, in the order given, the indexes in `records` of the records it took. */
  readonly taken: number[][];
  /** Key ids of records none of the given keys checked, for the caller to look up and ask again. */
  readonly unknownKids: string[];
}

/** One page of an export, ready to send ({@link JournalStore.exportPage}). */
export interface ExportPage {
  /**
   * The page's lines: as text, or as their UTF-8 bytes where a store reading on threads of its own formats an export's
   * pages (`exporting`): bytes cross from its thread without a copy and go out as they are.
   */
  readonly chunk: string | Buffer;
  /** Records in it. */
  readonly records: number;
  /** Where the next page starts. */
  readonly last: RecordCursor | undefined;
  readonly hasMore: boolean;
  /** Key ids of records no key given checked (`unknown-key`). */
  readonly unknownKids: readonly string[];
}

/** How far a store's text index is behind its records ({@link JournalStore.searchIndexStatus}). */
export interface SearchIndexStatus {
  /** Records not indexed yet (a search scans them). */
  readonly pending: number;
  /** Age of the oldest record not indexed yet, µs; 0 when none is. */
  readonly behindMicros: number;
  /** The index is being built (PostgreSQL after an upgrade): searches scan meanwhile. */
  readonly building?: boolean;
}

/**
 * The `userId` filter as the stores run it: the records whose `userId` is the user, and (disjoint from those) the
 * records without `userId` whose `subject` is; each half is served by its own index in time order, and the halves are
 * merged. A filter without `userId` is returned alone.
 */
export function splitUserFilter(filter: RecordFilter): RecordFilter[] {
  if (filter.userId === undefined) return [filter];
  const { userId, ...rest } = filter;
  return [{ ...rest, userId }, { ...rest, subject: userId }];
}

/** A range of sequence numbers `[from, to)`. */
export interface SeqRange {
  readonly from: number;
  readonly to: number;
}

/** Which records an erasure targets: given ids, or every record of a user (`userId`). */
export type ErasureSelector = { readonly ids: readonly string[] } | { readonly userId: string };

/** A record whose payload an erasure removed. */
export interface ErasedRecord {
  readonly id: string;
  readonly tenantId: string | null;
  readonly seq: number;
}

/** A signed checkpoint as stored. */
export interface StoredCheckpoint {
  readonly logId: number;
  readonly size: number;
  readonly rootHash: Buffer;
  /** The C2SP signed note. */
  readonly note: string;
  /** UTC microseconds. */
  readonly createdAt: number;
}

/** A witness's cosignature of a stored checkpoint. */
export interface StoredCosignature {
  readonly logId: number;
  readonly size: number;
  /** The witness's verifier key, `name+hexkeyid+base64(0x04 ‖ public key)`. */
  readonly witness: string;
  /** The signature line the witness answered, without its final newline. */
  readonly line: string;
  /** When it was stored, UTC microseconds. */
  readonly createdAt: number;
}

/** A record with its integrity freshly checked, as the journal returns it. */
export interface CheckedRecord extends StoredRecord {
  readonly integrity: IntegrityStatus;
}

/** How far a log was purged ({@link JournalStore.purgeState}). */
export interface PurgeState {
  readonly logId: number;
  /** Records `[0, purgedTo)` were purged: the earliest record kept has this seq. */
  readonly purgedTo: number;
  /** Root of the tree of `purgedTo` leaves: what the purged records add up to. */
  readonly rootAtCut: Buffer;
  /** The newest `createdAt` of a purged record, UTC microseconds: a view reaching back before it may miss records. */
  readonly newestPurged: number;
  /** When the cut last moved, UTC microseconds. */
  readonly updatedAt: number;
}

/** What retention decides a record's fate on. */
export interface RetentionFact {
  readonly seq: number;
  readonly createdAt: number;
  readonly classifiedEvent: EventClass;
  readonly userId: string | null;
  readonly operationKey: string | null;
}

/** One slice of a purge: records `[from, to)` of a log go; `nodes` stay (see {@link JournalStore.purgeSlice}). */
export interface PurgeSlice {
  readonly logId: number;
  readonly from: number;
  readonly to: number;
  /** Root of the tree of `to` leaves. */
  readonly rootAtCut: Buffer;
  readonly nodes: readonly RetainedNode[];
  /** UTC microseconds. */
  readonly at: number;
}

/** A Merkle node kept below a purge cut. */
export interface RetainedNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Buffer;
}

/**
 * A legal hold: the records it covers are not purged while it is active. It covers a whole tenant, or the tenant's
 * records of one `userId`, or of one `operationKey`.
 */
export interface LegalHold {
  readonly id: string;
  readonly tenantId: string | null;
  readonly userId: string | null;
  readonly operationKey: string | null;
  readonly reason: string;
  readonly setBy: string;
  /** UTC microseconds. */
  readonly setAt: number;
}
