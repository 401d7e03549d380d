/**
 * C2SP tlog-checkpoint note text (https://c2sp.org/tlog-checkpoint): the body of a signed note that
 * commits to a log's origin, tree size and RFC 6962 / RFC 9162 root hash.
 *
 * ```
 * example.com/behind-the-sofa
 * 20852163
 * CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
 * ```
 *
 * Signing and verifying the note is `signed-note.ts`'s job: sign `formatCheckpoint(cp)` with
 * `signNote`, and pass `openNote(...).text` to `parseCheckpoint`.
 */
import { Buffer } from 'node:buffer';
import { ValidationError, VerificationError } from '../errors.js';
import { HASH_SIZE } from '../merkle/hasher.js';

/** A log's signed tree head, as carried in a checkpoint note. */
export interface Checkpoint {
  /** Unique identifier of the log, e.g. `tamga.example.com/tenant-42`. */
  readonly origin: string;
  /** Number of leaves in the tree. */
  readonly size: number;
  /** RFC 9162 root hash of the tree at `size` (32 bytes). */
  readonly rootHash: Buffer;
  /** Opaque, non-empty extension lines (NOT RECOMMENDED by the spec; usually empty). */
  readonly extensions: readonly string[];
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// tlog-checkpoint "Note text" 2: ASCII decimal, no leading zeroes (unless the tree is empty).
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Largest checkpoint text accepted by {@link parseCheckpoint}, in UTF-16 code units. */
const MAX_CHECKPOINT_LENGTH = 64 * 1024;

/** Whether `line` can be one line of a checkpoint: non-empty, no control characters, valid Unicode. */
function isValidLine(line: unknown): line is string {
  return typeof line === 'string' && line.length > 0 && !CONTROL.test(line) && !LONE_SURROGATE.test(line);
}

/**
 * Note text of a checkpoint: origin, size, base64 root hash and any extension lines, each ending in
 * a newline (c2sp.org/tlog-checkpoint, "Note text").
 *
 * @throws ValidationError `CHECKPOINT_INVALID` if the origin or an extension line is empty or has
 *   control characters, the size is not a safe non-negative integer, or the root hash is not 32 bytes.
 */
export function formatCheckpoint(cp: Checkpoint): string {
  const invalid = (field: string, message: string): ValidationError =>
    new ValidationError('CHECKPOINT_INVALID', message, { field });
  if (!isValidLine(cp.origin)) throw invalid('origin', 'Origin must be a non-empty line');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0)
    throw invalid('size', 'Size must be a non-negative integer');
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== HASH_SIZE) {
    throw invalid('rootHash', 'Root hash must be 32 bytes');
  }
  let text = `${cp.origin}\n${cp.size}\n${Buffer.from(cp.rootHash).toString('base64')}\n`;
  for (const ext of cp.extensions) {
    if (!isValidLine(ext)) throw invalid('extensions', 'Extension lines must be non-empty lines');
    text += ext + '\n';
  }
  return text;
}

/**
 * Parses checkpoint note text (the `text` of an opened signed note) defensively.
 *
 * @param text - origin, size and root hash lines, optional extension lines, each ending in a newline.
 * @throws VerificationError `CHECKPOINT_INVALID` (with `details.reason`) for anything else: fewer than
 *   three lines, missing final newline, empty lines, control characters, a size with leading zeroes or
 *   above 2^53 − 1, or a root hash that is not the canonical base64 of 32 bytes.
 */
export function parseCheckpoint(text: string): Checkpoint {
  const invalid = (reason: string, message: string): VerificationError =>
    new VerificationError('CHECKPOINT_INVALID', message, { reason });
  if (typeof text !== 'string') throw invalid('not-a-string', 'Checkpoint must be a string');
  if (text.length > MAX_CHECKPOINT_LENGTH) throw invalid('too-large', 'Checkpoint is too large');
  if (!text.endsWith('\n')) throw invalid('no-final-newline', 'Checkpoint must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw invalid('too-few-lines', 'Checkpoint needs origin, size and root hash lines');
  for (const line of lines) {
    if (!isValidLine(line)) throw invalid('bad-line', 'Checkpoint lines must be non-empty, without controls');
  }
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!DECIMAL.test(sizeText))
    throw invalid('bad-size', 'Tree size must be a decimal without leading zeroes');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw invalid('size-too-large', 'Tree size exceeds 2^53 - 1');
  if (!BASE64.test(rootText)) throw invalid('bad-root-hash', 'Root hash must be base64');
  const rootHash = Buffer.from(rootText, 'base64');
  if (rootHash.length !== HASH_SIZE || rootHash.toString('base64') !== rootText) {
    throw invalid('bad-root-hash', 'Root hash must be the base64 of 32 bytes');
  }
  return Object.freeze({ origin, size, rootHash, extensions: Object.freeze(extensions) });
}
