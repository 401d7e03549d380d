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
  /** With a text search only: how far the server's text index had caught up (records it lacked were scanned). */
  readonly searchIndex?: SearchIndexProgress;
}

/** The text index's progress as a `q` answer reports it. */
export interface SearchIndexProgress {
  readonly pending: number;
  readonly behindSeconds: number;
  readonly building: boolean;
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

/** One problem server-side verification found (`GET /api/v1/logs/verify`). */
export interface VerificationProblem {
  /** `RECORD_TAMPERED`, `LOG_INCONSISTENT`, `SIGNATURE_INVALID`, `KEY_UNKNOWN`, … */
  readonly code: string;
  /** Which check failed: `gap`, `truncated`, `payload-mismatch`, `columns-mismatch`, `root-mismatch`, … */
  readonly reason: string;
  /** The first bad seq the problem concerns, or null. */
  readonly seq: number | null;
  /** For missing records (`gap`, `truncated`): the last missing seq. */
  readonly lastSeq?: number;
  /** The server's sentence (English). */
  readonly message: string;
}

/** The server's check of a seq range of one log. */
export interface RangeVerification {
  readonly status: 'valid' | 'tampered';
  readonly range: { readonly from: number; readonly to: number };
  readonly checked: number;
  readonly counts: Readonly<Record<Integrity, number>>;
  readonly firstBadSeq: number | null;
  readonly problems: readonly VerificationProblem[];
  readonly problemCount: number;
  /** When it was checked (with `maxAge`, when its oldest part was). */
  readonly verifiedAt: string;
}

/** How far the check of a view covers one of its logs. */
export type LogCoverageState = 'verified' | 'too-large' | 'skipped' | 'pending';

/** One tenant log of a view, as `GET /api/v1/logs/verify` answers. */
export interface LogCoverage {
  /** `default` or the tenant id. */
  readonly tenant: string;
  readonly origin: string;
  readonly range: { readonly from: number; readonly to: number };
  readonly coverage: LogCoverageState;
  /** Records appended since the newest signed checkpoint: not checked yet. */
  readonly unsigned: number;
  readonly verification: RangeVerification | null;
}

/** `GET /api/v1/logs/verify`: every tenant log holding records of the view's time range. */
export interface ViewVerification {
  readonly status: 'valid' | 'tampered' | 'incomplete';
  readonly logs: readonly LogCoverage[];
}

/**
 * A gap between `createdAt` (the source's clock) and `apiCreatedAt` (Tamga's) that the page points out: more than five
 * minutes either way: the largest clock skew Kerberos accepts by default (MIT Kerberos `clockskew` 300 s, also Active
 * Directory's default), a common yardstick for "these two clocks disagree". A producer that sends at once lands within seconds; beyond this the event was
 * held back (a spool, an import, a late batch), back-dated, or its source's clock is wrong — either way its "Created
 * at" is not when Tamga learned of it.
 */
export const LARGE_TIME_GAP_MS = 5 * 60_000;

/** `apiCreatedAt − createdAt` in ms when it is larger than {@link LARGE_TIME_GAP_MS} either way, else null. */
export function largeTimeGapMs(record: Pick<JournalRecord, 'createdAt' | 'apiCreatedAt'>): number | null {
  const gap = Date.parse(record.apiCreatedAt) - Date.parse(record.createdAt);
  return Number.isFinite(gap) && Math.abs(gap) > LARGE_TIME_GAP_MS ? gap : null;
}
