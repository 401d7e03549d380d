import { createHash, randomFillSync } from 'node:crypto';
import { canonicalize } from '../canonical/canonical-json.js';
import { hashLeaf } from '../merkle/hasher.js';
import { computeRecordSignature, hasValidRecordSignature } from '../signature/record-hmac.js';
import type { EntityData, EventClass, EventExtra, Outcome } from './event-input.js';
import { formatTimestamp } from './timestamp.js';

/** Version of the canonical record layout (`v` in the canonical bytes). */
export const RECORD_FORMAT_VERSION = 1;

/**
 * Added fields kept in the record besides the seed's, except `outcome` and `severity`; plus what the server
 * records about the code's resolution: `catalogVersion` (e.g. `ai-server@1`, `acme@3`) of the catalogue that
 * named it, or `unregistered: true` when no catalogue did (the tenant opted into open codes).
 */
export type RecordExtra = Omit<EventExtra, 'outcome' | 'severity'> & {
  readonly catalogVersion?: string;
  readonly unregistered?: boolean;
};

/** Everything stored about one record, except its integrity material. Times are UTC microseconds. */
export interface RecordFields {
  /** Origin of the tenant's log (the checkpoint origin line), e.g. `tamga.local/default`. */
  readonly log: string;
  readonly seq: number;
  readonly id: string;
  readonly event: number;
  readonly eventName: string;
  readonly entityData: EntityData | null;
  readonly userId: string | null;
  readonly apiCreatedAt: number;
  readonly createdAt: number;
  readonly text: string | null;
  readonly ip: string | null;
  readonly tenantId: string | null;
  readonly nodeId: string | null;
  readonly operationKey: string | null;
  readonly classifiedEvent: EventClass;
  readonly severity: number;
  readonly outcome: Outcome | null;
  readonly extra: RecordExtra;
  readonly sigKid: string;
}

/** What sealing adds to a record: its canonical bytes `L`, HMAC `signature`, Merkle leaf hash and payload salt. */
export interface RecordSeal {
  readonly canonical: Buffer;
  readonly signature: string;
  readonly leafHash: Buffer;
  readonly payloadSalt: Buffer;
}

/** How a stored record checks out: seed 002's `validSignature` is true for `valid` and `redacted`. */
export type IntegrityStatus = 'valid' | 'tampered' | 'redacted' | 'unknown-key';

const saltPool = Buffer.alloc(16 * 512);
let saltOffset = saltPool.length;

function nextSalt(): Buffer {
  if (saltOffset + 16 > saltPool.length) {
    randomFillSync(saltPool);
    saltOffset = 0;
  }
  const salt = Buffer.from(saltPool.subarray(saltOffset, saltOffset + 16));
  saltOffset += 16;
  return salt;
}

/**
 * The salted digest of a record's erasable payload (`entityData`, `text`): hex SHA-256 of
 * `salt ‖ JCS([entityData, text])`. The canonical bytes commit to this digest, not to the payload, so
 * the payload can be erased later without breaking the signature or the Merkle log (DESIGN.md §4).
 */
export function computePayloadDigest(salt: Uint8Array, entityData: EntityData | null, text: string | null): string {
  return createHash('sha256').update(salt).update(canonicalize([entityData, text]), 'utf8').digest('hex');
}

/**
 * The object whose RFC 8785 serialization is the record's canonical bytes `L`: every stored field
 * including `seq`, the log and `sigKid`, with the payload replaced by its digest, and without
 * `signature`, `validSignature` and `index` (DESIGN.md §4).
 */
export function canonicalRecordObject(fields: RecordFields, payloadDigest: string): Record<string, unknown> {
  return {
    ...fields.extra,
    v: RECORD_FORMAT_VERSION,
    log: fields.log,
    seq: fields.seq,
    id: fields.id,
    event: fields.event,
    eventName: fields.eventName,
    userId: fields.userId,
    apiCreatedAt: formatTimestamp(fields.apiCreatedAt),
    createdAt: formatTimestamp(fields.createdAt),
    ip: fields.ip,
    tenantId: fields.tenantId,
    nodeId: fields.nodeId,
    operationKey: fields.operationKey,
    classifiedEvent: fields.classifiedEvent,
    severity: fields.severity,
    outcome: fields.outcome,
    sigKid: fields.sigKid,
    payloadDigest,
  };
}

// Strings that might hold a lone surrogate go through the generic RFC 8785 serializer, which refuses it.
const SURROGATE = /[\ud800-\udfff]/;

/**
 * The canonical bytes `L` of a record as a string: RFC 8785 of {@link canonicalRecordObject}.
 *
 * Hot path (runs per event at ingest and per record on read): the record is built with its keys already in
 * RFC 8785 order and serialized by one `JSON.stringify` — identical output, because every value is a string,
 * a safe integer, a boolean, null or a flat object (copied with sorted keys), and JSON.stringify's string
 * escaping is RFC 8785's for strings without lone surrogates (refused at input). Anything else takes the
 * generic serializer. `record.test.ts` checks both give the same bytes.
 */
export function canonicalRecordString(fields: RecordFields, payloadDigest: string): string {
  if (
    (fields.userId !== null && SURROGATE.test(fields.userId)) ||
    (fields.operationKey !== null && SURROGATE.test(fields.operationKey)) ||
    (fields.nodeId !== null && SURROGATE.test(fields.nodeId)) ||
    SURROGATE.test(fields.log)
  ) {
    return canonicalize(canonicalRecordObject(fields, payloadDigest));
  }
  // Keys in UTF-16 code unit order (RFC 8785 §3.2.3).
  const base: Record<string, unknown> = {
    apiCreatedAt: formatTimestamp(fields.apiCreatedAt),
    classifiedEvent: fields.classifiedEvent,
    createdAt: formatTimestamp(fields.createdAt),
    event: fields.event,
    eventName: fields.eventName,
    id: fields.id,
    ip: fields.ip,
    log: fields.log,
    nodeId: fields.nodeId,
    operationKey: fields.operationKey,
    outcome: fields.outcome,
    payloadDigest,
    seq: fields.seq,
    severity: fields.severity,
    sigKid: fields.sigKid,
    tenantId: fields.tenantId,
    userId: fields.userId,
    v: RECORD_FORMAT_VERSION,
  };
  const extra = fields.extra as Record<string, unknown>;
  let keys: string[] | undefined;
  for (const key in extra) {
    const value = extra[key];
    if (value === undefined || key in base) continue; // as canonicalRecordObject: the base fields win
    // Only flat values and flat objects with non-numeric keys keep insertion order in JSON.stringify.
    if (typeof value === 'object' && value !== null && !isFlatObject(value)) {
      return canonicalize(canonicalRecordObject(fields, payloadDigest));
    }
    (keys ??= []).push(key);
  }
  if (keys === undefined) return JSON.stringify(base);
  const signature = keys.join(',');
  let order = keyOrders.get(signature);
  if (order === undefined) {
    order = [...Object.keys(base), ...keys].sort();
    if (keyOrders.size < 1000) keyOrders.set(signature, order);
  }
  const ordered: Record<string, unknown> = {};
  for (const key of order) {
    const value = key in base ? base[key] : extra[key];
    ordered[key] = typeof value === 'object' && value !== null ? sortedCopy(value as Record<string, unknown>) : value;
  }
  return JSON.stringify(ordered);
}

// Records mostly share one set of added fields (e.g. catalogVersion): their merged key order is kept.
const keyOrders = new Map<string, string[]>();

/** Whether an object has only string, number, boolean or null values and no integer-like keys. */
function isFlatObject(value: object): boolean {
  if (Array.isArray(value)) return false;
  for (const key in value) {
    if (/^\d/.test(key)) return false;
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'object' && v !== null) return false;
  }
  return true;
}

function sortedCopy(value: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) copy[key] = value[key];
  return copy;
}

/**
 * Seals a record: draws a payload salt, builds the canonical bytes, signs them with the HMAC key
 * `fields.sigKid` names, and hashes them into a Merkle leaf (RFC 9162 §2.1.1).
 */
export function sealRecord(fields: RecordFields, hmacKey: Uint8Array): RecordSeal {
  const payloadSalt = nextSalt();
  const digest = computePayloadDigest(payloadSalt, fields.entityData, fields.text);
  const canonical = Buffer.from(canonicalRecordString(fields, digest), 'utf8');
  return {
    canonical,
    signature: computeRecordSignature(hmacKey, canonical),
    leafHash: hashLeaf(canonical),
    payloadSalt,
  };
}

/** What a store keeps beside a record's fields to check it on read. */
export interface StoredSeal {
  readonly canonical: Uint8Array;
  readonly signature: string;
  readonly payloadSalt: Uint8Array | null;
  /** True when the payload was erased on purpose (the erasure is journalled). */
  readonly redacted: boolean;
}

/**
 * Checks a stored record, as read back from its columns, against its stored canonical bytes and
 * signature. Any difference between the columns and `L`, a payload that no longer matches its digest,
 * or a signature that does not verify makes it `tampered`; a key the server does not hold makes it
 * `unknown-key`; an erased payload with intact `L` is `redacted`.
 */
export function checkRecord(
  fields: RecordFields,
  seal: StoredSeal,
  keyFor: (kid: string) => Uint8Array | undefined,
): IntegrityStatus {
  const key = keyFor(fields.sigKid);
  if (key === undefined) return 'unknown-key';
  if (!hasValidRecordSignature(key, seal.canonical, seal.signature)) return 'tampered';
  let stored: unknown;
  try {
    stored = JSON.parse(Buffer.from(seal.canonical).toString('utf8'));
  } catch {
    return 'tampered';
  }
  const digest = (stored as { payloadDigest?: unknown }).payloadDigest;
  if (typeof digest !== 'string') return 'tampered';
  const rebuilt = canonicalRecordString(fields, digest);
  if (!Buffer.from(rebuilt, 'utf8').equals(seal.canonical)) return 'tampered';
  if (seal.redacted) return fields.entityData === null && fields.text === null ? 'redacted' : 'tampered';
  if (seal.payloadSalt === null) return 'tampered';
  return computePayloadDigest(seal.payloadSalt, fields.entityData, fields.text) === digest ? 'valid' : 'tampered';
}
