/**
 * Record signature (DESIGN §4, layer 1): `signature = hex(HMAC-SHA256(K[sigKid], L))` where `L` is the
 * record's canonical bytes (RFC 8785). HMAC-SHA256 per RFC 2104 / FIPS 198-1, as tested by RFC 4231.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Buffer } from 'node:buffer';

const SIGNATURE_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * HMAC-SHA256 of the canonical record bytes, as 64 lowercase hex characters.
 *
 * @param key - the HMAC secret `K[sigKid]` (any length; RFC 2104 hashes keys longer than 64 bytes).
 * @param canonical - the record's canonical bytes `L`.
 */
export function computeRecordSignature(key: Uint8Array, canonical: Uint8Array): string {
  return createHmac('sha256', key).update(canonical).digest('hex');
}

/**
 * Whether `signature` is the HMAC-SHA256 of `canonical` under `key`, compared in constant time.
 *
 * Returns a boolean (not a coded error) because it feeds the record's `validSignature` field. A
 * signature that is not exactly 64 hex characters is simply `false`; hex case is not significant
 * (records written by older producers may use upper case).
 */
export function hasValidRecordSignature(key: Uint8Array, canonical: Uint8Array, signature: string): boolean {
  return signatureMatches(createHmac('sha256', key).update(canonical).digest(), signature);
}

/**
 * Whether `signature` (64 hex characters, either case) spells the 32-byte HMAC `expected`, compared in constant time:
 * {@link hasValidRecordSignature} once the HMAC is computed, however it was.
 */
export function signatureMatches(expected: Uint8Array, signature: string): boolean {
  if (typeof signature !== 'string' || !SIGNATURE_HEX.test(signature)) return false;
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
