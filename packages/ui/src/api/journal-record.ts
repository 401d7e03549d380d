/** Event class (seed 002 `classifiedEvent`): 1 information, 2 error, 3 security incident, 4 correction. */
export type EventClass = 1 | 2 | 3 | 4;

/** What the server concluded when it re-checked the record's signature on this read. */
export type Integrity = 'valid' | 'tampered' | 'redacted' | 'unknown-key';

/**
 * A journal record as `GET /api/v1/events` returns it: seed 002's fields in seed order, then the
 * fields Tamga adds. Unknown extra fields (source, sessionId, ...) are kept as they come.
 */
export interface JournalRecord {
  readonly id: string;
  readonly event: number;
  readonly entityData: string | Record<string, unknown> | unknown[] | null;
  readonly userId: string | null;
  readonly apiCreatedAt: string;
  readonly createdAt: string;
  readonly signature: string;
  readonly text: string | null;
  readonly ip: string | null;
  readonly tenantId: string | null;
  readonly nodeId: string | null;
  readonly operationKey: string | null;
  readonly classifiedEvent: EventClass;
  readonly validSignature: boolean;
  readonly eventName: string;
  readonly index: number;
  readonly seq?: number;
  readonly sigKid?: string;
  readonly integrity?: Integrity;
  readonly severity?: number;
  readonly outcome?: string;
  readonly [extra: string]: unknown;
}

/** Seed 002's record fields, in the order the seed lists them. */
export const SEED_FIELDS = [
  'id',
  'event',
  'entityData',
  'userId',
  'apiCreatedAt',
  'createdAt',
  'signature',
  'text',
  'ip',
  'tenantId',
  'nodeId',
  'operationKey',
  'classifiedEvent',
  'validSignature',
  'eventName',
  'index',
] as const;

/** One page of `GET /api/v1/events`. */
export interface RecordPage {
  readonly items: JournalRecord[];
  readonly nextCursor: string | null;
}

/** `GET /api/v1/events/stats`. */
export interface RecordStats {
  readonly count: number;
  readonly from: string | null;
  readonly to: string | null;
  readonly bucketSeconds: number;
  readonly histogram: readonly { readonly start: string; readonly count: number }[];
}

/** A catalogue entry as `GET /api/v1/catalog` returns it. */
export interface CatalogItem {
  readonly code: number;
  readonly name: string;
  readonly catalog: string;
  readonly domain: string;
  readonly domainTitle?: { readonly en: string; readonly ru: string } | string;
  readonly description: { readonly en: string; readonly ru: string } | string;
  readonly classifiedEvent: EventClass;
  readonly severity?: number;
  readonly status?: string;
  readonly pollable?: boolean;
}

/** The integrity of a record, from `integrity` or, for older servers, from `validSignature`. */
export function integrityOf(record: JournalRecord): Integrity {
  return record.integrity ?? (record.validSignature ? 'valid' : 'tampered');
}
