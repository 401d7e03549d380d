/**
 * C2SP signed notes with Ed25519 (https://c2sp.org/signed-note), compatible with
 * golang.org/x/mod/sumdb/note.
 *
 * A note is a text ending in a newline, a blank line, then one or more signature lines
 * `— <key name> base64(key ID ‖ signature)`. The key ID is the first 4 bytes (big-endian) of
 * `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ Ed25519 public key)`. Keys are written as verifier keys
 * `name+hexkeyid+base64(0x01 ‖ public key)` and signer keys
 * `PRIVATE+KEY+name+hexkeyid+base64(0x01 ‖ seed)`.
 *
 * Only `node:crypto` is used: raw 32-byte Ed25519 keys are wrapped into PKCS#8 / SPKI DER with the
 * fixed RFC 8410 prefixes to make KeyObjects.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { Buffer } from 'node:buffer';
import { ValidationError, VerificationError } from '../errors.js';

/** A key that signs notes. `keyId` is the 32-bit key ID written in front of each signature. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** Signs the note text bytes; returns the raw signature (64 bytes for Ed25519). */
  sign(msg: Uint8Array): Buffer;
}

/** A key that verifies notes signed by the key with the same `name` and `keyId`. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** Whether `sig` (without the 4-byte key ID) is a valid signature of `msg`. Never throws. */
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
}

/** Result of {@link openNote}: the signed text and which keys signed it. */
export interface OpenedNote {
  /** The note text, including its final newline. */
  readonly text: string;
  /** Signatures by known keys, all verified (each key listed once). */
  readonly verified: { name: string; keyId: number }[];
  /** Signatures by keys the caller does not know, not checked (each (name, key ID) listed once). */
  readonly unverified: { name: string; keyId: number }[];
}

/** Signature type identifier of Ed25519 (c2sp.org/signed-note, "Signature types"). */
const ALG_ED25519 = 0x01;
const ED25519_KEY_SIZE = 32;
const ED25519_SIG_SIZE = 64;
// RFC 8410 DER prefixes for raw Ed25519 keys (OID 1.3.101.112).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SIGNER_KEY_PREFIX = 'PRIVATE+KEY+';
const SIG_LINE_PREFIX = '\u2014 '; // em dash, space

/**
 * Most signatures accepted in one note. The spec requires accepting at least 16
 * (c2sp.org/signed-note, "Format"); golang.org/x/mod/sumdb/note allows 100.
 */
export const MAX_NOTE_SIGNATURES = 100;
/** Largest note accepted by {@link openNote}, in UTF-16 code units. */
export const MAX_NOTE_LENGTH = 1024 * 1024;

// c2sp.org/signed-note: notes MUST NOT contain ASCII control characters other than newline.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Key names MUST be non-empty and contain no Unicode spaces and no '+' (U+0085 is not in JS `\s`).
const BAD_NAME_CHAR = /[\s\u0085+]/u;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const KEY_ID_HEX = /^[0-9a-fA-F]{8}$/;

function isValidKeyName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    !BAD_NAME_CHAR.test(name) &&
    !CONTROL.test(name) &&
    !LONE_SURROGATE.test(name)
  );
}

/** Strict RFC 4648 §4 base64: padding required, no whitespace, no non-zero trailing bits. */
function decodeBase64(s: string): Buffer | undefined {
  if (!BASE64.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : undefined;
}

function isKeyId(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

function invalidKey(message: string, reason: string): ValidationError {
  return new ValidationError('VALIDATION_FAILED', message, { field: 'key', reason });
}

function checkName(name: unknown): asserts name is string {
  if (!isValidKeyName(name)) {
    throw invalidKey('Key name must be non-empty, without spaces, "+" or control characters', 'bad-name');
  }
}

function checkKeyBytes(bytes: unknown, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ED25519_KEY_SIZE) {
    throw invalidKey(`Ed25519 ${what} must be ${ED25519_KEY_SIZE} bytes`, `bad-${what.replace(/ /g, '-')}`);
  }
}

function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function rawPublicKey(key: KeyObject): Buffer {
  const spki = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(SPKI_PREFIX.length));
}

/**
 * Key ID of an Ed25519 key: first 4 bytes, big-endian, of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey)`
 * (c2sp.org/signed-note, "Ed25519 signatures").
 *
 * @throws ValidationError `VALIDATION_FAILED` if the public key is not 32 bytes.
 */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  checkKeyBytes(publicKey, 'public key');
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ALG_ED25519]))
    .update(publicKey)
    .digest()
    .readUInt32BE(0);
}

/** A fresh random Ed25519 key pair: the 32-byte private seed and the 32-byte public key. */
export function generateEd25519Key(): { seed: Buffer; publicKey: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { seed: Buffer.from(pkcs8.subarray(PKCS8_PREFIX.length)), publicKey: rawPublicKey(publicKey) };
}

/**
 * The 32-byte Ed25519 public key of a 32-byte private seed (RFC 8032 §5.1.5).
 *
 * @throws ValidationError `VALIDATION_FAILED` if the seed is not 32 bytes.
 */
export function publicKeyFromSeed(seed: Uint8Array): Buffer {
  checkKeyBytes(seed, 'seed');
  return rawPublicKey(createPublicKey(privateKeyFromSeed(seed)));
}

/**
 * A note signer for an Ed25519 private seed.
 *
 * @throws ValidationError `VALIDATION_FAILED` for an invalid key name or a seed that is not 32 bytes.
 */
export function createEd25519Signer(name: string, privateKeySeed: Uint8Array): NoteSigner {
  checkName(name);
  checkKeyBytes(privateKeySeed, 'seed');
  const privateKey = privateKeyFromSeed(privateKeySeed);
  const keyId = ed25519KeyId(name, rawPublicKey(createPublicKey(privateKey)));
  return Object.freeze({
    name,
    keyId,
    sign: (msg: Uint8Array): Buffer => cryptoSign(null, msg, privateKey),
  });
}

/**
 * A note verifier for an Ed25519 public key.
 *
 * @throws ValidationError `VALIDATION_FAILED` for an invalid key name or public key.
 */
export function createEd25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  checkName(name);
  checkKeyBytes(publicKey, 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new ValidationError(
      'VALIDATION_FAILED',
      'Not a valid Ed25519 public key',
      { field: 'key' },
      { cause },
    );
  }
  const keyId = ed25519KeyId(name, publicKey);
  return Object.freeze({
    name,
    keyId,
    verify: (msg: Uint8Array, sig: Uint8Array): boolean => {
      if (!(sig instanceof Uint8Array) || sig.length !== ED25519_SIG_SIZE) return false;
      try {
        return cryptoVerify(null, msg, key, sig);
      } catch {
        return false;
      }
    },
  });
}

/** Verifier key text `name+hexkeyid+base64(0x01 ‖ publicKey)`, as golang.org/x/mod/sumdb/note. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  checkName(name);
  const keyId = ed25519KeyId(name, publicKey);
  return `${name}+${keyIdHex(keyId)}+${Buffer.concat([Buffer.from([ALG_ED25519]), publicKey]).toString('base64')}`;
}

/** Splits `name+hexkeyid+base64` and checks the algorithm byte, length and key ID. */
function parseKeyText(text: string): { name: string; key: Buffer; keyId: number } {
  // The base64 part may itself contain '+': split at the first two only.
  const i = text.indexOf('+');
  const j = i < 0 ? -1 : text.indexOf('+', i + 1);
  if (j < 0) throw invalidKey('Key must read name+keyid+key', 'bad-format');
  const name = text.slice(0, i);
  const idHex = text.slice(i + 1, j);
  checkName(name);
  if (!KEY_ID_HEX.test(idHex)) throw invalidKey('Key ID must be 8 hex digits', 'bad-key-id');
  const raw = decodeBase64(text.slice(j + 1));
  if (raw === undefined || raw.length !== 1 + ED25519_KEY_SIZE || raw[0] !== ALG_ED25519) {
    throw invalidKey('Key must be base64 of 0x01 and 32 bytes (Ed25519)', 'bad-key');
  }
  return { name, key: raw.subarray(1), keyId: Number.parseInt(idHex, 16) };
}

/**
 * Parses a verifier key `name+hexkeyid+base64(0x01 ‖ publicKey)`.
 *
 * @example
 * ```ts
 * parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
 * ```
 * @throws ValidationError `VALIDATION_FAILED` if it is malformed, not Ed25519, or its key ID does not
 *   match the name and key.
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  if (typeof vkey !== 'string') throw invalidKey('Verifier key must be a string', 'bad-format');
  const { name, key, keyId } = parseKeyText(vkey);
  const verifier = createEd25519Verifier(name, key);
  if (verifier.keyId !== keyId) throw invalidKey('Key ID does not match the key', 'key-id-mismatch');
  return verifier;
}

/** Signer key text `PRIVATE+KEY+name+hexkeyid+base64(0x01 ‖ seed)`, as golang.org/x/mod/sumdb/note. */
export function formatSignerKey(name: string, privateKeySeed: Uint8Array): string {
  const signer = createEd25519Signer(name, privateKeySeed);
  const raw = Buffer.concat([Buffer.from([ALG_ED25519]), privateKeySeed]).toString('base64');
  return `${SIGNER_KEY_PREFIX}${name}+${keyIdHex(signer.keyId)}+${raw}`;
}

/**
 * Parses a signer key `PRIVATE+KEY+name+hexkeyid+base64(0x01 ‖ seed)`.
 *
 * @throws ValidationError `VALIDATION_FAILED` if it is malformed, not Ed25519, or its key ID does not
 *   match the name and the key derived from the seed.
 */
export function parseSignerKey(skey: string): NoteSigner {
  if (typeof skey !== 'string' || !skey.startsWith(SIGNER_KEY_PREFIX)) {
    throw invalidKey('Signer key must start with PRIVATE+KEY+', 'bad-format');
  }
  const { name, key, keyId } = parseKeyText(skey.slice(SIGNER_KEY_PREFIX.length));
  const signer = createEd25519Signer(name, key);
  if (signer.keyId !== keyId) throw invalidKey('Key ID does not match the key', 'key-id-mismatch');
  return signer;
}

function isValidNoteText(text: unknown): text is string {
  return (
    typeof text === 'string' &&
    text.length > 0 &&
    text.endsWith('\n') &&
    !CONTROL.test(text) &&
    !LONE_SURROGATE.test(text)
  );
}

/**
 * Signs `text` with each signer and returns the note: text, blank line, one signature line per signer
 * (c2sp.org/signed-note, "Format").
 *
 * @param text - must end with a newline and contain no control characters other than newline; it may
 *   contain empty lines (the last blank line of a note separates text from signatures).
 * @throws ValidationError `NOTE_MALFORMED` for bad text, no signers, or a signer with an invalid name or
 *   key ID.
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!isValidNoteText(text)) {
    throw new ValidationError(
      'NOTE_MALFORMED',
      'Note text must be non-empty, end with a newline, no controls',
      {
        field: 'text',
      },
    );
  }
  if (!Array.isArray(signers) || signers.length === 0) {
    throw new ValidationError('NOTE_MALFORMED', 'A note needs at least one signature', { field: 'signers' });
  }
  const msg = Buffer.from(text, 'utf8');
  let out = text + '\n';
  for (const signer of signers) {
    if (!isValidKeyName(signer.name) || !isKeyId(signer.keyId)) {
      throw new ValidationError('NOTE_MALFORMED', 'Signer has an invalid name or key ID', {
        field: 'signers',
      });
    }
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(signer.keyId, 0);
    const sig = Buffer.concat([prefix, signer.sign(msg)]);
    out += `${SIG_LINE_PREFIX}${signer.name} ${sig.toString('base64')}\n`;
  }
  return out;
}

function malformed(message: string, reason: string): VerificationError {
  return new VerificationError('NOTE_MALFORMED', message, { reason });
}

/**
 * Parses a signed note and verifies its signatures by known keys (c2sp.org/signed-note, "Signatures").
 *
 * Signatures by unknown keys (no verifier with the same name *and* key ID) are ignored and listed in
 * `unverified`. Every signature by a known key is verified.
 *
 * @throws VerificationError `NOTE_MALFORMED` if the note is not a well-formed signed note;
 *   `SIGNATURE_INVALID` if a signature by a known key does not verify; `KEY_UNKNOWN` if no signature
 *   is by a known key. ValidationError `VALIDATION_FAILED` if two verifiers share a name and key ID
 *   and one of them is needed (ambiguous configuration).
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  if (typeof note !== 'string') throw malformed('Note must be a string', 'not-a-string');
  if (note.length > MAX_NOTE_LENGTH) throw malformed('Note is too large', 'too-large');
  if (CONTROL.test(note)) throw malformed('Note contains control characters', 'control-character');
  if (LONE_SURROGATE.test(note)) throw malformed('Note is not valid Unicode', 'invalid-unicode');
  if (!note.endsWith('\n')) throw malformed('Note must end with a newline', 'no-final-newline');
  // The text is separated from the signatures by the last empty line.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed('Note has no signature block', 'no-signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2, -1);
  if (block.length === 0) throw malformed('Note has no signature block', 'no-signatures');
  const lines = block.split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES)
    throw malformed('Note has too many signatures', 'too-many-signatures');

  const msg = Buffer.from(text, 'utf8');
  const verified: { name: string; keyId: number }[] = [];
  const unverified: { name: string; keyId: number }[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith(SIG_LINE_PREFIX)) throw malformed('Bad signature line', 'bad-signature-line');
    const rest = line.slice(SIG_LINE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = rest.slice(0, space);
    if (space < 0 || !isValidKeyName(name)) throw malformed('Bad key name in signature line', 'bad-key-name');
    const sig = decodeBase64(rest.slice(space + 1));
    // 4-byte key ID plus at least one byte of signature.
    if (sig === undefined || sig.length < 5)
      throw malformed('Bad signature encoding', 'bad-signature-encoding');
    const keyId = sig.readUInt32BE(0);
    const matches = verifiers.filter((v) => v.name === name && v.keyId === keyId);
    const id = `${keyIdHex(keyId)}+${name}`;
    if (matches.length === 0) {
      if (!seen.has(id)) unverified.push({ name, keyId });
      seen.add(id);
      continue;
    }
    if (matches.length > 1) {
      throw new ValidationError('VALIDATION_FAILED', `Ambiguous key ${name}+${keyIdHex(keyId)}`, {
        field: 'verifiers',
        reason: 'ambiguous-key',
      });
    }
    // If the key name and ID match a known key, verifiers MUST verify the signature (spec).
    if (!(matches[0] as NoteVerifier).verify(msg, sig.subarray(4))) {
      throw new VerificationError(
        'SIGNATURE_INVALID',
        `Invalid signature for key ${name}+${keyIdHex(keyId)}`,
        {
          name,
          keyId,
        },
      );
    }
    if (!seen.has(id)) verified.push({ name, keyId });
    seen.add(id);
  }
  if (verified.length === 0) {
    throw new VerificationError('KEY_UNKNOWN', 'Note has no signature by a known key', { unverified });
  }
  return { text, verified, unverified };
}
