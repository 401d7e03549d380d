import { ApiError, isAbort } from '../api/tamga-api.js';
import type { TamgaApi } from '../api/tamga-api.js';
import { filterParams } from '../state/journal-query.js';
import type { JournalFilter } from '../state/journal-query.js';

/** Formats of an export of the view. */
export type ExportFormat = 'csv' | 'ndjson';

/** A downloaded export: the bytes as the server sent them, and how many records they hold. */
export interface RecordExport {
  readonly blob: Blob;
  readonly records: number;
}

/**
 * Counts the records of an export as its bytes arrive: NDJSON lines, or CSV rows (line breaks outside quoted cells,
 * RFC 4180; the header row not counted).
 */
export class RecordCounter {
  #records = 0;
  #isQuoted = false;
  readonly #format: ExportFormat;

  constructor(format: ExportFormat) {
    this.#format = format;
    // The CSV header ends with the first line break.
    if (format === 'csv') this.#records = -1;
  }

  /** Feeds the next decoded text. */
  add(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // A doubled quote toggles twice, so counting every quote keeps the state right.
      if (c === 34 && this.#format === 'csv') this.#isQuoted = !this.#isQuoted;
      else if (c === 10 && !this.#isQuoted) this.#records++;
    }
  }

  /** Records counted so far. */
  get records(): number {
    return Math.max(0, this.#records);
  }
}

/**
 * Downloads every record of `filter` in its order as CSV or NDJSON from the server (`GET /api/v1/events/export`), which
 * journals the export with the caller and IP (a file built in the browser would leave no trace). `onProgress` gets the
 * records so far. The CSV's cells that a spreadsheet would run as formulas come neutralized.
 *
 * @throws ApiError the server's problem, or `BUNDLE_INCOMPLETE` when the download is cut: a cut file is never returned.
 */
export async function fetchRecordExport(
  api: TamgaApi,
  filter: JournalFilter,
  format: ExportFormat,
  onProgress?: (records: number) => void,
): Promise<RecordExport> {
  const params = filterParams(filter);
  params.set('format', format);
  const response = await api.request(`/api/v1/events/export?${params.toString()}`, {
    headers: { accept: 'text/csv, application/x-ndjson, application/problem+json' },
  });
  if (response.body === null)
    throw new ApiError('BAD_RESPONSE', 'The server sent an empty answer', response.status);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const counter = new RecordCounter(format);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
    try {
      chunk = (await reader.read()) as ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError('BUNDLE_INCOMPLETE', `The download stopped after ${counter.records} records`, 0);
    }
    if (chunk.done) break;
    parts.push(chunk.value);
    counter.add(decoder.decode(chunk.value, { stream: true }));
    onProgress?.(counter.records);
  }
  const type = format === 'csv' ? 'text/csv;charset=utf-8' : 'application/x-ndjson';
  return { blob: new Blob(parts, { type }), records: counter.records };
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

/** An RFC 3339 time in file-name form, without separators or fractions: `20260301T100000Z`. */
export function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+/, '');
}

/** A file name for an export of `[from, to)`: `tamga-events-20260301T100000Z-20260301T110000Z.csv`. */
export function exportFileName(from: string, to: string, extension: string): string {
  return `tamga-events-${compactTime(from)}-${compactTime(to)}.${extension}`;
}
