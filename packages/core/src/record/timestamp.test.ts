import { describe, expect, it } from 'vitest';
import { EARLIEST_STORED_MICROS, formatTimestamp, parseTimestamp } from './timestamp.js';

describe('parseTimestamp', () => {
  it('reads RFC 3339 with an offset into UTC microseconds', () => {
    expect(parseTimestamp('2024-09-01T02:35:58.29378+03:00')).toBe(Date.UTC(2024, 7, 31, 23, 35, 58) * 1000 + 293_780);
    expect(parseTimestamp('2024-08-31T23:35:58Z')).toBe(Date.UTC(2024, 7, 31, 23, 35, 58) * 1000);
  });

  it('takes a timestamp without offset as UTC, like seed 002 shows them', () => {
    expect(parseTimestamp('2024-08-31T23:35:58.29378')).toBe(Date.UTC(2024, 7, 31, 23, 35, 58) * 1000 + 293_780);
  });

  it('reads years 0000-0099 as themselves, not as 1900-1999 (the Date.UTC quirk)', () => {
    const year75 = parseTimestamp('0075-06-01T12:00:00Z')!;
    expect(new Date(year75 / 1000).getUTCFullYear()).toBe(75);
    expect(year75).toBeLessThan(parseTimestamp('1700-01-01T00:00:00Z')!);
    expect(formatTimestamp(parseTimestamp('0001-01-01T00:00:00Z')!)).toBe('0001-01-01T00:00:00.000000Z');
    expect(formatTimestamp(parseTimestamp('0000-02-29T00:00:00Z')!)).toBe('0000-02-29T00:00:00.000000Z');
    expect(parseTimestamp('0099-02-29T00:00:00Z'), '99 is no leap year (1999 is not either, but 0096 is)').toBeUndefined();
    expect(parseTimestamp('0096-02-29T00:00:00Z')).toBeDefined();
  });

  it('round-trips times before 1970 down to the earliest stored time', () => {
    for (const text of ['1969-12-31T23:59:59.999999Z', '1700-01-01T00:00:00.000000Z', '1899-07-04T08:30:00.000001Z']) {
      expect(formatTimestamp(parseTimestamp(text)!)).toBe(text);
    }
    expect(parseTimestamp('1700-01-01T00:00:00Z')).toBe(EARLIEST_STORED_MICROS);
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
