import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { describe, it, expect } from 'vitest';
import { TamgaError } from '../errors.js';
import { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.js';
import {
  createEd25519Signer,
  createEd25519Verifier,
  openNote,
  parseVerifierKey,
  publicKeyFromSeed,
  signNote,
} from './signed-note.js';
import { CompactRange } from '../merkle/compact-range.js';
import { hashLeaf } from '../merkle/hasher.js';

// Sources: c2sp.org/tlog-checkpoint example and real sum.golang.org tree heads (see testdata/README.md).
const v = JSON.parse(readFileSync(new URL('./testdata/note-vectors.json', import.meta.url), 'utf8')) as {
  sumGolangOrg: { verifierKey: string; signedTreeHeads: string[] };
  c2spCheckpointExample: { text: string; signatureLine: string };
};

function errorOf(fn: () => unknown): TamgaError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof TamgaError) return err;
    throw err;
  }
  return undefined;
}

describe('parseCheckpoint', () => {
  it('parses the c2sp.org/tlog-checkpoint example', () => {
    const cp = parseCheckpoint(v.c2spCheckpointExample.text);
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163);
    expect(cp.rootHash.toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(cp.extensions).toEqual([]);
    expect(formatCheckpoint(cp)).toBe(v.c2spCheckpointExample.text);
  });

  it('parses verified real sum.golang.org checkpoints', () => {
    const sum = parseVerifierKey(v.sumGolangOrg.verifierKey);
    const sizes = v.sumGolangOrg.signedTreeHeads.map((sth) => parseCheckpoint(openNote(sth, [sum]).text));
    expect(sizes.map((c) => [c.origin, c.size])).toEqual([
      ['go.sum database tree', 31700353],
      ['go.sum database tree', 3784599],
      ['go.sum database tree', 52544510],
    ]);
    for (const c of sizes) expect(c.rootHash).toHaveLength(32);
  });

  it('keeps extension lines', () => {
    const cp = parseCheckpoint('o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\next two\n');
    expect(cp.size).toBe(0);
    expect(cp.extensions).toEqual(['ext one', 'ext two']);
  });

  describe('when the text is malformed', () => {
    const root = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
    const cases: [string, string, string][] = [
      ['no final newline', `o\n1\n${root}`, 'no-final-newline'],
      ['two lines', 'o\n1\n', 'too-few-lines'],
      ['an empty origin', `\n1\n${root}\n`, 'bad-line'],
      ['an empty extension line', `o\n1\n${root}\n\n`, 'bad-line'],
      ['a carriage return', `o\r\n1\n${root}\n`, 'bad-line'],
      ['a leading zero', `o\n01\n${root}\n`, 'bad-size'],
      ['a negative size', `o\n-1\n${root}\n`, 'bad-size'],
      ['a size with a sign', `o\n+1\n${root}\n`, 'bad-size'],
      ['an exponent', `o\n1e3\n${root}\n`, 'bad-size'],
      ['a size above 2^53 - 1', `o\n9007199254740992\n${root}\n`, 'size-too-large'],
      ['a short root', 'o\n1\nAAAA\n', 'bad-root-hash'],
      ['unpadded base64', `o\n1\n${root.slice(0, -1)}\n`, 'bad-root-hash'],
      ['base64 with spaces', `o\n1\n ${root}\n`, 'bad-root-hash'],
      ['non-canonical base64 bits', `o\n1\n${root.slice(0, -2)}J=\n`, 'bad-root-hash'],
      ['a 33-byte root', `o\n1\n${Buffer.alloc(33).toString('base64')}\n`, 'bad-root-hash'],
    ];
    it.each(cases)('throws CHECKPOINT_INVALID for %s', (_desc, text, reason) => {
      const err = errorOf(() => parseCheckpoint(text));
      expect(err?.code).toBe('CHECKPOINT_INVALID');
      expect(err?.details.reason).toBe(reason);
    });
    it('throws CHECKPOINT_INVALID for non-strings and huge inputs', () => {
      expect(errorOf(() => parseCheckpoint(null as unknown as string))?.code).toBe('CHECKPOINT_INVALID');
      expect(errorOf(() => parseCheckpoint(`o\n1\n${root}\n${'x'.repeat(70_000)}\n`))?.code).toBe(
        'CHECKPOINT_INVALID',
      );
    });
  });
});

describe('formatCheckpoint', () => {
  it('round-trips a signed Tamga checkpoint through signNote / openNote', () => {
    const range = CompactRange.empty();
    for (let i = 0; i < 5; i++) range.append(hashLeaf(Buffer.from([i])));
    const cp: Checkpoint = {
      origin: 'tamga.example/log-1',
      size: range.size,
      rootHash: range.root(),
      extensions: [],
    };
    const seed = Buffer.alloc(32, 7);
    const signer = createEd25519Signer('tamga.example/log-1', seed);
    const note = signNote(formatCheckpoint(cp), [signer]);
    const verifier = createEd25519Verifier('tamga.example/log-1', publicKeyFromSeed(seed));
    const opened = parseCheckpoint(openNote(note, [verifier]).text);
    expect(opened).toEqual({ ...cp, rootHash: range.root() });
  });

  describe('when a field is invalid', () => {
    const ok: Checkpoint = { origin: 'o', size: 1, rootHash: Buffer.alloc(32), extensions: [] };
    const cases: [string, Checkpoint, string][] = [
      ['an empty origin', { ...ok, origin: '' }, 'origin'],
      ['an origin with a newline', { ...ok, origin: 'a\nb' }, 'origin'],
      ['a negative size', { ...ok, size: -1 }, 'size'],
      ['a fractional size', { ...ok, size: 1.5 }, 'size'],
      ['a short root', { ...ok, rootHash: Buffer.alloc(31) }, 'rootHash'],
      ['an empty extension', { ...ok, extensions: [''] }, 'extensions'],
      ['an extension with a newline', { ...ok, extensions: ['a\n'] }, 'extensions'],
    ];
    it.each(cases)('throws CHECKPOINT_INVALID for %s', (_desc, cp, field) => {
      const err = errorOf(() => formatCheckpoint(cp));
      expect(err?.code).toBe('CHECKPOINT_INVALID');
      expect(err?.details.field).toBe(field);
    });
  });
});
