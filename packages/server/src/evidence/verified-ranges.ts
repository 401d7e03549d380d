import type { IntegrityStatus } from '@tamga/core';
import type { SeqRange } from '../journal/journal-store.js';

/** A record whose status is not `valid` (`redacted`, `unknown-key`) in a range that verified. */
export interface NotValidRecord {
  readonly seq: number;
  readonly status: IntegrityStatus;
}

/** A seq range of a log that verified (no problem found), and what else it found. */
export interface VerifiedPart extends SeqRange {
  /** When it was verified, ms since the epoch. */
  readonly at: number;
  /** Its records that verified as something other than `valid`, in seq order. */
  readonly notValid: readonly NotValidRecord[];
}

/** Options of {@link VerifiedRanges}. */
export interface VerifiedRangesConfig {
  /** Parts kept per log; the oldest go first. Default 64. */
  readonly maxPartsPerLog?: number;
  /** Most non-valid records a part may list; a range with more is not kept. Default 1,000. */
  readonly maxNotValid?: number;
}

/**
 * The seq ranges of each log that server-side verification found valid, with when: so that the journal page's
 * integrity badge, asking again for the same or a grown range, checks only what was not checked lately. Kept in
 * memory, per node; only ranges without problems are kept, so a tampered range is always checked afresh.
 */
export class VerifiedRanges {
  readonly #parts = new Map<number, VerifiedPart[]>();
  readonly #maxParts: number;
  readonly #maxNotValid: number;

  constructor(config: VerifiedRangesConfig = {}) {
    this.#maxParts = config.maxPartsPerLog ?? 64;
    this.#maxNotValid = config.maxNotValid ?? 1000;
  }

  /** Parts of `[from, to)` not covered by a part verified at or after `since`, in seq order. */
  gaps(logId: number, range: SeqRange, since: number): SeqRange[] {
    const gaps: SeqRange[] = [];
    let at = range.from;
    for (const part of this.#parts.get(logId) ?? []) {
      if (part.at < since || part.to <= at) continue;
      if (part.from >= range.to) break;
      if (part.from > at) gaps.push({ from: at, to: part.from });
      at = Math.max(at, part.to);
    }
    if (at < range.to) gaps.push({ from: at, to: range.to });
    return gaps;
  }

  /**
   * What the parts verified at or after `since` say about `[from, to)`, which they must cover (no
   * {@link gaps}): when its oldest part was verified, and its non-valid records.
   */
  covering(logId: number, range: SeqRange, since: number): { readonly verifiedAt: number; readonly notValid: NotValidRecord[] } {
    let verifiedAt = Number.POSITIVE_INFINITY;
    const notValid: NotValidRecord[] = [];
    for (const part of this.#parts.get(logId) ?? []) {
      if (part.at < since || part.to <= range.from || part.from >= range.to) continue;
      verifiedAt = Math.min(verifiedAt, part.at);
      for (const r of part.notValid) if (r.seq >= range.from && r.seq < range.to) notValid.push(r);
    }
    return { verifiedAt, notValid };
  }

  /** Forgets every part overlapping `range`: a check of it found a problem, so what was found earlier no longer holds. */
  forget(logId: number, range: SeqRange): void {
    const parts = this.#parts.get(logId);
    if (parts !== undefined) this.#parts.set(logId, parts.filter((p) => p.to <= range.from || p.from >= range.to));
  }

  /**
   * Keeps a range that verified; it replaces what it overlaps and joins neighbours verified no earlier than `since`.
   * Returns false (and keeps nothing) for a part listing more than `maxNotValid` records.
   */
  add(logId: number, part: VerifiedPart, since: number): boolean {
    if (part.notValid.length > this.#maxNotValid) return false;
    if (part.from >= part.to) return true;
    let merged = part;
    const kept: VerifiedPart[] = [];
    for (const p of this.#parts.get(logId) ?? []) {
      if (p.to <= merged.from || p.from >= merged.to) {
        // A fresh neighbour joins (the join is as old as its older side); a stale one stays apart until replaced.
        const adjacent = p.to === merged.from || p.from === merged.to;
        if (p.at >= since && adjacent && merged.notValid.length + p.notValid.length <= this.#maxNotValid) merged = join(merged, p);
        else kept.push(p);
      } else if (p.from < merged.from || p.to > merged.to) {
        // Overlapping: keep the parts of p outside the new range.
        if (p.from < merged.from) kept.push(slice(p, p.from, merged.from));
        if (p.to > merged.to) kept.push(slice(p, merged.to, p.to));
      }
    }
    kept.push(merged);
    kept.sort((a, b) => a.from - b.from);
    while (kept.length > this.#maxParts) kept.splice(kept.indexOf(kept.reduce((a, b) => (b.at < a.at ? b : a))), 1);
    this.#parts.set(logId, kept);
    return true;
  }
}

function slice(p: VerifiedPart, from: number, to: number): VerifiedPart {
  return { from, to, at: p.at, notValid: p.notValid.filter((r) => r.seq >= from && r.seq < to) };
}

function join(a: VerifiedPart, b: VerifiedPart): VerifiedPart {
  const [first, second] = a.from < b.from ? [a, b] : [b, a];
  return { from: first.from, to: second.to, at: Math.min(a.at, b.at), notValid: [...first.notValid, ...second.notValid] };
}
