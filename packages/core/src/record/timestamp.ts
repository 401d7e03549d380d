/**
 * Timestamps: Tamga stores UTC microseconds since the Unix epoch and renders RFC 3339 in UTC with six
 * fractional digits, e.g. `2024-08-31T23:35:58.293780Z`.
 */

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Parses an RFC 3339 timestamp to UTC microseconds. A timestamp without an offset is taken as UTC
 * (seed 002 shows `2024-08-31T23:35:58.29378`). Returns `undefined` when `text` is not a valid
 * timestamp (bad calendar date included).
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
  const ms = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  if (new Date(ms).getUTCDate() !== day) return undefined; // e.g. February 30
  let micros = ms * 1000;
  if (frac) micros += Number(frac.padEnd(6, '0').slice(0, 6));
  if (sign) {
    const offsetMinutes = Number(oh) * 60 + Number(om);
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    micros -= (sign === '+' ? 1 : -1) * offsetMinutes * 60_000_000;
  }
  return micros;
}

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
