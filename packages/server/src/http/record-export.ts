import type { IntegrityStatus } from '@tamga/core';
import type { Journal } from '../journal/journal.js';
import { checkerOfKeys } from '../journal/journal-store.js';
import type { CheckedRecord, ExportPage, RecordCursor, RecordFilter, StoredRecord } from '../journal/journal-store.js';
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

/** Export lines of checked records, `index` counting on from `firstIndex` (the first record's is `firstIndex + 1`). */
export function recordLines(records: readonly CheckedRecord[], format: RecordExportFormat, firstIndex: number): string {
  let chunk = '';
  let index = firstIndex;
  for (const record of records) chunk += recordLine(record, record.integrity, format, ++index);
  return chunk;
}

/** The export line of a record and its integrity, `index` its position in the export. */
function recordLine(record: StoredRecord, integrity: IntegrityStatus, format: RecordExportFormat, index: number): string {
  const json = toRecordJson(record, integrity, index);
  return format === 'csv' ? csvLine(RECORD_CSV_COLUMNS.map((c) => json[c])) : `${JSON.stringify(json)}\n`;
}

/**
 * One page of an export from the store's rows (at most `limit`, read as `limit + 1` to know whether more follow):
 * each checked with `hmacKeys` and formatted ({@link recordLines}). Run where the rows are read — on a SQLite reader
 * thread — so an export neither checks nor formats on the thread serving HTTP; `unknownKids` names the key ids of
 * records none of `hmacKeys` checked, for the caller to look up and ask again.
 */
export function exportPage(
  rows: readonly StoredRecord[],
  limit: number,
  hmacKeys: ReadonlyMap<string, Uint8Array>,
  format: RecordExportFormat,
  firstIndex: number,
): ExportPage {
  const items = rows.slice(0, limit);
  const checker = checkerOfKeys(hmacKeys);
  // Each line made from the record and its integrity: a checked copy of each (a spread of ~27 fields) cost as much as
  // formatting it.
  let chunk = '';
  let index = firstIndex;
  for (const record of items) {
    chunk += recordLine(record, checker.check(record), format, ++index);
  }
  const last = items[items.length - 1];
  return {
    chunk,
    records: items.length,
    last: last === undefined ? undefined : { createdAt: last.createdAt, rid: last.rid },
    hasMore: rows.length > limit,
    unknownKids: [...checker.unknownKids],
  };
}

/**
 * Every record of `filter`, in its order, as export lines: NDJSON (each record as `GET /api/v1/events` returns it,
 * `index` counting from 1 over the whole export) or CSV (a header line, then {@link RECORD_CSV_COLUMNS}, cells
 * neutralized against formula injection, CRLF line ends; a UTF-8 byte-order mark first so that spreadsheet programs
 * read Cyrillic text as UTF-8). Every record is checked afresh, as on any read: by the store where it reads pages on
 * threads of its own (`JournalStore.exportPage`), else here.
 */
export async function* recordExportLines(journal: Journal, filter: RecordFilter, format: RecordExportFormat): AsyncGenerator<string | Buffer> {
  if (format === 'csv') yield `\uFEFF${csvLine(RECORD_CSV_COLUMNS)}`;
  let index = 0;
  let after: RecordCursor | undefined;
  for (;;) {
    if (after !== undefined) {
      // SQLite answers synchronously: let other requests run between pages of a long export.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const page = await checkedPage(journal, filter, format, index, after, PAGE, true);
    if (page.chunk.length > 0) yield page.chunk;
    index += page.records;
    if (!page.hasMore || page.last === undefined) return;
    after = page.last;
  }
}

/**
 * Up to `limit` records of `filter` after `after`, checked and formatted as export lines ({@link recordLines}), `index`
 * counting on from `index`: by the store where it reads on threads of its own (`JournalStore.exportPage`), so the
 * thread serving HTTP neither checks nor formats them; else here. An export's pages (`exporting`: the store may run
 * them below the reads a person waits for), and the pages of `GET /api/v1/events` (NDJSON lines made into its `items`).
 */
export async function checkedPage(
  journal: Journal,
  filter: RecordFilter,
  format: RecordExportFormat,
  index: number,
  after: RecordCursor | undefined,
  limit = PAGE,
  exporting = false,
): Promise<ExportPage> {
  const store = journal.store;
  if (store.exportPage === undefined) {
    const { items, hasMore } = await journal.query(filter, limit, after);
    const last = items[items.length - 1];
    return {
      chunk: recordLines(items, format, index),
      records: items.length,
      last: last === undefined ? undefined : { createdAt: last.createdAt, rid: last.rid },
      hasMore,
      unknownKids: [],
    };
  }
  const exportPage = store.exportPage.bind(store);
  return journal.readChecked((keys) => exportPage(filter, limit, after, format, index, keys, exporting));
}
