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

/** The regex and `Date` parser that `parseTimestamp` replaced (a hand parser, for speed): the reference it must match. */
function referenceParse(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, Math.min(second, 59), 0);
  if (date.getUTCDate() !== day) return undefined;
  let micros = date.getTime() * 1000;
  if (frac) micros += Number(frac.padEnd(6, '0').slice(0, 6));
  if (sign) {
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    micros -= (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om)) * 60_000_000;
  }
  return micros;
}

describe('parseTimestamp (hand parser)', () => {
  it('gives exactly what the regex and Date parser gave, for valid and invalid text alike', () => {
    const samples = [
      '2024-08-31T23:35:58.293780Z', '2024-08-31t23:35:58z', '2024-08-31 23:35:58', '2024-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '0000-01-01T00:00:00Z',
      '0000-03-01T00:00:00Z', '9999-12-31T23:59:60.999999999Z', '1969-12-31T23:59:59.999999Z', '1700-01-01T00:00:00Z',
      '2024-08-31T23:35:58.1234567890Z', '2024-08-31T23:35:58.Z', '2024-08-31T23:35:58+0530', '2024-08-31T23:35:58-05:30',
      '2024-08-31T23:35:58+24:00', '2024-08-31T23:35:58+23:60', '2024-08-31T23:35:58+05:3', '2024-08-31T23:35:58+05:',
      '2024-08-31T24:00:00Z', '2024-08-31T23:60:00Z', '2024-08-31T23:59:61Z', '2024-13-01T00:00:00Z', '2024-00-01T00:00:00Z',
      '2024-04-31T00:00:00Z', '2024-08-00T00:00:00Z', '2024-08-31T23:35:58ZZ', '2024-08-31T23:35:58 ', ' 2024-08-31T23:35:58',
      '2024-08-31X23:35:58', '2024/08/31T23:35:58', '２０24-08-31T23:35:58Z', '2024-08-31T23:35', '', '2024-08-31T23:35:58.5+00:00',
    ];
    // And random mutations of valid forms: digits, separators and lengths changed one character at a time.
    const alphabet = '0123456789-:.TtZz+ x';
    let seed = 13;
    const random = (n: number): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n);
    for (let k = 0; k < 20_000; k++) {
      let text = samples[random(12)]!;
      const at = random(text.length + 1);
      const what = random(3);
      const c = alphabet[random(alphabet.length)]!;
      text = what === 0 ? text.slice(0, at) + c + text.slice(at + 1) : what === 1 ? text.slice(0, at) + c + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
      samples.push(text);
    }
    for (let k = 0; k < 5000; k++) {
      const p = (n: number, w: number): string => String(random(n)).padStart(w, '0');
      samples.push(`${p(10_000, 4)}-${p(14, 2)}-${p(33, 2)}T${p(25, 2)}:${p(61, 2)}:${p(62, 2)}.${p(1_000_000, 6)}${['Z', '+', '-'][random(3)]}${p(25, 2)}:${p(61, 2)}`.replace(/Z\d\d:\d\d$/, 'Z'));
    }
    for (const text of samples) expect(parseTimestamp(text), text).toBe(referenceParse(text));
  });
});
