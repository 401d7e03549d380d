import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp } from './timestamp.js';

describe('parseTimestamp', () => {
  it('reads RFC 3339 with an offset into UTC microseconds', () => {
    expect(parseTimestamp('2024-09-01T02:35:58.29378+03:00')).toBe(Date.UTC(2024, 7, 31, 23, 35, 58) * 1000 + 293_780);
    expect(parseTimestamp('2024-08-31T23:35:58Z')).toBe(Date.UTC(2024, 7, 31, 23, 35, 58) * 1000);
  });

  it('takes a timestamp without offset as UTC, like seed 002 shows them', () => {
    expect(parseTimestamp('2024-08-31T23:35:58.29378')).toBe(Date.UTC(2024, 7, 31, 23, 35, 58) * 1000 + 293_780);
  });

  it('refuses impossible dates and other text', () => {
    for (const text of ['2024-02-30T10:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', 'yesterday', '2024-01-01', '']) {
      expect(parseTimestamp(text), text).toBeUndefined();
    }
  });
});

describe('formatTimestamp', () => {
  it('writes UTC with six fractional digits, and round-trips', () => {
    const micros = Date.UTC(2024, 7, 31, 23, 35, 58) * 1000 + 293_780;
    expect(formatTimestamp(micros)).toBe('2024-08-31T23:35:58.293780Z');
    expect(parseTimestamp(formatTimestamp(micros))).toBe(micros);
  });
});
