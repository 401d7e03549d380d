/**
 * Verification of RFC 9162 Merkle inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs.
 *
 * Proofs come from untrusted parties: every size, index and hash length is checked before use, and
 * every failure throws a `VerificationError` with code `PROOF_INVALID` and a machine-readable
 * `details.reason`:
 * `bad-size` (not a safe non-negative integer), `index-out-of-range`, `size-order` (size1 > size2),
 * `hash-length` (a hash is not 32 bytes), `proof-too-long`, `proof-too-short`, `proof-not-empty`,
 * `root-mismatch`, `root1-mismatch`, `root2-mismatch`.
 *
 * Index arithmetic uses division and remainder on JS numbers (exact up to 2^53), never 32-bit bitwise
 * operators.
 */
import { Buffer } from 'node:buffer';
import { VerificationError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hasher.js';

function fail(reason: string, message: string, extra: Record<string, unknown> = {}): never {
  throw new VerificationError('PROOF_INVALID', message, { reason, ...extra });
}

function checkSize(name: string, n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    fail('bad-size', `${name} must be a non-negative safe integer`, { field: name });
  }
}

function checkHash(name: string, hash: unknown): asserts hash is Uint8Array {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    fail('hash-length', `${name} must be a ${HASH_SIZE}-byte hash`, { field: name });
  }
}

function checkProof(proof: unknown): asserts proof is readonly Uint8Array[] {
  if (!Array.isArray(proof)) fail('hash-length', 'proof must be an array of hashes', { field: 'proof' });
  for (let i = 0; i < proof.length; i++) checkHash(`proof[${i}]`, proof[i]);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const half = (n: number): number => Math.floor(n / 2);

/**
 * Root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1–5, without the final comparison).
 *
 * @param leafHash - 32-byte hash of the leaf (`hashLeaf(L)`).
 * @param index - 0-based leaf index.
 * @param size - tree size the proof is for.
 * @param proof - the audit path, bottom-up.
 * @throws VerificationError `PROOF_INVALID` if the inputs are malformed or the proof has the wrong
 *   length for (index, size).
 */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Buffer {
  checkSize('index', index);
  checkSize('size', size);
  checkHash('leafHash', leafHash);
  checkProof(proof);
  // RFC 9162 §2.1.3.2 step 1
  if (index >= size) fail('index-out-of-range', 'Leaf index is not below the tree size', { index, size });
  // step 2: fn = leaf_index, sn = tree_size - 1; step 3: r = hash
  let fn = index;
  let sn = size - 1;
  let r: Buffer | Uint8Array = leafHash;
  for (const p of proof) {
    // step 4a: a path element above the root
    if (sn === 0)
      fail('proof-too-long', 'Inclusion proof has more hashes than the tree height', { index, size });
    // step 4b
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        // Skip levels where this node has no right sibling (it is promoted, RFC 9162 §2.1.1).
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    // step 4c
    fn = half(fn);
    sn = half(sn);
  }
  // step 5: sn must be 0 (no hash missing)
  if (sn !== 0)
    fail('proof-too-short', 'Inclusion proof has fewer hashes than the tree height', { index, size });
  // A one-leaf tree's root is the leaf hash itself: return a copy so callers never alias their input.
  return r === leafHash ? Buffer.from(r) : (r as Buffer);
}

/**
 * Verifies that `leafHash` is the leaf at `index` of the tree of `size` leaves whose root is `root`
 * (RFC 9162 §2.1.3.2).
 *
 * @throws VerificationError `PROOF_INVALID` with `details.reason` saying why (wrong index or size,
 *   truncated or extended proof, hash of the wrong length, root mismatch).
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash('root', root);
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  // step 5: compare r to root_hash
  if (!equalBytes(computed, root)) {
    fail('root-mismatch', 'Inclusion proof does not lead to the expected root', { index, size });
  }
}

/**
 * Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves with root
 * `root1` (RFC 9162 §2.1.4.2).
 *
 * Edge cases (RFC 9162 covers 0 < size1 < size2): when `size1 === size2` the proof must be empty and the
 * roots equal; when `size1 === 0` the proof must be empty and `root1` must be the empty-tree root.
 *
 * @throws VerificationError `PROOF_INVALID` with `details.reason`.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkSize('size1', size1);
  checkSize('size2', size2);
  checkHash('root1', root1);
  checkHash('root2', root2);
  checkProof(proof);
  if (size1 > size2) fail('size-order', 'size1 must not exceed size2', { size1, size2 });
  if (size1 === size2) {
    if (proof.length !== 0)
      fail('proof-not-empty', 'Proof between equal sizes must be empty', { size1, size2 });
    if (!equalBytes(root1, root2))
      fail('root-mismatch', 'Roots of equal-size trees differ', { size1, size2 });
    return;
  }
  if (size1 === 0) {
    // Every tree extends the empty tree.
    if (proof.length !== 0)
      fail('proof-not-empty', 'Proof from the empty tree must be empty', { size1, size2 });
    if (!equalBytes(root1, EMPTY_ROOT)) fail('root1-mismatch', 'root1 is not the empty-tree root', { size1 });
    return;
  }
  // RFC 9162 §2.1.4.2 step 1
  if (proof.length === 0) fail('proof-too-short', 'Consistency proof is empty', { size1, size2 });
  // step 2: if size1 is an exact power of 2, prepend first_hash
  let path = proof;
  if (isPowerOfTwo(size1)) path = [root1, ...proof];
  // step 3
  let fn = size1 - 1;
  let sn = size2 - 1;
  // step 4: right-shift both while LSB(fn) is set
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  // step 5
  const first = path[0] as Uint8Array;
  let fr: Buffer | Uint8Array = first;
  let sr: Buffer | Uint8Array = first;
  // step 6
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    // step 6a
    if (sn === 0) fail('proof-too-long', 'Consistency proof has too many hashes', { size1, size2 });
    // step 6b
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    // step 6c
    fn = half(fn);
    sn = half(sn);
  }
  // step 7
  if (sn !== 0) fail('proof-too-short', 'Consistency proof has too few hashes', { size1, size2 });
  if (!equalBytes(fr, root1))
    fail('root1-mismatch', 'Consistency proof does not lead to root1', { size1, size2 });
  if (!equalBytes(sr, root2))
    fail('root2-mismatch', 'Consistency proof does not lead to root2', { size1, size2 });
}

function isPowerOfTwo(n: number): boolean {
  let v = n;
  while (v > 1 && v % 2 === 0) v /= 2;
  return v === 1;
}
