import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfter } from './retry-policy.js';

describe('backoffDelayMs', () => {
  it('doubles the ceiling with each retry up to maxDelayMs, with the delay drawn below it', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, policy, undefined, () => 0.999_999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelayMs(3, policy, undefined, () => 0)).toBe(0);
  });

  it('never waits less than Retry-After, even beyond maxDelayMs', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(1, policy, 60, () => 0.5)).toBe(60_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates (RFC 9110 §10.2.3)', () => {
    const now = Date.UTC(2026, 11, 4, 12, 0, 0);
    expect(parseRetryAfter('5', now)).toBe(5);
    expect(parseRetryAfter('Fri, 04 Dec 2026 12:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Fri, 04 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
