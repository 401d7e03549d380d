/**
 * Compact range: the right frontier of an append-only RFC 9162 Merkle tree.
 *
 * A tree of `size` leaves is covered, left to right, by one perfect subtree per set bit of `size`
 * (largest first). Their root hashes are enough to append leaves and to compute the tree head, so the
 * log keeps only these (at most 53) hashes in memory. See transparency-dev/merkle `docs/compact_ranges.md`.
 *
 * Sizes and indexes are JS numbers up to 2^53 − 1; arithmetic uses division and remainder, never
 * 32-bit bitwise operators, so trees beyond 2^32 leaves work.
 */
import { Buffer } from 'node:buffer';
import { ValidationError, VerificationError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hasher.js';

/** Called for every perfect subtree node completed by an append: its height, position and hash. */
export type OnNode = (level: number, index: number, hash: Buffer) => void;

/** Number of set bits of a non-negative safe integer, without 32-bit operators. */
function popcount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v = Math.floor(v / 2)) count += v % 2;
  return count;
}

/** Whether `n` is a valid tree size or index: a non-negative safe integer. */
function isTreeSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/**
 * The right frontier of a Merkle tree: hashes of the perfect subtrees covering leaves `[0, size)`.
 *
 * @example
 * ```ts
 * const range = CompactRange.empty();
 * range.append(hashLeaf(bytes), (level, index, hash) => store.put(level, index, hash));
 * const root = range.root();
 * ```
 */
export class CompactRange {
  #size: number;
  // Largest subtree first; hashes[i] covers the i-th set bit of size counted from the most significant.
  readonly #hashes: Buffer[];

  private constructor(size: number, hashes: Buffer[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  /** A compact range for the empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /**
   * Rebuilds a compact range from its serialized form (see {@link CompactRange.toBytes}).
   *
   * @param size - number of leaves covered.
   * @param bytes - the concatenated 32-byte frontier hashes, largest subtree first.
   * @throws VerificationError `PROOF_INVALID` if `size` is not a safe non-negative integer or the byte
   *   length is not `32 × popcount(size)`.
   */
  static fromBytes(size: number, bytes: Uint8Array): CompactRange {
    if (!isTreeSize(size)) {
      throw new VerificationError('PROOF_INVALID', 'Compact range size must be a non-negative safe integer', {
        reason: 'bad-size',
        size,
      });
    }
    const count = popcount(size);
    if (!(bytes instanceof Uint8Array) || bytes.length !== count * HASH_SIZE) {
      throw new VerificationError('PROOF_INVALID', 'Compact range length does not match its size', {
        reason: 'bad-length',
        size,
        expected: count * HASH_SIZE,
        actual: bytes instanceof Uint8Array ? bytes.length : null,
      });
    }
    const hashes: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      hashes.push(Buffer.from(bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)));
    }
    return new CompactRange(size, hashes);
  }

  /** Serialized form: the frontier hashes concatenated, largest subtree first (`32 × popcount(size)` bytes). */
  toBytes(): Buffer {
    return Buffer.concat(this.#hashes);
  }

  /** Number of leaves covered. */
  get size(): number {
    return this.#size;
  }

  /** The frontier hashes, largest subtree first. A copy: mutating it does not change the range. */
  hashes(): readonly Buffer[] {
    return this.#hashes.slice();
  }

  /** An independent copy of this range. */
  clone(): CompactRange {
    return new CompactRange(this.#size, this.#hashes.slice());
  }

  /**
   * Appends one leaf hash.
   *
   * `onNode` is called for every perfect subtree node this append completes, bottom-up: first the leaf
   * itself at level 0 with index = its leaf index, then each parent formed by merging with the
   * frontier (level = height, index = position within that level).
   *
   * @param leafHash - the 32-byte leaf hash (see `hashLeaf`).
   * @throws ValidationError `VALIDATION_FAILED` if the hash is not 32 bytes,
   *   `TREE_SIZE_OUT_OF_RANGE` if the tree already holds 2^53 − 1 leaves.
   */
  append(leafHash: Uint8Array, onNode?: OnNode): void {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
      throw new ValidationError('VALIDATION_FAILED', 'Leaf hash must be 32 bytes', { field: 'leafHash' });
    }
    if (this.#size >= Number.MAX_SAFE_INTEGER) {
      throw new ValidationError('TREE_SIZE_OUT_OF_RANGE', 'The tree cannot grow beyond 2^53 - 1 leaves', {
        size: this.#size,
      });
    }
    let hash: Buffer = Buffer.from(leafHash);
    let index = this.#size;
    let level = 0;
    onNode?.(level, index, hash);
    // An odd index is a right child: merge with its left sibling, the smallest frontier subtree.
    while (index % 2 === 1) {
      const left = this.#hashes.pop();
      /* c8 ignore next 3 -- the frontier holds one hash per set bit, so a left sibling always exists */
      if (left === undefined) {
        throw new VerificationError('PROOF_INVALID', 'Compact range is inconsistent', { reason: 'frontier' });
      }
      hash = hashChildren(left, hash);
      index = (index - 1) / 2;
      level++;
      onNode?.(level, index, hash);
    }
    this.#hashes.push(hash);
    this.#size++;
  }

  /**
   * The tree head: RFC 9162 §2.1.1 `MTH(D[0:size])`, or {@link EMPTY_ROOT} for the empty tree.
   *
   * Folds the frontier right to left, which equals the RFC's split at the largest power of two.
   */
  root(): Buffer {
    const n = this.#hashes.length;
    const last = this.#hashes[n - 1];
    if (last === undefined) return Buffer.from(EMPTY_ROOT);
    let hash = last;
    for (let i = n - 2; i >= 0; i--) hash = hashChildren(this.#hashes[i] as Buffer, hash);
    return n === 1 ? Buffer.from(hash) : hash;
  }
}
