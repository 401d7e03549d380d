/**
 * The evidence bundle (docs/bundle-format.md): what `GET /api/v1/logs/{tenant}/export` produces and
 * `tamga verify` checks offline. A bundle is a directory of four files:
 *
 * - `manifest.json`   — {@link BundleManifest}: format, log origin, seq range, newest checkpoint size, and the
 *                        Merkle hashes needed to rebuild roots (frontier of `[0, from)`, tail `[to, treeSize)`).
 * - `records.ndjson`  — one {@link BundleRecord} per line, in `seq` order.
 * - `checkpoints.ndjson` — one {@link BundleCheckpoint} per line: the signed notes within the range and the newest.
 * - `keys.json`       — {@link BundleKeys}: public checkpoint verifier keys and HMAC key ids with validity windows.
 *
 * Everything here parses untrusted input defensively: anything malformed becomes a `VerificationError`
 * (`BUNDLE_INVALID` for the manifest, keys and checkpoints file; `RECORD_TAMPERED` for a record line, since an
 * edited byte can break a line's syntax), never a stray `TypeError`.
 */
import { Buffer } from 'node:buffer';
import { canonicalize } from '../canonical/canonical-json.js';
import { VerificationError } from '../errors.js';
import { HASH_SIZE } from '../merkle/hasher.js';
import type { EntityData } from '../record/event-input.js';

/** Format identifier of bundles this code writes and reads. */
export const BUNDLE_FORMAT = 'tamga-bundle/1';

/** File names inside a bundle directory. */
export const BUNDLE_FILES = Object.freeze({
  manifest: 'manifest.json',
  records: 'records.ndjson',
  checkpoints: 'checkpoints.ndjson',
  keys: 'keys.json',
});

/** `manifest.json`. Hashes are base64 (32 bytes each). */
export interface BundleManifest {
  readonly format: typeof BUNDLE_FORMAT;
  /** Log origin, the first line of its checkpoints, e.g. `tamga/default`. */
  readonly origin: string;
  /** Tenant of the log (`null` = default tenant). Informational: `origin` is what is checked. */
  readonly tenantId: string | null;
  /** The records held: `seq` in `[from, to)`. */
  readonly range: { readonly from: number; readonly to: number };
  /** Size of the newest checkpoint in the bundle (`≥ to`). */
  readonly treeSize: number;
  /** Compact range of `[0, from)`: perfect subtree hashes, largest (leftmost) first. `popcount(from)` of them. */
  readonly frontier: readonly Buffer[];
  /** Perfect subtree hashes covering `[to, treeSize)`, left to right (empty when `to === treeSize`). */
  readonly tail: readonly Buffer[];
  /** When the bundle was made, RFC 3339 (informational). */
  readonly createdAt: string;
}

/** One line of `records.ndjson`. */
export interface BundleRecord {
  readonly seq: number;
  /** The canonical bytes `L` (RFC 8785 JSON; its `payloadDigest` commits to the payload). */
  readonly canonical: Buffer;
  /** The server's stored leaf hash `SHA-256(0x00 ‖ L)`: a hint that pinpoints an edited line; never trusted. */
  readonly leafHash: Buffer | null;
  /** HMAC-SHA256 of `L`, 64 hex (checked only with the HMAC key). */
  readonly signature: string;
  readonly sigKid: string;
  readonly entityData: EntityData | null;
  readonly text: string | null;
  /** The 16-byte salt of the payload digest; `null` once erased. */
  readonly payloadSalt: Buffer | null;
  /** True when the payload was erased on purpose (journalled as PayloadErased). */
  readonly redacted: boolean;
}

/** One line of `checkpoints.ndjson`. */
export interface BundleCheckpoint {
  /** Tree size the note claims (must equal the note's second line). */
  readonly size: number;
  /** The C2SP signed note (tlog-checkpoint body and signature lines). */
  readonly note: string;
}

/** A public checkpoint key and when it signed. */
export interface BundleCheckpointKey {
  readonly name: string;
  /** C2SP verifier key `name+keyid+base64(0x01 ‖ pub)`. */
  readonly verifierKey: string;
  readonly validFrom: string | null;
  readonly validUntil: string | null;
}

/** `keys.json`: public keys only. HMAC secrets are never exported; their ids say which record needs which. */
export interface BundleKeys {
  readonly checkpointKeys: readonly BundleCheckpointKey[];
  readonly hmacKeys: readonly { readonly kid: string; readonly validFrom: string | null; readonly validUntil: string | null }[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_TREE = Number.MAX_SAFE_INTEGER;

function bundleInvalid(message: string, details: Record<string, unknown> = {}): VerificationError {
  return new VerificationError('BUNDLE_INVALID', message, details);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_TREE;
}

/** Strict base64 (padding, no whitespace, canonical); undefined when not. */
export function decodeStrictBase64(s: unknown): Buffer | undefined {
  if (typeof s !== 'string' || !BASE64.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : undefined;
}

function hashList(v: unknown, field: string): Buffer[] {
  if (!Array.isArray(v)) throw bundleInvalid(`manifest.${field} must be an array of base64 hashes`, { field });
  return v.map((h, i) => {
    const bytes = decodeStrictBase64(h);
    if (bytes === undefined || bytes.length !== HASH_SIZE) {
      throw bundleInvalid(`manifest.${field}[${i}] is not the base64 of a 32-byte hash`, { field: `${field}[${i}]` });
    }
    return bytes;
  });
}

function popcount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v = Math.floor(v / 2)) count += v % 2;
  return count;
}

/** Number of perfect subtrees covering `[from, to)` aligned as in a Merkle tree (see `subtreesOf`). */
export function countSubtrees(from: number, to: number): number {
  let n = 0;
  let pos = from;
  while (pos < to) {
    let w = 1;
    while (pos % (w * 2) === 0 && pos + w * 2 <= to) w *= 2;
    pos += w;
    n++;
  }
  return n;
}

/**
 * Parses `manifest.json` (already JSON-parsed).
 *
 * @throws VerificationError `BUNDLE_INVALID` when a field is missing, of the wrong type, the format is not
 *   {@link BUNDLE_FORMAT}, `from ≤ to ≤ treeSize` does not hold, or the hash lists have the wrong length.
 */
export function parseBundleManifest(raw: unknown): BundleManifest {
  if (!isObject(raw)) throw bundleInvalid('manifest.json must hold a JSON object');
  if (raw.format !== BUNDLE_FORMAT) {
    throw bundleInvalid(`manifest.format must be "${BUNDLE_FORMAT}"`, { field: 'format', format: raw.format });
  }
  if (typeof raw.origin !== 'string' || raw.origin === '') throw bundleInvalid('manifest.origin must be a string', { field: 'origin' });
  const tenantId = raw.tenantId ?? null;
  if (tenantId !== null && typeof tenantId !== 'string') throw bundleInvalid('manifest.tenantId must be a string or null', { field: 'tenantId' });
  const range = raw.range;
  if (!isObject(range) || !isIndex(range.from) || !isIndex(range.to) || range.from > range.to) {
    throw bundleInvalid('manifest.range must be { from, to } with 0 ≤ from ≤ to', { field: 'range' });
  }
  if (!isIndex(raw.treeSize) || raw.treeSize < range.to) {
    throw bundleInvalid('manifest.treeSize must be an integer ≥ range.to', { field: 'treeSize' });
  }
  const frontier = hashList(raw.frontier, 'frontier');
  if (frontier.length !== popcount(range.from)) {
    throw bundleInvalid(`manifest.frontier must hold ${popcount(range.from)} hashes for from=${range.from}`, { field: 'frontier' });
  }
  const tail = hashList(raw.tail ?? [], 'tail');
  if (tail.length !== countSubtrees(range.to, raw.treeSize)) {
    throw bundleInvalid(`manifest.tail must hold ${countSubtrees(range.to, raw.treeSize)} hashes`, { field: 'tail' });
  }
  return Object.freeze({
    format: BUNDLE_FORMAT,
    origin: raw.origin,
    tenantId,
    range: Object.freeze({ from: range.from, to: range.to }),
    treeSize: raw.treeSize,
    frontier,
    tail,
    createdAt: typeof raw.createdAt === 'string' ? raw.createdAt : '',
  });
}

/**
 * Parses `keys.json` (or the `/.well-known/tamga-keys` document, which has the same `checkpointKeys`).
 *
 * @throws VerificationError `BUNDLE_INVALID` when it is not an object with a `checkpointKeys` array of
 *   `{ name, verifierKey }` objects.
 */
export function parseBundleKeys(raw: unknown): BundleKeys {
  if (!isObject(raw) || !Array.isArray(raw.checkpointKeys)) {
    throw bundleInvalid('keys must be a JSON object with a checkpointKeys array', { field: 'checkpointKeys' });
  }
  const time = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const checkpointKeys = raw.checkpointKeys.map((k: unknown, i) => {
    if (!isObject(k) || typeof k.verifierKey !== 'string') {
      throw bundleInvalid(`checkpointKeys[${i}] must have a verifierKey string`, { field: `checkpointKeys[${i}]` });
    }
    return { name: typeof k.name === 'string' ? k.name : '', verifierKey: k.verifierKey, validFrom: time(k.validFrom), validUntil: time(k.validUntil) };
  });
  const hmacRaw: unknown[] = Array.isArray(raw.hmacKeys) ? raw.hmacKeys : [];
  const hmacKeys = hmacRaw.flatMap((k) =>
    isObject(k) && typeof k.kid === 'string' ? [{ kid: k.kid, validFrom: time(k.validFrom), validUntil: time(k.validUntil) }] : [],
  );
  return { checkpointKeys, hmacKeys };
}

/**
 * Parses one line of `checkpoints.ndjson`.
 *
 * @throws VerificationError `BUNDLE_INVALID` when the line is not `{ "size": n, "note": "..." }`.
 */
export function parseBundleCheckpoint(line: string, lineNumber: number): BundleCheckpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw bundleInvalid(`checkpoints.ndjson line ${lineNumber} is not JSON`, { line: lineNumber });
  }
  if (!isObject(raw) || !isIndex(raw.size) || typeof raw.note !== 'string') {
    throw bundleInvalid(`checkpoints.ndjson line ${lineNumber} must be { size, note }`, { line: lineNumber });
  }
  return { size: raw.size, note: raw.note };
}

function tampered(seq: number | null, reason: string, message: string): VerificationError {
  return new VerificationError('RECORD_TAMPERED', message, { seq, reason });
}

/**
 * Parses one line of `records.ndjson`. A line that does not parse is a tampered record, not unusable input:
 * an edited byte can break a line's syntax.
 *
 * @param expectedSeq - the seq this line should hold, named in the error when the line is unreadable.
 * @throws VerificationError `RECORD_TAMPERED` (`details.reason`: `unreadable`, `bad-field`).
 */
export function parseBundleRecord(line: string, expectedSeq: number): BundleRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw tampered(expectedSeq, 'unreadable', `records line of seq ${expectedSeq} is not JSON`);
  }
  return toBundleRecord(raw, expectedSeq);
}

/** Checks the shape of a record object (a parsed line, or a receipt's `record`). */
export function toBundleRecord(raw: unknown, expectedSeq: number | null): BundleRecord {
  const bad = (field: string): never => {
    throw tampered(expectedSeq, 'bad-field', `record ${expectedSeq ?? ''}: ${field} is missing or malformed`.replace(' :', ':'));
  };
  if (!isObject(raw)) return bad('the line');
  const r = raw;
  if (!isIndex(r.seq)) bad('seq');
  // Lenient decoding is safe here: whatever bytes come out are hashed into the leaf, so an edit that changes
  // them is caught by the leaf and the roots; strict re-encoding would cost a third of the verification time.
  if (typeof r.canonical !== 'string' || r.canonical.length === 0) return bad('canonical');
  const canonical = Buffer.from(r.canonical, 'base64');
  if (canonical.length === 0) return bad('canonical');
  // The leaf hash and the salt are decoded leniently too: a wrong leaf hash is caught by the leaf check and the
  // roots, a wrong salt by the payload digest.
  let leafHash: Buffer | null = null;
  if (r.leafHash !== undefined && r.leafHash !== null) {
    const h = typeof r.leafHash === 'string' ? Buffer.from(r.leafHash, 'base64') : undefined;
    if (h === undefined || h.length !== HASH_SIZE) return bad('leafHash');
    leafHash = h;
  }
  if (typeof r.signature !== 'string') bad('signature');
  if (typeof r.sigKid !== 'string') bad('sigKid');
  const entityData = r.entityData ?? null;
  if (entityData !== null && typeof entityData !== 'string' && typeof entityData !== 'object') bad('entityData');
  const text = r.text ?? null;
  if (text !== null && typeof text !== 'string') bad('text');
  let payloadSalt: Buffer | null = null;
  if (r.payloadSalt !== null && r.payloadSalt !== undefined) {
    if (typeof r.payloadSalt !== 'string') return bad('payloadSalt');
    const salt = Buffer.from(r.payloadSalt, 'base64');
    payloadSalt = salt;
  }
  if (typeof r.redacted !== 'boolean') bad('redacted');
  return {
    seq: r.seq as number,
    canonical,
    leafHash,
    signature: r.signature as string,
    sigKid: r.sigKid as string,
    entityData: entityData as EntityData | null,
    text: text as string | null,
    payloadSalt,
    redacted: r.redacted as boolean,
  };
}

/**
 * The JSON line of a record in `records.ndjson` (what the exporter writes). `entityData` is written in its canonical
 * form (RFC 8785, as inside the payload digest), so a verifier can hash the line's own bytes of the payload instead
 * of parsing and re-serializing it; any JSON form reads back to the same value.
 */
export function formatBundleRecord(r: BundleRecord): string {
  const head = JSON.stringify({
    seq: r.seq,
    canonical: r.canonical.toString('base64'),
    leafHash: r.leafHash === null ? null : r.leafHash.toString('base64'),
    signature: r.signature,
    sigKid: r.sigKid,
  });
  const tail = JSON.stringify({
    text: r.text,
    payloadSalt: r.payloadSalt === null ? null : r.payloadSalt.toString('base64'),
    redacted: r.redacted,
  });
  return `${head.slice(0, -1)},"entityData":${entityJson(r.entityData)},${tail.slice(1)}`;
}

/** `entityData` as canonical JSON; as plain JSON when it has no canonical form (a stored value edited behind the log's back). */
function entityJson(entityData: EntityData | null): string {
  try {
    return canonicalize(entityData ?? null);
  } catch {
    return JSON.stringify(entityData ?? null);
  }
}
