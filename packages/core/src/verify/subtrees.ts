/**
 * Perfect subtrees of an RFC 9162 Merkle tree covering a leaf range, and the root of a tree given as a
 * left-to-right list of such subtrees. Lets a bundle carry `[to, treeSize)` as a few hashes (its "tail") so
 * the verifier rebuilds the root at `treeSize` without the leaves after `to`.
 */
import { Buffer } from 'node:buffer';
import { VerificationError } from '../errors.js';
import { EMPTY_ROOT, hashChildren } from '../merkle/hasher.js';
import type { CompactRange } from '../merkle/compact-range.js';
import type { NodeId } from '../merkle/proof.js';

/**
 * The perfect subtrees covering leaves `[from, to)`, left to right: from each position, the largest subtree
 * aligned on it that fits (transparency-dev/merkle compact ranges). `[0, n)` gives one per set bit of `n`.
 */
export function subtreesOf(from: number, to: number): NodeId[] {
  const ids: NodeId[] = [];
  let pos = from;
  while (pos < to) {
    let level = 0;
    while (pos % 2 ** (level + 1) === 0 && pos + 2 ** (level + 1) <= to) level++;
    ids.push({ level, index: pos / 2 ** level });
    pos += 2 ** level;
  }
  return ids;
}

/**
 * Root of the tree `[0, range.size + covered)` formed by `range` (a compact range of `[0, size)`) followed by
 * the perfect subtrees `tail` covering `[size, treeSize)` (see {@link subtreesOf}).
 *
 * @throws VerificationError `PROOF_INVALID` when `tail` does not have one hash per subtree of `[size, treeSize)`.
 */
export function rootWithTail(range: CompactRange, tail: readonly Uint8Array[], treeSize: number): Buffer {
  const ids = subtreesOf(range.size, treeSize);
  if (ids.length !== tail.length) {
    throw new VerificationError('PROOF_INVALID', 'The tail does not cover the tree', { reason: 'tail-length', expected: ids.length });
  }
  // The frontier's subtrees, largest first: one per set bit of size.
  const stack: { level: number; hash: Buffer }[] = [];
  const levels: number[] = [];
  for (let v = range.size, l = 0; v > 0; v = Math.floor(v / 2), l++) if (v % 2 === 1) levels.unshift(l);
  range.hashes().forEach((hash, i) => stack.push({ level: levels[i]!, hash }));
  ids.forEach((id, i) => {
    let node: { level: number; hash: Buffer } = { level: id.level, hash: Buffer.from(tail[i]!) };
    // Merge equal-height neighbours, as an append does (RFC 9162 §2.1.1: left ‖ right).
    while (stack.length > 0 && stack[stack.length - 1]!.level === node.level) {
      const left = stack.pop()!;
      node = { level: node.level + 1, hash: hashChildren(left.hash, node.hash) };
    }
    stack.push(node);
  });
  if (stack.length === 0) return Buffer.from(EMPTY_ROOT);
  let hash = stack[stack.length - 1]!.hash;
  for (let i = stack.length - 2; i >= 0; i--) hash = hashChildren(stack[i]!.hash, hash);
  return hash;
}
