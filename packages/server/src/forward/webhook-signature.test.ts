import { describe, expect, it } from 'vitest';
import { signBody, verifyBodySignature } from './webhook-signature.js';

const SECRET = 'a webhook secret of some length';
const BODY = Buffer.from('{"records":[{"id":"x"}]}');
const NOW = 1_795_000_000;

describe('signBody / verifyBodySignature', () => {
  it('signs the timestamp and the body, and a receiver with the secret accepts it', () => {
    const header = signBody(SECRET, BODY, NOW);
    expect(header).toMatch(/^t=1795000000,v1=[0-9a-f]{64}$/);
    expect(verifyBodySignature(header, BODY, SECRET, NOW + 10)).toBe(true);
  });

  it('refuses another body, another secret, a moved timestamp, a replay after the tolerance and garbage', () => {
    const header = signBody(SECRET, BODY, NOW);
    expect(verifyBodySignature(header, Buffer.from('{"records":[]}'), SECRET, NOW)).toBe(false);
    expect(verifyBodySignature(header, BODY, 'another secret entirely', NOW)).toBe(false);
    expect(verifyBodySignature(header.replace(`t=${NOW}`, `t=${NOW + 1}`), BODY, SECRET, NOW)).toBe(false);
    expect(verifyBodySignature(header, BODY, SECRET, NOW + 301)).toBe(false);
    for (const bad of [undefined, '', 'v1=abc', `t=${NOW}`, `t=x,v1=${'0'.repeat(64)}`]) expect(verifyBodySignature(bad, BODY, SECRET, NOW)).toBe(false);
  });
});
