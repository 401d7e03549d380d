/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature): timestamped Ed25519 cosignatures of a checkpoint by
 * a witness, carried as extra signature lines of the checkpoint's signed note.
 *
 * - The key ID is the first 4 bytes of `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)`; verifier keys read
 *   `name+hexkeyid+base64(0x04 ‖ public key)`.
 * - The signed message is `cosignature/v1\ntime <t>\n` followed by the checkpoint note text, `<t>` the POSIX time
 *   in seconds.
 * - A signature line is `— <name> base64(key ID ‖ 8-byte big-endian t ‖ 64-byte Ed25519 signature)`.
 */
import { createHash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { ValidationError, VerificationError } from '../errors.js';
import { createEd25519Signer, createEd25519Verifier, publicKeyFromSeed } from './signed-note.js';

/** Signature type of timestamped Ed25519 cosignatures (c2sp.org/signed-note, "Signature types"). */
const ALG_COSIGNATURE_V1 = 0x04;
const SIG_LINE_PREFIX = '\u2014 ';
const COSIGNATURE_SIZE = 4 + 8 + 64;

/** A witness's public key, as a log or a verifier holds it. */
export interface WitnessKey {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Buffer;
  /** The verifier key text `name+hexkeyid+base64(0x04 ‖ public key)`. */
  readonly text: string;
}

/** A checked cosignature of a checkpoint. */
export interface Cosignature {
  readonly name: string;
  readonly keyId: number;
  /** POSIX seconds the witness put in the cosignature. */
  readonly time: number;
  /** The whole signature line, without its final newline. */
  readonly line: string;
}

function invalidKey(message: string): ValidationError {
  return new ValidationError('VALIDATION_FAILED', message, { field: 'key' });
}

/** Key ID of a witness key: first 4 bytes, big-endian, of `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)`. */
export function cosignatureKeyId(name: string, publicKey: Uint8Array): number {
  return createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, ALG_COSIGNATURE_V1])).update(publicKey).digest().readUInt32BE(0);
}

/** The witness key of a 32-byte Ed25519 seed. */
export function witnessKeyFromSeed(name: string, seed: Uint8Array): WitnessKey {
  createEd25519Signer(name, seed); // checks the name and the seed
  const publicKey = publicKeyFromSeed(seed);
  const keyId = cosignatureKeyId(name, publicKey);
  const text = `${name}+${keyId.toString(16).padStart(8, '0')}+${Buffer.concat([Buffer.from([ALG_COSIGNATURE_V1]), publicKey]).toString('base64')}`;
  return Object.freeze({ name, keyId, publicKey, text });
}

/**
 * Parses a witness verifier key `name+hexkeyid+base64(0x04 ‖ public key)`.
 *
 * @throws ValidationError `VALIDATION_FAILED` if it is malformed, not a cosignature/v1 key, or its key ID does not
 *   match the name and key.
 */
export function parseWitnessKey(text: string): WitnessKey {
  if (typeof text !== 'string') throw invalidKey('A witness key must be a string');
  const match = /^([^+\s]+)\+([0-9a-fA-F]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(text);
  if (match === null) throw invalidKey('A witness key reads name+keyid+base64(0x04 ‖ Ed25519 public key)');
  const [, name, idHex, b64] = match as unknown as [string, string, string, string];
  const raw = Buffer.from(b64, 'base64');
  if (raw.toString('base64') !== b64 || raw.length !== 33 || raw[0] !== ALG_COSIGNATURE_V1) {
    throw invalidKey('A witness key must be base64 of 0x04 and a 32-byte Ed25519 public key');
  }
  const publicKey = raw.subarray(1);
  createEd25519Verifier(name, publicKey); // checks the name and that the key is a valid point
  const keyId = cosignatureKeyId(name, publicKey);
  if (keyId !== Number.parseInt(idHex, 16)) throw invalidKey('The witness key ID does not match the key');
  return Object.freeze({ name, keyId, publicKey, text });
}

/** The message a witness signs: `cosignature/v1\ntime <t>\n` ‖ the checkpoint note text. */
function cosignedMessage(checkpointText: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${checkpointText}`, 'utf8');
}

/**
 * Cosigns a checkpoint note text (with its final newline) at `time` (POSIX seconds): returns the signature line
 * without its final newline.
 */
export function cosignCheckpoint(name: string, seed: Uint8Array, checkpointText: string, time: number): string {
  if (!Number.isSafeInteger(time) || time < 0) throw new ValidationError('VALIDATION_FAILED', 'time must be POSIX seconds', { field: 'time' });
  const signer = createEd25519Signer(name, seed);
  const key = witnessKeyFromSeed(name, seed);
  const sig = Buffer.alloc(COSIGNATURE_SIZE);
  sig.writeUInt32BE(key.keyId, 0);
  sig.writeBigUInt64BE(BigInt(time), 4);
  signer.sign(cosignedMessage(checkpointText, time)).copy(sig, 12);
  return `${SIG_LINE_PREFIX}${name} ${sig.toString('base64')}`;
}

/**
 * The signature lines of a signed note (each without its newline) and its text. Does not verify anything.
 *
 * @throws VerificationError `NOTE_MALFORMED` when the note has no signature block.
 */
export function splitNote(note: string): { text: string; lines: string[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new VerificationError('NOTE_MALFORMED', 'Note has no signature block', { reason: 'no-signatures' });
  return { text: note.slice(0, split + 1), lines: note.slice(split + 2, -1).split('\n') };
}

/**
 * The valid cosignatures of a checkpoint note by the given witnesses, one per witness (the first valid line).
 * Lines by other keys are ignored; a line by a known witness key whose signature does not verify is ignored too
 * (a cosignature only ever adds trust, c2sp.org/tlog-cosignature).
 */
export function verifyCosignatures(note: string, witnesses: readonly WitnessKey[]): Cosignature[] {
  const { text, lines } = splitNote(note);
  const found = new Map<string, Cosignature>();
  for (const line of lines) {
    if (!line.startsWith(SIG_LINE_PREFIX)) continue;
    const rest = line.slice(SIG_LINE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) continue;
    const name = rest.slice(0, space);
    const sig = Buffer.from(rest.slice(space + 1), 'base64');
    if (sig.length !== COSIGNATURE_SIZE) continue;
    const keyId = sig.readUInt32BE(0);
    const witness = witnesses.find((w) => w.name === name && w.keyId === keyId);
    if (witness === undefined || found.has(witness.text)) continue;
    const time = Number(sig.readBigUInt64BE(4));
    if (!Number.isSafeInteger(time)) continue;
    const verifier = createEd25519Verifier(name, witness.publicKey);
    if (verifier.verify(cosignedMessage(text, time), sig.subarray(12))) found.set(witness.text, { name, keyId, time, line });
  }
  return [...found.values()];
}

/** A note with `lines` (cosignature lines, without newlines) added to its signatures, skipping lines it has. */
export function addSignatureLines(note: string, lines: readonly string[]): string {
  const existing = new Set(splitNote(note).lines);
  let out = note;
  for (const line of lines) {
    if (existing.has(line)) continue;
    existing.add(line);
    out += `${line}\n`;
  }
  return out;
}

/** What {@link checkWitnessQuorum} found. */
export interface WitnessQuorum {
  /** Whether a checkpoint of size ≥ `coverSize` carries at least `min` valid cosignatures by distinct witnesses. */
  readonly satisfied: boolean;
  readonly required: number;
  /** The smallest such checkpoint's size when satisfied; else the best one (most cosignatures, then largest size), or null. */
  readonly checkpointSize: number | null;
  /** The witnesses (key names) whose valid cosignatures that checkpoint carries. */
  readonly cosignedBy: readonly string[];
  /** One line saying what was found, for people. */
  readonly message: string;
}

/**
 * Checks that a set of checkpoint notes (a bundle's, already verified with the log's key) holds a checkpoint that
 * covers `coverSize` leaves (the bundle's records end there) and is cosigned by at least `min` of `witnesses`
 * (distinct keys, valid timestamped cosignatures). A note without a parseable signature block counts as uncosigned.
 */
export function checkWitnessQuorum(
  checkpoints: readonly { readonly size: number; readonly note: string }[],
  witnesses: readonly WitnessKey[],
  min: number,
  coverSize: number,
): WitnessQuorum {
  let best: { size: number; names: string[] } | undefined;
  let chosen: { size: number; names: string[] } | undefined;
  for (const c of [...checkpoints].sort((a, b) => a.size - b.size)) {
    let names: string[];
    try {
      names = verifyCosignatures(c.note, witnesses).map((x) => x.name);
    } catch {
      names = [];
    }
    if (c.size >= coverSize && names.length >= min && chosen === undefined) chosen = { size: c.size, names };
    if (best === undefined || names.length > best.names.length || (names.length === best.names.length && c.size > best.size)) best = { size: c.size, names };
  }
  if (chosen !== undefined) {
    return {
      satisfied: true,
      required: min,
      checkpointSize: chosen.size,
      cosignedBy: chosen.names,
      message: `checkpoint ${chosen.size} is cosigned by ${chosen.names.length} of the ${witnesses.length} given witnesses (${chosen.names.join(', ')}); ${min} required`,
    };
  }
  const found =
    best === undefined || best.names.length === 0
      ? 'no checkpoint in the bundle carries a valid cosignature by the given witnesses'
      : `the best is checkpoint ${best.size} with ${best.names.length} (${best.names.join(', ')})`;
  return {
    satisfied: false,
    required: min,
    checkpointSize: best?.size ?? null,
    cosignedBy: best?.names ?? [],
    message: `no checkpoint covering the bundle's records (size ≥ ${coverSize}) is cosigned by ${min} of the given witnesses: ${found}`,
  };
}
