import type { Journal } from './journal.js';

/** A wait for the next committed append to one tenant's log. */
export interface AppendWait {
  /** Resolves when a batch holding a new record of the tenant has committed. */
  readonly appended: Promise<void>;
  /** Stops waiting (the promise then never resolves). */
  cancel(): void;
}

/**
 * Wakes waiters when new records of their tenant are committed, by this node or (PostgreSQL) any other, from the
 * journal's `CommitFeed`: the Event API's long poll waits on it instead of querying on a timer. Holds nothing
 * while nobody waits.
 */
export class AppendWaiters {
  readonly #waiters = new Map<string | null, Set<() => void>>();

  constructor(journal: Journal) {
    journal.commits.onCommit((ranges) => {
      if (this.#waiters.size === 0) return;
      for (const { tenantId } of ranges) {
        const waiting = this.#waiters.get(tenantId);
        if (waiting === undefined) continue;
        this.#waiters.delete(tenantId);
        for (const wake of waiting) wake();
      }
    });
  }

  /** How many waits are pending. */
  get size(): number {
    let n = 0;
    for (const set of this.#waiters.values()) n += set.size;
    return n;
  }

  /**
   * Starts waiting for the next append to `tenantId` (`null` = default tenant). Start it before reading the log,
   * so an append that commits during the read is not missed.
   */
  next(tenantId: string | null): AppendWait {
    let wake!: () => void;
    const appended = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let set = this.#waiters.get(tenantId);
    if (set === undefined) this.#waiters.set(tenantId, (set = new Set()));
    set.add(wake);
    return {
      appended,
      cancel: () => {
        const current = this.#waiters.get(tenantId);
        if (current === undefined) return;
        current.delete(wake);
        if (current.size === 0) this.#waiters.delete(tenantId);
      },
    };
  }
}
