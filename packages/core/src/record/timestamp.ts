/**
 * Timestamps: Tamga stores UTC microseconds since the Unix epoch and renders RFC 3339 in UTC with six
 * fractional digits, e.g. `2024-08-31T23:35:58.293780Z`.
 */

/**
 * Parses an RFC 3339 timestamp to UTC microseconds. A timestamp without an offset is taken as UTC
 * (seed 002 shows `2024-08-31T23:35:58.29378`). Every year 0000-9999 means itself (no two-digit-year
 * guess). Returns `undefined` when `text` is not a valid timestamp (bad calendar date included).
 * Microseconds are exact in a double only within about 285 years of 1970: callers that store a time
 * bound it (see {@link EARLIEST_STORED_MICROS}).
 */
export function parseTimestamp(text: string): number | undefined {
  // A hand parser, not a regex and a Date: it runs for every event of a batch. Same grammar, same checks and the same
  // arithmetic in the same order (so the same double) as the regex and `Date` form it replaced (timestamp.test.ts
  // compares the two).
  const length = text.length;
  if (length < 19) return undefined;
  const year = asciiDigits(text, 0, 4);
  const month = asciiDigits(text, 5, 2);
  const day = asciiDigits(text, 8, 2);
  const hour = asciiDigits(text, 11, 2);
  const minute = asciiDigits(text, 14, 2);
  const second = asciiDigits(text, 17, 2);
  const t = text.charCodeAt(10);
  if (
    year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
    text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || (t !== 0x54 && t !== 0x74 && t !== 0x20) ||
    text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a
  ) {
    return undefined;
  }
  let i = 19;
  let frac = 0;
  if (i < length && text.charCodeAt(i) === 0x2e) {
    // 1 to 9 digits; the first 6 are the microseconds (padded with zeros), the rest are dropped.
    const start = ++i;
    while (i < length && i - start < 9 && isDigit(text.charCodeAt(i))) {
      if (i - start < 6) frac = frac * 10 + (text.charCodeAt(i) - 0x30);
      i++;
    }
    if (i === start) return undefined;
    for (let n = i - start; n < 6; n++) frac *= 10;
  }
  let sign = 0;
  let oh = 0;
  let om = 0;
  if (i < length) {
    const c = text.charCodeAt(i);
    if (c === 0x5a || c === 0x7a) {
      i++;
    } else if (c === 0x2b || c === 0x2d) {
      sign = c === 0x2b ? 1 : -1;
      oh = asciiDigits(text, i + 1, 2);
      const colon = text.charCodeAt(i + 3) === 0x3a ? 1 : 0;
      om = asciiDigits(text, i + 3 + colon, 2);
      if (oh < 0 || om < 0) return undefined;
      i += 5 + colon;
    } else {
      return undefined;
    }
  }
  if (i !== length) return undefined;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  if (day > daysInMonth(year, month)) return undefined; // e.g. February 30
  // Not `Date.UTC`: it reads years 0-99 as 1900-1999 (ECMA-262 §21.4.3.4, MakeFullYear), so "0075-06-01" would
  // become 1975. Days are counted from the civil date (proleptic Gregorian), which takes the year as given.
  const ms = daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + Math.min(second, 59) * 1000;
  let micros = ms * 1000;
  if (frac !== 0) micros += frac;
  if (sign !== 0) {
    if (oh > 23 || om > 59) return undefined;
    micros -= sign * (oh * 60 + om) * 60_000_000;
  }
  return micros;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The number written by `count` ASCII digits at `start` of `text`, or -1 when one of them is not a digit. */
export function asciiDigits(text: string, start: number, count: number): number {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const c = text.charCodeAt(i); // NaN past the end: not a digit
    if (!isDigit(c)) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** 1970-01-01T00:00:00Z: the earliest `createdAt` a tenant takes unless it allows back-dated imports. */
export const EPOCH_MICROS = 0;

/**
 * 1700-01-01T00:00:00Z: the earliest time Tamga stores at all (a tenant with back-dated imports). Microseconds
 * before about 1685 are beyond 2^53 and would lose their exactness in a double.
 */
export const EARLIEST_STORED_MICROS = -8_520_336_000_000_000;

/** Formats UTC microseconds as RFC 3339 UTC with six fractional digits. */
export function formatTimestamp(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString(); // 2024-08-31T23:35:58.293Z
  const sub = String(micros - ms * 1000).padStart(3, '0');
  return `${iso.slice(0, 23)}${sub}Z`;
}

/** The current time in UTC microseconds (millisecond resolution). */
export function nowMicros(): number {
  return Date.now() * 1000;
}
