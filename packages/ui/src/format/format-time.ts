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

/** An RFC 3339 instant as the value of `<input type="datetime-local" step="1">` in local time. */
export function toLocalInput(iso: string): string {
  const d = new Date(Date.parse(iso));
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The local time of a `datetime-local` input as epoch ms, or undefined when empty or invalid. */
export function fromLocalInput(value: string): number | undefined {
  if (value === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
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
