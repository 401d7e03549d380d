/** One minute of a text search's range: its records' number and the lowest and highest of their rids. */
export interface MinuteSpan {
  readonly minute: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/**
 * Rids `lo`…`hi` (inclusive): each the record of `minute`, or, where `minute` is undefined, of a minute only its time
 * tells (or of none: a rid of a record outside the range, or of none at all).
 */
export interface RidSegment {
  readonly lo: number;
  readonly hi: number;
  readonly minute: number | undefined;
}

/**
 * The rids of the minutes' spans cut into segments in rid order, each naming the minute whose record every rid of it
 * is, where the spans prove it:
 *
 * - An `exact` minute's span (as many rids as the minute has records) holds that minute's records only, so it is its
 *   minute's even inside another minute's span; exact spans do not overlap one another.
 * - The other (`spanned`) minutes' spans, less the exact spans and the `tested` rids (records read one by one by the
 *   caller), fall into clusters of spans that overlap. A cluster holding as many rids as its minutes have records holds
 *   their records only, so a rid that one of its spans covers alone is that minute's. Where several spans of such a
 *   cluster overlap, and anywhere in a cluster holding more rids than records (a record of a minute outside the range
 *   lies among them), the segment names no minute.
 */
export function ridSegments(exact: readonly MinuteSpan[], spanned: readonly MinuteSpan[], tested: readonly number[]): RidSegment[] {
  // The spanned minutes' spans swept in rid order: pieces where one covers a rid alone or several do, each in a
  // cluster (a run of pieces without a rid no span covers between them).
  const edges = spanned.flatMap((m) => [
    { at: m.lo, minute: m.minute, n: m.n, open: true },
    { at: m.hi + 1, minute: m.minute, n: m.n, open: false },
  ]);
  edges.sort((a, b) => a.at - b.at);
  const swept: { lo: number; hi: number; minute: number | undefined; cluster: number }[] = [];
  const records: number[] = [];
  const open = new Set<number>();
  for (let i = 0; i < edges.length; ) {
    const at = edges[i]!.at;
    if (open.size === 0) records.push(0);
    for (; i < edges.length && edges[i]!.at === at; i++) {
      const edge = edges[i]!;
      if (!edge.open) open.delete(edge.minute);
      else {
        open.add(edge.minute);
        records[records.length - 1]! += edge.n;
      }
    }
    if (open.size > 0 && i < edges.length) {
      swept.push({ lo: at, hi: edges[i]!.at - 1, minute: open.size === 1 ? open.values().next().value : undefined, cluster: records.length - 1 });
    }
  }
  // Less the exact spans inside them, which are the exact minutes' own.
  const sorted = [...exact].sort((a, b) => a.lo - b.lo);
  const pieces: typeof swept = [];
  let e = 0;
  for (const s of swept) {
    while (e < sorted.length && sorted[e]!.hi < s.lo) e++;
    let lo = s.lo;
    for (let k = e; k < sorted.length && sorted[k]!.lo <= s.hi && lo <= s.hi; k++) {
      if (sorted[k]!.lo > lo) pieces.push({ ...s, lo, hi: sorted[k]!.lo - 1 });
      lo = Math.max(lo, sorted[k]!.hi + 1);
    }
    if (lo <= s.hi) pieces.push({ ...s, lo });
  }
  // Each cluster's rids left (less the tested ones) against its minutes' records.
  const rids = records.map(() => 0);
  for (const p of pieces) rids[p.cluster]! += p.hi - p.lo + 1;
  for (const rid of tested) {
    const p = segmentOf(pieces, rid);
    if (p !== undefined) rids[p.cluster]!--;
  }
  const segments: RidSegment[] = sorted.map((m) => ({ lo: m.lo, hi: m.hi, minute: m.minute }));
  for (const p of pieces) segments.push({ lo: p.lo, hi: p.hi, minute: rids[p.cluster] === records[p.cluster] ? p.minute : undefined });
  return segments.sort((a, b) => a.lo - b.lo);
}

/** The segment holding `rid` (segments in rid order, not overlapping), by bisection. */
function segmentOf<S extends { readonly lo: number; readonly hi: number }>(segments: readonly S[], rid: number): S | undefined {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid]!;
    if (rid < s.lo) hi = mid - 1;
    else if (rid > s.hi) lo = mid + 1;
    else return s;
  }
  return undefined;
}
