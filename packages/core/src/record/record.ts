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
/** The gaps of {@link RecordSealer.prepare}: the values it cannot know yet. */
const LOG_AND_SEQ = (1 << LOG_MEMBER) | (1 << SEQ_MEMBER);

/**
 * `gaps`, when not 0, has a bit (`1 << i`, `i` an index in {@link BASE_KEYS}) for each base member whose value is left
 * out: the text up to each such value is pushed to `pieces` and the text after the last one is returned. The pieces are
 * made apart, never cut from the whole: slicing one long string first copies all of it into one flat string.
 */
function fastCanonicalRecordString(fields: RecordFields, payloadDigest: string, gaps = 0, pieces?: string[]): string {
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
    else if ((gaps >> k.base) & 1) {
      pieces!.push(out + k.prefix);
      out = '';
      continue;
    } else {
      text = baseValue(fields, k.base, payloadDigest);
      // An absent base member is left out, as JSON.stringify and RFC 8785 do; the next member's comma stays right
      // only on the generic path.
      if (text === undefined) throw GENERIC;
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
  /** The log {@link sealPrepared} sealed in last, and its value in the canonical bytes. */
  #log: string | undefined;
  #logValue = Buffer.alloc(0);

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
    const pieces: string[] = [];
    let tail: string;
    try {
      tail = fastCanonicalRecordString(fields, this.payloadDigest(payloadSalt, fields.entityData, fields.text), LOG_AND_SEQ, pieces);
    } catch (error) {
      if (error !== GENERIC) throw error;
      return undefined;
    }
    return { head: pieces[0]!, middle: pieces[1]!, tail, payloadSalt };
  }

  /**
   * {@link seal} of a record {@link prepare}d, its pieces written into a {@link PreparedSealBatch}, now in log `log` at
   * `seq`: the same bytes, signature and leaf. The canonical bytes are copied together, never made a string again.
   */
  sealPrepared(prepared: PreparedBytes, log: string, seq: number): RecordSeal {
    const { bytes, start, logAt, seqAt, end } = prepared;
    if (log !== this.#log) {
      this.#log = log;
      this.#logValue = Buffer.from(canonicalize(log), 'utf8');
    }
    const logValue = this.#logValue;
    const seqText = String(seq);
    const canonical = Buffer.allocUnsafe(end - start + logValue.length + seqText.length);
    canonical.set(bytes.subarray(start, logAt), 0);
    let at = logAt - start;
    canonical.set(logValue, at);
    at += logValue.length;
    canonical.set(bytes.subarray(logAt, seqAt), at);
    at += seqAt - logAt;
    for (let i = 0; i < seqText.length; i++) canonical[at++] = seqText.charCodeAt(i);
    canonical.set(bytes.subarray(seqAt, end), at);
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
    const pieces: string[] = [];
    let tail: string;
    try {
      tail = fastCanonicalRecordString(fields, '', 1 << DIGEST_MEMBER, pieces);
    } catch (error) {
      if (error !== GENERIC) throw error;
      return checkSealed(fields, seal, canonical);
    }
    // The signature holds, so the bytes are ones this key's holder wrote. The text rebuilt from the columns is written
    // as UTF-8 on both sides of the digest's place and compared with them byte for byte: the stored bytes are never
    // decoded.
    const head = pieces[0]!;
    const most = (head.length + tail.length) * 3;
    if (this.#rebuilt.length < most) this.#rebuilt = Buffer.allocUnsafe(Math.max(most, this.#rebuilt.length * 2));
    const scratch = this.#rebuilt;
    const headEnd = scratch.write(head, 0, 'utf8');
    const tailEnd = headEnd + scratch.write(tail, headEnd, 'utf8');
    // In the stored bytes the digest's value, `"` and 64 hex digits and `"`, sits between the two.
    const digestEnd = headEnd + DIGEST_VALUE_BYTES;
    const digest =
      canonical.length === tailEnd + DIGEST_VALUE_BYTES && canonical[headEnd] === QUOTE && canonical[digestEnd - 1] === QUOTE
        ? canonical.toString('latin1', headEnd + 1, digestEnd - 1)
        : '';
    // Anything else (a digest of another form, other bytes) is decided the reference way: the same answer, rarely asked.
    if (
      !DIGEST_HEX.test(digest) ||
      canonical.compare(scratch, 0, headEnd, 0, headEnd) !== 0 ||
      canonical.compare(scratch, headEnd, tailEnd, digestEnd, canonical.length) !== 0
    )
      return checkSealed(fields, seal, canonical);
    if (seal.redacted) return fields.entityData === null && fields.text === null ? 'redacted' : 'tampered';
    if (seal.payloadSalt === null) return 'tampered';
    return this.payloadDigest(seal.payloadSalt, fields.entityData, fields.text) === digest ? 'valid' : 'tampered';
  }
}

/** Bytes of a payload digest's value in the canonical bytes: 64 hex digits in quotes. */
const DIGEST_VALUE_BYTES = 66;
const QUOTE = 0x22;
/** A payload digest as {@link computePayloadDigest} writes it. */
const DIGEST_HEX = /^[0-9a-f]{64}$/;

/**
 * A record's canonical text made before its log and `seq` are known (on the thread that takes the request), split
 * around them, with its payload salt: written into a {@link PreparedSealBatch}, which {@link RecordSealer.sealPrepared}
 * joins with them and signs.
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

/** Bytes of one record's payload salt. */
const SALT_BYTES = 16;

/**
 * The prepared seals of a batch of records as they cross to the thread that seals them: the pieces of every record's
 * canonical text as UTF-8 in one buffer, four offsets per record into it, 16 bytes of salt per record. Each is a buffer
 * of its own (`ArrayBuffer`), so a `postMessage` may transfer them instead of copying.
 */
export interface PreparedSealBytes {
  readonly bytes: Uint8Array;
  /** Record `i`: where its bytes start, where the log's and `seq`'s values go, where they end; start -1: sealed whole. */
  readonly offsets: Int32Array;
  readonly salts: Uint8Array;
}

/** One record of a {@link PreparedSealBytes}: `bytes[start, logAt)` the head, `[logAt, seqAt)` the middle, `[seqAt, end)` the tail. */
export interface PreparedBytes {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly logAt: number;
  readonly seqAt: number;
  readonly end: number;
  readonly payloadSalt: Buffer;
}

/**
 * Writes the prepared seals of a batch, in order, into one {@link PreparedSealBytes}; also hands out the payload salts
 * (drawn for the whole batch at once).
 */
export class PreparedSealBatch {
  readonly #salts: Uint8Array;
  readonly #offsets: Int32Array;
  #bytes: Buffer;
  #length = 0;
  #count = 0;

  constructor(size: number) {
    this.#salts = randomFillSync(new Uint8Array(size * SALT_BYTES));
    this.#offsets = new Int32Array(size * 4);
    // ~600 bytes a record (the benchmark's are 560-600); grown when a batch needs more. Not from Buffer's shared pool:
    // the buffer must be the batch's own to be transferred.
    this.#bytes = Buffer.allocUnsafeSlow(Math.max(4096, size * 640));
  }

  /** A fresh payload salt for record `i` (a view of the batch's salts: no allocation of its own). */
  salt(i: number): Buffer {
    return Buffer.from(this.#salts.buffer, this.#salts.byteOffset + i * SALT_BYTES, SALT_BYTES);
  }

  /** Adds the next record: its prepared seal, or undefined when it is to be sealed whole. */
  add(prepared: PreparedSeal | undefined): void {
    const i = this.#count++;
    const o = i * 4;
    if (prepared === undefined) {
      this.#offsets[o] = -1;
      return;
    }
    const { head, middle, tail } = prepared;
    const most = (head.length + middle.length + tail.length) * 3;
    if (this.#length + most > this.#bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.#length + most, this.#bytes.length * 2));
      this.#bytes.copy(grown, 0, 0, this.#length);
      this.#bytes = grown;
    }
    const bytes = this.#bytes;
    let at = this.#length;
    this.#offsets[o] = at;
    at += bytes.write(head, at, 'utf8');
    this.#offsets[o + 1] = at;
    at += bytes.write(middle, at, 'utf8');
    this.#offsets[o + 2] = at;
    at += bytes.write(tail, at, 'utf8');
    this.#offsets[o + 3] = at;
    this.#length = at;
    this.#salts.set(prepared.payloadSalt, i * SALT_BYTES);
  }

  /** The batch, to be sent; nothing is added after. */
  finish(): PreparedSealBytes {
    return { bytes: new Uint8Array(this.#bytes.buffer, this.#bytes.byteOffset, this.#length), offsets: this.#offsets, salts: this.#salts };
  }
}

/** Record `i` of a batch's prepared seals, or undefined when it is to be sealed whole. */
export function preparedAt(batch: PreparedSealBytes, i: number): PreparedBytes | undefined {
  const o = i * 4;
  const start = batch.offsets[o]!;
  if (start < 0) return undefined;
  const { offsets, salts } = batch;
  return {
    bytes: batch.bytes,
    start,
    logAt: offsets[o + 1]!,
    seqAt: offsets[o + 2]!,
    end: offsets[o + 3]!,
    payloadSalt: Buffer.from(salts.buffer, salts.byteOffset + i * SALT_BYTES, SALT_BYTES),
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
