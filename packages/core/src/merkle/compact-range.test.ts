import { Buffer } from 'node:buffer';
import { describe, it, expect } from 'vitest';
import { TamgaError } from '../errors.js';
import { CompactRange } from './compact-range.js';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hasher.js';
import { rootFromLeaves, subtreeHash } from './proof.js';

const leavesOf = (n: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`leaf-${i}`)));
const fake = (tag: number): Buffer => Buffer.alloc(32, tag);

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof TamgaError ? err.code : `not a TamgaError: ${String(err)}`;
  }
  return undefined;
};

describe('CompactRange', () => {
  it('starts empty with the empty root', () => {
    const r = CompactRange.empty();
    expect(r.size).toBe(0);
    expect(r.root()).toEqual(EMPTY_ROOT);
    expect(r.toBytes()).toHaveLength(0);
  });

  it('computes the RFC 9162 root after every append, sizes 1..70', () => {
    const leaves = leavesOf(70);
    const r = CompactRange.empty();
    leaves.forEach((leaf, i) => {
      r.append(leaf);
      expect(r.size).toBe(i + 1);
      expect(r.root()).toEqual(rootFromLeaves(leaves.slice(0, i + 1)));
    });
  });

  it('reports every completed perfect node with its correct hash', () => {
    const leaves = leavesOf(37);
    const r = CompactRange.empty();
    const seen = new Map<string, Buffer>();
    for (const leaf of leaves) {
      r.append(leaf, (level, index, hash) => {
        const key = `${level}/${index}`;
        expect(seen.has(key)).toBe(false);
        seen.set(key, hash);
      });
    }
    // Every perfect node of the 37-leaf tree, and only those, was reported.
    let count = 0;
    for (let level = 0; 2 ** level <= 37; level++) {
      const width = 2 ** level;
      for (let index = 0; (index + 1) * width <= 37; index++) {
        count++;
        expect(seen.get(`${level}/${index}`)).toEqual(
          subtreeHash(leaves, index * width, (index + 1) * width),
        );
      }
    }
    expect(seen.size).toBe(count);
  });

  it('round-trips through toBytes / fromBytes and keeps the frontier largest first', () => {
    const leaves = leavesOf(13);
    const r = CompactRange.empty();
    leaves.forEach((l) => r.append(l));
    // 13 = 8 + 4 + 1
    expect(r.hashes()).toEqual([subtreeHash(leaves, 0, 8), subtreeHash(leaves, 8, 12), leaves[12]]);
    const copy = CompactRange.fromBytes(13, r.toBytes());
    expect(copy.root()).toEqual(r.root());
    const extra = hashLeaf(Buffer.from('x'));
    copy.append(extra);
    r.append(extra);
    expect(copy.root()).toEqual(r.root());
  });

  it('clones independently', () => {
    const r = CompactRange.empty();
    leavesOf(5).forEach((l) => r.append(l));
    const c = r.clone();
    c.append(fake(1));
    expect(r.size).toBe(5);
    expect(c.size).toBe(6);
    expect(c.root().equals(r.root())).toBe(false);
  });

  it('does not let callers mutate its state through hashes()', () => {
    const r = CompactRange.empty();
    r.append(fake(1));
    const before = r.root();
    (r.hashes() as Buffer[]).pop();
    expect(r.root()).toEqual(before);
  });

  describe('with sizes above 2^32', () => {
    it('appends to a synthetic frontier of 2^33 + 5 leaves and reports exact levels and indexes', () => {
      const size = 2 ** 33 + 5; // = 2^33 + 4 + 1: three perfect subtrees
      const frontier = [fake(0xa), fake(0xb), fake(0xc)];
      const r = CompactRange.fromBytes(size, Buffer.concat(frontier));
      expect(r.size).toBe(size);
      expect(r.root()).toEqual(hashChildren(fake(0xa), hashChildren(fake(0xb), fake(0xc))));

      const calls: [number, number][] = [];
      const record = (level: number, index: number): void => {
        calls.push([level, index]);
      };
      const l1 = fake(1);
      r.append(l1, record); // index 2^33+5 is odd: merges with the 1-leaf subtree
      expect(calls).toEqual([
        [0, 2 ** 33 + 5],
        [1, 2 ** 32 + 2],
      ]);
      const pair = hashChildren(fake(0xc), l1);
      expect(r.hashes()).toEqual([fake(0xa), fake(0xb), pair]);

      calls.length = 0;
      r.append(fake(2), record); // index 2^33+6 is even: nothing to merge
      expect(calls).toEqual([[0, 2 ** 33 + 6]]);

      calls.length = 0;
      r.append(fake(3), record); // index 2^33+7 completes nodes up to level 3
      expect(calls).toEqual([
        [0, 2 ** 33 + 7],
        [1, 2 ** 32 + 3],
        [2, 2 ** 31 + 1],
        [3, 2 ** 30],
      ]);
      expect(r.size).toBe(2 ** 33 + 8);
      const eight = hashChildren(fake(0xb), hashChildren(pair, hashChildren(fake(2), fake(3))));
      expect(r.hashes()).toEqual([fake(0xa), eight]);
      expect(r.root()).toEqual(hashChildren(fake(0xa), eight));
    });

    it('refuses to grow beyond 2^53 - 1 leaves', () => {
      const size = Number.MAX_SAFE_INTEGER; // 53 set bits
      const r = CompactRange.fromBytes(size, Buffer.alloc(53 * 32, 1));
      expect(codeOf(() => r.append(fake(1)))).toBe('TREE_SIZE_OUT_OF_RANGE');
    });
  });

  describe('fromBytes', () => {
    describe('when the length does not match popcount(size)', () => {
      it('throws PROOF_INVALID', () => {
        expect(codeOf(() => CompactRange.fromBytes(5, Buffer.alloc(32)))).toBe('PROOF_INVALID');
        expect(codeOf(() => CompactRange.fromBytes(5, Buffer.alloc(96)))).toBe('PROOF_INVALID');
        expect(codeOf(() => CompactRange.fromBytes(0, Buffer.alloc(1)))).toBe('PROOF_INVALID');
      });
    });
    describe('when the size is not a safe non-negative integer', () => {
      it('throws PROOF_INVALID', () => {
        expect(codeOf(() => CompactRange.fromBytes(-1, Buffer.alloc(0)))).toBe('PROOF_INVALID');
        expect(codeOf(() => CompactRange.fromBytes(1.5, Buffer.alloc(32)))).toBe('PROOF_INVALID');
        expect(codeOf(() => CompactRange.fromBytes(2 ** 53, Buffer.alloc(32)))).toBe('PROOF_INVALID');
      });
    });
  });

  describe('append', () => {
    describe('when the leaf hash is not 32 bytes', () => {
      it('throws VALIDATION_FAILED', () => {
        expect(codeOf(() => CompactRange.empty().append(Buffer.alloc(31)))).toBe('VALIDATION_FAILED');
      });
    });
  });
});
