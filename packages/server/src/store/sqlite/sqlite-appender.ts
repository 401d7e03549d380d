/**
 * The SQLite append transaction, on whichever thread holds the writing connection: the store's own (inline) or the
 * writer thread's (`sqlite-writer-thread.ts`). Appends are grouped: several batches — several requests — are
 * committed by one transaction (one WAL append and one fsync), and a batch refused on its own (ID_CONFLICT) leaves the
 * others in the group; each batch's answer is given only after the group's COMMIT. Tamga's rules refuse a batch before
 * it writes anything, so batches run without savepoints of their own (a savepoint copies every page it first touches
 * into a statement journal); a batch refused after it began writing has the group run again, a savepoint per batch.
 */
import type Database from 'better-sqlite3';
import { CompactRange, TamgaError } from '@tamga/core';
import type { EntityData, EventClass, Outcome, PreparedBytes, RecordExtra } from '@tamga/core';
import { sealedFields, STORED_LEVEL_STRIDE } from '../../journal/journal-store.js';
import type { AppendResult, PendingRecord, Sealer, StoredRecord } from '../../journal/journal-store.js';
import { findRepeats } from '../../journal/same-event.js';
import { entitySearchText } from '../../journal/searched-text.js';
import type { StoredEvent } from '../../journal/same-event.js';
import { withPollable } from '../event-api-columns.js';
import { MinuteTally } from '../minute-tally.js';
import { entityColumn, extraColumn, pollableColumn } from './sqlite-record-columns.js';
import type { RecordColumns } from './sqlite-record-columns.js';
import { hourOf, KEY_KIND, RecordKeyWriter } from './sqlite-record-keys.js';
import type { IndexedText, SqliteTextIndex } from './sqlite-text-index.js';

export interface LogRow {
  log_id: number;
  tenant_key: string;
  origin: string;
  size: number;
  root_hash: Buffer;
  frontier: Buffer;
}

/**
 * The columns a stored record is read from, in the order of {@link RecordRow}. Statements that read records select
 * these in raw mode (`.raw()`): better-sqlite3 makes a row an array in about half the time it makes it an object with a
 * property per column (decisions/0075-records-read-as-arrays.md). The three BLOBs come as one, the bytes of `canonical`,
 * `leaf_hash` and `payload_salt` end to end with the lengths of the first and last, and are cut apart by
 * {@link toStoredRecord} into views of it: better-sqlite3 gives each BLOB a Buffer with memory of its own, which costs
 * more than the rest of the row (decisions/0077-record-blobs-read-as-one.md). `||` copies a BLOB's bytes as they are and
 * the CAST keeps them (a journal's text encoding is always UTF-8); `octet_length` counts bytes whatever the type.
 */
export const RECORD_COLUMNS = `rid, log_id, seq, id, event, event_name, entity_data, user_id, api_created_at, created_at,
  text, ip, tenant_id, node_id, operation_key, classified_event, severity, outcome, extra, sig_kid, signature,
  CAST(canonical || leaf_hash || coalesce(payload_salt, x'') AS BLOB), octet_length(canonical), octet_length(payload_salt),
  redacted, pollable, subject`;

/** A row of {@link RECORD_COLUMNS}, read raw. */
export type RecordRow = readonly [
  rid: number,
  logId: number,
  seq: number,
  id: string,
  event: number,
  eventName: string,
  entityData: string | null,
  userId: string | null,
  apiCreatedAt: number,
  createdAt: number,
  text: string | null,
  ip: string | null,
  tenantId: string | null,
  nodeId: string | null,
  operationKey: string | null,
  classifiedEvent: number,
  severity: number,
  outcome: string | null,
  extra: string | null,
  sigKid: string,
  signature: string,
  /** `canonical`, `leaf_hash` and `payload_salt` (none when NULL) end to end. */
  sealBytes: Buffer,
  canonicalLength: number,
  saltLength: number | null,
  redacted: number,
  pollable: number | null,
  subject: string | null,
];

/** The log of a {@link RecordRow}: what its origin is looked up by. */
export const rowLogId = (row: RecordRow): number => row[1];

const INSERT_RECORD = `INSERT INTO records (log_id, seq, id, event, event_name, entity_data, user_id, api_created_at,
  created_at, text, ip, tenant_id, node_id, operation_key, classified_event, severity, outcome, extra, sig_kid,
  signature, canonical, leaf_hash, payload_salt, pollable, subject)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const tenantKey = (tenantId: string | null): string => tenantId ?? '';

/** One batch of a group: its records and the sealer of its request. */
export interface GroupedBatch {
  readonly records: readonly PendingRecord[];
  readonly sealer: Sealer;
  /** Record `i`'s seal as prepared on the request thread (`Sealer.sealPrepared` finishes it), if it was. */
  readonly prepared?: ((i: number) => PreparedBytes | undefined) | undefined;
  /** The records as sent by column, when they were: their `entity_data`, `extra` and `pollable` are taken from there. */
  readonly columns?: RecordColumns | undefined;
}

/**
 * A small write of the server's own that goes where appends go (the writer thread, when there is one), so the thread
 * serving HTTP never waits for SQLite's write lock: a signed checkpoint, the readiness probe's row.
 */
export type SideWrite =
  | { readonly kind: 'checkpoint'; readonly logId: number; readonly size: number; readonly rootHash: Uint8Array; readonly note: string; readonly createdAt: number }
  | { readonly kind: 'readiness'; readonly at: number };

/** What a failed {@link SideWrite} was doing, for its error message. */
export const sideWriteAction = (op: SideWrite): string => (op.kind === 'checkpoint' ? 'store a checkpoint' : 'write to the database (readiness)');

/** What became of one batch of a group: its results, or the error that refused it whole. */
export type BatchOutcome = { readonly results: AppendResult[] } | { readonly error: unknown };

/** Prepared statements of the append path on one connection. */
export class SqliteAppender {
  readonly #db: Database.Database;
  readonly #insertRecord: Database.Statement;
  readonly #insertNode: Database.Statement;
  readonly #addMinuteCount: Database.Statement;
  readonly #insertLog: Database.Statement;
  readonly #updateLog: Database.Statement;
  readonly #findIds: Database.Statement<[string], RecordRow>;
  readonly #getLog: Database.Statement<[string], LogRow>;
  readonly #insertCheckpoint: Database.Statement;
  readonly #touchReadiness: Database.Statement;
  readonly #keys: RecordKeyWriter;
  #text: { readonly index: SqliteTextIndex; readonly onError: (error: unknown) => void } | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insertRecord = db.prepare(INSERT_RECORD);
    this.#insertNode = db.prepare('INSERT INTO merkle_nodes (log_id, level, idx, hash) VALUES (?, ?, ?, ?)');
    this.#addMinuteCount = db.prepare(
      `INSERT INTO record_minutes (minute, log_id, event, classified_event, n, min_seq, max_seq) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (minute, log_id, event, classified_event)
       DO UPDATE SET n = n + excluded.n, min_seq = min(min_seq, excluded.min_seq), max_seq = max(max_seq, excluded.max_seq)`,
    );
    this.#insertLog = db.prepare(
      'INSERT INTO logs (tenant_key, origin, size, root_hash, frontier, created_at) VALUES (?, ?, 0, ?, ?, ?) RETURNING *',
    );
    this.#updateLog = db.prepare('UPDATE logs SET size = ?, root_hash = ?, frontier = ? WHERE log_id = ?');
    this.#findIds = db.prepare<[string], RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE id IN (SELECT value FROM json_each(?))`).raw(true);
    this.#getLog = db.prepare('SELECT * FROM logs WHERE tenant_key = ?');
    this.#insertCheckpoint = db.prepare('INSERT OR IGNORE INTO checkpoints (log_id, size, root_hash, note, created_at) VALUES (?, ?, ?, ?, ?)');
    this.#keys = new RecordKeyWriter(db);
    this.#touchReadiness = db.prepare(
      'INSERT INTO readiness (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
    );
  }

  /**
   * From now on, each group indexes the text of what it stored (and a slice of any records left behind) in its own
   * transaction. `onError` hears of an indexing failure, which never refuses the group: the index's part is rolled
   * back alone and the follower tries again.
   */
  indexText(index: SqliteTextIndex, onError: (error: unknown) => void): void {
    this.#text = { index, onError };
  }

  /** Runs a {@link SideWrite} in a transaction of its own. */
  write(op: SideWrite): void {
    if (op.kind === 'checkpoint') this.#insertCheckpoint.run(op.logId, op.size, op.rootHash, op.note, op.createdAt);
    else this.#touchReadiness.run(op.at);
  }

  /**
   * Appends several batches in one IMMEDIATE transaction: a batch refused by Tamga's own rules (a `TamgaError`, e.g.
   * ID_CONFLICT) is left out alone and the next ones take the `seq` it would have used. A driver error (disk full, I/O)
   * or a failed COMMIT refuses the whole group: nothing of it is stored and every batch gets the error. Throws only that
   * group-wide error.
   */
  appendGroup(batches: readonly GroupedBatch[]): BatchOutcome[] {
    try {
      return this.#runGroup(batches, false);
    } catch (error) {
      // Whatever the rolled-back transaction wrote to record_keys is gone.
      this.#keys.forget();
      if (!(error instanceof RefusedAfterWriting)) throw error;
    }
    try {
      return this.#runGroup(batches, true);
    } catch (error) {
      this.#keys.forget();
      throw error;
    }
  }

  /**
   * One try of {@link appendGroup}. Without `savepoints`, a batch refused before it wrote is simply left out, and one
   * refused after it began writing rolls the whole group back ({@link RefusedAfterWriting}) to be run again with them:
   * then each batch runs in a savepoint (a nested transaction) and its failure rolls back that batch alone.
   */
  #runGroup(batches: readonly GroupedBatch[], savepoints: boolean): BatchOutcome[] {
    const outcomes: BatchOutcome[] = [];
    // What the group stored, for the text index: the records of the batches refused are left out.
    const text: IndexedText[] | undefined = this.#text === undefined ? undefined : [];
    this.#db
      .transaction(() => {
        for (const batch of batches) {
          const mark = text?.length ?? 0;
          const progress = { writing: false };
          try {
            const append = (): AppendResult[] => this.#appendBatch(batch, progress, text);
            outcomes.push({ results: savepoints ? this.#db.transaction(append)() : append() });
          } catch (error) {
            if (!(error instanceof TamgaError) || !this.#db.inTransaction) throw error;
            if (progress.writing) {
              if (!savepoints) throw new RefusedAfterWriting();
              // The batch's record_keys rows were rolled back with its savepoint.
              this.#keys.forget();
            }
            if (text !== undefined) text.length = mark;
            outcomes.push({ error });
          }
        }
        if (text !== undefined) this.#indexGroupText(text);
      })
      .immediate();
    return outcomes;
  }

  /** Indexes the group's records (and up to a slice of any left behind) in a savepoint: a failure skips the index alone. */
  #indexGroupText(stored: readonly IndexedText[]): void {
    const { index, onError } = this.#text!;
    try {
      this.#db.transaction(() => index.indexStored(stored))();
    } catch (error) {
      if (!this.#db.inTransaction) throw error;
      onError(error);
    }
  }

  /**
   * Appends one batch; pushes what the text index keeps of each record it stores to `text`, when given. Sets
   * `progress.writing` before its first write: Tamga's own refusals (the id checks) come before it.
   */
  #appendBatch({ records, sealer, prepared, columns }: GroupedBatch, progress: { writing: boolean }, text?: IndexedText[]): AppendResult[] {
    const results = new Array<AppendResult | undefined>(records.length);
    const stored = new Map<string, StoredEvent>();
    for (const row of this.#findIds.all(JSON.stringify(records.map((r) => r.id)))) {
      const content = toStoredRecord(row, '');
      const { id, tenantId, seq, signature, sigKid } = content;
      stored.set(id, { result: { id, tenantId, seq, signature, sigKid, duplicate: true }, content });
    }
    const repeats = findRepeats(records, stored);
    progress.writing = true;
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
      // The head is read inside the transaction: another process, or a batch rolled back, may have changed it.
      const log = this.#getLog.get(key) ?? this.#createLog(key, tenantId, sealer, now);
      const range = CompactRange.fromBytes(log.size, log.frontier);
      const logId = log.log_id;
      const onNode = (level: number, index: number, hash: Buffer): void => {
        if (level > 0 && level % STORED_LEVEL_STRIDE === 0) this.#insertNode.run(logId, level, index, hash);
      };
      const minuteCounts = new MinuteTally();
      for (const i of indexes) {
        const pending = records[i]!;
        const repeat = repeats[i];
        if (repeat !== undefined) {
          results[i] = typeof repeat === 'number' ? { ...results[repeat]!, duplicate: true } : repeat;
          continue;
        }
        const seq = range.size;
        const early = prepared?.(i);
        const seal =
          early !== undefined && sealer.sealPrepared !== undefined
            ? sealer.sealPrepared(early, log.origin, seq)
            : sealer.seal(sealedFields(pending, log.origin, seq, sealer.sigKid));
        const entity = columns === undefined ? entityColumn(pending.entityData) : columns.entity[i]!;
        const extra = columns === undefined ? extraColumn(pending.extra) : columns.extra[i]!;
        const { lastInsertRowid } = this.#insertRecord.run(
          logId,
          seq,
          pending.id,
          pending.event,
          pending.eventName,
          entity,
          pending.userId,
          pending.apiCreatedAt,
          pending.createdAt,
          pending.text,
          pending.ip,
          pending.tenantId,
          pending.nodeId,
          pending.operationKey,
          pending.classifiedEvent,
          pending.severity,
          pending.outcome,
          extra,
          sealer.sigKid,
          seal.signature,
          seal.canonical,
          seal.leafHash,
          seal.payloadSalt,
          columns === undefined ? pollableColumn(pending.extra) : columns.pollable[i]!,
          pending.subject ?? null,
        );
        text?.push({
          rid: Number(lastInsertRowid),
          text: pending.text,
          entityValues: columns === undefined ? entitySearchText(pending.entityData) : columns.entityValues[i]!,
          createdAt: pending.createdAt,
          logId,
        });
        range.append(seal.leafHash, onNode);
        minuteCounts.add(pending.createdAt, pending.event, pending.classifiedEvent, seq);
        const hour = hourOf(pending.createdAt);
        this.#keys.add(KEY_KIND.user, pending.userId, logId, hour);
        this.#keys.add(KEY_KIND.operation, pending.operationKey, logId, hour);
        results[i] = { id: pending.id, tenantId, seq, signature: seal.signature, sigKid: sealer.sigKid, duplicate: false };
      }
      if (range.size !== log.size) {
        this.#updateLog.run(range.size, range.root(), range.toBytes(), logId);
      }
      for (const c of minuteCounts.counts()) {
        this.#addMinuteCount.run(c.minute, logId, c.event, c.classifiedEvent, c.n, c.minSeq, c.maxSeq);
      }
    }
    return results as AppendResult[];
  }

  #createLog(key: string, tenantId: string | null, sealer: Sealer, now: number): LogRow {
    const empty = CompactRange.empty();
    return this.#insertLog.get(key, sealer.originFor(tenantId), empty.root(), empty.toBytes(), now) as LogRow;
  }
}

/** A batch of a group run without savepoints was refused after it began writing: the group runs again with them. */
class RefusedAfterWriting extends Error {}

/** The record of a row of {@link RECORD_COLUMNS}, in log `origin`. */
export function toStoredRecord(row: RecordRow, origin: string): StoredRecord {
  const [
    rid, , seq, id, event, eventName, entityData, userId, apiCreatedAt, createdAt, text, ip, tenantId, nodeId,
    operationKey, classifiedEvent, severity, outcome, extra, sigKid, signature, sealBytes, canonicalLength, saltLength,
    redacted, pollable, subject,
  ] = row;
  const leafEnd = sealBytes.length - (saltLength ?? 0);
  return {
    rid,
    log: origin,
    seq,
    id,
    event,
    eventName,
    entityData: parseEntityData(entityData),
    userId,
    apiCreatedAt,
    createdAt,
    text,
    ip,
    tenantId,
    nodeId,
    operationKey,
    classifiedEvent: classifiedEvent as EventClass,
    severity,
    outcome: outcome as Outcome | null,
    extra: withPollable(parseExtra(extra), pollable === null ? undefined : pollable !== 0),
    sigKid,
    signature,
    canonical: sealBytes.subarray(0, canonicalLength),
    leafHash: sealBytes.subarray(canonicalLength, leafEnd),
    payloadSalt: saltLength === null ? null : sealBytes.subarray(leafEnd),
    redacted: redacted !== 0,
    subject: subject ?? null,
  };
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
