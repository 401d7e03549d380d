import { locale, t } from '../i18n/i18n.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(key: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const id = `${locale.value}|${key}`;
  let f = formatters.get(id);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(locale.value, options);
    formatters.set(id, f);
  }
  return f;
}

/** Date and time with milliseconds in the viewer's locale and time zone: `31.08.2024, 23:35:58.293`. */
export function formatDateTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return formatter('full', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    hourCycle: 'h23',
  }).format(ms);
}

/** Date and time to the minute, for ranges and axes. */
export function formatShort(iso: string | number): string {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  return formatter('short', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
}

/** Time of day only, for axis labels within one day. */
export function formatTimeOfDay(ms: number, withSeconds = false): string {
  return formatter(withSeconds ? 'tods' : 'tod', {
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds && { second: '2-digit' }),
    hourCycle: 'h23',
  }).format(ms);
}

/** The viewer's time zone and its current offset: `Europe/Moscow (UTC+03:00)`. */
export function timeZoneLabel(atMs: number = Date.now()): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offset = -new Date(atMs).getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '−';
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${zone} (UTC${sign}${hh}:${mm})`;
}

/** An RFC 3339 instant as the viewer's local time in the date fields: `2026-03-10 13:00:00`. */
export function toLocalInput(iso: string): string {
  const d = new Date(Date.parse(iso));
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,3}))?)?)?$/;

/**
 * A local time typed in a date field as epoch ms: `2026-03-10 13:05`, with seconds and milliseconds optional, a `T`
 * instead of the space, or a date alone (midnight). Undefined when empty or not a real time (month 13, 31 April).
 */
export function fromLocalInput(value: string): number | undefined {
  const m = LOCAL_TIME.exec(value.trim());
  if (m === null) return undefined;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m
    .slice(1, 7)
    .map((v) => (v === undefined ? undefined : Number(v)));
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const date = new Date(y!, mo! - 1, d!, h, mi, s, ms);
  // Date rolls 31 April over to 1 May: refuse what does not come back as typed.
  if (
    date.getFullYear() !== y ||
    date.getMonth() !== mo! - 1 ||
    date.getDate() !== d ||
    date.getHours() !== h ||
    date.getMinutes() !== mi
  ) {
    return undefined;
  }
  return date.getTime();
}

/** A duration in words-free units: `850 ms`, `12.4 s`, `3 min 5 s`, `2 h 10 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A histogram bucket width: `5 min`. */
export function formatBucket(seconds: number): string {
  if (seconds % 86400 === 0) return t('bucketDays', { n: seconds / 86400 });
  if (seconds % 3600 === 0) return t('bucketHours', { n: seconds / 3600 });
  if (seconds % 60 === 0) return t('bucketMinutes', { n: seconds / 60 });
  return t('bucketSeconds', { n: seconds });
}

/**
 * The gap between a record's `createdAt` and `apiCreatedAt` (`apiCreatedAt − createdAt`, ms) in words: "received
 * 45 min 0 s after it happened" or "dated 7 min 0 s after it was received".
 */
export function formatTimeGap(gapMs: number): string {
  return gapMs > 0
    ? t('timeGapLate', { duration: formatDuration(gapMs) })
    : t('timeGapAhead', { duration: formatDuration(-gapMs) });
}
