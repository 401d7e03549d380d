import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint } from '../checkpoint/checkpoint.js';
import { createEd25519Signer, formatVerifierKey, generateEd25519Key, parseVerifierKey, signNote } from '../checkpoint/signed-note.js';
import type { NoteSigner } from '../checkpoint/signed-note.js';
import { CompactRange } from '../merkle/compact-range.js';
import { inclusionProofNodes, rehashProof, rootFromLeaves } from '../merkle/proof.js';
import { sealRecord } from '../record/record.js';
import type { RecordFields } from '../record/record.js';
import { BUNDLE_FORMAT, formatBundleRecord, parseBundleManifest } from './bundle-format.js';
import type { BundleCheckpoint, BundleManifest } from './bundle-format.js';
import { verifyBundle } from './bundle-verifier.js';
import type { BundleVerifierOptions } from './bundle-verifier.js';
import { parseReceipt, RECEIPT_FORMAT, verifyReceipt } from './receipt.js';
import { subtreesOf } from './subtrees.js';
import { testRecordFields } from '../test-support/record-fields.js';

const ORIGIN = 'test/acme';
const HMAC = Buffer.alloc(32, 9);
const key = generateEd25519Key();
const signer = createEd25519Signer('tamga-test', key.seed);
const verifier = parseVerifierKey(formatVerifierKey('tamga-test', key.publicKey));

function fields(seq: number): RecordFields {
  return testRecordFields(seq, ORIGIN);
}

/** One log shared by all tests (sealing draws a random salt, so a record is sealed once). */
const SEALS: ReturnType<typeof sealRecord>[] = [];
function sealed(seq: number): ReturnType<typeof sealRecord> {
  for (let i = SEALS.length; i <= seq; i++) SEALS.push(sealRecord(fields(i), HMAC));
  return SEALS[seq]!;
}

interface Built {
  manifest: BundleManifest;
  checkpoints: BundleCheckpoint[];
  lines: string[];
  leaves: Buffer[];
}

function note(size: number, root: Buffer, signers: NoteSigner[] = [signer]): string {
  return signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: root, extensions: [] }), signers);
}

/** A bundle of a log of `size` records, holding `[from, to)`, with checkpoints at `sizes` (and at `size`). */
function build(size: number, from = 0, to = size, sizes: number[] = [], redact: number[] = []): Built {
  const leaves: Buffer[] = [];
  const all: string[] = [];
  for (let seq = 0; seq < size; seq++) {
    const f = fields(seq);
    const seal = sealed(seq);
    leaves.push(seal.leafHash);
    const erased = redact.includes(seq);
    all.push(
      formatBundleRecord({
        seq,
        canonical: seal.canonical,
        leafHash: seal.leafHash,
        signature: seal.signature,
        sigKid: f.sigKid,
        entityData: erased ? null : f.entityData,
        text: erased ? null : f.text,
        payloadSalt: erased ? null : seal.payloadSalt,
        redacted: erased,
      }),
    );
  }
  const frontier = CompactRange.empty();
  for (const leaf of leaves.slice(0, from)) frontier.append(leaf);
  const tail = subtreesOf(to, size).map(({ level, index }) => rootFromLeaves(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level)));
  const manifest = parseBundleManifest({
    format: BUNDLE_FORMAT,
    origin: ORIGIN,
    tenantId: 'acme',
    range: { from, to },
    treeSize: size,
    frontier: frontier.hashes().map((h) => h.toString('base64')),
    tail: tail.map((h) => h.toString('base64')),
    createdAt: '2026-11-22T10:00:00Z',
  });
  const checkpoints = [...new Set([...sizes, size])].map((s) => ({ size: s, note: note(s, rootFromLeaves(leaves.slice(0, s))) }));
  return { manifest, checkpoints, lines: all.slice(from, to), leaves };
}

const options: BundleVerifierOptions = { verifiers: [verifier] };
const verify = (b: Built, opts: Partial<BundleVerifierOptions> = {}) =>
  verifyBundle({ manifest: b.manifest, checkpoints: b.checkpoints, records: b.lines }, { ...options, ...opts });

function editLine(b: Built, index: number, edit: (r: Record<string, unknown>) => void): void {
  const r = JSON.parse(b.lines[index]!) as Record<string, unknown>;
  edit(r);
  b.lines[index] = JSON.stringify(r);
}

describe('verifyBundle', () => {
  describe('when the bundle is intact', () => {
    it('reports every record valid and every checkpoint verified', () => {
      const report = verify(build(300, 0, 300, [1, 100, 256]), { hmacKeys: new Map([['hmac-1', HMAC]]) });
      expect(report).toMatchObject({ status: 'valid', checked: 300, firstBadSeq: null, problemCount: 0, checkpointsVerified: 4, hmacChecked: true });
      expect(report.counts.valid).toBe(300);
      expect(report.newestCheckpoint).toContain('\n300\n');
    });

    it('rebuilds roots from the frontier of [0, from) and the tail after to', () => {
      const report = verify(build(300, 77, 200, [100, 150]));
      expect(report).toMatchObject({ status: 'valid', checked: 123, checkpointsVerified: 3 });
    });
  });

  describe('when a record payload is edited', () => {
    it('reports RECORD_TAMPERED payload-mismatch at its seq', () => {
      const b = build(50);
      editLine(b, 17, (r) => (r.entityData = { login: 'mallory' }));
      const report = verify(b);
      expect(report.status).toBe('tampered');
      expect(report.firstBadSeq).toBe(17);
      expect(report.problems[0]).toMatchObject({ code: 'RECORD_TAMPERED', reason: 'payload-mismatch', seq: 17 });
      expect(report.records).toEqual([{ seq: 17, status: 'tampered' }]);
    });
  });

  describe('when a byte of the canonical bytes is changed', () => {
    it('reports leaf-mismatch at its seq, and the root still checks through the stored leaf', () => {
      const b = build(50);
      editLine(b, 20, (r) => {
        const bytes = Buffer.from(r.canonical as string, 'base64');
        bytes[bytes.indexOf('user20')] = 'U'.charCodeAt(0);
        r.canonical = bytes.toString('base64');
      });
      const report = verify(b);
      expect(report.firstBadSeq).toBe(20);
      expect(report.problems.map((p) => p.reason)).toEqual(['leaf-mismatch']);
    });

    it('reports a root mismatch when the leaf hash hint was forged too', () => {
      const b = build(50, 0, 50, [10, 30]);
      editLine(b, 20, (r) => {
        const bytes = Buffer.from(r.canonical as string, 'base64');
        bytes[bytes.indexOf('user20')] = 'U'.charCodeAt(0);
        r.canonical = bytes.toString('base64');
        r.leafHash = null;
      });
      const report = verify(b);
      expect(report.problems[0]).toMatchObject({ code: 'LOG_INCONSISTENT', reason: 'root-mismatch', seq: 10, checkpointSize: 30 });
    });
  });

  describe('when lines are deleted, swapped, inserted or cut', () => {
    it('names the missing seqs of deleted lines, first and last', () => {
      const b = build(40);
      b.lines.splice(12, 1);
      expect(verify(b)).toMatchObject({ status: 'tampered', firstBadSeq: 12, problems: [{ code: 'LOG_INCONSISTENT', reason: 'gap', seq: 12, lastSeq: 12 }] });
      const three = build(40);
      three.lines.splice(20, 3);
      expect(verify(three).problems[0]).toMatchObject({ reason: 'gap', seq: 20, lastSeq: 22 });
    });

    it('names the first displaced seq of two swapped lines', () => {
      const b = build(40);
      [b.lines[5], b.lines[6]] = [b.lines[6]!, b.lines[5]!];
      const report = verify(b);
      expect(report.firstBadSeq).toBe(5);
      expect(report.problems.map((p) => p.reason)).toContain('out-of-order');
    });

    it('flags a forged line inserted in the middle', () => {
      const b = build(40);
      const seal = sealRecord(fields(9), HMAC); // same seq, other salt: a record the log never held
      const forged = formatBundleRecord({ ...JSON.parse(b.lines[9]!), canonical: seal.canonical, leafHash: seal.leafHash, payloadSalt: seal.payloadSalt, entityData: fields(9).entityData, text: fields(9).text, redacted: false, seq: 9, signature: seal.signature, sigKid: 'hmac-1' });
      b.lines.splice(10, 0, forged);
      expect(verify(b)).toMatchObject({ status: 'tampered', firstBadSeq: 9 });
    });

    it('names the first missing seq of a cut tail', () => {
      const b = build(40);
      b.lines.length = 33;
      expect(verify(b)).toMatchObject({ status: 'tampered', firstBadSeq: 33, problems: [{ reason: 'truncated', seq: 33, lastSeq: 39 }] });
    });

    it('treats an unreadable line as a tampered record', () => {
      const b = build(10);
      b.lines[4] = b.lines[4]!.slice(0, 30);
      expect(verify(b)).toMatchObject({ firstBadSeq: 4, problems: [{ code: 'RECORD_TAMPERED', reason: 'unreadable' }] });
    });
  });

  describe('checkpoints', () => {
    it('reports KEY_UNKNOWN for a checkpoint re-signed with a foreign key', () => {
      const b = build(20, 0, 20, [10]);
      const foreign = createEd25519Signer('tamga-test', generateEd25519Key().seed);
      b.checkpoints[0] = { size: 10, note: note(10, Buffer.alloc(32, 1), [foreign]) };
      const report = verify(b);
      expect(report.status).toBe('tampered');
      expect(report.problems[0]).toMatchObject({ code: 'KEY_UNKNOWN', checkpointSize: 10 });
    });

    it('refuses a bundle without checkpoints as unusable (BUNDLE_INVALID)', () => {
      const b = build(5);
      b.checkpoints = [];
      expect(() => verify(b)).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
    });

    it('accepts checkpoints signed by two keys during a rotation, trusting either', () => {
      const next = generateEd25519Key();
      const signer2 = createEd25519Signer('tamga-next', next.seed);
      const b = build(8);
      b.checkpoints = [{ size: 8, note: note(8, rootFromLeaves(b.leaves), [signer, signer2]) }];
      expect(verify(b, { verifiers: [parseVerifierKey(formatVerifierKey('tamga-next', next.publicKey))] }).status).toBe('valid');
    });
  });

  describe('keys and erasure', () => {
    it('gives unknown-key (not tampered) to records whose HMAC key is not given', () => {
      const report = verify(build(5), { hmacKeys: new Map([['other', HMAC]]) });
      expect(report.status).toBe('valid');
      expect(report.counts['unknown-key']).toBe(5);
    });

    it('reports RECORD_TAMPERED signature-invalid with the wrong secret under the right id', () => {
      const report = verify(build(5), { hmacKeys: new Map([['hmac-1', Buffer.alloc(32, 1)]]) });
      expect(report.problems[0]).toMatchObject({ code: 'RECORD_TAMPERED', reason: 'signature-invalid', seq: 0 });
    });

    it('gives redacted (never tampered) to erased payloads', () => {
      const report = verify(build(10, 0, 10, [], [3, 7]));
      expect(report.status).toBe('valid');
      expect(report.records).toEqual([
        { seq: 3, status: 'redacted' },
        { seq: 7, status: 'redacted' },
      ]);
    });
  });

  describe('a checkpoint saved earlier', () => {
    it('is consistent with a bundle that grew from it', () => {
      const old = build(30);
      const b = build(60, 0, 60, [30]);
      expect(verify(b, { trustedCheckpoint: old.checkpoints[0]!.note }).status).toBe('valid');
    });

    it('reports a rollback when the bundle is smaller than the saved checkpoint', () => {
      const saved = build(60).checkpoints[0]!.note;
      const report = verify(build(45), { trustedCheckpoint: saved });
      expect(report).toMatchObject({ status: 'tampered', firstBadSeq: 45, problems: [{ code: 'LOG_INCONSISTENT', reason: 'rollback' }] });
    });

    it('reports a fork when the same size now has another root', () => {
      const saved = note(30, Buffer.alloc(32, 5));
      const report = verify(build(60, 0, 60, [30]), { trustedCheckpoint: saved });
      expect(report.problems.map((p) => p.reason)).toContain('fork');
    });

    it('refuses a trusted checkpoint of another log as unusable', () => {
      const other = signNote(formatCheckpoint({ origin: 'test/other', size: 3, rootHash: Buffer.alloc(32), extensions: [] }), [signer]);
      expect(() => verify(build(5), { trustedCheckpoint: other })).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
    });
  });

  it('refuses a manifest of another format (BUNDLE_INVALID)', () => {
    expect(() => parseBundleManifest({ format: 'x' })).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
    expect(() => parseBundleManifest({ format: BUNDLE_FORMAT, origin: 'o', range: { from: 3, to: 2 }, treeSize: 3, frontier: [] })).toThrow(
      expect.objectContaining({ code: 'BUNDLE_INVALID' }),
    );
  });

  it('verifies 20,000 records at a useful rate (figure printed, target 150,000/s in bench)', () => {
    const b = build(20_000, 0, 20_000, [5_000, 10_000]);
    verify(build(2_000)); // warm-up
    const t0 = performance.now();
    const report = verify(b);
    const rate = 20_000 / ((performance.now() - t0) / 1000);
    expect(report.status).toBe('valid');
    console.log(`bundle verification: ${Math.round(rate).toLocaleString('en-US')} records/s (single thread)`);
  });
});

describe('verifyReceipt', () => {
  function receipt(seq: number, size: number): Record<string, unknown> {
    const b = build(size);
    const nodes = inclusionProofNodes(seq, size);
    const hashes = nodes.ids.map(({ level, index }) => rootFromLeaves(b.leaves.slice(index * 2 ** level, (index + 1) * 2 ** level)));
    return {
      format: RECEIPT_FORMAT,
      origin: ORIGIN,
      record: JSON.parse(b.lines[seq]!),
      treeSize: size,
      proof: rehashProof(nodes, hashes).map((h) => h.toString('base64')),
      checkpoint: b.checkpoints[0]!.note,
      keys: { checkpointKeys: [{ name: 'tamga-test', verifierKey: formatVerifierKey('tamga-test', key.publicKey) }] },
    };
  }

  it('verifies a record, its inclusion proof and the signed checkpoint', () => {
    expect(verifyReceipt(parseReceipt(receipt(13, 37)), [verifier])).toMatchObject({ status: 'valid', seq: 13, treeSize: 37, signedBy: ['tamga-test'] });
  });

  it('throws PROOF_INVALID when the proof does not lead to the checkpoint root', () => {
    const r = receipt(13, 37);
    (r.proof as string[])[0] = Buffer.alloc(32).toString('base64');
    expect(() => verifyReceipt(parseReceipt(r), [verifier])).toThrow(expect.objectContaining({ code: 'PROOF_INVALID' }));
  });

  it('throws RECORD_TAMPERED when the payload was edited', () => {
    const r = receipt(2, 5);
    (r.record as Record<string, unknown>).text = 'edited';
    expect(() => verifyReceipt(parseReceipt(r), [verifier])).toThrow(expect.objectContaining({ code: 'RECORD_TAMPERED' }));
  });

  it('throws KEY_UNKNOWN against pinned keys that did not sign the checkpoint', () => {
    const other = parseVerifierKey(formatVerifierKey('tamga-other', generateEd25519Key().publicKey));
    expect(() => verifyReceipt(parseReceipt(receipt(0, 1)), [other])).toThrow(expect.objectContaining({ code: 'KEY_UNKNOWN' }));
  });
});
