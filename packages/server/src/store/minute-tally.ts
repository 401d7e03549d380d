import { MINUTE_MICROS } from '../journal/journal-store.js';
import type { EventClass } from '@tamga/core';

/** One row of the per-minute counts an append adds to (see `JournalStore.minuteCounts`). */
export interface MinuteTallyRow {
  readonly minute: number;
  readonly event: number;
  readonly classifiedEvent: EventClass;
  readonly n: number;
  /** Lowest and highest `seq` of the counted records. */
  readonly minSeq: number;
  readonly maxSeq: number;
}

/**
 * Counts one log's new records of a batch per minute, event and class, so the append adds one row per
 * combination to the per-minute counts instead of one per record (a batch of 1,000 events of one minute and ten
 * codes makes ten).
 */
export class MinuteTally {
  readonly #rows = new Map<string, { minute: number; event: number; classifiedEvent: EventClass; n: number; minSeq: number; maxSeq: number }>();

  /** Counts a record; records are added in `seq` order. */
  add(createdAt: number, event: number, classifiedEvent: EventClass, seq: number): void {
    const minute = Math.floor(createdAt / MINUTE_MICROS);
    const key = `${minute}:${event}:${classifiedEvent}`;
    const row = this.#rows.get(key);
    if (row === undefined) this.#rows.set(key, { minute, event, classifiedEvent, n: 1, minSeq: seq, maxSeq: seq });
    else {
      row.n++;
      row.maxSeq = seq;
    }
  }

  counts(): Iterable<MinuteTallyRow> {
    return this.#rows.values();
  }
}
