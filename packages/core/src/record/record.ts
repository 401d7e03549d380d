import * as crypto from 'node:crypto';
import { createHash, randomFillSync } from 'node:crypto';
import { canonicalize } from '../canonical/canonical-json.js';
import { hashLeaf } from '../merkle/hasher.js';
import { computeRecordSignature, hasValidRecordSignature, signatureMatches } from '../signature/record-hmac.js';
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

// Characters a JSON string escapes, and surrogates (a lone one is refused by RFC 8785).
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE_OR_CHECK = /["\\\u0000-\u001f\ud800-\udfff]/;
const SURROGATE = /[\ud800-\udfff]/;

/** Thrown inside the fast path when a value needs the generic serializer (which refuses or handles it). */
const GENERIC = Symbol('generic');

/** A JSON string as RFC 8785 writes it; strings with a surrogate go to the generic serializer. */
function quoted(s: string): string {
  if (!NEEDS_ESCAPE_OR_CHECK.test(s)) return '"' + s + '"';
  if (SURROGATE.test(s)) throw GENERIC;
  return JSON.stringify(s);
}

/** A value of the canonical record: strings, numbers, booleans and null inline; objects by the generic serializer. */
function member(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quoted(value);
    case 'number':
      if (!Number.isFinite(value)) throw GENERIC;
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return canonicalize(value); // nested objects and arrays: sorted at every level
    default:
      throw GENERIC;
  }
}

/** The members of the canonical record other than `extra`'s, in RFC 8785 order (UTF-16 code units). */
const BASE_KEYS = [
  'apiCreatedAt',
  'classifiedEvent',
  'createdAt',
  'event',
  'eventName',
  'id',
  'ip',
  'log',
  'nodeId',
  'operationKey',
  'outcome',
  'payloadDigest',
  'seq',
  'severity',
  'sigKid',
  'tenantId',
  'userId',
  'v',
] as const;
type BaseKey = (typeof BASE_KEYS)[number];
const BASE_KEY_SET: ReadonlySet<string> = new Set(BASE_KEYS);

/** One member of the merged key order: a base member (by its index in {@link BASE_KEYS}) or an added field. */
type OrderedKey = { readonly base: number; readonly prefix: string } | { readonly extra: string; readonly prefix: string };

// Records mostly share one set of added fields (e.g. pollable + catalogVersion): their merged key order is kept.
const keyOrders = new Map<string, readonly OrderedKey[]>();
const NO_EXTRA: readonly string[] = [];

function mergedOrder(extraKeys: readonly string[]): readonly OrderedKey[] {
  const signature = extraKeys.join('\u0000');
  let order = keyOrders.get(signature);
  if (order === undefined) {
    const all = [...BASE_KEYS, ...extraKeys].sort();
    let first = true;
    order = all.map((key) => {
      const prefix = (first ? '' : ',') + quoted(key) + ':';
      first = false;
      // extraKeys holds no base key's name (base fields win), so a name is either one or the other.
      const base = BASE_KEYS.indexOf(key as BaseKey);
      return base >= 0 ? { base, prefix } : { extra: key, prefix };
    });
    if (keyOrders.size < 1000) keyOrders.set(signature, order);
  }
  return order;
}

// Timestamps of one minute share their text up to the seconds. The two minutes used last are kept: a record's
// `apiCreatedAt` (now) and `createdAt` (when it happened) are often minutes apart, and one slot would miss on both.
const slotMinute = [Number.NaN, Number.NaN];
const slotPrefix = ['', ''];
let olderSlot = 0;

/** {@link formatTimestamp}, faster for times of the two minutes used last (years 1000-9999). */
function timestampText(micros: number): string {
  if (!Number.isSafeInteger(micros)) return formatTimestamp(micros);
  const minute = Math.floor(micros / 60_000_000);
  const slot = minute === slotMinute[0] ? 0 : minute === slotMinute[1] ? 1 : -1;
  if (slot < 0) {
    const text = formatTimestamp(micros);
    // Four-digit years only: the text is `YYYY-MM-DDTHH:MM:SS.ffffffZ` and its first 17 characters name the minute.
    if (text.length !== 27) return text;
    slotMinute[olderSlot] = minute;
    slotPrefix[olderSlot] = text.slice(0, 17);
    olderSlot = 1 - olderSlot;
    return text;
  }
  olderSlot = 1 - slot;
  const inMinute = micros - minute * 60_000_000;
  const second = Math.floor(inMinute / 1_000_000);
  const fraction = inMinute - second * 1_000_000;
  return (
    slotPrefix[slot]! +
    (second < 10 ? '0' : '') +
    String(second) +
    '.' +
    (fraction >= 100_000 ? String(fraction) : String(fraction).padStart(6, '0')) +
    'Z'
  );
}

/**
 * The canonical bytes `L` of a record as a string: RFC 8785 of {@link canonicalRecordObject}.
 *
 * Hot path (runs per event at ingest and per record on read): the record's members are written in RFC 8785 order
 * straight into one string — the base members' order is fixed, merged with the added fields' names once per set of
 * names — with strings escaped exactly as RFC 8785 does and nested values by the generic serializer. Anything the
 * fast path does not cover (a surrogate, a non-finite number) takes the generic serializer, which refuses or handles
 * it. `record.test.ts` proves both give the same bytes over every shape of record.
 */
export function canonicalRecordString(fields: RecordFields, payloadDigest: string): string {
  try {
    return fastCanonicalRecordString(fields, payloadDigest);
  } catch (error) {
    if (error !== GENERIC) throw error;
    return canonicalize(canonicalRecordObject(fields, payloadDigest));
  }
}

/** Index of `log`, `payloadDigest` and `seq` in {@link BASE_KEYS}. */
const LOG_MEMBER = 7;
const DIGEST_MEMBER = 11;
const SEQ_MEMBER = 12;

/**
 * `marks`, when given, receives where the values of `log`, `payloadDigest` and `seq` start and end in the string (six
 * offsets, in that order), for {@link RecordSealer.prepare} and {@link RecordSealer.check}.
 */
function fastCanonicalRecordString(fields: RecordFields, payloadDigest: string, marks?: number[]): string {
  const extra = fields.extra as Record<string, unknown>;
  let extraKeys: string[] | undefined;
  for (const key in extra) {
    // As canonicalRecordObject: the base fields win over added fields of the same name; undefined is left out.
    if (extra[key] === undefined || BASE_KEY_SET.has(key)) continue;
    (extraKeys ??= []).push(key);
  }
  const order = mergedOrder(extraKeys ?? NO_EXTRA);
  let out = '{';
  for (let i = 0; i < order.length; i++) {
    const k = order[i]!;
    let text: string | undefined;
    if ('extra' in k) text = member(extra[k.extra]);
    else {
      const value = baseValue(fields, k.base, payloadDigest);
      if (value === undefined) {
        // An absent base member is left out, as JSON.stringify and RFC 8785 do; the next member's comma stays right
        // only on the generic path.
        throw GENERIC;
      }
      text = value;
      if (marks !== undefined && (k.base === LOG_MEMBER || k.base === DIGEST_MEMBER || k.base === SEQ_MEMBER)) {
        const at = out.length + k.prefix.length;
        marks.push(at, at + text.length);
      }
    }
    out += k.prefix + text;
  }
  return out + '}';
}

/** The serialized value of base member `index` of {@link BASE_KEYS}; undefined when the field is absent. */
function baseValue(f: RecordFields, index: number, payloadDigest: string): string | undefined {
  switch (index) {
    case 0:
      return f.apiCreatedAt === undefined ? undefined : '"' + timestampText(f.apiCreatedAt) + '"';
    case 1:
      return optional(f.classifiedEvent);
    case 2:
      return f.createdAt === undefined ? undefined : '"' + timestampText(f.createdAt) + '"';
    case 3:
      return optional(f.event);
    case 4:
      return optional(f.eventName);
    case 5:
      return optional(f.id);
    case 6:
      return optional(f.ip);
    case 7:
      return optional(f.log);
    case 8:
      return optional(f.nodeId);
    case 9:
      return optional(f.operationKey);
    case 10:
      return optional(f.outcome);
    case 11:
      return quoted(payloadDigest);
    case 12:
      return optional(f.seq);
    case 13:
      return optional(f.severity);
    case 14:
      return optional(f.sigKid);
    case 15:
      return optional(f.tenantId);
    case 16:
      return optional(f.userId);
    default:
      return String(RECORD_FORMAT_VERSION);
  }
}

function optional(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null) throw GENERIC; // not a record's shape
  return member(value);
}

/**
 * Seals a record: draws a payload salt, builds the canonical bytes, signs them with the HMAC key
 * `fields.sigKid` names, and hashes them into a Merkle leaf (RFC 9162 §2.1.1). For many records under one key,
 * {@link RecordSealer} does the same with the key prepared once.
 */
export function sealRecord(fields: RecordFields, hmacKey: Uint8Array): RecordSeal {
  return new RecordSealer(hmacKey).seal(fields);
}

/**
 * The reference sealing, kept plain to check the fast one against: RFC 8785 by the generic serializer of
 * {@link canonicalRecordObject}, `createHmac`, {@link hashLeaf}; the payload salt given.
 */
export function sealRecordReference(fields: RecordFields, hmacKey: Uint8Array, payloadSalt: Buffer): RecordSeal {
  const digest = createHash('sha256').update(payloadSalt).update(canonicalize([fields.entityData, fields.text]), 'utf8').digest('hex');
  const canonical = Buffer.from(canonicalize(canonicalRecordObject(fields, digest)), 'utf8');
  return { canonical, signature: computeRecordSignature(hmacKey, canonical), leafHash: hashLeaf(canonical), payloadSalt };
}

type OneShotHash = (algorithm: string, data: Uint8Array, outputEncoding: 'binary' | 'hex') => string;
const oneShot: OneShotHash | undefined =
  typeof (crypto as { hash?: unknown }).hash === 'function' ? (crypto.hash as OneShotHash) : undefined;

/** HMAC-SHA256's block size (RFC 2104 `B`). */
const HMAC_BLOCK = 64;
/** Largest message hashed through the scratch buffer; larger ones take createHmac. */
const SCRATCH_MAX = 64 * 1024;

/**
 * Seals records under one HMAC key, prepared once: HMAC-SHA256 per RFC 2104 computed as two one-shot SHA-256 over
 * the key's inner and outer pads (no HMAC object per record), the payload digest hashed in one shot, the canonical
 * bytes by the record-shaped serializer. Byte-identical to {@link sealRecordReference} (`record-sealer.test.ts`).
 */
export class RecordSealer {
  readonly #key: Uint8Array;
  /** `(K0 ⊕ ipad) ‖ message`, the message written after the pad. */
  #inner: Buffer;
  /** `(K0 ⊕ opad) ‖ inner hash`. */
  readonly #outer: Buffer;
  #payload = Buffer.allocUnsafe(1024);
  /** {@link check}'s rebuilt text as UTF-8, around the digest. */
  #rebuilt = Buffer.allocUnsafe(2048);

  constructor(hmacKey: Uint8Array) {
    this.#key = hmacKey;
    // RFC 2104: a key longer than the block is hashed first; K0 is the key padded with zeros to the block.
    const k0 = Buffer.alloc(HMAC_BLOCK);
    if (hmacKey.length > HMAC_BLOCK) createHash('sha256').update(hmacKey).digest().copy(k0);
    else k0.set(hmacKey);
    this.#inner = Buffer.allocUnsafe(HMAC_BLOCK + 1024);
    this.#outer = Buffer.allocUnsafe(HMAC_BLOCK + 32);
    for (let i = 0; i < HMAC_BLOCK; i++) {
      this.#inner[i] = k0[i]! ^ 0x36;
      this.#outer[i] = k0[i]! ^ 0x5c;
    }
  }

  /** Seals one record with a fresh payload salt (as {@link sealRecord}); tests give the salt. */
  seal(fields: RecordFields, payloadSalt: Buffer = nextSalt()): RecordSeal {
    const canonical = Buffer.from(canonicalRecordString(fields, this.payloadDigest(payloadSalt, fields.entityData, fields.text)), 'utf8');
    return { canonical, signature: this.sign(canonical), leafHash: hashLeaf(canonical), payloadSalt };
  }

  /**
   * The part of {@link seal} that needs neither the record's log nor its `seq` (`fields.log` and `fields.seq` are
   * placeholders): the payload digest and the canonical text around them. Undefined for a record the fast serializer
   * leaves to the generic one (then {@link seal} it whole).
   */
  prepare(fields: RecordFields, payloadSalt: Buffer = nextSalt()): PreparedSeal | undefined {
    const marks: number[] = [];
    let text: string;
    try {
      text = fastCanonicalRecordString(fields, this.payloadDigest(payloadSalt, fields.entityData, fields.text), marks);
    } catch (error) {
      if (error !== GENERIC) throw error;
      return undefined;
    }
    const [logStart, logEnd, , , seqStart, seqEnd] = marks as [number, number, number, number, number, number];
    return { head: text.slice(0, logStart), middle: text.slice(logEnd, seqStart), tail: text.slice(seqEnd), payloadSalt };
  }

  /** {@link seal} of a record {@link prepare}d, now in log `log` at `seq`: the same bytes, signature and leaf. */
  sealPrepared(prepared: PreparedSeal, log: string, seq: number): RecordSeal {
    const canonical = Buffer.from(prepared.head + canonicalize(log) + prepared.middle + String(seq) + prepared.tail, 'utf8');
    return { canonical, signature: this.sign(canonical), leafHash: hashLeaf(canonical), payloadSalt: prepared.payloadSalt };
  }

  /** {@link computePayloadDigest}, hashed in one shot. */
  payloadDigest(salt: Uint8Array, entityData: EntityData | null, text: string | null): string {
    const json = canonicalize([entityData, text]);
    const most = salt.length + json.length * 3;
    if (oneShot === undefined || most > SCRATCH_MAX) return computePayloadDigest(salt, entityData, text);
    if (this.#payload.length < most) this.#payload = Buffer.allocUnsafe(Math.max(most, this.#payload.length * 2));
    this.#payload.set(salt, 0);
    const n = this.#payload.write(json, salt.length, 'utf8');
    return oneShot('sha256', this.#payload.subarray(0, salt.length + n), 'hex');
  }

  /** {@link computeRecordSignature}: hex HMAC-SHA256 of the canonical bytes. */
  sign(canonical: Uint8Array): string {
    const n = HMAC_BLOCK + canonical.length;
    if (oneShot === undefined || n > SCRATCH_MAX) return computeRecordSignature(this.#key, canonical);
    if (this.#inner.length < n) {
      const grown = Buffer.allocUnsafe(Math.max(n, this.#inner.length * 2));
      this.#inner.copy(grown, 0, 0, HMAC_BLOCK);
      this.#inner = grown;
    }
    this.#inner.set(canonical, HMAC_BLOCK);
    // The inner digest as latin1 (one byte per character) written into the outer block: no buffer per digest.
    this.#outer.write(oneShot('sha256', this.#inner.subarray(0, n), 'binary'), HMAC_BLOCK, 'latin1');
    return oneShot('sha256', this.#outer, 'hex');
  }

  /**
   * {@link checkRecordReference} of a record signed with this sealer's key, the same answer for every record: the
   * signature by {@link sign}, and the columns rebuilt by the record-shaped serializer with a placeholder digest, so
   * the stored bytes are not parsed as JSON: they must be that text with the stored digest (64 hex digits) in the
   * placeholder's place. `record-sealer.test.ts` checks both on every shape of record and every kind of tampering.
   */
  check(fields: RecordFields, seal: StoredSeal): IntegrityStatus {
    const canonical = Buffer.isBuffer(seal.canonical) ? seal.canonical : Buffer.from(seal.canonical.buffer, seal.canonical.byteOffset, seal.canonical.byteLength);
    if (!signatureMatches(Buffer.from(this.sign(canonical), 'hex'), seal.signature)) return 'tampered';
    const marks: number[] = [];
    let rebuilt: string;
    try {
      rebuilt = fastCanonicalRecordString(fields, DIGEST_PLACEHOLDER, marks);
    } catch (error) {
      if (error !== GENERIC) throw error;
      return checkSealed(fields, seal, canonical);
    }
    // The signature holds, so the bytes are ones this key's holder wrote. The rebuilt text is written as UTF-8 on both
    // sides of the digest's place and compared with them byte for byte: the stored bytes are never decoded.
    const [, , digestStart, digestEnd] = marks as [number, number, number, number];
    const most = (rebuilt.length - DIGEST_PLACEHOLDER.length) * 3;
    if (this.#rebuilt.length < most) this.#rebuilt = Buffer.allocUnsafe(Math.max(most, this.#rebuilt.length * 2));
    const scratch = this.#rebuilt;
    const head = scratch.write(rebuilt.slice(0, digestStart + 1), 0, 'utf8');
    const end = head + scratch.write(rebuilt.slice(digestEnd - 1), head, 'utf8');
    const digestEndByte = head + DIGEST_PLACEHOLDER.length;
    const digest = canonical.length === end + DIGEST_PLACEHOLDER.length ? canonical.toString('latin1', head, digestEndByte) : '';
    // Anything else (a digest of another form, other bytes) is decided the reference way: the same answer, rarely asked.
    if (
      !DIGEST_HEX.test(digest) ||
      canonical.compare(scratch, 0, head, 0, head) !== 0 ||
      canonical.compare(scratch, head, end, digestEndByte, canonical.length) !== 0
    )
      return checkSealed(fields, seal, canonical);
    if (seal.redacted) return fields.entityData === null && fields.text === null ? 'redacted' : 'tampered';
    if (seal.payloadSalt === null) return 'tampered';
    return this.payloadDigest(seal.payloadSalt, fields.entityData, fields.text) === digest ? 'valid' : 'tampered';
  }
}

/** What {@link RecordSealer.check} rebuilds the columns with: the length of a digest, found in its place after. */
const DIGEST_PLACEHOLDER = '0'.repeat(64);
/** A payload digest as {@link computePayloadDigest} writes it. */
const DIGEST_HEX = /^[0-9a-f]{64}$/;

/**
 * A record's canonical text made before its log and `seq` are known (on the thread that takes the request), split
 * around them, with its payload salt: {@link RecordSealer.sealPrepared} joins them and signs.
 */
export interface PreparedSeal {
  /** Up to the value of `log`. */
  readonly head: string;
  /** Between the values of `log` and `seq`. */
  readonly middle: string;
  /** After the value of `seq`. */
  readonly tail: string;
  readonly payloadSalt: Buffer;
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
  // One sealer per key object (a key ring hands out the same one each time): the HMAC pads are made once.
  let checker = CHECKERS.get(key);
  if (checker === undefined) {
    checker = new RecordSealer(key);
    CHECKERS.set(key, checker);
  }
  return checker.check(fields, seal);
}

const CHECKERS = new WeakMap<Uint8Array, RecordSealer>();

/**
 * The reference check, kept plain to check {@link checkRecord} against: `createHmac`, the stored bytes parsed for
 * their digest, the columns rebuilt with it and compared byte for byte.
 */
export function checkRecordReference(
  fields: RecordFields,
  seal: StoredSeal,
  keyFor: (kid: string) => Uint8Array | undefined,
): IntegrityStatus {
  const key = keyFor(fields.sigKid);
  if (key === undefined) return 'unknown-key';
  if (!hasValidRecordSignature(key, seal.canonical, seal.signature)) return 'tampered';
  return checkSealed(fields, seal, seal.canonical);
}

/** {@link checkRecordReference} past the signature: the digest parsed from the stored bytes, the columns against them. */
function checkSealed(fields: RecordFields, seal: StoredSeal, canonical: Uint8Array): IntegrityStatus {
  let stored: unknown;
  try {
    stored = JSON.parse(Buffer.from(canonical).toString('utf8'));
  } catch {
    return 'tampered';
  }
  const digest = (stored as { payloadDigest?: unknown }).payloadDigest;
  if (typeof digest !== 'string') return 'tampered';
  const rebuilt = canonicalRecordString(fields, digest);
  if (!Buffer.from(rebuilt, 'utf8').equals(canonical)) return 'tampered';
  if (seal.redacted) return fields.entityData === null && fields.text === null ? 'redacted' : 'tampered';
  if (seal.payloadSalt === null) return 'tampered';
  return computePayloadDigest(seal.payloadSalt, fields.entityData, fields.text) === digest ? 'valid' : 'tampered';
}
