import type { ClusterSignals } from './cluster-signals.js';
import type { AppendResult, JournalStore } from './journal-store.js';

/** Records `[from, to)` by `seq` newly committed to one tenant's log (`null` = default tenant), by any node. */
export interface CommittedRange {
  readonly tenantId: string | null;
  readonly from: number;
  readonly to: number;
}

/** Told about every range of records committed, each `seq` once, in log order per tenant. Must not throw. */
export type CommitListener = (ranges: readonly CommittedRange[]) => void;

/** Options of {@link CommitFeed.start}. */
export interface CommitFeedStart {
  /** The cluster's signals (PostgreSQL); without them only this node's appends are seen. */
  readonly signals?: ClusterSignals;
  /** Catch-up read of every log head, in ms, against lost signals. Default 2000. */
  readonly pollMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** Tenant key in signal bodies: the default tenant is `""`. */
const keyOf = (tenantId: string | null): string => tenantId ?? '';

/**
 * Every record committed to the journal, by this node or any other sharing its database, announced once, as `seq`
 * ranges per tenant log, to the live stream, the Event API's long polls, the forwarders and the checkpointer.
 *
 * It keeps, per log, how far it has announced (`seq` end). Three things move it on: this node's own commits
 * (`Journal.onAppend`; each is then signalled to the other nodes), another node's signal (`append`, with the log's
 * new size), and a read of every log head (every `pollMs`, and when the listening session came back), which
 * catches what a lost or merged signal would miss. Whatever moves it, it announces `[announced, size)` and moves
 * `announced` to `size`: a record is announced once however many of these see it, and in order, because appends to
 * one log are serialized by the store (a visible `seq` n means every `seq` below n is visible too).
 *
 * Before {@link CommitFeed.start} it announces this node's commits as they come (a server without a cluster).
 */
export class CommitFeed {
  readonly #store: JournalStore;
  readonly #listeners = new Set<CommitListener>();
  /** Tenant → `seq` end announced so far; a log missing here was created after the start: it starts at 0. */
  readonly #announced = new Map<string | null, number>();
  #started = false;
  #signals: ClusterSignals | undefined;
  #unsubscribe: (() => void) | undefined;
  #poll: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #onError: (error: unknown) => void = () => undefined;

  constructor(store: JournalStore) {
    this.#store = store;
  }

  /** Registers a listener; returns the function that removes it. */
  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** This node committed `results` (called by the journal after each committed batch). */
  committed(results: readonly AppendResult[]): void {
    const ends = new Map<string | null, { from: number; to: number }>();
    for (const r of results) {
      if (r.duplicate) continue;
      const range = ends.get(r.tenantId);
      if (range === undefined) ends.set(r.tenantId, { from: r.seq, to: r.seq + 1 });
      else {
        range.from = Math.min(range.from, r.seq);
        range.to = Math.max(range.to, r.seq + 1);
      }
    }
    if (ends.size === 0) return;
    const ranges: CommittedRange[] = [];
    for (const [tenantId, { from, to }] of ends) {
      // Not started: nothing is tracked, the batch is announced as it is.
      const range = this.#started ? this.#advance(tenantId, to) : { tenantId, from, to };
      if (range !== undefined) ranges.push(range);
    }
    this.#signals?.publish('append', { logs: Object.fromEntries([...ends].map(([t, r]) => [keyOf(t), r.to])) });
    this.#emit(ranges);
  }

  /**
   * Starts following the other nodes: learns every log's size (what was committed before is not announced), then
   * listens to `signals` and reads the log heads every `pollMs`. Call it once, before requests are served.
   */
  async start(options: CommitFeedStart = {}): Promise<void> {
    if (this.#started) return;
    this.#onError = options.onError ?? (() => undefined);
    this.#signals = options.signals;
    this.#unsubscribe = options.signals?.subscribe((signal) => {
      if (signal.topic === 'append') this.#fromSignal(signal.body.logs);
      else if (signal.topic === 'reconnected') this.catchUp();
    });
    const logs = await this.#store.listLogs();
    for (const log of logs) this.#announced.set(log.tenantId, Math.max(this.#announced.get(log.tenantId) ?? 0, log.size));
    this.#started = true;
    if (options.signals !== undefined) {
      this.#poll = setInterval(() => this.catchUp(), options.pollMs ?? 2_000);
      this.#poll.unref();
    }
  }

  /** Reads every log head and announces what was not announced yet (one query). */
  catchUp(): void {
    if (!this.#started) return;
    this.#polling ??= this.#store
      .listLogs()
      .then((logs) => this.#emit(logs.flatMap((log) => this.#advance(log.tenantId, log.size) ?? [])))
      .catch(this.#onError)
      .finally(() => (this.#polling = undefined));
  }

  /** Waits for a catch-up in progress (tests). */
  async settled(): Promise<void> {
    await this.#polling;
  }

  #fromSignal(logs: unknown): void {
    if (!this.#started) return;
    if (typeof logs !== 'object' || logs === null) {
      this.catchUp();
      return;
    }
    const ranges: CommittedRange[] = [];
    for (const [key, size] of Object.entries(logs)) {
      if (typeof size !== 'number' || !Number.isSafeInteger(size)) continue;
      const range = this.#advance(key === '' ? null : key, size);
      if (range !== undefined) ranges.push(range);
    }
    this.#emit(ranges);
  }

  #advance(tenantId: string | null, size: number): CommittedRange | undefined {
    const from = this.#announced.get(tenantId) ?? 0;
    if (size <= from) return undefined;
    this.#announced.set(tenantId, size);
    return { tenantId, from, to: size };
  }

  #emit(ranges: readonly CommittedRange[]): void {
    if (ranges.length === 0) return;
    for (const listener of this.#listeners) listener(ranges);
  }

  /** Stops listening and polling. */
  async stop(): Promise<void> {
    clearInterval(this.#poll);
    this.#poll = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#polling;
  }
}
