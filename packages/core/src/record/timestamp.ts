/**
 * Timestamps: Tamga stores UTC microseconds since the Unix epoch and renders RFC 3339 in UTC with six
 * fractional digits, e.g. `2024-08-31T23:35:58.293780Z`.
 */

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Parses an RFC 3339 timestamp to UTC microseconds. A timestamp without an offset is taken as UTC
 * (seed 002 shows `2024-08-31T23:35:58.29378`). Every year 0000-9999 means itself (no two-digit-year
 * guess). Returns `undefined` when `text` is not a valid timestamp (bad calendar date included).
 * Microseconds are exact in a double only within about 285 years of 1970: callers that store a time
 * bound it (see {@link EARLIEST_STORED_MICROS}).
 */
export function parseTimestamp(text: string): number | undefined {
  const m = RFC3339_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  // Not `Date.UTC`: it reads years 0-99 as 1900-1999 (ECMA-262 §21.4.3.4, MakeFullYear), so
  // "0075-06-01" would become 1975. setUTCFullYear takes the year as given.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, Math.min(second, 59), 0);
  if (date.getUTCDate() !== day) return undefined; // e.g. February 30
  let micros = date.getTime() * 1000;
  if (frac) micros += Number(frac.padEnd(6, '0').slice(0, 6));
  if (sign) {
    const offsetMinutes = Number(oh) * 60 + Number(om);
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    micros -= (sign === '+' ? 1 : -1) * offsetMinutes * 60_000_000;
  }
  return micros;
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
