import { canonicalize, isSameIp, ValidationError } from '@tamga/core';
import type { RecordExtra } from '@tamga/core';
import type { AppendResult, PendingRecord, StoredRecord } from './journal-store.js';

/*
 * When is an event sent again under a stored id the same event (a retry: `duplicate: true`), and when is it another
 * event reusing the id (ID_CONFLICT)? docs/decisions/0013-event-id-conflicts.md. The stores apply this inside the append transaction, only
 * to ids they find already used, so a batch of new ids pays nothing for it.
 */

/** Bit of {@link PendingRecord.defaulted}: `createdAt` was left out and took `apiCreatedAt`. */
export const DEFAULTED_CREATED_AT = 1;
/** Bit of {@link PendingRecord.defaulted}: `classifiedEvent` was left out and came from the catalogue. */
export const DEFAULTED_CLASS = 2;
/** Bit of {@link PendingRecord.defaulted}: `severity` was left out and came from the catalogue or the class. */
export const DEFAULTED_SEVERITY = 4;

/** What a retry is compared with: the content of the record stored (or sent earlier in the batch) under its id. */
export type EventContent = Pick<
  StoredRecord,
  | 'tenantId'
  | 'event'
  | 'eventName'
  | 'entityData'
  | 'userId'
  | 'createdAt'
  | 'text'
  | 'ip'
  | 'operationKey'
  | 'classifiedEvent'
  | 'severity'
  | 'outcome'
  | 'extra'
> & {
  /** The payload (`entityData`, `text`) was erased: it is not compared. Default false. */
  readonly redacted?: boolean;
};

/** A record already stored under an id that a batch uses again. */
export interface StoredEvent {
  /** What the append answers for a retry of it. */
  readonly result: AppendResult;
  readonly content: EventContent;
}

/**
 * Whether `retry` is the event `stored` holds, sent again. Every field the producer gave must be equal (`entityData`
 * and the added fields as JSON values, whatever their key order); what the server fills in is not compared:
 * `apiCreatedAt`, `nodeId`, the catalogue marks (`catalogVersion`, `unregistered`), the event's name (it follows
 * from the code; for an unregistered code the producer's name is compared), and `createdAt`, `classifiedEvent` and
 * `severity` when the retry leaves them out (their defaults may have changed since: the clock, the catalogue). An
 * erased payload is not compared. The tenant must be the same: an id is never shared across tenants.
 */
export function isSameEvent(retry: PendingRecord, stored: EventContent): boolean {
  const filled = retry.defaulted ?? 0;
  return (
    retry.tenantId === stored.tenantId &&
    retry.event === stored.event &&
    retry.userId === stored.userId &&
    // A record sealed before addresses were canonical may hold another spelling of the same address.
    isSameIp(retry.ip, stored.ip) &&
    retry.operationKey === stored.operationKey &&
    retry.outcome === stored.outcome &&
    ((filled & DEFAULTED_CREATED_AT) !== 0 || retry.createdAt === stored.createdAt) &&
    ((filled & DEFAULTED_CLASS) !== 0 || retry.classifiedEvent === stored.classifiedEvent) &&
    ((filled & DEFAULTED_SEVERITY) !== 0 || retry.severity === stored.severity) &&
    (retry.extra.unregistered !== true || stored.extra.unregistered !== true || retry.eventName === stored.eventName) &&
    (stored.redacted === true || (retry.text === stored.text && sameJson(retry.entityData, stored.entityData))) &&
    sameJson(producerFields(retry.extra), producerFields(stored.extra))
  );
}

/** JSON values equal as RFC 8785 canonical JSON (key order does not matter). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    return canonicalize(a) === canonicalize(b);
  } catch {
    return false; // a value no JSON can hold (a tampered row) is no retry of anything
  }
}

/** The added fields the producer sent: without the marks the server adds from the catalogue. */
function producerFields(extra: RecordExtra): Omit<RecordExtra, 'catalogVersion' | 'unregistered'> {
  const { catalogVersion: _v, unregistered: _u, ...rest } = extra;
  return rest;
}

/** How a record of a batch relates to what came before it: see {@link findRepeats}. */
export type Repeat = undefined | AppendResult | number;

/** Most conflicts listed in one error. */
const MAX_LISTED = 100;

/**
 * Sorts the records of a batch by their ids: `undefined` for an id new to the store and the batch, the stored record's
 * result for a retry of a stored event, the index of the earlier record for a repeat within the batch.
 *
 * @param stored - the records already stored under ids of the batch, by id.
 * @throws ValidationError `ID_CONFLICT` when any id is used by a different event (in another tenant, or with other
 *   content): the whole batch is refused. The error names each such record (`index`, `errors`) and nothing of the
 *   other event: not its tenant, `seq` or signature.
 */
export function findRepeats(records: readonly PendingRecord[], stored: ReadonlyMap<string, StoredEvent>): Repeat[] {
  const repeats = new Array<Repeat>(records.length);
  const conflicts: number[] = [];
  const firstIndex = new Map<string, number>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const earlier = stored.get(record.id);
    if (earlier !== undefined) {
      if (isSameEvent(record, earlier.content)) repeats[i] = earlier.result;
      else conflicts.push(i);
      continue;
    }
    const first = firstIndex.get(record.id);
    if (first === undefined) firstIndex.set(record.id, i);
    else if (isSameEvent(record, records[first]!)) repeats[i] = first;
    else conflicts.push(i);
  }
  if (conflicts.length > 0) throw idConflict(records, conflicts);
  return repeats;
}

function idConflict(records: readonly PendingRecord[], conflicts: readonly number[]): ValidationError {
  const errors = conflicts.slice(0, MAX_LISTED).map((index) => ({
    index,
    field: 'id',
    code: 'ID_CONFLICT',
    message: `[${index}].id: ${records[index]!.id} is already used by a different event (a retry must repeat the event exactly); send this event with a new id`,
  }));
  const first = errors[0]!;
  const message = conflicts.length === 1 ? first.message : `${first.message} (and ${conflicts.length - 1} more)`;
  return new ValidationError('ID_CONFLICT', message, { field: 'id', index: first.index, errors });
}
