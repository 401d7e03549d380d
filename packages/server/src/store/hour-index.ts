import type { RecordFilter } from '../journal/journal-store.js';

/** An hour in microseconds: the bucket of the IP index. */
export const HOUR_MICROS = 3_600_000_000;

/**
 * The address an IP search compares, in SQL (both stores; `records_hour_ip_search` is keyed by it): the canonical text
 * of the record's `ip`. Records sealed before addresses were canonical keep their signed spelling in `ip` and the
 * canonical one in `ip_search`, filled when the schema was brought up to date; every other record's `ip` is canonical.
 */
export const SEARCHED_IP = 'coalesce(ip_search, ip)';

/** Longest range whose hours are listed for the IP index (a year: 8,784 index seeks at most). */
const MAX_LISTED_HOURS = 366 * 24;

/**
 * The hours (`created_at / HOUR_MICROS`, truncated as SQL integer division does) an IP search over `filter`'s range
 * must look in, for the IP index keyed `(created_at / HOUR_MICROS, ip, created_at)`; undefined when the range is
 * open, negative or longer than a year (the search then does without the index).
 *
 * The index leads with the hour so that appends, whose records are of the current hour, write into one small region
 * of it; an index led by the IP takes each new record to a random page (measured: a quarter of the append rate at
 * 5 million events with 65,536 addresses).
 */
export function ipIndexHours(filter: RecordFilter): number[] | undefined {
  const { from, to } = filter;
  if (from === undefined || to === undefined || from < 0 || to <= from) return undefined;
  const first = Math.floor(from / HOUR_MICROS);
  const last = Math.floor((to - 1) / HOUR_MICROS);
  if (last - first + 1 > MAX_LISTED_HOURS) return undefined;
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
