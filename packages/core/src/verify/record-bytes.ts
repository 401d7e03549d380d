/**
 * The per-record steps of `tamga verify` on the bytes of a `records.ndjson` line, for the lines the exporter writes
 * (`formatBundleRecord`: fixed key order, no whitespace). The line is not decoded to a string nor parsed as a whole:
 * its fields are found by their fixed places, and only `entityData` and `text` are parsed (the payload digest needs
 * their canonical form). A line this path finds valid is one the general path ({@link checkRecordLine}) finds
 * valid, with the same leaf; for any other line (another shape, a redacted record, a check that fails) it answers
 * `undefined` and the caller runs the general path, which gives the problem and its message.
 */
import { Buffer } from 'node:buffer';
import { hashLeaf } from '../merkle/hasher.js';
import { hasValidRecordSignature } from '../signature/record-hmac.js';
import type { EntityData } from '../record/event-input.js';
import type { CheckedLine } from './bundle-verifier.js';
import { payloadDigestOf, sha256Hex } from './record-steps.js';

const SEQ = Buffer.from('{"seq":');
const CANONICAL = Buffer.from(',"canonical":"');
const LEAF = Buffer.from(',"leafHash":');
const SIGNATURE = Buffer.from(',"signature":"');
const KID = Buffer.from(',"sigKid":"');
const ENTITY = Buffer.from(',"entityData":');
const TEXT = Buffer.from(',"text":');
const SALT = Buffer.from(',"payloadSalt":"');
const TAIL = Buffer.from(',"redacted":false}');
const NULL = Buffer.from('null');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Bytes of the base64 alphabet (and `=`): a JSON string of only these decodes to itself, no escape in it. */
const BASE64 = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=')
  BASE64[c.charCodeAt(0)] = 1;
const BASE64_TEXT = /^[A-Za-z0-9+/=]*$/;
/** Printable ASCII but `"` and `\`: a JSON string of only these is its own value. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;

/** Whether `bytes[at, at + token.length)` is `token`. */
function has(bytes: Uint8Array, at: number, token: Uint8Array): boolean {
  if (at + token.length > bytes.length) return false;
  for (let i = 0; i < token.length; i++) if (bytes[at + i] !== token[i]) return false;
  return true;
}

/** End (at the closing quote) of a string of `table` bytes starting at `at`; -1 when another byte comes first. */
function stringEnd(bytes: Uint8Array, at: number, end: number, table: Uint8Array): number {
  let i = at;
  while (i < end && table[bytes[i]!] === 1) i++;
  return i < end && bytes[i] === QUOTE ? i : -1;
}

/**
 * End (exclusive) of the JSON string starting with the quote at `at`, escapes skipped; -1 when it is not closed.
 * `escaped` tells whether it held a backslash or a control character (then only `JSON.parse` reads it right).
 */
function jsonStringEnd(bytes: Uint8Array, at: number, end: number): { end: number; plain: boolean } {
  let plain = true;
  for (let i = at + 1; i < end; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) return { end: i + 1, plain };
    if (b === BACKSLASH) {
      plain = false;
      i++;
    } else if (b < 0x20) plain = false;
  }
  return { end: -1, plain };
}

/**
 * End (exclusive) of the JSON object or array starting at `at`, by bracket depth outside strings; -1 when it does
 * not close. It does not validate: the caller parses the bytes it delimits.
 */
function nestedEnd(bytes: Uint8Array, at: number, end: number): number {
  let depth = 0;
  for (let i = at; i < end; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) {
      const s = jsonStringEnd(bytes, i, end);
      if (s.end < 0) return -1;
      i = s.end - 1;
    } else if (b === 0x7b || b === 0x5b) depth++;
    else if (b === 0x7d || b === 0x5d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Lines in a row whose payload bytes were not canonical (a bundle written before the exporter wrote them so): past
 * 64, only one line in 64 tries them, so such bundles do not pay a wasted hash per line.
 */
let rawMisses = 0;

// Reused for each line's payload bytes: hashing is synchronous, so no two calls interleave.
let scratch = Buffer.allocUnsafe(4096);

/** `SHA-256(salt ‖ "[" ‖ entityData bytes ‖ "," ‖ text bytes ‖ "]")` as hex: the payload digest of the line's bytes. */
function rawPayloadDigest(
  bytes: Buffer,
  salt: Buffer,
  entityFrom: number,
  entityTo: number,
  textFrom: number,
  textTo: number,
): string {
  const n = salt.length + entityTo - entityFrom + textTo - textFrom + 3;
  if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  salt.copy(scratch, 0);
  let at = salt.length;
  scratch[at++] = 0x5b;
  at += bytes.copy(scratch, at, entityFrom, entityTo);
  scratch[at++] = 0x2c;
  at += bytes.copy(scratch, at, textFrom, textTo);
  scratch[at++] = 0x5d;
  return sha256Hex(scratch.subarray(0, at));
}

/** JSON-quoted UTF-8 of recent origins, as latin1 text (one char per byte), to find in `L` read the same way. */
const quotedOrigins = new Map<string, string>();
function quotedLatin1(origin: string): string {
  let q = quotedOrigins.get(origin);
  if (q === undefined) {
    if (quotedOrigins.size > 64) quotedOrigins.clear();
    q = Buffer.from(JSON.stringify(origin), 'utf8').toString('latin1');
    quotedOrigins.set(origin, q);
  }
  return q;
}

/** The value after the first `key` in `text` closes at `at`: a comma or the closing brace follows. */
function closes(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c === 0x2c || c === 0x7d;
}

/**
 * The payload digest inside `L` when its `seq`, `log` and `sigKid` are the line's: the quick header check of
 * `readCanonicalHeader` (the first `"key":` of each is the top-level one, see there), on `L` as latin1 text.
 */
function headerDigest(canonical: Buffer, seq: number, origin: string, quotedKid: string): string | undefined {
  const text = canonical.toString('latin1');
  // The first place of each of the four keys, in one scan (four indexOf calls cost three times as much).
  let seqAt = -1;
  let logAt = -1;
  let kidAt = -1;
  let digestAt = -1;
  let found = 0;
  HEADER_KEYS.lastIndex = 0;
  for (let m = HEADER_KEYS.exec(text); m !== null && found < 4; m = HEADER_KEYS.exec(text)) {
    const end = m.index + m[0].length;
    // The key's second letter tells which: "log", "payloadDigest", "seq", "sigKid".
    const which = text.charCodeAt(m.index + 2);
    if (which === 0x6f && logAt < 0) logAt = end;
    else if (which === 0x61 && digestAt < 0) digestAt = end;
    else if (which === 0x65 && seqAt < 0) seqAt = end;
    else if (which === 0x69 && kidAt < 0) kidAt = end;
    else continue;
    found++;
  }
  if (found < 4) return undefined;
  const digits = String(seq);
  if (!text.startsWith(digits, seqAt) || !closes(text, seqAt + digits.length)) return undefined;
  const log = quotedLatin1(origin);
  if (!text.startsWith(log, logAt) || !closes(text, logAt + log.length)) return undefined;
  if (!text.startsWith(quotedKid, kidAt) || !closes(text, kidAt + quotedKid.length)) return undefined;
  if (
    text.charCodeAt(digestAt) !== QUOTE ||
    text.charCodeAt(digestAt + 65) !== QUOTE ||
    !closes(text, digestAt + 66)
  )
    return undefined;
  return text.slice(digestAt + 1, digestAt + 65);
}

/** The keys {@link headerDigest} looks for. */
const HEADER_KEYS = /"(?:log|payloadDigest|seq|sigKid)":/g;

/**
 * The per-record steps on the line `bytes[start, end)` (no newline), for a line in the exporter's own form whose
 * record is valid (or `unknown-key`); `undefined` for every other line, which the caller gives to
 * {@link checkRecordLine}.
 */
export function checkRecordBytes(
  bytes: Buffer,
  start: number,
  end: number,
  origin: string,
  hmacKeyFor?: (kid: string) => Uint8Array | undefined,
): CheckedLine | undefined {
  // {"seq":N — no leading zero, at most 15 digits: a safe integer, as JSON.parse reads it.
  if (!has(bytes, start, SEQ)) return undefined;
  let at = start + SEQ.length;
  const digits = at;
  let seq = 0;
  while (at < end && bytes[at]! >= 0x30 && bytes[at]! <= 0x39 && at - digits < 15)
    seq = seq * 10 + (bytes[at++]! - 0x30);
  if (at === digits || (bytes[digits] === 0x30 && at - digits > 1)) return undefined;
  // ,"canonical":"<base64>"
  if (!has(bytes, at, CANONICAL)) return undefined;
  const canonicalFrom = at + CANONICAL.length;
  const canonicalTo = bytes.indexOf(QUOTE, canonicalFrom);
  if (canonicalTo <= canonicalFrom || canonicalTo >= end) return undefined;
  // The longest field: its bytes checked by a regular expression on its text, which is faster than a loop.
  const canonicalText = bytes.toString('latin1', canonicalFrom, canonicalTo);
  if (!BASE64_TEXT.test(canonicalText)) return undefined;
  const canonical = Buffer.from(canonicalText, 'base64');
  if (canonical.length === 0) return undefined;
  // ,"leafHash":"<base64>"|null
  at = canonicalTo + 1;
  if (!has(bytes, at, LEAF)) return undefined;
  at += LEAF.length;
  let leafHash: Buffer | null = null;
  if (bytes[at] === QUOTE) {
    const to = stringEnd(bytes, at + 1, end, BASE64);
    if (to < 0) return undefined;
    leafHash = Buffer.from(bytes.toString('latin1', at + 1, to), 'base64');
    at = to + 1;
  } else if (has(bytes, at, NULL)) at += NULL.length;
  else return undefined;
  // ,"signature":"<plain>","sigKid":"<plain>"
  if (!has(bytes, at, SIGNATURE)) return undefined;
  const signatureTo = stringEnd(bytes, at + SIGNATURE.length, end, PLAIN);
  if (signatureTo < 0) return undefined;
  const signatureFrom = at + SIGNATURE.length;
  if (!has(bytes, signatureTo + 1, KID)) return undefined;
  const kidFrom = signatureTo + 1 + KID.length;
  const kidTo = stringEnd(bytes, kidFrom, end, PLAIN);
  if (kidTo < 0) return undefined;
  // ,"entityData":<null, a string, an object or an array>
  at = kidTo + 1;
  if (!has(bytes, at, ENTITY)) return undefined;
  const entityFrom = at + ENTITY.length;
  let entityTo: number;
  const first = bytes[entityFrom];
  if (first === 0x7b || first === 0x5b) entityTo = nestedEnd(bytes, entityFrom, end);
  else if (first === QUOTE) entityTo = jsonStringEnd(bytes, entityFrom, end).end;
  else if (has(bytes, entityFrom, NULL)) entityTo = entityFrom + NULL.length;
  else return undefined;
  if (entityTo < 0) return undefined;
  // ,"text":<string>|null
  if (!has(bytes, entityTo, TEXT)) return undefined;
  const textFrom = entityTo + TEXT.length;
  let textTo: number;
  let text: string | null = null;
  if (bytes[textFrom] === QUOTE) {
    const s = jsonStringEnd(bytes, textFrom, end);
    if (s.end < 0) return undefined;
    textTo = s.end;
    if (s.plain) text = bytes.toString('utf8', textFrom + 1, textTo - 1);
  } else if (has(bytes, textFrom, NULL)) textTo = textFrom + NULL.length;
  else return undefined;
  // ,"payloadSalt":"<base64>","redacted":false} and nothing after it
  if (!has(bytes, textTo, SALT)) return undefined;
  const saltFrom = textTo + SALT.length;
  const saltTo = stringEnd(bytes, saltFrom, end, BASE64);
  if (saltTo < 0 || saltTo + 1 + TAIL.length !== end || !has(bytes, saltTo + 1, TAIL)) return undefined;

  // The structure holds: every value is what JSON.parse would give. The steps, as checkExportedRecord runs them;
  // whatever throws (a value canonicalization refuses) is the general path's to report.
  try {
    const leaf = hashLeaf(canonical);
    if (leafHash !== null && !leafHash.equals(leaf)) return undefined;
    const digest = headerDigest(canonical, seq, origin, bytes.toString('latin1', kidFrom - 1, kidTo + 1));
    if (digest === undefined) return undefined;
    const salt = Buffer.from(bytes.toString('latin1', saltFrom, saltTo), 'base64');
    // The line's own bytes of the payload, when the exporter wrote it in canonical form: equal digests mean these
    // are the very bytes sealed, which parse to the values the line holds. Otherwise parse and canonicalize.
    const tryRaw = rawMisses < 64 || rawMisses % 64 === 0;
    if (tryRaw && rawPayloadDigest(bytes, salt, entityFrom, entityTo, textFrom, textTo) === digest)
      rawMisses = 0;
    else {
      if (tryRaw) rawMisses++;
      const entityData = JSON.parse(bytes.toString('utf8', entityFrom, entityTo)) as unknown;
      if (entityData !== null && typeof entityData !== 'string' && typeof entityData !== 'object')
        return undefined;
      if (bytes[textFrom] === QUOTE && text === null)
        text = JSON.parse(bytes.toString('utf8', textFrom, textTo)) as string;
      if (payloadDigestOf(salt, entityData as EntityData | null, text) !== digest) return undefined;
    }
    if (hmacKeyFor !== undefined) {
      const key = hmacKeyFor(bytes.toString('latin1', kidFrom, kidTo));
      if (key === undefined) return { seq, leaf, status: 'unknown-key' };
      if (!hasValidRecordSignature(key, canonical, bytes.toString('latin1', signatureFrom, signatureTo)))
        return undefined;
    }
    return { seq, leaf, status: 'valid' };
  } catch {
    return undefined;
  }
}
