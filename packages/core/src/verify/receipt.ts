/**
 * Receipts: one record with its RFC 9162 inclusion proof and the signed checkpoint it is proved against,
 * verifiable alone (`tamga verify-receipt`). Format in docs/bundle-format.md ("Receipts").
 */
import type { Buffer } from 'node:buffer';
import { VerificationError } from '../errors.js';
import { parseCheckpoint } from '../checkpoint/checkpoint.js';
import { openNote } from '../checkpoint/signed-note.js';
import type { NoteVerifier } from '../checkpoint/signed-note.js';
import { hashLeaf, HASH_SIZE } from '../merkle/hasher.js';
import { verifyInclusion } from '../merkle/verify.js';
import type { IntegrityStatus } from '../record/record.js';
import { decodeStrictBase64, parseBundleKeys, toBundleRecord } from './bundle-format.js';
import type { BundleKeys, BundleRecord } from './bundle-format.js';
import { checkExportedRecord } from './record-steps.js';

/** Format identifier of receipts. */
export const RECEIPT_FORMAT = 'tamga-receipt/1';

/** A parsed receipt. */
export interface Receipt {
  readonly format: typeof RECEIPT_FORMAT;
  readonly origin: string;
  /** The event id (informational; the canonical bytes hold it). */
  readonly id: string | null;
  readonly record: BundleRecord;
  /** Size of the tree the proof is for: the checkpoint's size. */
  readonly treeSize: number;
  /** Audit path, bottom-up (RFC 9162 §2.1.3). */
  readonly proof: readonly Buffer[];
  /** The signed checkpoint note of size `treeSize`. */
  readonly checkpoint: string;
  /** Public checkpoint keys (as in a bundle's `keys.json`). */
  readonly keys: BundleKeys;
}

/** What a verified receipt says. */
export interface ReceiptVerification {
  /** `valid`, `redacted`, or `unknown-key` (HMAC keys given but not this record's). Tampering throws. */
  readonly status: IntegrityStatus;
  readonly origin: string;
  readonly seq: number;
  readonly treeSize: number;
  /** Names of the checkpoint keys whose signatures verified. */
  readonly signedBy: readonly string[];
  readonly hmacChecked: boolean;
}

function invalid(message: string, field: string): VerificationError {
  return new VerificationError('BUNDLE_INVALID', message, { field });
}

/**
 * Parses a receipt (already JSON-parsed) defensively.
 *
 * @throws VerificationError `BUNDLE_INVALID` for a malformed receipt; `RECORD_TAMPERED` for a malformed record.
 */
export function parseReceipt(raw: unknown): Receipt {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('A receipt must be a JSON object', 'receipt');
  const r = raw as Record<string, unknown>;
  if (r.format !== RECEIPT_FORMAT) throw invalid(`receipt.format must be "${RECEIPT_FORMAT}"`, 'format');
  if (typeof r.origin !== 'string' || r.origin === '') throw invalid('receipt.origin must be a string', 'origin');
  if (typeof r.treeSize !== 'number' || !Number.isSafeInteger(r.treeSize) || r.treeSize < 1) throw invalid('receipt.treeSize must be a positive integer', 'treeSize');
  if (typeof r.checkpoint !== 'string') throw invalid('receipt.checkpoint must be a signed note', 'checkpoint');
  if (!Array.isArray(r.proof)) throw invalid('receipt.proof must be an array of base64 hashes', 'proof');
  const proof = r.proof.map((h, i) => {
    const bytes = decodeStrictBase64(h);
    if (bytes === undefined || bytes.length !== HASH_SIZE) throw invalid(`receipt.proof[${i}] is not a base64 32-byte hash`, `proof[${i}]`);
    return bytes;
  });
  return {
    format: RECEIPT_FORMAT,
    origin: r.origin,
    id: typeof r.id === 'string' ? r.id : null,
    record: toBundleRecord(r.record, null),
    treeSize: r.treeSize,
    proof,
    checkpoint: r.checkpoint,
    keys: parseBundleKeys(r.keys ?? { checkpointKeys: [] }),
  };
}

/**
 * Verifies a receipt: the record's own steps (leaf, canonical header, payload, and HMAC when keys are given),
 * the checkpoint's signature by a trusted key and its origin and size, and the inclusion proof of the record's
 * leaf at its `seq` up to the checkpoint's root (RFC 9162 §2.1.3.2).
 *
 * @param verifiers - checkpoint keys to trust (pinned, or those the receipt carries).
 * @throws VerificationError `RECORD_TAMPERED`, `SIGNATURE_INVALID`, `KEY_UNKNOWN`, `NOTE_MALFORMED`,
 *   `CHECKPOINT_INVALID` or `PROOF_INVALID` from the first step that fails.
 */
export function verifyReceipt(
  receipt: Receipt,
  verifiers: readonly NoteVerifier[],
  hmacKeys?: ReadonlyMap<string, Uint8Array>,
): ReceiptVerification {
  const { record } = receipt;
  const leaf = hashLeaf(record.canonical);
  const status = checkExportedRecord(record, leaf, receipt.origin, hmacKeys && ((kid) => hmacKeys.get(kid)));
  const opened = openNote(receipt.checkpoint, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== receipt.origin) {
    throw new VerificationError('CHECKPOINT_INVALID', `The checkpoint is for log ${checkpoint.origin}, the record for ${receipt.origin}`, { reason: 'origin-mismatch' });
  }
  if (checkpoint.size !== receipt.treeSize) {
    throw new VerificationError('CHECKPOINT_INVALID', `The proof is for size ${receipt.treeSize}, the checkpoint has ${checkpoint.size}`, { reason: 'size-mismatch' });
  }
  verifyInclusion(leaf, record.seq, checkpoint.size, receipt.proof, checkpoint.rootHash);
  return {
    status,
    origin: receipt.origin,
    seq: record.seq,
    treeSize: checkpoint.size,
    signedBy: opened.verified.map((v) => v.name),
    hmacChecked: hmacKeys !== undefined,
  };
}
