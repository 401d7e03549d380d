import { describe, expect, it } from 'vitest';
import { canonicalIp, isSameIp } from './ip-address.js';

describe('canonicalIp', () => {
  it('writes the spellings of one IPv6 address that RFC 5952 §2 lists as the one text of §4', () => {
    for (const text of [
      '2001:db8:0:0:1:0:0:1',
      '2001:0db8:0:0:1:0:0:1',
      '2001:db8::1:0:0:1',
      '2001:db8::0:1:0:0:1',
      '2001:0db8::1:0:0:1',
      '2001:db8:0:0:1::1',
      '2001:db8:0000:0:1::1',
      '2001:DB8:0:0:1::1',
    ]) {
      expect(canonicalIp(text), text).toBe('2001:db8::1:0:0:1');
    }
  });

  it('drops leading zeros and lowers hex digits (§4.1, §4.3)', () => {
    expect(canonicalIp('2001:0db8::0001')).toBe('2001:db8::1');
    expect(canonicalIp('2001:0DB8:0:0::1')).toBe('2001:db8::1');
    expect(canonicalIp('2001:db8:aaaa:bbbb:cccc:dddd:eeee:AAAA')).toBe(
      '2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa',
    );
  });

  it('shortens the longest run of zero groups, the first of equal runs, and never a single zero group (§4.2)', () => {
    expect(canonicalIp('2001:db8:0:0:0:0:2:1')).toBe('2001:db8::2:1');
    expect(canonicalIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalIp('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('0:0:0:0:0:0:0:0')).toBe('::');
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('1:0:0:0:0:0:0:0')).toBe('1::');
  });

  it('folds IPv4-mapped addresses, dotted or hex, to the IPv4 address (§5)', () => {
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('::FFFF:0A00:0001')).toBe('10.0.0.1');
    expect(canonicalIp('0:0:0:0:0:ffff:c000:0280')).toBe('192.0.2.128');
    // Other embedded IPv4 forms are not the mapped prefix: they stay IPv6.
    expect(canonicalIp('64:ff9b::192.0.2.33')).toBe('64:ff9b::c000:221');
  });

  it('keeps IPv4 and a zone as written, and refuses what is not an address', () => {
    expect(canonicalIp('10.0.0.24')).toBe('10.0.0.24');
    expect(canonicalIp('FE80::0001%eth0')).toBe('fe80::1%eth0');
    for (const text of ['', 'localhost', '1.2.3.04', ' 10.0.0.1', '2001:db8::1::1', '::ffff:10.0.0.256']) {
      expect(canonicalIp(text), text).toBeUndefined();
    }
  });

  it('is idempotent', () => {
    for (const text of ['2001:DB8::0:1', '::ffff:1.2.3.4', '::', 'fe80::1%1']) {
      const once = canonicalIp(text)!;
      expect(canonicalIp(once)).toBe(once);
    }
  });
});

describe('isSameIp', () => {
  it('compares addresses, not spellings', () => {
    expect(isSameIp('2001:0DB8:0:0::1', '2001:db8::1')).toBe(true);
    expect(isSameIp('::ffff:10.0.0.1', '10.0.0.1')).toBe(true);
    expect(isSameIp('10.0.0.1', '10.0.0.2')).toBe(false);
    expect(isSameIp(null, '10.0.0.1')).toBe(false);
    expect(isSameIp(null, null)).toBe(true);
  });
});
