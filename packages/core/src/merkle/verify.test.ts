import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { describe, it, expect } from 'vitest';
import { TamgaError } from '../errors.js';
import { CompactRange } from './compact-range.js';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hasher.js';
import {
  consistencyProofNodes,
  inclusionProofNodes,
  rehashProof,
  rootFromLeaves,
  subtreeHash,
} from './proof.js';
import type { NodeId } from './proof.js';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';

// Sources: see testdata/README.md (transparency-dev/merkle).
const readJson = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')) as T;
const rfc = readJson<{
  leaves: string[];
  roots: string[];
  inclusion: { leaf: number; size: number; proof: string[] }[];
  consistency: { size1: number; size2: number; proof: string[] }[];
}>('rfc6962-vectors.json');
const probes = readJson<{
  inclusion: Record<
    string,
    { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[]; wantErr: boolean }
  >;
  consistency: Record<
    string,
    { size1: number; size2: number; root1: string; root2: string; proof: string[]; wantErr: boolean }
  >;
}>('transparency-dev-probes.json');

const h = (s: string): Buffer => Buffer.from(s, 'hex');
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
const leaves = rfc.leaves.map((l) => hashLeaf(h(l)));
const roots = rfc.roots.map(h);
const someHash = h('abacaba000000000000000000000000000000000000000000060061e00123456');

function errorOf(fn: () => unknown): TamgaError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof TamgaError) return err;
    throw err;
  }
  return undefined;
}
const codeOf = (fn: () => unknown): string | undefined => errorOf(fn)?.code;
const reasonOf = (fn: () => unknown): unknown => errorOf(fn)?.details.reason;

const flip = (proof: readonly Buffer[], i: number, mask: number): Buffer[] =>
  proof.map((p, j) => {
    if (j !== i) return p;
    const c = Buffer.from(p);
    c[0] = (c[0] as number) ^ mask;
    return c;
  });

describe('verifyInclusion', () => {
  describe('with the RFC 6962 test tree', () => {
    for (const v of rfc.inclusion) {
      const index = v.leaf - 1;
      const proof = v.proof.map(h);
      const root = roots[v.size - 1] as Buffer;
      const leaf = leaves[index] as Buffer;

      it(`accepts the proof for leaf ${index} in size ${v.size}`, () => {
        expect(() => verifyInclusion(leaf, index, v.size, proof, root)).not.toThrow();
        expect(rootFromInclusionProof(leaf, index, v.size, proof)).toEqual(root);
      });

      it(`rejects every corruption of the proof for leaf ${index} in size ${v.size} with PROOF_INVALID`, () => {
        const bad: [string, () => void][] = [
          ['index - 1', () => verifyInclusion(leaf, index - 1, v.size, proof, root)],
          ['index + 1', () => verifyInclusion(leaf, index + 1, v.size, proof, root)],
          ['index ^ 2', () => verifyInclusion(leaf, index ^ 2, v.size, proof, root)],
          ['size * 2', () => verifyInclusion(leaf, index, v.size * 2, proof, root)],
          ['size / 2', () => verifyInclusion(leaf, index, Math.floor(v.size / 2), proof, root)],
          ['wrong leaf', () => verifyInclusion(Buffer.from('WrongLeaf'), index, v.size, proof, root)],
          ['wrong leaf hash', () => verifyInclusion(someHash, index, v.size, proof, root)],
          ['empty root', () => verifyInclusion(leaf, index, v.size, proof, EMPTY_ROOT)],
          ['random root', () => verifyInclusion(leaf, index, v.size, proof, someHash)],
          ['trailing garbage', () => verifyInclusion(leaf, index, v.size, [...proof, Buffer.alloc(0)], root)],
          ['trailing root', () => verifyInclusion(leaf, index, v.size, [...proof, root], root)],
          [
            'preceding garbage',
            () => verifyInclusion(leaf, index, v.size, [Buffer.alloc(0), ...proof], root),
          ],
          ['preceding root', () => verifyInclusion(leaf, index, v.size, [root, ...proof], root)],
          ...proof.map((_, i): [string, () => void] => [
            `modified proof[${i}]`,
            () => verifyInclusion(leaf, index, v.size, flip(proof, i, 8), root),
          ]),
        ];
        if (proof.length > 0) {
          bad.push([
            'removed component',
            () => verifyInclusion(leaf, index, v.size, proof.slice(0, -1), root),
          ]);
        }
        if (proof.length > 1) {
          const inserted = [proof[0] as Buffer, someHash, ...proof.slice(1)];
          bad.push(['inserted component', () => verifyInclusion(leaf, index, v.size, inserted, root)]);
        }
        for (const [desc, fn] of bad) expect(codeOf(fn), desc).toBe('PROOF_INVALID');
      });
    }
  });

  describe('with the published transparency-dev probes', () => {
    for (const [file, p] of Object.entries(probes.inclusion)) {
      it(`${p.wantErr ? 'rejects' : 'accepts'} ${file}`, () => {
        const run = (): void =>
          verifyInclusion(b64(p.leafHash), p.leafIdx, p.treeSize, p.proof.map(b64), b64(p.root));
        expect(codeOf(run)).toBe(p.wantErr ? 'PROOF_INVALID' : undefined);
      });
    }
  });

  it('accepts every proof of trees of sizes 1..40 and rejects truncated or extended ones', () => {
    const all = Array.from({ length: 40 }, (_, i) => hashLeaf(Buffer.from([i])));
    for (let n = 1; n <= 40; n++) {
      const tree = all.slice(0, n);
      const root = rootFromLeaves(tree);
      for (let m = 0; m < n; m++) {
        const nodes = inclusionProofNodes(m, n);
        const proof = rehashProof(
          nodes,
          nodes.ids.map((id) => subtreeHash(tree, id.index * 2 ** id.level, (id.index + 1) * 2 ** id.level)),
        );
        const leaf = tree[m] as Buffer;
        verifyInclusion(leaf, m, n, proof, root);
        expect(reasonOf(() => verifyInclusion(leaf, m, n, [...proof, someHash], root))).toMatch(
          /proof-too-long|root-mismatch/,
        );
        if (proof.length > 0) {
          expect(reasonOf(() => verifyInclusion(leaf, m, n, proof.slice(0, -1), root))).toMatch(
            /proof-too-short|root-mismatch/,
          );
        }
      }
    }
  });

  describe('when a hash has the wrong length', () => {
    it('throws PROOF_INVALID with reason hash-length', () => {
      const leaf = hashLeaf(Buffer.from('data'));
      expect(() => verifyInclusion(leaf, 0, 1, [], leaf)).not.toThrow();
      expect(reasonOf(() => verifyInclusion(leaf, 0, 1, [], Buffer.alloc(0)))).toBe('hash-length');
      expect(reasonOf(() => verifyInclusion(Buffer.alloc(0), 0, 1, [], leaf))).toBe('hash-length');
      expect(reasonOf(() => verifyInclusion(leaf, 0, 2, [Buffer.alloc(33)], leaf))).toBe('hash-length');
    });
  });

  describe('when index or size are out of range', () => {
    it('throws PROOF_INVALID', () => {
      for (const [index, size] of [
        [0, 0],
        [1, 0],
        [2, 1],
        [-1, 4],
        [0.5, 4],
        [0, 2 ** 53],
        [Number.NaN, 4],
      ] as const) {
        expect(
          codeOf(() => verifyInclusion(someHash, index, size, [], EMPTY_ROOT)),
          `${index}/${size}`,
        ).toBe('PROOF_INVALID');
      }
    });
  });

  describe('when the proof is not an array of byte arrays', () => {
    it('throws PROOF_INVALID, not a TypeError', () => {
      const leaf = leaves[0] as Buffer;
      expect(codeOf(() => verifyInclusion(leaf, 0, 2, 'nope' as unknown as Buffer[], leaf))).toBe(
        'PROOF_INVALID',
      );
      expect(codeOf(() => verifyInclusion(leaf, 0, 2, [null] as unknown as Buffer[], leaf))).toBe(
        'PROOF_INVALID',
      );
      expect(codeOf(() => verifyInclusion(leaf, 0, 2, [], 'x' as unknown as Buffer))).toBe('PROOF_INVALID');
    });
  });
});

describe('verifyConsistency', () => {
  describe('with the RFC 6962 test tree', () => {
    for (const v of rfc.consistency) {
      const proof = v.proof.map(h);
      const root1 = roots[v.size1 - 1] as Buffer;
      const root2 = roots[v.size2 - 1] as Buffer;
      it(`accepts the proof from ${v.size1} to ${v.size2}`, () => {
        expect(() => verifyConsistency(v.size1, v.size2, proof, root1, root2)).not.toThrow();
      });
      if (proof.length === 0) continue;
      it(`rejects every corruption of the proof from ${v.size1} to ${v.size2} with PROOF_INVALID`, () => {
        const { size1, size2 } = v;
        const bad: [string, () => void][] = [
          ['size1 - 1', () => verifyConsistency(size1 - 1, size2, proof, root1, root2)],
          ['size1 + 1', () => verifyConsistency(size1 + 1, size2, proof, root1, root2)],
          ['size1 ^ 2', () => verifyConsistency(size1 ^ 2, size2, proof, root1, root2)],
          ['size2 * 2', () => verifyConsistency(size1, size2 * 2, proof, root1, root2)],
          ['size2 / 2', () => verifyConsistency(size1, Math.floor(size2 / 2), proof, root1, root2)],
          ['wrong root1', () => verifyConsistency(size1, size2, proof, someHash, root2)],
          ['wrong root2', () => verifyConsistency(size1, size2, proof, root1, someHash)],
          ['swapped roots', () => verifyConsistency(size1, size2, proof, root2, root1)],
          ['empty proof', () => verifyConsistency(size1, size2, [], root1, root2)],
          [
            'trailing garbage',
            () => verifyConsistency(size1, size2, [...proof, Buffer.alloc(0)], root1, root2),
          ],
          ['trailing root1', () => verifyConsistency(size1, size2, [...proof, root1], root1, root2)],
          ['trailing root2', () => verifyConsistency(size1, size2, [...proof, root2], root1, root2)],
          [
            'preceding garbage',
            () => verifyConsistency(size1, size2, [Buffer.alloc(0), ...proof], root1, root2),
          ],
          ['preceding root1', () => verifyConsistency(size1, size2, [root1, ...proof], root1, root2)],
          ['preceding root2', () => verifyConsistency(size1, size2, [root2, ...proof], root1, root2)],
          [
            'preceding proof[0]',
            () => verifyConsistency(size1, size2, [proof[0] as Buffer, ...proof], root1, root2),
          ],
          ['truncated proof', () => verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2)],
          ...proof.map((_, i): [string, () => void] => [
            `modified proof[${i}]`,
            () => verifyConsistency(size1, size2, flip(proof, i, 16), root1, root2),
          ]),
        ];
        for (const [desc, fn] of bad) expect(codeOf(fn), desc).toBe('PROOF_INVALID');
      });
    }
  });

  describe('with the published transparency-dev probes', () => {
    for (const [file, p] of Object.entries(probes.consistency)) {
      it(`${p.wantErr ? 'rejects' : 'accepts'} ${file}`, () => {
        const run = (): void =>
          verifyConsistency(p.size1, p.size2, p.proof.map(b64), b64(p.root1), b64(p.root2));
        expect(codeOf(run)).toBe(p.wantErr ? 'PROOF_INVALID' : undefined);
      });
    }
  });

  it('accepts every proof between sizes 1..40 and rejects wrong first sizes', () => {
    const all = Array.from({ length: 40 }, (_, i) => hashLeaf(Buffer.from([i])));
    for (let n = 1; n <= 40; n++) {
      const tree = all.slice(0, n);
      const root2 = rootFromLeaves(tree);
      for (let m = 1; m <= n; m++) {
        const root1 = rootFromLeaves(tree.slice(0, m));
        const nodes = consistencyProofNodes(m, n);
        const proof = rehashProof(
          nodes,
          nodes.ids.map((id) => subtreeHash(tree, id.index * 2 ** id.level, (id.index + 1) * 2 ** id.level)),
        );
        verifyConsistency(m, n, proof, root1, root2);
        if (m < n)
          expect(codeOf(() => verifyConsistency(m, n, [...proof, someHash], root1, root2))).toBe(
            'PROOF_INVALID',
          );
      }
    }
  });

  describe('edge cases', () => {
    const r1 = hashLeaf(Buffer.from('1'));
    const r2 = hashLeaf(Buffer.from('2'));
    it('accepts equal sizes with equal roots and an empty proof', () => {
      expect(() => verifyConsistency(1, 1, [], r2, r2)).not.toThrow();
      expect(() => verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)).not.toThrow();
    });
    it('accepts any tree as an extension of the empty tree', () => {
      expect(() => verifyConsistency(0, 1, [], EMPTY_ROOT, r2)).not.toThrow();
    });
    it('throws PROOF_INVALID for the failing cases of transparency-dev TestVerifyConsistency', () => {
      expect(reasonOf(() => verifyConsistency(1, 1, [], r1, r2))).toBe('root-mismatch');
      expect(reasonOf(() => verifyConsistency(1, 0, [], r1, r2))).toBe('size-order');
      expect(reasonOf(() => verifyConsistency(2, 1, [], r1, r2))).toBe('size-order');
      expect(reasonOf(() => verifyConsistency(1, 2, [], r1, r2))).toBe('proof-too-short');
      expect(reasonOf(() => verifyConsistency(0, 0, [], EMPTY_ROOT, r2))).toBe('root-mismatch');
      expect(reasonOf(() => verifyConsistency(0, 0, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT))).toBe(
        'proof-not-empty',
      );
      expect(reasonOf(() => verifyConsistency(0, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT))).toBe(
        'proof-not-empty',
      );
      expect(reasonOf(() => verifyConsistency(1, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT))).toBe(
        'proof-not-empty',
      );
    });
    it('requires the empty-tree root for size 0 (stricter than transparency-dev)', () => {
      expect(reasonOf(() => verifyConsistency(0, 1, [], r1, r2))).toBe('root1-mismatch');
    });
    it('rejects hashes of the wrong length with PROOF_INVALID', () => {
      expect(reasonOf(() => verifyConsistency(1, 1, [], Buffer.from('x'), Buffer.from('x')))).toBe(
        'hash-length',
      );
      expect(reasonOf(() => verifyConsistency(1, 2, [Buffer.alloc(31)], r1, r2))).toBe('hash-length');
      expect(reasonOf(() => verifyConsistency(-1, 2, [], r1, r2))).toBe('bad-size');
    });
  });
});

describe('proofs in trees above 2^32 leaves', () => {
  // A synthetic tree of 2^32 + 10 leaves: the left perfect subtree [0, 2^32) has an arbitrary hash X
  // (nobody can tell it apart from a real one), the last 10 leaves are real.
  const base = 2 ** 32;
  const size = base + 10;
  const X = Buffer.alloc(32, 0x5a);
  const right = Array.from({ length: 10 }, (_, i) => hashLeaf(Buffer.from(`right-${i}`)));
  const nodeHash = (id: NodeId): Buffer => {
    const width = 2 ** id.level;
    const start = id.index * width;
    if (id.level === 32 && id.index === 0) return X;
    expect(start).toBeGreaterThanOrEqual(base); // any other node lies in the real part
    return subtreeHash(right, start - base, start - base + width);
  };
  const range = CompactRange.fromBytes(base, X);
  right.forEach((leaf) => range.append(leaf));
  const root = range.root();

  it('builds the root from the synthetic frontier', () => {
    expect(root).toEqual(hashChildren(X, rootFromLeaves(right)));
  });

  it('round-trips an inclusion proof for index 2^32 + 3', () => {
    const index = base + 3;
    const nodes = inclusionProofNodes(index, size);
    const proof = rehashProof(nodes, nodes.ids.map(nodeHash));
    expect(proof).toHaveLength(5);
    expect(() => verifyInclusion(right[3] as Buffer, index, size, proof, root)).not.toThrow();
    expect(codeOf(() => verifyInclusion(right[3] as Buffer, index + 1, size, proof, root))).toBe(
      'PROOF_INVALID',
    );
    expect(codeOf(() => verifyInclusion(right[3] as Buffer, 3, size, proof, root))).toBe('PROOF_INVALID');
    expect(codeOf(() => verifyInclusion(right[3] as Buffer, index, size + 2 ** 31, proof, root))).toBe(
      'PROOF_INVALID',
    );
  });

  it('round-trips inclusion proofs for every real leaf', () => {
    for (let i = 0; i < 10; i++) {
      const nodes = inclusionProofNodes(base + i, size);
      verifyInclusion(right[i] as Buffer, base + i, size, rehashProof(nodes, nodes.ids.map(nodeHash)), root);
    }
  });

  it('round-trips a consistency proof from 2^32 + 3 to 2^32 + 10', () => {
    const size1 = base + 3;
    const old = CompactRange.fromBytes(base, X);
    right.slice(0, 3).forEach((leaf) => old.append(leaf));
    const nodes = consistencyProofNodes(size1, size);
    const proof = rehashProof(nodes, nodes.ids.map(nodeHash));
    expect(() => verifyConsistency(size1, size, proof, old.root(), root)).not.toThrow();
    expect(codeOf(() => verifyConsistency(size1 + 1, size, proof, old.root(), root))).toBe('PROOF_INVALID');
    // From the perfect 2^32 subtree itself: size1 is a power of two, so X is omitted from the proof.
    const fromBase = consistencyProofNodes(base, size);
    verifyConsistency(base, size, rehashProof(fromBase, fromBase.ids.map(nodeHash)), X, root);
  });
});
