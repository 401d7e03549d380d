import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { describe, it, expect } from 'vitest';
import { TamgaError } from '../errors.js';
import {
  MAX_NOTE_SIGNATURES,
  createEd25519Signer,
  createEd25519Verifier,
  ed25519KeyId,
  formatSignerKey,
  formatVerifierKey,
  generateEd25519Key,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  publicKeyFromSeed,
  signNote,
  type NoteSigner,
  type NoteVerifier,
} from './signed-note.js';

// Sources: golang.org/x/mod sumdb/note tests and sum.golang.org (see testdata/README.md).
const v = JSON.parse(readFileSync(new URL('./testdata/note-vectors.json', import.meta.url), 'utf8')) as {
  peterNeumann: {
    verifierKey: string;
    signerKey: string;
    keyId: string;
    text: string;
    signatureLine: string;
    signedNote: string;
    badVerifierKeys: string[];
  };
  enochRoot: { verifierKey: string; keyId: string; signatureLine: string };
  sumGolangOrg: { verifierKey: string; signedTreeHeads: string[] };
};
const peter = v.peterNeumann;
const enoch = v.enochRoot;

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

const peterVerifier = parseVerifierKey(peter.verifierKey);
const enochVerifier = parseVerifierKey(enoch.verifierKey);

describe('keys', () => {
  it('parses the PeterNeumann verifier and signer keys with key ID c74f20a3', () => {
    expect(peterVerifier.name).toBe('PeterNeumann');
    expect(peterVerifier.keyId).toBe(Number.parseInt(peter.keyId, 16));
    const signer = parseSignerKey(peter.signerKey);
    expect(signer.name).toBe('PeterNeumann');
    expect(signer.keyId).toBe(peterVerifier.keyId);
  });

  it('round-trips the example keys through format*', () => {
    const seed = Buffer.from(peter.signerKey.split('+').slice(4).join('+'), 'base64').subarray(1);
    const pub = publicKeyFromSeed(seed);
    expect(formatVerifierKey('PeterNeumann', pub)).toBe(peter.verifierKey);
    expect(formatSignerKey('PeterNeumann', seed)).toBe(peter.signerKey);
    expect(ed25519KeyId('PeterNeumann', pub).toString(16)).toBe(peter.keyId);
  });

  it('parses a key whose base64 part contains "+" (sum.golang.org)', () => {
    const sum = parseVerifierKey(v.sumGolangOrg.verifierKey);
    expect(sum.name).toBe('sum.golang.org');
    expect(sum.keyId).toBe(0x033de0ae);
  });

  it('generates self-consistent keys', () => {
    const { seed, publicKey } = generateEd25519Key();
    expect(seed).toHaveLength(32);
    expect(publicKeyFromSeed(seed)).toEqual(publicKey);
    const signer = parseSignerKey(formatSignerKey('EnochRoot', seed));
    const verifier = parseVerifierKey(formatVerifierKey('EnochRoot', publicKey));
    expect(signer.keyId).toBe(verifier.keyId);
    const msg = Buffer.from('hi');
    const sig = signer.sign(msg);
    expect(verifier.verify(msg, sig)).toBe(true);
    sig[0] = (sig[0] as number) ^ 1;
    expect(verifier.verify(msg, sig)).toBe(false);
    expect(verifier.verify(Buffer.from('ho'), signer.sign(msg))).toBe(false);
    expect(verifier.verify(msg, sig.subarray(1))).toBe(false);
  });

  describe('when a verifier key is mangled', () => {
    it('throws VALIDATION_FAILED for every substring and every single-character change', () => {
      const k = peter.verifierKey;
      for (let i = 0; i <= k.length; i++) {
        for (let j = i + 1; j <= k.length; j++) {
          if (i === 0 && j === k.length) continue;
          expect(
            codeOf(() => parseVerifierKey(k.slice(i, j))),
            k.slice(i, j),
          ).toBe('VALIDATION_FAILED');
        }
      }
      for (let i = 0; i < k.length; i++) {
        const bumped = k.slice(0, i) + String.fromCharCode(k.charCodeAt(i) + 1) + k.slice(i + 1);
        expect(
          codeOf(() => parseVerifierKey(bumped)),
          bumped,
        ).toBe('VALIDATION_FAILED');
      }
      for (const bad of peter.badVerifierKeys)
        expect(codeOf(() => parseVerifierKey(bad))).toBe('VALIDATION_FAILED');
      expect(codeOf(() => parseVerifierKey(42 as unknown as string))).toBe('VALIDATION_FAILED');
    });
  });

  describe('when a signer key is mangled', () => {
    it('throws VALIDATION_FAILED for every substring and every single-character change', () => {
      const k = peter.signerKey;
      for (let i = 0; i <= k.length; i++) {
        for (let j = i + 1; j <= k.length; j++) {
          if (i === 0 && j === k.length) continue;
          expect(
            codeOf(() => parseSignerKey(k.slice(i, j))),
            k.slice(i, j),
          ).toBe('VALIDATION_FAILED');
        }
      }
      for (let i = 0; i < k.length; i++) {
        const bumped = k.slice(0, i) + String.fromCharCode(k.charCodeAt(i) + 1) + k.slice(i + 1);
        expect(
          codeOf(() => parseSignerKey(bumped)),
          bumped,
        ).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('when names or key sizes are invalid', () => {
    it('throws VALIDATION_FAILED', () => {
      const seed = Buffer.alloc(32, 1);
      for (const name of ['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u0085b', 'a\u2028b']) {
        expect(
          codeOf(() => createEd25519Signer(name, seed)),
          JSON.stringify(name),
        ).toBe('VALIDATION_FAILED');
      }
      expect(codeOf(() => createEd25519Signer('x', Buffer.alloc(31)))).toBe('VALIDATION_FAILED');
      expect(codeOf(() => createEd25519Verifier('x', Buffer.alloc(33)))).toBe('VALIDATION_FAILED');
      expect(codeOf(() => publicKeyFromSeed(Buffer.alloc(16)))).toBe('VALIDATION_FAILED');
    });
  });
});

describe('signNote', () => {
  it('produces the golang.org/x/mod PeterNeumann note byte for byte', () => {
    expect(signNote(peter.text, [parseSignerKey(peter.signerKey)])).toBe(peter.signedNote);
  });

  it('writes one line per signer, in order', () => {
    const { seed } = generateEd25519Key();
    const other = createEd25519Signer('example.com/other', seed);
    const note = signNote(peter.text, [parseSignerKey(peter.signerKey), other]);
    expect(note.startsWith(peter.signedNote)).toBe(true);
    expect(note.split('\n').filter((l) => l.startsWith('\u2014 '))).toHaveLength(2);
  });

  it('accepts texts with empty lines', () => {
    const signer = parseSignerKey(peter.signerKey);
    const text = 'a\n\nb\n\n';
    expect(openNote(signNote(text, [signer]), [peterVerifier]).text).toBe(text);
  });

  describe('when the text or signers are malformed', () => {
    it('throws NOTE_MALFORMED', () => {
      const signer = parseSignerKey(peter.signerKey);
      for (const text of ['', 'abc', 'a\rb\n', 'tab\there\n', 'lone \ud800\n']) {
        expect(
          codeOf(() => signNote(text, [signer])),
          JSON.stringify(text),
        ).toBe('NOTE_MALFORMED');
      }
      expect(codeOf(() => signNote(peter.text, []))).toBe('NOTE_MALFORMED');
      const badName: NoteSigner = { name: 'a b', keyId: 1, sign: () => Buffer.alloc(64) };
      expect(codeOf(() => signNote(peter.text, [badName]))).toBe('NOTE_MALFORMED');
    });
  });
});

describe('openNote', () => {
  const body = peter.text + '\n';

  it('opens the PeterNeumann note', () => {
    const opened = openNote(peter.signedNote, [peterVerifier]);
    expect(opened.text).toBe(peter.text);
    expect(opened.verified).toEqual([{ name: 'PeterNeumann', keyId: 0xc74f20a3 }]);
    expect(opened.unverified).toEqual([]);
  });

  it('verifies known keys and lists unknown ones (golang TestOpen)', () => {
    const note = body + peter.signatureLine + enoch.signatureLine;
    const one = openNote(note, [peterVerifier]);
    expect(one.verified).toEqual([{ name: 'PeterNeumann', keyId: 0xc74f20a3 }]);
    expect(one.unverified).toEqual([{ name: 'EnochRoot', keyId: 0xaf0cfe78 }]);
    const both = openNote(note, [peterVerifier, enochVerifier]);
    expect(both.verified).toEqual([
      { name: 'PeterNeumann', keyId: 0xc74f20a3 },
      { name: 'EnochRoot', keyId: 0xaf0cfe78 },
    ]);
    expect(both.unverified).toEqual([]);
  });

  it('lists repeated signatures once', () => {
    const enochABCD = enoch.signatureLine.slice(0, 60) + 'ABCD' + enoch.signatureLine.slice(60);
    const note = body + peter.signatureLine + peter.signatureLine + enoch.signatureLine + enochABCD;
    const opened = openNote(note, [peterVerifier]);
    expect(opened.verified).toHaveLength(1);
    expect(opened.unverified).toEqual([{ name: 'EnochRoot', keyId: 0xaf0cfe78 }]);
  });

  it('ignores a signature whose name or key ID (not both) matches a known key', () => {
    const renamed = peter.signatureLine.replace('PeterNeumann', 'CarmenSandiego');
    expect(codeOf(() => openNote(body + renamed, [peterVerifier]))).toBe('KEY_UNKNOWN');
    const withEnoch = openNote(body + renamed + enoch.signatureLine, [enochVerifier]);
    expect(withEnoch.unverified).toEqual([{ name: 'CarmenSandiego', keyId: 0xc74f20a3 }]);
  });

  it('verifies real sum.golang.org signed tree heads', () => {
    const sum = parseVerifierKey(v.sumGolangOrg.verifierKey);
    for (const sth of v.sumGolangOrg.signedTreeHeads) {
      const opened = openNote(sth, [sum]);
      expect(opened.text.startsWith('go.sum database tree\n')).toBe(true);
      expect(opened.verified).toEqual([{ name: 'sum.golang.org', keyId: 0x033de0ae }]);
      // Any change to the signed text breaks the signature.
      const tampered = sth.replace(/\n(\d+)\n/, (_m, n: string) => `\n${Number(n) + 1}\n`);
      expect(codeOf(() => openNote(tampered, [sum]))).toBe('SIGNATURE_INVALID');
    }
  });

  it('accepts up to MAX_NOTE_SIGNATURES signature lines', () => {
    expect(() =>
      openNote(body + peter.signatureLine.repeat(MAX_NOTE_SIGNATURES), [peterVerifier]),
    ).not.toThrow();
  });

  describe('when a signature by a known key does not verify', () => {
    it('throws SIGNATURE_INVALID', () => {
      const bad = peter.signatureLine.slice(0, 60) + 'ABCD' + peter.signatureLine.slice(60);
      expect(codeOf(() => openNote(body + bad, [peterVerifier]))).toBe('SIGNATURE_INVALID');
      // Even when another known key verifies.
      expect(codeOf(() => openNote(body + enoch.signatureLine + bad, [peterVerifier, enochVerifier]))).toBe(
        'SIGNATURE_INVALID',
      );
      // The text was changed.
      expect(codeOf(() => openNote('X' + peter.signedNote, [peterVerifier]))).toBe('SIGNATURE_INVALID');
    });
  });

  describe('when no signature is by a known key', () => {
    it('throws KEY_UNKNOWN', () => {
      const err = errorOf(() => openNote(body + peter.signatureLine + enoch.signatureLine, []));
      expect(err?.code).toBe('KEY_UNKNOWN');
      expect(err?.details.unverified).toHaveLength(2);
    });
  });

  describe('when two verifiers share a name and key ID', () => {
    it('throws VALIDATION_FAILED only if that key signed', () => {
      const dup = parseVerifierKey(enoch.verifierKey);
      expect(codeOf(() => openNote(body + enoch.signatureLine, [enochVerifier, peterVerifier, dup]))).toBe(
        'VALIDATION_FAILED',
      );
      expect(() => openNote(body + peter.signatureLine, [enochVerifier, peterVerifier, dup])).not.toThrow();
    });
  });

  describe('when the note is malformed', () => {
    const cases: [string, string][] = [
      ['text only', peter.text],
      ['no signature lines', body],
      ['no final newline', body + peter.signatureLine.slice(0, -1)],
      ['a control character', '\u0001' + body + peter.signatureLine],
      ['a carriage return', peter.text.replace('\n', '\r\n') + '\n' + peter.signatureLine],
      ['a lone surrogate', '\ud800' + body + peter.signatureLine],
      [
        'a name with a space',
        body +
          '\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n',
      ],
      ['an unexpected line after the signatures', body + peter.signatureLine + 'Unexpected line.\n'],
      ['a trailing blank line', body + peter.signatureLine + '\n'],
      ['a hyphen instead of an em dash', body + peter.signatureLine.replace('\u2014', '-')],
      ['no space after the name', body + '\u2014 PeterNeumann\n'],
      ['bad base64', body + '\u2014 PeterNeumann x08go/ZJ!!\n'],
      ['unpadded base64', body + peter.signatureLine.replace('AM=\n', 'AM\n')],
      ['a signature shorter than 5 bytes', body + '\u2014 PeterNeumann x08gow==\n'],
      ['too many signatures', body + peter.signatureLine.repeat(MAX_NOTE_SIGNATURES + 1)],
    ];
    it.each(cases)('throws NOTE_MALFORMED for %s', (_desc, note) => {
      expect(codeOf(() => openNote(note, [peterVerifier]))).toBe('NOTE_MALFORMED');
    });
    it('throws NOTE_MALFORMED for a non-string or huge input', () => {
      expect(
        codeOf(() => openNote(Buffer.from(peter.signedNote) as unknown as string, [peterVerifier])),
      ).toBe('NOTE_MALFORMED');
      expect(codeOf(() => openNote('a'.repeat(2 * 1024 * 1024) + '\n\n' + peter.signatureLine, []))).toBe(
        'NOTE_MALFORMED',
      );
    });
  });

  it('never calls a verifier for unknown keys and passes the text bytes to known ones', () => {
    const calls: string[] = [];
    const spy: NoteVerifier = {
      name: 'PeterNeumann',
      keyId: 0xc74f20a3,
      verify: (msg, sig) => {
        calls.push(Buffer.from(msg).toString('utf8'));
        return peterVerifier.verify(msg, sig);
      },
    };
    openNote(peter.signedNote + enoch.signatureLine, [spy]);
    expect(calls).toEqual([peter.text]);
  });
});
