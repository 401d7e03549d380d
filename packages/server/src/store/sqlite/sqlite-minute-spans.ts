/** One minute of a text search's range: its records' number and the lowest and highest of their rids. */
export interface MinuteSpan {
  readonly minute: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/** Rids `lo`…`hi` (inclusive) and the minute whose span alone covers them; `undefined` where several spans overlap. */
export interface RidSegment {
  readonly lo: number;
  readonly hi: number;
  readonly minute: number | undefined;
}

/**
 * The rids of the minutes' spans cut into segments in rid order, each naming the one minute whose span covers it, or
 * none where the spans of several `spanned` minutes overlap. An `exact` minute's span (it holds as many rids as the
 * minute has records) holds that minute's records only, so it is its minute's even inside another minute's span; exact
 * spans do not overlap one another.
 */
export function ridSegments(exact: readonly MinuteSpan[], spanned: readonly MinuteSpan[]): RidSegment[] {
  // The spanned minutes' spans, swept in rid order: where one covers a rid alone and where several do.
  const edges = spanned.flatMap((m) => [
    { at: m.lo, minute: m.minute, open: true },
    { at: m.hi + 1, minute: m.minute, open: false },
  ]);
  edges.sort((a, b) => a.at - b.at);
  const swept: RidSegment[] = [];
  const open = new Set<number>();
  for (let i = 0; i < edges.length; ) {
    const at = edges[i]!.at;
    for (; i < edges.length && edges[i]!.at === at; i++) {
      if (edges[i]!.open) open.add(edges[i]!.minute);
      else open.delete(edges[i]!.minute);
    }
    if (open.size > 0 && i < edges.length) swept.push({ lo: at, hi: edges[i]!.at - 1, minute: open.size === 1 ? open.values().next().value : undefined });
  }
  // Less the exact spans inside them, which are the exact minutes' own.
  const sorted = [...exact].sort((a, b) => a.lo - b.lo);
  const segments: RidSegment[] = sorted.map((m) => ({ lo: m.lo, hi: m.hi, minute: m.minute }));
  let e = 0;
  for (const s of swept) {
    while (e < sorted.length && sorted[e]!.hi < s.lo) e++;
    let lo = s.lo;
    for (let k = e; k < sorted.length && sorted[k]!.lo <= s.hi && lo <= s.hi; k++) {
      if (sorted[k]!.lo > lo) segments.push({ lo, hi: sorted[k]!.lo - 1, minute: s.minute });
      lo = Math.max(lo, sorted[k]!.hi + 1);
    }
    if (lo <= s.hi) segments.push({ lo, hi: s.hi, minute: s.minute });
  }
  return segments.sort((a, b) => a.lo - b.lo);
}

/** The segment holding `rid` (segments in rid order, not overlapping), by bisection. */
export function segmentOf(segments: readonly RidSegment[], rid: number): RidSegment | undefined {
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
