import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { describe, it, expect } from 'vitest';
import { EMPTY_ROOT, HASH_SIZE, hashChildren, hashLeaf } from './hasher.js';

// Source: transparency-dev/merkle rfc6962/rfc6962_test.go (see testdata/README.md).
const vectors = JSON.parse(
  readFileSync(new URL('./testdata/rfc6962-vectors.json', import.meta.url), 'utf8'),
) as {
  hasher: {
    emptyRoot: string;
    emptyLeaf: string;
    leaf: { input: string; hash: string };
    node: { left: string; right: string; hash: string };
  };
};
const kat = vectors.hasher;

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

describe('hasher (RFC 9162 §2.1.1)', () => {
  describe('known answers', () => {
    it('has the SHA-256 of the empty string as the empty root', () => {
      expect(EMPTY_ROOT.toString('hex')).toBe(kat.emptyRoot);
      expect(HASH_SIZE).toBe(32);
    });
    it('hashes the empty leaf', () => {
      expect(hashLeaf(new Uint8Array()).toString('hex')).toBe(kat.emptyLeaf);
    });
    it('hashes a leaf', () => {
      expect(hashLeaf(Buffer.from(kat.leaf.input)).toString('hex')).toBe(kat.leaf.hash);
    });
    it('hashes a node', () => {
      expect(hashChildren(Buffer.from(kat.node.left), Buffer.from(kat.node.right)).toString('hex')).toBe(
        kat.node.hash,
      );
    });
  });

  it('prefixes leaves with 0x00 and 32-byte children with 0x01', () => {
    const data = Buffer.from('L123456789');
    expect(hashLeaf(data)).toEqual(sha256(Buffer.from([0]), data));
    const l = Buffer.alloc(32, 1);
    const r = Buffer.alloc(32, 2);
    expect(hashChildren(l, r)).toEqual(sha256(Buffer.from([1]), l, r));
    expect(hashChildren(r, l)).toEqual(sha256(Buffer.from([1]), r, l));
  });

  it('handles leaves larger than the scratch buffer', () => {
    const big = Buffer.alloc(200_000, 7);
    expect(hashLeaf(big)).toEqual(sha256(Buffer.from([0]), big));
    const mid = Buffer.alloc(5000, 9);
    expect(hashLeaf(mid)).toEqual(sha256(Buffer.from([0]), mid));
    expect(hashLeaf(Buffer.from('x'))).toEqual(sha256(Buffer.from([0]), Buffer.from('x')));
  });

  it('returns buffers that later calls do not overwrite', () => {
    const a = hashLeaf(Buffer.from('a'));
    const copy = Buffer.from(a);
    hashLeaf(Buffer.from('b'));
    hashChildren(a, a);
    expect(a).toEqual(copy);
  });
});
