import { isMinuteCountable, MINUTE_MICROS } from './journal-store.js';
import type { HistogramBucket, JournalStore, RecordFilter, SeqRange } from './journal-store.js';

/** The count and time histogram of a filter. */
export interface RecordStats {
  readonly count: number;
  /** Buckets start at `origin + k * bucketMicros`. */
  readonly origin: number;
  /** Non-empty buckets, oldest first. */
  readonly buckets: readonly HistogramBucket[];
}

const floorTo = (t: number, unit: number): number => Math.floor(t / unit) * unit;

/**
 * `[from, to)` split at minute boundaries: the whole minutes `[firstMinute, lastMinute)` (in minutes since the
 * epoch; an open end becomes the smallest or largest safe integer), and the partial minutes before and after them in microseconds. Undefined when
 * no whole minute lies in the range.
 */
function splitAtMinutes(
  from: number | undefined,
  to: number | undefined,
): { head?: [number, number]; firstMinute: number; lastMinute: number; tail?: [number, number] } | undefined {
  const firstMinute = from === undefined ? Number.MIN_SAFE_INTEGER : Math.ceil(from / MINUTE_MICROS);
  const lastMinute = to === undefined ? Number.MAX_SAFE_INTEGER : Math.floor(to / MINUTE_MICROS);
  if (firstMinute >= lastMinute) return undefined;
  return {
    ...(from !== undefined && firstMinute * MINUTE_MICROS > from && { head: [from, firstMinute * MINUTE_MICROS] as [number, number] }),
    firstMinute,
    lastMinute,
    ...(to !== undefined && to > lastMinute * MINUTE_MICROS && { tail: [lastMinute * MINUTE_MICROS, to] as [number, number] }),
  };
}

/** Users left out (`not.userId`) above which their records are not counted to be taken away. */
const MAX_LEFT_OUT_USERS = 20;

/**
 * A filter that leaves a few users out (`not.userId`) and is otherwise one the per-minute counts answer: the rest of
 * it and the users. Undefined for any other.
 */
function leftOutUsers(filter: RecordFilter & { readonly from: number }): { rest: RecordFilter & { readonly from: number }; users: string[] } | undefined {
  const users = [...new Set(filter.exclude?.userIds ?? [])];
  if (users.length === 0 || users.length > MAX_LEFT_OUT_USERS) return undefined;
  const { userIds: _left, ...otherExclusions } = filter.exclude!;
  const rest = { ...filter, exclude: otherExclusions };
  return isMinuteCountable(rest) ? { rest, users } : undefined;
}

/**
 * Counts the records of `filter` in `[filter.from, filter.to)`, per bucket of `bucketMicros` and in all.
 *
 * When the buckets are whole minutes and the filter narrows only by time, tenant, event and class
 * ({@link isMinuteCountable}), the whole minutes of the range come from the store's per-minute counts (a row per
 * minute, log, event and class rather than per record: a day of ten codes is 14,400 rows, not 10 M records) and
 * only the partial minutes at the two ends are counted from the records. Such a filter that also leaves a few users
 * out (`not.userId`) counts those users' records (their hour-led index) and takes them away. Otherwise the records
 * themselves are counted. Buckets of whole minutes start at `from` rounded down to the minute, so that no minute
 * straddles two buckets; others at `from`.
 */
export async function countRecordStats(
  store: JournalStore,
  filter: RecordFilter & { readonly from: number },
  bucketMicros: number,
): Promise<RecordStats> {
  const { from, to } = filter;
  const left = leftOutUsers(filter);
  if (left !== undefined && to !== undefined && bucketMicros % MINUTE_MICROS === 0) {
    // Everything the rest of the filter selects, less each left-out user's records (a user's records are those with
    // the user's userId, or with none and the user as subject: no record is both, so none is taken away twice).
    const all = await countRecordStats(store, left.rest, bucketMicros);
    const theirs = await Promise.all(left.users.map((userId) => store.histogram({ ...left.rest, userId }, bucketMicros, all.origin)));
    const counts = new Map(all.buckets.map((b) => [b.start, b.count]));
    for (const b of theirs.flat()) counts.set(b.start, (counts.get(b.start) ?? 0) - b.count);
    const buckets = [...counts].filter(([, n]) => n > 0).map(([start, count]) => ({ start, count }));
    return { count: buckets.reduce((sum, b) => sum + b.count, 0), origin: all.origin, buckets };
  }
  // An open end too (an export of everything since `from`): the minutes up to the newest come from the counts alike.
  const parts = bucketMicros % MINUTE_MICROS === 0 && isMinuteCountable(filter) ? splitAtMinutes(from, to) : undefined;
  if (parts === undefined) {
    // Buckets of whole minutes start at a minute here too: then no minute straddles two, and a text search's histogram
    // counts most matches by their minute's rids instead of reading each one's time.
    const origin = bucketMicros % MINUTE_MICROS === 0 ? floorTo(from, MINUTE_MICROS) : from;
    const buckets = await store.histogram(filter, bucketMicros, origin);
    return { count: buckets.reduce((sum, b) => sum + b.count, 0), origin, buckets };
  }
  const origin = floorTo(from, MINUTE_MICROS);
  const edge = (range: [number, number] | undefined): Promise<number> =>
    range === undefined ? Promise.resolve(0) : store.countRecords({ ...filter, from: range[0], to: range[1] });
  const [head, minutes, tail] = await Promise.all([
    edge(parts.head),
    // Summed per bucket by the store: a day in half-hour buckets is 48 rows to carry and add here, not 1,440.
    store.minuteCounts(filter, parts.firstMinute, parts.lastMinute, { originMinute: origin / MINUTE_MICROS, minutes: bucketMicros / MINUTE_MICROS }),
    edge(parts.tail),
  ]);
  const counts = new Map<number, number>();
  const add = (at: number, n: number): void => {
    if (n === 0) return;
    const start = origin + floorTo(at - origin, bucketMicros);
    counts.set(start, (counts.get(start) ?? 0) + n);
  };
  add(from, head);
  for (const m of minutes) add(m.minute * MINUTE_MICROS, m.count);
  if (parts.tail !== undefined) add(parts.tail[0], tail);
  const buckets = [...counts].sort(([a], [b]) => a - b).map(([start, count]) => ({ start, count }));
  return { count: head + tail + minutes.reduce((sum, m) => sum + m.count, 0), origin, buckets };
}

/** {@link countRecordStats}, run by the store when it can ({@link JournalStore.recordStats}). */
export function recordStatsOf(
  store: JournalStore,
  filter: RecordFilter & { readonly from: number },
  bucketMicros: number,
): Promise<RecordStats> {
  return store.recordStats?.(filter, bucketMicros) ?? countRecordStats(store, filter, bucketMicros);
}

/**
 * The smallest `seq` range `[from, to)` of a log holding every record whose `createdAt` is in `[fromMicros,
 * toMicros)` (either bound may be absent); undefined when no record is. The whole minutes come from the per-minute
 * counts' lowest and highest `seq`, the partial minutes at the ends from the records, so a day of a large log costs
 * a few thousand rows, not a scan of the day.
 */
export async function findSeqRange(
  store: JournalStore,
  logId: number,
  fromMicros: number | undefined,
  toMicros: number | undefined,
): Promise<SeqRange | undefined> {
  const parts = splitAtMinutes(fromMicros, toMicros);
  if (parts === undefined) return store.seqRangeForTime(logId, fromMicros, toMicros);
  const edge = (range: [number, number] | undefined): Promise<SeqRange | undefined> =>
    range === undefined ? Promise.resolve(undefined) : store.seqRangeForTime(logId, range[0], range[1]);
  const found = (
    await Promise.all([edge(parts.head), store.minuteSeqRange(logId, parts.firstMinute, parts.lastMinute), edge(parts.tail)])
  ).filter((r): r is SeqRange => r !== undefined);
  if (found.length === 0) return undefined;
  return { from: Math.min(...found.map((r) => r.from)), to: Math.max(...found.map((r) => r.to)) };
}
