import type { Journal } from '../journal/journal.js';
import type { RecordCursor, RecordFilter } from '../journal/journal-store.js';
import { toRecordJson } from './record-json.js';
import { csvLine } from './csv-cell.js';

/** Formats of `GET /api/v1/events/export`. */
export type RecordExportFormat = 'csv' | 'ndjson';

/** CSV columns of a records export: seed 002's fields (the row's `index` first), then Tamga's. */
export const RECORD_CSV_COLUMNS = Object.freeze([
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
] as const);

/** Records read per round trip while exporting. */
const PAGE = 1000;

/**
 * Every record of `filter`, in its order, as export lines: NDJSON (each record as `GET /api/v1/events` returns it,
 * `index` counting from 1 over the whole export) or CSV (a header line, then {@link RECORD_CSV_COLUMNS}, cells
 * neutralized against formula injection, CRLF line ends; a UTF-8 byte-order mark first so that spreadsheet programs
 * read Cyrillic text as UTF-8). Every record is checked afresh, as on any read.
 */
export async function* recordExportLines(journal: Journal, filter: RecordFilter, format: RecordExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield `\uFEFF${csvLine(RECORD_CSV_COLUMNS)}`;
  let index = 0;
  let after: RecordCursor | undefined;
  for (;;) {
    if (after !== undefined) {
      // SQLite answers synchronously: let other requests run between pages of a long export.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const { items, hasMore } = await journal.query(filter, PAGE, after);
    let chunk = '';
    for (const record of items) {
      const json = toRecordJson(record, ++index);
      chunk += format === 'csv' ? csvLine(RECORD_CSV_COLUMNS.map((c) => json[c])) : `${JSON.stringify(json)}\n`;
    }
    if (chunk !== '') yield chunk;
    const last = items[items.length - 1];
    if (!hasMore || last === undefined) return;
    after = { createdAt: last.createdAt, rid: last.rid };
  }
}
