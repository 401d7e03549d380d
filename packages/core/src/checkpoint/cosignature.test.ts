import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint } from './checkpoint.js';
import { addSignatureLines, checkWitnessQuorum, cosignCheckpoint, parseWitnessKey, verifyCosignatures, witnessKeyFromSeed } from './cosignature.js';
import { createEd25519Signer, signNote } from './signed-note.js';

const SEED = Buffer.alloc(32, 1);
const OTHER = Buffer.alloc(32, 2);
const text = formatCheckpoint({ origin: 'tamga/acme', size: 7, rootHash: Buffer.alloc(32, 3), extensions: [] });
const note = signNote(text, [createEd25519Signer('tamga', Buffer.alloc(32, 4))]);

describe('witness keys (c2sp.org/tlog-cosignature)', () => {
  it('derive the key ID from SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key) and round-trip as text', () => {
    const key = witnessKeyFromSeed('w.example', SEED);
    const id = createHash('sha256').update('w.example\n').update(Buffer.from([4])).update(key.publicKey).digest().readUInt32BE(0);
    expect(key.keyId).toBe(id);
    expect(key.text).toBe(`w.example+${id.toString(16).padStart(8, '0')}+${Buffer.concat([Buffer.from([4]), key.publicKey]).toString('base64')}`);
    expect(parseWitnessKey(key.text)).toEqual(key);
  });
  it.each([
    ['a signed-note (0x01) key', () => witnessKeyFromSeed('w', SEED).text.replace(/\+[^+]+$/, `+${Buffer.concat([Buffer.from([1]), witnessKeyFromSeed('w', SEED).publicKey]).toString('base64')}`)],
    ['a wrong key ID', () => witnessKeyFromSeed('w', SEED).text.replace(/\+[0-9a-f]{8}\+/, '+00000000+')],
    ['garbage', () => 'nope'],
  ])('refuses %s', (_, make) => expect(() => parseWitnessKey(make())).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }) as Error));
});

describe('cosignCheckpoint and verifyCosignatures', () => {
  const key = witnessKeyFromSeed('w.example', SEED);
  const line = cosignCheckpoint('w.example', SEED, text, 1_700_000_000);

  it('signs "cosignature/v1\\ntime <t>\\n" ‖ the note text, with key ID and an 8-byte time in front', () => {
    const sig = Buffer.from(line.slice('\u2014 w.example '.length), 'base64');
    expect(sig).toHaveLength(76);
    expect(sig.readUInt32BE(0)).toBe(key.keyId);
    expect(Number(sig.readBigUInt64BE(4))).toBe(1_700_000_000);
    const spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key.publicKey]), format: 'der', type: 'spki' });
    expect(verify(null, Buffer.from(`cosignature/v1\ntime 1700000000\n${text}`), spki, sig.subarray(12))).toBe(true);
  });

  it('finds the cosignature in the note and ignores unknown, forged and duplicate lines', () => {
    const stranger = cosignCheckpoint('x.example', OTHER, text, 1);
    const forged = line.slice(0, -8) + 'AAAAAAA=';
    const cosigned = addSignatureLines(note, [line, stranger, forged, line]);
    expect(cosigned.split('\n').filter((l) => l.startsWith('\u2014'))).toHaveLength(4);
    expect(verifyCosignatures(cosigned, [key])).toEqual([{ name: 'w.example', keyId: key.keyId, time: 1_700_000_000, line }]);
    expect(verifyCosignatures(addSignatureLines(note, [forged]), [key])).toEqual([]);
    // A cosignature of another checkpoint does not count.
    const other = formatCheckpoint({ origin: 'tamga/acme', size: 8, rootHash: Buffer.alloc(32, 3), extensions: [] });
    expect(verifyCosignatures(addSignatureLines(note, [cosignCheckpoint('w.example', SEED, other, 1)]), [key])).toEqual([]);
  });

  it('checkWitnessQuorum wants a checkpoint that covers the records with enough distinct witnesses', () => {
    const two = witnessKeyFromSeed('x.example', OTHER);
    const both = addSignatureLines(note, [line, cosignCheckpoint('x.example', OTHER, text, 5)]);
    expect(checkWitnessQuorum([{ size: 7, note: both }], [key, two], 2, 7)).toMatchObject({ satisfied: true, checkpointSize: 7, cosignedBy: ['w.example', 'x.example'] });
    expect(checkWitnessQuorum([{ size: 7, note: both }], [key, two], 2, 8)).toMatchObject({ satisfied: false, checkpointSize: 7 });
    expect(checkWitnessQuorum([{ size: 7, note: addSignatureLines(note, [line]) }], [key, two], 2, 7)).toMatchObject({ satisfied: false, cosignedBy: ['w.example'] });
    expect(checkWitnessQuorum([{ size: 7, note }], [key], 1, 7).message).toContain('no checkpoint in the bundle carries a valid cosignature');
  });
});
