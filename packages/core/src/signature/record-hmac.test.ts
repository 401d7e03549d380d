import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { describe, it, expect } from 'vitest';
import { computeRecordSignature, hasValidRecordSignature } from './record-hmac.js';

// Source: RFC 4231 §4 (see testdata/README.md).
const kat = JSON.parse(
  readFileSync(new URL('./testdata/rfc4231-hmac-sha256.json', import.meta.url), 'utf8'),
) as {
  cases: { name: string; keyHex: string; dataHex: string; hmacSha256: string }[];
};

describe('computeRecordSignature', () => {
  it.each(kat.cases)('matches RFC 4231 $name', (c) => {
    expect(computeRecordSignature(Buffer.from(c.keyHex, 'hex'), Buffer.from(c.dataHex, 'hex'))).toBe(
      c.hmacSha256,
    );
  });

  it('returns 64 lowercase hex characters', () => {
    expect(computeRecordSignature(Buffer.from('k'), Buffer.from('{}'))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('hasValidRecordSignature', () => {
  const key = Buffer.from('Jefe');
  const data = Buffer.from('what do ya want for nothing?');
  const good = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';

  it('accepts the RFC 4231 test case 2 signature', () => {
    expect(hasValidRecordSignature(key, data, good)).toBe(true);
  });

  it('ignores the case of the hex digits', () => {
    expect(hasValidRecordSignature(key, data, good.toUpperCase())).toBe(true);
  });

  describe('when the record, key or signature was changed', () => {
    it('returns false', () => {
      expect(hasValidRecordSignature(key, Buffer.from('what do ya want for nothing!'), good)).toBe(false);
      expect(hasValidRecordSignature(Buffer.from('Jeff'), data, good)).toBe(false);
      expect(hasValidRecordSignature(key, data, good.slice(0, 63) + '4')).toBe(false);
    });
  });

  describe('when the signature is malformed', () => {
    it('returns false instead of throwing', () => {
      for (const bad of ['', good.slice(0, 62), good + '00', 'zz' + good.slice(2), ` ${good}`]) {
        expect(hasValidRecordSignature(key, data, bad), bad).toBe(false);
      }
      expect(hasValidRecordSignature(key, data, null as unknown as string)).toBe(false);
      expect(hasValidRecordSignature(key, data, 42 as unknown as string)).toBe(false);
    });
  });
});
