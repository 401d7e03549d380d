import type { CommittedRange } from './commit-feed.js';
import type { CheckedRecord, RecordFilter } from './journal-store.js';
import type { Journal } from './journal.js';
import { matchRecords } from './record-matcher.js';

/** Which log a published slice is of, and the `seq` it ends before: every record of the log below it was published. */
export interface LiveSlice {
  readonly logId: number;
  readonly tenantId: string | null;
  readonly to: number;
}

/**
 * Receives the new records matching a subscription, in log order per tenant, slice by slice; called for every slice
 * published, with no records when none of it matches (the live stream's resume cursor moves past them).
 */
export type LiveListener = (records: readonly CheckedRecord[], slice: LiveSlice) => void;

/** Records read at once when publishing a range. */
const READ_SLICE = 2_000;

interface Subscription {
  readonly filter: RecordFilter;
  readonly listener: LiveListener;
}

/**
 * Fans newly committed records out to live subscribers (the SSE stream). For each range the journal's
 * `CommitFeed` announces — this node's commits and, on PostgreSQL, every other node's — it reads the new
 * records once (by log and `seq` range, not per subscriber) and hands each subscriber those matching its filter,
 * checked (each once, and only those some subscriber takes). The feed announces each `seq` once and in order, so a
 * subscriber sees each record once, whichever node stored it. Nothing is read while nobody subscribes.
 */
export class LiveFeed {
  readonly #journal: Journal;
  readonly #subscriptions = new Set<Subscription>();
  #queue: Promise<void> = Promise.resolve();
  readonly #onError: (error: unknown) => void;

  constructor(journal: Journal, onError: (error: unknown) => void = () => undefined) {
    this.#journal = journal;
    this.#onError = onError;
    journal.commits.onCommit((ranges) => {
      if (this.#subscriptions.size === 0) return;
      // Ranges are published one after the other, so each subscriber sees records in commit order.
      this.#queue = this.#queue.then(() => this.#publish(ranges)).catch(this.#onError);
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

  async #publish(ranges: readonly CommittedRange[]): Promise<void> {
    const store = this.#journal.store;
    for (const { tenantId, from, to } of ranges) {
      const log = await store.getLog(tenantId);
      if (log === undefined) continue;
      // In slices, so a node catching up on a long range (a burst on other nodes) holds a bounded page in memory.
      for (let at = from; at < to; at += READ_SLICE) {
        const end = Math.min(to, at + READ_SLICE);
        const slice = { logId: log.logId, tenantId, to: end };
        // The subscribers of the moment: one that comes meanwhile started at the logs' heads, past this slice.
        const subscriptions = [...this.#subscriptions];
        const filters = subscriptions.map((s) => s.filter);
        const readMatching = store.readMatching?.bind(store);
        // Matched and checked where the store reads (a SQLite reader thread), so only what a subscriber takes reaches
        // this thread; else here, a record checked only when taken.
        const { records, taken } =
          readMatching !== undefined
            ? await this.#journal.readChecked((keys) => readMatching(log.logId, at, end, filters, keys))
            : matchRecords(await store.readRecordsBySeq(log.logId, at, end), filters, (record) => this.#journal.check(record));
        subscriptions.forEach((subscription, f) => {
          if (this.#subscriptions.has(subscription)) subscription.listener(taken[f]!.map((i) => records[i]!), slice);
        });
      }
    }
  }
}
