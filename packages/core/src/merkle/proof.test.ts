import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { describe, it, expect } from 'vitest';
import { TamgaError } from '../errors.js';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hasher.js';
import {
  consistencyProofNodes,
  inclusionProofNodes,
  rehashProof,
  rootFromLeaves,
  subtreeHash,
  type NodeId,
  type ProofNodes,
} from './proof.js';

// ---- Reference implementation, written straight from the RFC 9162 recursions ----

/** Largest power of two strictly smaller than n (n > 1). RFC 9162 §2.1.1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 9162 §2.1.1 MTH over leaf hashes. */
function refMth(leaves: readonly Buffer[]): Buffer {
  const n = leaves.length;
  if (n === 0) return Buffer.from(EMPTY_ROOT);
  if (n === 1) return leaves[0] as Buffer;
  const k = splitPoint(n);
  return hashChildren(refMth(leaves.slice(0, k)), refMth(leaves.slice(k)));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]). */
function refPath(m: number, leaves: readonly Buffer[]): Buffer[] {
  const n = leaves.length;
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...refPath(m, leaves.slice(0, k)), refMth(leaves.slice(k))];
  return [...refPath(m - k, leaves.slice(k)), refMth(leaves.slice(0, k))];
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b). */
function refSubproof(m: number, leaves: readonly Buffer[], b: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [refMth(leaves)];
  const k = splitPoint(n);
  if (m <= k) return [...refSubproof(m, leaves.slice(0, k), b), refMth(leaves.slice(k))];
  return [...refSubproof(m - k, leaves.slice(k), false), refMth(leaves.slice(0, k))];
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]). */
function refProof(m: number, leaves: readonly Buffer[]): Buffer[] {
  return refSubproof(m, leaves, true);
}

// ---- Helpers ----

const leavesOf = (n: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`leaf-${i}`)));

/** Hash of a perfect node straight from the leaves. */
function nodeHash(leaves: readonly Buffer[], id: NodeId): Buffer {
  const width = 2 ** id.level;
  const start = id.index * width;
  expect(start + width).toBeLessThanOrEqual(leaves.length); // every id must be a complete subtree
  return refMth(leaves.slice(start, start + width));
}

function materialize(nodes: ProofNodes, leaves: readonly Buffer[]): Buffer[] {
  return rehashProof(
    nodes,
    nodes.ids.map((id) => nodeHash(leaves, id)),
  );
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof TamgaError ? err.code : `not a TamgaError: ${String(err)}`;
  }
  return undefined;
};

const hex = (bufs: readonly Buffer[]): string[] => bufs.map((b) => b.toString('hex'));

describe('rootFromLeaves / subtreeHash', () => {
  it('matches the RFC 9162 MTH recursion for sizes 0..70', () => {
    const leaves = leavesOf(70);
    for (let n = 0; n <= 70; n++)
      expect(rootFromLeaves(leaves.slice(0, n))).toEqual(refMth(leaves.slice(0, n)));
  });

  it('hashes any sub-range like MTH of that slice', () => {
    const leaves = leavesOf(20);
    for (let s = 0; s <= 20; s += 3) {
      for (let e = s; e <= 20; e += 2) expect(subtreeHash(leaves, s, e)).toEqual(refMth(leaves.slice(s, e)));
    }
  });

  it('matches the RFC 6962 test-tree roots', () => {
    const v = JSON.parse(
      readFileSync(new URL('./testdata/rfc6962-vectors.json', import.meta.url), 'utf8'),
    ) as {
      leaves: string[];
      roots: string[];
    };
    const leaves = v.leaves.map((l) => hashLeaf(Buffer.from(l, 'hex')));
    v.roots.forEach((root, i) => expect(rootFromLeaves(leaves.slice(0, i + 1)).toString('hex')).toBe(root));
  });

  describe('when the range is outside the leaves', () => {
    it('throws TREE_SIZE_OUT_OF_RANGE', () => {
      const leaves = leavesOf(4);
      expect(codeOf(() => subtreeHash(leaves, 3, 2))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => subtreeHash(leaves, 0, 5))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => subtreeHash(leaves, -1, 2))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => subtreeHash(leaves, 0.5, 2))).toBe('TREE_SIZE_OUT_OF_RANGE');
    });
  });
});

describe('inclusionProofNodes', () => {
  it('matches RFC 9162 PATH for every leaf of trees of sizes 1..70', () => {
    const all = leavesOf(70);
    for (let n = 1; n <= 70; n++) {
      const leaves = all.slice(0, n);
      for (let m = 0; m < n; m++) {
        expect(hex(materialize(inclusionProofNodes(m, n), leaves)), `PATH(${m}, D[${n}])`).toEqual(
          hex(refPath(m, leaves)),
        );
      }
    }
  });

  it('orders the ephemeral nodes from lower to upper level', () => {
    // Tree of 7: leaf 0's path is node(0,1), node(1,1), then the ephemeral [4,7) = node(1,2) + node(0,6).
    const nodes = inclusionProofNodes(0, 7);
    expect(nodes.ids).toEqual([
      { level: 0, index: 1 },
      { level: 1, index: 1 },
      { level: 0, index: 6 },
      { level: 1, index: 2 },
    ]);
    expect([nodes.begin, nodes.end]).toEqual([2, 4]);
    expect(nodes.ephem).toEqual({ level: 2, index: 1 });
  });

  it('has an empty ephemeral range when the tree is perfect', () => {
    const nodes = inclusionProofNodes(5, 8);
    expect(nodes.begin).toBe(nodes.end);
    expect(nodes.ids).toHaveLength(3);
  });

  it('computes indexes above 2^32 exactly', () => {
    const size = 2 ** 32 + 10;
    const nodes = inclusionProofNodes(2 ** 32 + 3, size);
    // Path inside the right part [2^32, 2^32+10): siblings (0, 2^32+2), (1, 2^31), (2, 2^30+1), the
    // ephemeral node over [2^32+8, 2^32+10) = (1, 2^31+4), then the left perfect subtree (32, 0).
    expect(nodes.ids).toEqual([
      { level: 0, index: 2 ** 32 + 2 },
      { level: 1, index: 2 ** 31 },
      { level: 2, index: 2 ** 30 + 1 },
      { level: 1, index: 2 ** 31 + 4 },
      { level: 32, index: 0 },
    ]);
    expect([nodes.begin, nodes.end]).toEqual([3, 4]);
    expect(nodes.ephem).toEqual({ level: 3, index: 2 ** 29 + 1 });
  });

  describe('when the index is not below the size', () => {
    it('throws TREE_SIZE_OUT_OF_RANGE', () => {
      expect(codeOf(() => inclusionProofNodes(0, 0))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => inclusionProofNodes(5, 5))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => inclusionProofNodes(-1, 5))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => inclusionProofNodes(1.5, 5))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => inclusionProofNodes(0, 2 ** 53))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => inclusionProofNodes(Number.NaN, 5))).toBe('TREE_SIZE_OUT_OF_RANGE');
    });
  });
});

describe('consistencyProofNodes', () => {
  it('matches RFC 9162 PROOF for every pair of sizes 1 <= m <= n <= 70', () => {
    const all = leavesOf(70);
    for (let n = 1; n <= 70; n++) {
      const leaves = all.slice(0, n);
      for (let m = 1; m <= n; m++) {
        expect(hex(materialize(consistencyProofNodes(m, n), leaves)), `PROOF(${m}, D[${n}])`).toEqual(
          hex(refProof(m, leaves)),
        );
      }
    }
  });

  it('reproduces the published RFC 6962 consistency proofs', () => {
    const v = JSON.parse(
      readFileSync(new URL('./testdata/rfc6962-vectors.json', import.meta.url), 'utf8'),
    ) as {
      leaves: string[];
      consistency: { size1: number; size2: number; proof: string[] }[];
      inclusion: { leaf: number; size: number; proof: string[] }[];
    };
    const leaves = v.leaves.map((l) => hashLeaf(Buffer.from(l, 'hex')));
    for (const c of v.consistency) {
      const tree = leaves.slice(0, c.size2);
      expect(hex(materialize(consistencyProofNodes(c.size1, c.size2), tree))).toEqual(c.proof);
    }
    for (const p of v.inclusion) {
      const tree = leaves.slice(0, p.size);
      expect(hex(materialize(inclusionProofNodes(p.leaf - 1, p.size), tree))).toEqual(p.proof);
    }
  });

  it('is empty between equal sizes', () => {
    expect(consistencyProofNodes(13, 13).ids).toEqual([]);
  });

  describe('when the sizes are out of order or zero', () => {
    it('throws TREE_SIZE_OUT_OF_RANGE', () => {
      expect(codeOf(() => consistencyProofNodes(0, 5))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => consistencyProofNodes(6, 5))).toBe('TREE_SIZE_OUT_OF_RANGE');
      expect(codeOf(() => consistencyProofNodes(1, 2 ** 53))).toBe('TREE_SIZE_OUT_OF_RANGE');
    });
  });
});

describe('rehashProof', () => {
  describe('when the number of hashes does not match the ids', () => {
    it('throws VALIDATION_FAILED', () => {
      const nodes = inclusionProofNodes(0, 7);
      expect(codeOf(() => rehashProof(nodes, [Buffer.alloc(32)]))).toBe('VALIDATION_FAILED');
    });
  });
});
