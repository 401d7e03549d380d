import { parseBundleKeys, parseReceipt, verifiersFromKeys, verifyReceipt as verifyReceiptContent } from '@tamga/core';
import type { Receipt, ReceiptVerification } from '@tamga/core';

/** Options of {@link verifyReceipt}. */
export interface VerifyReceiptOptions {
  /**
   * Checkpoint keys to trust: a `/.well-known/tamga-keys` document or a bundle's `keys.json` (`{ checkpointKeys: […] }`),
   * saved earlier or obtained out of band. Default: the keys the receipt carries, which proves the receipt is
   * consistent but not who signed it; pin keys where that matters.
   */
  readonly keys?: unknown;
  /** HMAC keys by `sigKid`, to check the record's signature too (only the server and its operators hold them). */
  readonly hmacKeys?: ReadonlyMap<string, Uint8Array>;
}

/** A receipt that verified: what it proves, and the parsed receipt. */
export interface ReceiptCheck extends ReceiptVerification {
  /** The event's id. */
  readonly id: string | null;
  readonly receipt: Receipt;
}

/**
 * Checks a receipt (`GET /api/v1/events/{id}/receipt`) locally with `@tamga/core`, with no server: the record's
 * canonical bytes and leaf hash, the checkpoint's Ed25519 signature by a trusted key, and the RFC 9162 inclusion proof
 * of the record up to the checkpoint's root. The same checks as `tamga verify-receipt`.
 *
 * @throws VerificationError `RECORD_TAMPERED`, `PROOF_INVALID`, `SIGNATURE_INVALID`, `KEY_UNKNOWN`, `CHECKPOINT_INVALID`
 *   or `BUNDLE_INVALID` from the first check that fails; it never returns a failed result.
 */
export function verifyReceipt(raw: unknown, options: VerifyReceiptOptions = {}): ReceiptCheck {
  const receipt = parseReceipt(raw);
  const trusted = options.keys === undefined ? receipt.keys : parseBundleKeys(options.keys);
  const result = verifyReceiptContent(receipt, verifiersFromKeys(trusted), options.hmacKeys);
  return { ...result, id: receipt.id, receipt };
}
