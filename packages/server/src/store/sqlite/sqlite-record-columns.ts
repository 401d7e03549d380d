/**
 * A batch's records and their results as they cross between the request thread and the SQLite writer thread: by
 * column, one array per field, not an object per record. V8's structured clone writes (and the other side reads) every
 * property name of every object, and reading a batch of record objects cost the writer ~2.5 µs a record — the thread
 * every append waits on. `entityData` and the added fields cross as the JSON text the store keeps, made on the request
 * thread; the writer parses them only where it needs the values (a retry compared with a stored event, a record it seals
 * whole). The arrays are filled by push, so they are packed: a holey array (`new Array(n)`) crosses as a sparse one,
 * index by index, at several times the cost.
 */
import type { EntityData, EventClass, Outcome, RecordExtra } from '@tamga/core';
import type { AppendResult, PendingRecord } from '../../journal/journal-store.js';
import { entitySearchText } from '../../journal/searched-text.js';

/** A batch's records by column; `entity` and `extra` as stored (JSON text; `extra` null when it has no member). */
export interface RecordColumns {
  readonly id: readonly string[];
  readonly event: readonly number[];
  readonly eventName: readonly string[];
  readonly entity: readonly (string | null)[];
  /** What the text index keeps of `entityData` (`entitySearchText`), made on the request thread too. */
  readonly entityValues: readonly (string | null)[];
  readonly userId: readonly (string | null)[];
  readonly apiCreatedAt: readonly number[];
  readonly createdAt: readonly number[];
  readonly text: readonly (string | null)[];
  readonly ip: readonly (string | null)[];
  readonly tenantId: readonly (string | null)[];
  readonly nodeId: readonly (string | null)[];
  readonly operationKey: readonly (string | null)[];
  readonly classifiedEvent: readonly number[];
  readonly severity: readonly number[];
  readonly outcome: readonly (string | null)[];
  readonly extra: readonly (string | null)[];
  /** `extra.pollable` as stored (`pollableColumn`). */
  readonly pollable: readonly (number | null)[];
  readonly defaulted: readonly number[];
  readonly subject: readonly (string | null)[];
}

/** The JSON text the `entity_data` column keeps of `entityData`. */
export const entityColumn = (entityData: EntityData | null): string | null =>
  entityData === null ? null : JSON.stringify(entityData);

/** The JSON text the `extra` column keeps of the added fields: null when there are none. */
export function extraColumn(extra: RecordExtra): string | null {
  for (const _ in extra) return JSON.stringify(extra);
  return null;
}

/** `extra.pollable` as the `pollable` column stores it: 1, 0, or NULL when the record has none. */
export function pollableColumn(extra: RecordExtra): number | null {
  return extra.pollable === undefined ? null : extra.pollable ? 1 : 0;
}

/** Writes `records` by column (the request thread). */
export function toRecordColumns(records: readonly PendingRecord[]): RecordColumns {
  const n = records.length;
  const c = {
    id: [] as string[],
    event: [] as number[],
    eventName: [] as string[],
    entity: [] as (string | null)[],
    entityValues: [] as (string | null)[],
    userId: [] as (string | null)[],
    apiCreatedAt: [] as number[],
    createdAt: [] as number[],
    text: [] as (string | null)[],
    ip: [] as (string | null)[],
    tenantId: [] as (string | null)[],
    nodeId: [] as (string | null)[],
    operationKey: [] as (string | null)[],
    classifiedEvent: [] as number[],
    severity: [] as number[],
    outcome: [] as (string | null)[],
    extra: [] as (string | null)[],
    pollable: [] as (number | null)[],
    defaulted: [] as number[],
    subject: [] as (string | null)[],
  };
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    c.id.push(r.id);
    c.event.push(r.event);
    c.eventName.push(r.eventName);
    c.entity.push(entityColumn(r.entityData));
    c.entityValues.push(entitySearchText(r.entityData));
    c.userId.push(r.userId);
    c.apiCreatedAt.push(r.apiCreatedAt);
    c.createdAt.push(r.createdAt);
    c.text.push(r.text);
    c.ip.push(r.ip);
    c.tenantId.push(r.tenantId);
    c.nodeId.push(r.nodeId);
    c.operationKey.push(r.operationKey);
    c.classifiedEvent.push(r.classifiedEvent);
    c.severity.push(r.severity);
    c.outcome.push(r.outcome);
    c.extra.push(extraColumn(r.extra));
    c.pollable.push(pollableColumn(r.extra));
    c.defaulted.push(r.defaulted ?? 0);
    c.subject.push(r.subject ?? null);
  }
  return c;
}

/**
 * Record `i` of a batch sent by column (the writer thread): its fields read from the columns, `entityData` and `extra`
 * parsed from their JSON on first use.
 */
export class ColumnRecord implements PendingRecord {
  readonly #columns: RecordColumns;
  readonly #i: number;
  #entityData: EntityData | null | undefined;
  #extra: RecordExtra | undefined;

  constructor(columns: RecordColumns, i: number) {
    this.#columns = columns;
    this.#i = i;
  }

  get id(): string {
    return this.#columns.id[this.#i]!;
  }
  get event(): number {
    return this.#columns.event[this.#i]!;
  }
  get eventName(): string {
    return this.#columns.eventName[this.#i]!;
  }
  get entityData(): EntityData | null {
    if (this.#entityData === undefined) {
      const json = this.#columns.entity[this.#i]!;
      this.#entityData = json === null ? null : (JSON.parse(json) as EntityData);
    }
    return this.#entityData;
  }
  get userId(): string | null {
    return this.#columns.userId[this.#i]!;
  }
  get apiCreatedAt(): number {
    return this.#columns.apiCreatedAt[this.#i]!;
  }
  get createdAt(): number {
    return this.#columns.createdAt[this.#i]!;
  }
  get text(): string | null {
    return this.#columns.text[this.#i]!;
  }
  get ip(): string | null {
    return this.#columns.ip[this.#i]!;
  }
  get tenantId(): string | null {
    return this.#columns.tenantId[this.#i]!;
  }
  get nodeId(): string | null {
    return this.#columns.nodeId[this.#i]!;
  }
  get operationKey(): string | null {
    return this.#columns.operationKey[this.#i]!;
  }
  get classifiedEvent(): EventClass {
    return this.#columns.classifiedEvent[this.#i]! as EventClass;
  }
  get severity(): number {
    return this.#columns.severity[this.#i]!;
  }
  get outcome(): Outcome | null {
    return this.#columns.outcome[this.#i]! as Outcome | null;
  }
  get extra(): RecordExtra {
    if (this.#extra === undefined) {
      const json = this.#columns.extra[this.#i]!;
      this.#extra = json === null ? {} : (JSON.parse(json) as RecordExtra);
    }
    return this.#extra;
  }
  get defaulted(): number {
    return this.#columns.defaulted[this.#i]!;
  }
  get subject(): string | null {
    return this.#columns.subject[this.#i]!;
  }
}

/** A batch's records from its columns (the writer thread). */
export function fromRecordColumns(columns: RecordColumns): PendingRecord[] {
  const records = new Array<PendingRecord>(columns.id.length);
  for (let i = 0; i < records.length; i++) records[i] = new ColumnRecord(columns, i);
  return records;
}

/**
 * A batch's results by column: what the request thread does not know already (each result's `id` and `tenantId` are
 * its record's: a retry is one only within its tenant).
 */
export interface ResultColumns {
  readonly seq: readonly number[];
  readonly signature: readonly string[];
  readonly sigKid: readonly string[];
  /** 1 where the id was already stored. */
  readonly duplicate: Uint8Array;
}

/** Writes a batch's results by column (the writer thread). */
export function toResultColumns(results: readonly AppendResult[]): ResultColumns {
  const n = results.length;
  const c = {
    seq: [] as number[],
    signature: [] as string[],
    sigKid: [] as string[],
    duplicate: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = results[i]!;
    c.seq.push(r.seq);
    c.signature.push(r.signature);
    c.sigKid.push(r.sigKid);
    c.duplicate[i] = r.duplicate ? 1 : 0;
  }
  return c;
}

/** A batch's results from their columns and the keys of the records sent (the request thread). */
export function fromResultColumns(columns: ResultColumns, keys: Pick<RecordColumns, 'id' | 'tenantId'>): AppendResult[] {
  const results = new Array<AppendResult>(keys.id.length);
  for (let i = 0; i < results.length; i++) {
    results[i] = {
      id: keys.id[i]!,
      tenantId: keys.tenantId[i]!,
      seq: columns.seq[i]!,
      signature: columns.signature[i]!,
      sigKid: columns.sigKid[i]!,
      duplicate: columns.duplicate[i] === 1,
    };
  }
  return results;
}
