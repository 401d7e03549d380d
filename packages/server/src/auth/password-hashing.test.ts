import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password-hashing.js';
import { checkPasswordPolicy } from './password-policy.js';
import { TokenBuckets } from './token-bucket.js';

describe('hashPassword', () => {
  it('hashes with the documented parameters (N = 2^15, r = 8, p = 1) and a fresh salt', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false);
  });

  it('verifies a hash made with other parameters, and treats the same text in NFC and NFD alike', async () => {
    const hash = await hashPassword('pa\u0301ssword long enough', { log2N: 10, r: 8, p: 1 });
    expect(await verifyPassword('p\u00e1ssword long enough', hash)).toBe(true);
  });

  describe('when the stored hash is malformed or too costly', () => {
    it.each([
      ['empty', ''],
      ['other scheme', 'bcrypt$2b$10$abc'],
      ['huge N', 'scrypt$30$8$1$c2FsdHNhbHQ$' + 'A'.repeat(43)],
      ['short key', 'scrypt$10$8$1$c2FsdHNhbHQ$AAAA'],
      ['not numbers', 'scrypt$x$8$1$c2FsdHNhbHQ$' + 'A'.repeat(43)],
    ])('%s never matches', async (_name, stored) => {
      expect(await verifyPassword('anything', stored)).toBe(false);
    });
  });
});

describe('checkPasswordPolicy', () => {
  it('asks for 12 characters, at most 1024, and not the login', () => {
    expect(() => checkPasswordPolicy('eleven char', 'bob')).toThrow(expect.objectContaining({ code: 'PASSWORD_TOO_WEAK' }));
    expect(() => checkPasswordPolicy('a'.repeat(1025), 'bob')).toThrow(expect.objectContaining({ code: 'PASSWORD_TOO_WEAK' }));
    expect(() => checkPasswordPolicy('Administrator', 'administrator')).toThrow(expect.objectContaining({ code: 'PASSWORD_TOO_WEAK' }));
    expect(() => checkPasswordPolicy('twelve chars', 'bob')).not.toThrow();
  });
});

describe('TokenBuckets', () => {
  it('allows the burst, then refills at the rate, and says how long to wait', () => {
    const buckets = new TokenBuckets(3, 1);
    expect(buckets.take('k', 2, 0)).toBe(0);
    expect(buckets.take('k', 2, 0)).toBe(1);
    expect(buckets.take('other', 3, 0)).toBe(0);
    expect(buckets.take('k', 2, 1000)).toBe(0);
    expect(buckets.take('k', 1, 1000)).toBe(1);
  });

  it('forgets callers beyond its size instead of growing', () => {
    const buckets = new TokenBuckets(1, 1, 10);
    for (let i = 0; i < 100; i++) expect(buckets.take(`k${i}`, 1, 0)).toBe(0);
  });
});
