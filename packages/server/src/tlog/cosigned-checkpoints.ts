import { addSignatureLines } from '@tamga/core';
import type { JournalStore, StoredCheckpoint } from '../journal/journal-store.js';

/**
 * The checkpoints with their witnesses' cosignatures added to their notes as extra signature lines
 * (c2sp.org/tlog-cosignature): the form in which checkpoints are served and exported. Reads the cosignatures of the
 * sizes between the smallest and the largest checkpoint given, in one query per contiguous run of at most 1,000.
 */
export async function withCosignatures(store: JournalStore, checkpoints: readonly StoredCheckpoint[]): Promise<StoredCheckpoint[]> {
  if (checkpoints.length === 0) return [];
  const byLog = new Map<number, StoredCheckpoint[]>();
  for (const c of checkpoints) byLog.set(c.logId, [...(byLog.get(c.logId) ?? []), c]);
  const lines = new Map<string, string[]>();
  for (const [logId, list] of byLog) {
    const sizes = list.map((c) => c.size).sort((a, b) => a - b);
    // Runs of sizes close together share a query; a far-away newest checkpoint gets its own.
    let start = 0;
    for (let i = 1; i <= sizes.length; i++) {
      if (i < sizes.length && sizes[i]! - sizes[i - 1]! <= 1000) continue;
      for (const c of await store.listCosignatures(logId, sizes[start]!, sizes[i - 1]!)) {
        const key = `${logId}|${c.size}`;
        lines.set(key, [...(lines.get(key) ?? []), c.line]);
      }
      start = i;
    }
  }
  return checkpoints.map((c) => {
    const extra = lines.get(`${c.logId}|${c.size}`);
    return extra === undefined ? c : { ...c, note: addSignatureLines(c.note, extra) };
  });
}

/** One checkpoint with its cosignatures ({@link withCosignatures}). */
export async function withCosignaturesOne(store: JournalStore, checkpoint: StoredCheckpoint): Promise<StoredCheckpoint> {
  return (await withCosignatures(store, [checkpoint]))[0]!;
}
