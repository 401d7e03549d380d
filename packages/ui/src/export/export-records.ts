import type { JournalRecord } from '../api/journal-record.js';

/** CSV columns: seed 002's fields in seed order, then Tamga's. */
export const CSV_COLUMNS = [
  'index',
  'id',
  'event',
  'eventName',
  'classifiedEvent',
  'createdAt',
  'apiCreatedAt',
  'userId',
  'ip',
  'tenantId',
  'nodeId',
  'operationKey',
  'text',
  'entityData',
  'signature',
  'validSignature',
  'seq',
  'sigKid',
  'integrity',
  'severity',
  'outcome',
] as const;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // RFC 4180: quote fields holding a separator, quote or line break; double inner quotes.
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Records as RFC 4180 CSV with a header line and CRLF line ends. Values are written exactly as the
 * API gave them (objects as JSON, null as an empty cell), so the file is evidence, not a rendering.
 */
export function toCsv(records: readonly JournalRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of records) lines.push(CSV_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Records as NDJSON, one record per line exactly as the API returned it. */
export function toNdjson(records: readonly JournalRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');
}

/** Starts a client-side download of `blob` under `fileName`. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Starts a client-side download of `text`. */
export function downloadText(text: string, fileName: string, type: string): void {
  downloadBlob(new Blob([text], { type }), fileName);
}

/** An RFC 3339 time in file-name form, without separators or fractions: `20260301T100000Z`. */
export function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+/, '');
}

/** A file name for an export of `[from, to)`: `tamga-events-20260301T100000Z-20260301T110000Z.csv`. */
export function exportFileName(from: string, to: string, extension: string): string {
  return `tamga-events-${compactTime(from)}-${compactTime(to)}.${extension}`;
}
