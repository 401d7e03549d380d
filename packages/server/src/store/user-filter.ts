import type { HistogramBucket, StoredRecord } from '../journal/journal-store.js';

/**
 * Merges the pages of the halves of a `userId` filter (`splitUserFilter`): each is sorted by `(createdAt, rid)` in
 * `order` and the halves are disjoint, so the first `limit` of their merge is the page of the whole filter.
 */
export function mergePages(pages: readonly StoredRecord[][], order: 'asc' | 'desc' | undefined, limit: number): StoredRecord[] {
  const sign = order === 'asc' ? 1 : -1;
  return pages
    .flat()
    .sort((a, b) => sign * (a.createdAt - b.createdAt || a.rid - b.rid))
    .slice(0, limit);
}

/** Adds up the histograms of the halves of a `userId` filter. */
export function mergeBuckets(parts: readonly HistogramBucket[][]): HistogramBucket[] {
  const counts = new Map<number, number>();
  for (const part of parts) for (const b of part) counts.set(b.start, (counts.get(b.start) ?? 0) + b.count);
  return [...counts].sort(([a], [b]) => a - b).map(([start, count]) => ({ start, count }));
}

/** Most candidate names a suggestion probes (each is one index seek, plus one for a tenant-scoped caller). */
export const MAX_SUGGEST_PROBES = 200;
