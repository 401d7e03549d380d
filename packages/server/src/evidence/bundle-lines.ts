import { formatBundleRecord } from '@tamga/core';
import type { BundleRecord } from '@tamga/core';
import type { JournalStore, StoredRecord } from '../journal/journal-store.js';

/** A stored record as a bundle line sees it. */
export function toBundleRecord(r: StoredRecord): BundleRecord {
  return {
    seq: r.seq,
    canonical: Buffer.from(r.canonical),
    leafHash: r.leafHash,
    signature: r.signature,
    sigKid: r.sigKid,
    entityData: r.entityData,
    text: r.text,
    payloadSalt: r.payloadSalt === null ? null : Buffer.from(r.payloadSalt),
    redacted: r.redacted,
  };
}

/**
 * Records as the record lines of a bundle (docs/bundle-format.md), each ending in a newline. One function for both
 * places a bundle export formats them — a SQLite reader thread (`JournalStore.readBundleLines`) and the thread serving
 * HTTP for stores without threads — so the bytes are the same.
 */
export function bundleLines(records: readonly StoredRecord[]): string {
  let chunk = '';
  for (const r of records) chunk += `${formatBundleRecord(toBundleRecord(r))}\n`;
  return chunk;
}

/** A page of bundle record lines and how many records it holds. */
export interface BundleLines {
  /** As text, or as UTF-8 bytes where a store's reader thread formats them (see `ExportPage.chunk`). */
  readonly chunk: string | Buffer;
  readonly records: number;
}

/** Reads the records of `[from, to)` of a log and formats them as bundle lines. */
export async function readBundleLines(store: Pick<JournalStore, 'readRecordsBySeq'>, logId: number, from: number, to: number): Promise<BundleLines> {
  const records = await store.readRecordsBySeq(logId, from, to);
  return { chunk: bundleLines(records), records: records.length };
}
