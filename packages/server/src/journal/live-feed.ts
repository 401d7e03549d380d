import type { AppendResult, CheckedRecord, RecordFilter } from './journal-store.js';
import type { Journal } from './journal.js';
import { matchesFilter } from './record-matcher.js';

/** Receives the new records matching a subscription, in log order per tenant. */
export type LiveListener = (records: readonly CheckedRecord[]) => void;

interface Subscription {
  readonly filter: RecordFilter;
  readonly listener: LiveListener;
}

/**
 * Fans newly committed records out to live subscribers (the SSE stream). After each committed batch it
 * reads the new records once — by log and `seq` range, not per subscriber — checks them, and hands each
 * subscriber those matching its filter. Nothing is read while nobody subscribes.
 *
 * Scope: records appended through this process. With several nodes on PostgreSQL a subscriber sees the
 * appends of the node it is connected to (LISTEN/NOTIFY fan-out is not built yet).
 */
export class LiveFeed {
  readonly #journal: Journal;
  readonly #subscriptions = new Set<Subscription>();
  #queue: Promise<void> = Promise.resolve();
  readonly #onError: (error: unknown) => void;

  constructor(journal: Journal, onError: (error: unknown) => void = () => undefined) {
    this.#journal = journal;
    this.#onError = onError;
    journal.onAppend((results) => {
      if (this.#subscriptions.size === 0) return;
      // Batches are published one after the other, so each subscriber sees records in commit order.
      this.#queue = this.#queue.then(() => this.#publish(results)).catch(this.#onError);
    });
  }

  /** Number of live subscribers. */
  get size(): number {
    return this.#subscriptions.size;
  }

  /** Subscribes to new records matching `filter`; returns the function that ends the subscription. */
  subscribe(filter: RecordFilter, listener: LiveListener): () => void {
    const subscription = { filter, listener };
    this.#subscriptions.add(subscription);
    return () => this.#subscriptions.delete(subscription);
  }

  async #publish(results: readonly AppendResult[]): Promise<void> {
    const ranges = new Map<string | null, { from: number; to: number }>();
    for (const r of results) {
      if (r.duplicate) continue;
      const range = ranges.get(r.tenantId);
      if (range === undefined) ranges.set(r.tenantId, { from: r.seq, to: r.seq + 1 });
      else {
        range.from = Math.min(range.from, r.seq);
        range.to = Math.max(range.to, r.seq + 1);
      }
    }
    const store = this.#journal.store;
    for (const [tenantId, { from, to }] of ranges) {
      const log = await store.getLog(tenantId);
      if (log === undefined) continue;
      const records = (await store.readRecordsBySeq(log.logId, from, to)).map((r) => this.#journal.check(r));
      for (const { filter, listener } of this.#subscriptions) {
        const matching = records.filter((r) => matchesFilter(r, filter));
        if (matching.length > 0) listener(matching);
      }
    }
  }
}
