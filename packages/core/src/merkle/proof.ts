/**
 * Merkle proof generation without owning storage (RFC 9162 §2.1.3.1 and §2.1.4.1).
 *
 * A proof is described first as a list of node ids; the caller fetches the hashes of those nodes from
 * wherever it keeps them and calls {@link rehashProof} to get the final proof. Every id names a node of
 * a *perfect* subtree (level = height, index = position within the level), which the store can keep
 * forever because such nodes never change. The only node of an RFC 9162 proof that is not perfect is
 * the "ephemeral" node: the root of the rightmost, still incomplete subtree, which is rebuilt by
 * folding the perfect nodes that cover it (`ids[begin:end)`). Same model as transparency-dev/merkle.
 */
import { Buffer } from 'node:buffer';
import { ValidationError } from '../errors.js';
import { EMPTY_ROOT, hashChildren } from './hasher.js';

/** A node of a perfect subtree: `level` is its height (0 for leaves), `index` its position in the level. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/**
 * The nodes whose hashes make up a proof.
 *
 * `ids[begin:end)` (ordered from lower to upper level) must be folded into the ephemeral node `ephem`;
 * when `begin === end` there is no ephemeral node and `ephem` is informational only.
 */
export interface ProofNodes {
  readonly ids: readonly NodeId[];
  readonly begin: number;
  readonly end: number;
  readonly ephem: NodeId;
}

function isTreeSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/**
 * Nodes proving that node (level, index) is in the tree of `size` leaves: the sibling at each level on
 * the way to the root (RFC 9162 §2.1.3.1 PATH, seen as perfect nodes).
 */
function pathNodes(index: number, level: number, size: number): ProofNodes {
  const ids: NodeId[] = [];
  let begin = 0;
  let end = 0;
  let ephem: NodeId = { level, index };
  let i = index;
  let width = 2 ** level; // leaves under one node of the current level
  let lvl = level;
  // Stop at the level whose node covers the whole tree: that node is the root.
  while (width < size) {
    const sibling = i % 2 === 1 ? i - 1 : i + 1;
    const start = sibling * width;
    if (start + width <= size) {
      ids.push({ level: lvl, index: sibling });
    } else if (start < size) {
      // The sibling is the incomplete right subtree [start, size): RFC 9162 hashes it as MTH of that
      // range, which equals folding its perfect subtrees (one per set bit of the remainder).
      begin = ids.length;
      ephem = { level: lvl, index: sibling };
      const cover: NodeId[] = [];
      let pos = start;
      for (let k = lvl - 1; k >= 0; k--) {
        const w = 2 ** k;
        if (pos + w <= size) {
          cover.push({ level: k, index: pos / w });
          pos += w;
        }
      }
      // Lower levels first, the order rehashProof folds in.
      for (let j = cover.length - 1; j >= 0; j--) ids.push(cover[j] as NodeId);
      end = ids.length;
    }
    // else: no sibling at this level, the node is promoted unchanged (RFC 9162 §2.1.1, k < n split).
    i = Math.floor(i / 2);
    width *= 2;
    lvl++;
  }
  if (begin === end) {
    begin = ids.length;
    end = ids.length;
  }
  return { ids, begin, end, ephem };
}

/**
 * Node ids of the inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1).
 *
 * @throws ValidationError `TREE_SIZE_OUT_OF_RANGE` unless `0 <= index < size <= 2^53 - 1`.
 */
export function inclusionProofNodes(index: number, size: number): ProofNodes {
  if (!isTreeSize(index) || !isTreeSize(size) || index >= size) {
    throw new ValidationError('TREE_SIZE_OUT_OF_RANGE', 'Leaf index must be below the tree size', {
      index,
      size,
    });
  }
  return pathNodes(index, 0, size);
}

/**
 * Node ids of the consistency proof between the trees of `size1` and `size2` leaves (RFC 9162 §2.1.4.1).
 *
 * The proof is the root of the largest perfect subtree ending at `size1` (omitted when `size1` is a
 * power of two: the verifier knows it as the old root) followed by that node's inclusion path in the
 * tree of `size2`. Empty when `size1 === size2`.
 *
 * @throws ValidationError `TREE_SIZE_OUT_OF_RANGE` unless `0 < size1 <= size2 <= 2^53 - 1`.
 */
export function consistencyProofNodes(size1: number, size2: number): ProofNodes {
  if (!isTreeSize(size1) || !isTreeSize(size2) || size1 === 0 || size1 > size2) {
    throw new ValidationError('TREE_SIZE_OUT_OF_RANGE', 'Consistency needs 0 < size1 <= size2', {
      size1,
      size2,
    });
  }
  if (size1 === size2) return { ids: [], begin: 0, end: 0, ephem: { level: 0, index: 0 } };
  // Largest perfect subtree ending at size1: its height is the number of trailing zero bits of size1.
  let level = 0;
  let width = 1;
  while ((size1 / width) % 2 === 0) {
    level++;
    width *= 2;
  }
  const index = (size1 - width) / width;
  const path = pathNodes(index, level, size2);
  if (index === 0) return path; // RFC 9162 §2.1.4.1: SUBPROOF(m, D[n], true) omits MTH(D[0:m]).
  const ids: NodeId[] = [{ level, index }, ...path.ids];
  return { ids, begin: path.begin + 1, end: path.end + 1, ephem: path.ephem };
}

/**
 * Turns node hashes into the final proof: copies the hashes outside `[begin, end)` and folds the ones
 * inside into the single ephemeral node hash.
 *
 * @param nodes - from {@link inclusionProofNodes} or {@link consistencyProofNodes}.
 * @param hashes - `hashes[i]` is the hash of `nodes.ids[i]`.
 * @throws ValidationError `VALIDATION_FAILED` if the number of hashes does not match the ids.
 */
export function rehashProof(nodes: ProofNodes, hashes: readonly Buffer[]): Buffer[] {
  if (hashes.length !== nodes.ids.length) {
    throw new ValidationError('VALIDATION_FAILED', 'One hash is needed per proof node', {
      expected: nodes.ids.length,
      actual: hashes.length,
    });
  }
  const out: Buffer[] = [];
  for (let i = 0; i < nodes.begin; i++) out.push(hashes[i] as Buffer);
  if (nodes.end > nodes.begin) {
    let hash = hashes[nodes.begin] as Buffer;
    // Each next node is a larger subtree to the left of what was folded so far.
    for (let i = nodes.begin + 1; i < nodes.end; i++) hash = hashChildren(hashes[i] as Buffer, hash);
    out.push(hash);
  }
  for (let i = nodes.end; i < hashes.length; i++) out.push(hashes[i] as Buffer);
  return out;
}

/**
 * RFC 9162 §2.1.1 Merkle Tree Hash of `leafHashes[start:end)` (already leaf-hashed), computed with a
 * stack of perfect subtrees in O(n) time and O(log n) memory.
 *
 * @throws ValidationError `TREE_SIZE_OUT_OF_RANGE` unless `0 <= start <= end <= leafHashes.length`.
 */
export function subtreeHash(leafHashes: readonly Uint8Array[], start: number, end: number): Buffer {
  if (!isTreeSize(start) || !isTreeSize(end) || start > end || end > leafHashes.length) {
    throw new ValidationError('TREE_SIZE_OUT_OF_RANGE', 'Range is outside the leaves', {
      start,
      end,
      size: leafHashes.length,
    });
  }
  if (start === end) return Buffer.from(EMPTY_ROOT);
  const stack: Buffer[] = [];
  for (let i = start; i < end; i++) {
    let hash: Buffer = Buffer.from(leafHashes[i] as Uint8Array);
    for (let n = i - start; n % 2 === 1; n = (n - 1) / 2) hash = hashChildren(stack.pop() as Buffer, hash);
    stack.push(hash);
  }
  let root = stack.pop() as Buffer;
  while (stack.length > 0) root = hashChildren(stack.pop() as Buffer, root);
  return root;
}

/** RFC 9162 §2.1.1 Merkle Tree Hash of a whole list of leaf hashes ({@link EMPTY_ROOT} when empty). */
export function rootFromLeaves(leafHashes: readonly Uint8Array[]): Buffer {
  return subtreeHash(leafHashes, 0, leafHashes.length);
}
