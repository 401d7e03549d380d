import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { CatalogResolver } from '../catalog/tenant-catalog.js';
import type { CheckedRecord, JournalStore, LogHead, RecordFilter, StoredRecord } from '../journal/journal-store.js';
import { matchesFilter } from '../journal/record-matcher.js';
import { DeliveryError, describeFailure } from './delivery-error.js';
import { createSink } from './delivery-sink.js';
import type { DeliverySink, SinkContext } from './delivery-sink.js';
import type { Destination } from './destination.js';
import { deadLetteredEvent, destinationDownEvent, destinationRecoveredEvent, FORWARD_EVENTS } from './forward-events.js';
import { parseForwardFilter } from './forward-filter.js';
import type { ForwardStore, NewDeadLetter } from './forward-store.js';
import type { SendReceipt } from './syslog-connection.js';

/** Tuning of delivery; every value has a default ({@link DEFAULT_WORKER_OPTIONS}). */
export interface WorkerOptions {
  /** Syslog: how long a connection must stay up after a write before it counts, ms. Default 5000. */
  readonly settleMs: number;
  /** Progress (cursors, counts) is saved at most this often, ms; dead letters at once. Default 1000. */
  readonly flushMs: number;
  /** First wait after a failed delivery, ms; doubles up to `maxBackoffMs`. Default 1000. */
  readonly backoffMs: number;
  /** Longest wait between two attempts, ms. Default 60,000. */
  readonly maxBackoffMs: number;
  /** A destination failing this long is journalled as `ForwardingDestinationDown`, ms. Default 300,000 (5 minutes). */
  readonly alarmMs: number;
  /**
   * Most records of a log looked at in one round. A round reads what one batch needs and reads on only while the
   * filter passes records over. Default 2000.
   */
  readonly readChunk: number;
}

/** Defaults of {@link WorkerOptions}. */
export const DEFAULT_WORKER_OPTIONS: WorkerOptions = Object.freeze({
  settleMs: 5_000,
  flushMs: 1_000,
  backoffMs: 1_000,
  maxBackoffMs: 60_000,
  alarmMs: 300_000,
  readChunk: 2_000,
});

/**
 * The part of the journal forwarding uses: reading records by log and `seq`, checking them, the catalogues (OCSF
 * mappings), appending Tamga's own events, and being told of commits. `Journal` is one; the forwarding thread builds
 * its own over a connection of its own, appending through the main thread.
 */
export interface ForwardJournal {
  readonly store: JournalStore;
  readonly catalogs: CatalogResolver;
  check(record: StoredRecord): CheckedRecord;
  appendSystem(event: Readonly<Record<string, unknown>>): Promise<unknown>;
  /** Wakes on every commit, by any node sharing the database. */
  onCommit(listener: () => void): () => void;
}

/** What a worker needs besides its destination. */
export interface WorkerContext {
  readonly journal: ForwardJournal;
  readonly store: ForwardStore;
  readonly nodeId: string;
  /** Builds the sink's context for a destination (its secrets open under its id). */
  readonly sinkContext: (d: Destination) => SinkContext;
  readonly now: () => number;
  readonly onError: (error: unknown, what: string) => void;
  readonly options: WorkerOptions;
}

/** What the worker is doing: the `state` the API shows. */
export type WorkerState = 'starting' | 'delivering' | 'idle' | 'retrying' | 'disabled' | 'standby' | 'stopped';

/** A batch sent (or passed over) whose records are not yet delivered for good. */
interface InFlight {
  readonly logId: number;
  /** The log position after the batch. */
  readonly to: number;
  readonly receipt: SendReceipt | undefined;
  readonly delivered: number;
  readonly skipped: number;
  readonly deadLetters: readonly NewDeadLetter[];
}

/** A piece of a log to deliver: its matching records, checked, and the position after it. */
interface Chunk {
  readonly logId: number;
  readonly to: number;
  readonly records: CheckedRecord[];
  readonly skipped: number;
}

/** Progress not yet saved. */
interface Unsaved {
  cursors: Map<number, number>;
  delivered: number;
  skipped: number;
  failures: number;
  deadLetters: NewDeadLetter[];
  lastDeliveredAt?: number;
  lastError?: { at: number; message: string } | null;
  downSince?: number | null;
}

/** How often a node that does not lead a destination asks for its lead again, ms. */
const LEAD_RETRY_MS = 1_000;

/** How long stopping waits for a send in flight before cutting it off, ms. */
const STOP_GRACE_MS = 2_000;

const emptyUnsaved = (): Unsaved => ({ cursors: new Map(), delivered: 0, skipped: 0, failures: 0, deadLetters: [] });

/**
 * Delivers one destination: reads its logs by `seq` from its cursors (never on the append path), keeps the records
 * its filter matches, checks their integrity, and sends them in order, in batches, through its sink. At-least-once:
 * a cursor moves only past records delivered for good (an HTTP 2xx, a syslog write whose connection stayed up
 * `settleMs`), or dead-lettered (a receiver refused them alone), or left out by the filter. Failures are retried
 * with exponential back-off; a destination failing longer than `alarmMs` is journalled as down, and as recovered
 * when it accepts again. The worker sleeps when there is nothing to do and wakes on {@link DestinationWorker.wake}
 * (new records, the forwarder's sweep) — no busy loop. With several nodes it delivers only while it holds the
 * destination's lead ({@link ForwardStore.tryLeadDestination}).
 */
export class DestinationWorker {
  readonly #context: WorkerContext;
  #destination: Destination;
  #next: Destination | undefined;
  #filter: RecordFilter;
  #sink: DeliverySink | undefined;
  readonly #committed = new Map<number, number>();
  #position = new Map<number, number>();
  #inFlight: InFlight[] = [];
  #unsaved: Unsaved = emptyUnsaved();
  /** Progress being written (counted by {@link unsavedCounts} until the write is done). */
  #saving: Unsaved | undefined;
  #lastSave = 0;
  #loaded = false;
  #leading = false;
  #state: WorkerState = 'starting';
  #lastError: { at: number; message: string } | null = null;
  #downSince: number | null = null;
  #alarmed = false;
  #backoff: number;
  #lastLogId = -1;
  #stopped = false;
  #saveOnStop = true;
  #woken = false;
  #wakeUp: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(destination: Destination, context: WorkerContext) {
    this.#context = context;
    this.#destination = destination;
    this.#filter = parseForwardFilter(destination.filter);
    this.#backoff = context.options.backoffMs;
  }

  /** The destination as the worker delivers it. */
  get destination(): Destination {
    return this.#destination;
  }

  /** What the worker does now, whether it leads the destination, and its last error. */
  describe(): { state: WorkerState; leading: boolean; lastError: { at: number; message: string } | null; downSince: number | null } {
    return { state: this.#state, leading: this.#leading, lastError: this.#lastError, downSince: this.#downSince };
  }

  /** Counts of deliveries settled but not saved yet (the API adds them to the saved ones). */
  unsavedCounts(): { delivered: number; skipped: number; failures: number; deadLettered: number } {
    const counts = { delivered: 0, skipped: 0, failures: 0, deadLettered: 0 };
    for (const u of [this.#unsaved, this.#saving]) {
      if (u === undefined) continue;
      counts.delivered += u.delivered;
      counts.skipped += u.skipped;
      counts.failures += u.failures;
      counts.deadLettered += u.deadLetters.length;
    }
    return counts;
  }

  /** Positions this worker delivered up to for good (for the API's lag), or undefined when it does not lead. */
  committedCursors(): ReadonlyMap<number, number> | undefined {
    return this.#leading && this.#loaded ? this.#committed : undefined;
  }

  /** Starts delivering. */
  start(): void {
    this.#running ??= this.#loop().catch((error: unknown) => this.#context.onError(error, `forwarding to ${this.#destination.name} stopped`));
  }

  /** Tells the worker there may be new records (or a new lead to take). Cheap; never does I/O. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /** Applies changed settings at the next round (the cursors stay). */
  reconfigure(destination: Destination): void {
    this.#next = destination;
    this.wake();
  }

  /**
   * Stops: lets the round in flight finish (a send still waiting after {@link STOP_GRACE_MS} is cut off, its records
   * sent again at the next start), saves progress unless the destination was deleted (`save` false), closes the sink.
   */
  async stop(save = true): Promise<void> {
    this.#stopped = true;
    this.#saveOnStop = save;
    this.wake();
    const grace = setTimeout(() => void this.#sink?.close().catch(() => undefined), STOP_GRACE_MS);
    await this.#running;
    clearTimeout(grace);
    await this.#closeSink();
    this.#state = 'stopped';
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      if (this.#next !== undefined) await this.#apply(this.#next);
      if (!this.#destination.enabled) {
        await this.#idle('disabled');
        continue;
      }
      try {
        if (!(await this.#lead())) {
          // Another node delivers: ask again in a while, not at every append.
          this.#state = 'standby';
          await this.#sleep(LEAD_RETRY_MS);
          continue;
        }
        if (!this.#loaded) await this.#load();
        this.#settle(this.#context.now());
        const worked = await this.#round();
        await this.#save(false);
        if (worked) {
          this.#state = 'delivering';
          // Let requests (appends first of all) run between two rounds.
          await yieldToIo();
        } else {
          await this.#idle('idle');
        }
      } catch (error) {
        await this.#fail(error);
      }
    }
    this.#settle(this.#context.now());
    if (this.#saveOnStop) await this.#save(true).catch((error: unknown) => this.#context.onError(error, `saving the progress of ${this.#destination.name} failed`));
  }

  async #apply(next: Destination): Promise<void> {
    this.#next = undefined;
    const wasEnabled = this.#destination.enabled;
    this.#destination = next;
    this.#filter = parseForwardFilter(next.filter);
    this.#backoff = this.#context.options.backoffMs;
    await this.#closeSink();
    if (wasEnabled && !next.enabled) {
      this.#settle(this.#context.now());
      await this.#save(true).catch((error: unknown) => this.#context.onError(error, `saving the progress of ${next.name} failed`));
      await this.#release();
    }
  }

  async #lead(): Promise<boolean> {
    const store = this.#context.store;
    const leading = store.tryLeadDestination === undefined ? true : await store.tryLeadDestination(this.#destination.id);
    if (!leading && this.#leading) {
      // Another node took the destination over: what this node had in flight is its to send again.
      await this.#closeSink();
      this.#loaded = false;
    }
    this.#leading = leading;
    return leading;
  }

  async #release(): Promise<void> {
    this.#leading = false;
    this.#loaded = false;
    await this.#context.store.releaseDestination?.(this.#destination.id).catch(() => undefined);
  }

  async #load(): Promise<void> {
    const cursors = await this.#context.store.getCursors(this.#destination.id);
    this.#committed.clear();
    for (const c of cursors) this.#committed.set(c.logId, c.nextSeq);
    this.#position = new Map(this.#committed);
    this.#inFlight = [];
    this.#unsaved = emptyUnsaved();
    this.#loaded = true;
  }

  /** Moves the cursors past what was delivered for good; a lost batch sends everything after the cursors again. */
  #settle(now: number): void {
    while (this.#inFlight.length > 0) {
      const batch = this.#inFlight[0]!;
      const state = batch.receipt === undefined ? 'settled' : this.#sink === undefined ? 'lost' : this.#sink.settled(batch.receipt, now);
      if (state === 'pending') return;
      if (state === 'lost') {
        this.#position = new Map(this.#committed);
        this.#inFlight = [];
        return;
      }
      this.#inFlight.shift();
      this.#committed.set(batch.logId, Math.max(batch.to, this.#committed.get(batch.logId) ?? 0));
      this.#unsaved.cursors.set(batch.logId, this.#committed.get(batch.logId)!);
      this.#unsaved.delivered += batch.delivered;
      this.#unsaved.skipped += batch.skipped;
      this.#unsaved.deadLetters.push(...batch.deadLetters);
    }
  }

  /** One round: the next chunk of a log with records after the destination's position, delivered. False when none. */
  async #round(): Promise<boolean> {
    const chunk = await this.#nextChunk();
    if (chunk === undefined) return false;
    if (chunk.records.length === 0) {
      this.#position.set(chunk.logId, chunk.to);
      this.#inFlight.push({ logId: chunk.logId, to: chunk.to, receipt: undefined, delivered: 0, skipped: chunk.skipped, deadLetters: [] });
      return true;
    }
    this.#sink ??= createSink(this.#destination, this.#context.sinkContext(this.#destination));
    const { receipt, deadLetters } = await this.#deliver(chunk.records, chunk.logId);
    const now = this.#context.now();
    this.#position.set(chunk.logId, chunk.to);
    this.#inFlight.push({ logId: chunk.logId, to: chunk.to, receipt, delivered: chunk.records.length - deadLetters.length, skipped: chunk.skipped, deadLetters });
    this.#unsaved.lastDeliveredAt = now;
    if (this.#lastError !== null || this.#downSince !== null) {
      if (this.#alarmed && this.#downSince !== null) await this.#journal(destinationRecoveredEvent(this.#destination, this.#downSince, now));
      this.#lastError = null;
      this.#downSince = null;
      this.#alarmed = false;
      this.#unsaved.lastError = null;
      this.#unsaved.downSince = null;
    }
    this.#backoff = this.#context.options.backoffMs;
    return true;
  }

  /** Whether records of a tenant's log can match the filter at all (logs that cannot are passed over unread). */
  #inScope(log: LogHead): boolean {
    const { tenants, exclude } = this.#filter;
    return (tenants === undefined || tenants.includes(log.tenantId)) && !(exclude?.tenants?.includes(log.tenantId) ?? false);
  }

  async #nextChunk(): Promise<Chunk | undefined> {
    const { journal, options } = this.#context;
    const logs = (await journal.store.listLogs()).sort((a, b) => a.logId - b.logId);
    // Round-robin over the logs, so one busy tenant does not hold back another.
    const start = logs.findIndex((l) => l.logId > this.#lastLogId);
    const ordered = start < 0 ? logs : [...logs.slice(start), ...logs.slice(0, start)];
    for (const log of ordered) {
      const from = this.#position.get(log.logId) ?? 0;
      if (log.size <= from) continue;
      this.#lastLogId = log.logId;
      if (!this.#inScope(log)) return { logId: log.logId, to: log.size, records: [], skipped: log.size - from };
      const { batchSize } = this.#destination;
      const limit = Math.min(log.size, from + options.readChunk);
      const records: CheckedRecord[] = [];
      let to = from;
      let looked = 0;
      // Records read and not delivered are read again next round, so each read asks for what the batch still lacks,
      // scaled by the share of records the filter took so far: one read when it takes every record, few when it
      // takes some, the rest of the chunk when it took none yet.
      while (to < limit && records.length < batchSize) {
        const lacking = batchSize - records.length;
        const want = looked === 0 ? lacking : records.length === 0 ? limit - to : Math.ceil((lacking * looked) / records.length);
        const end = Math.min(limit, to + want);
        const rows = await journal.store.readRecordsBySeq(log.logId, to, end);
        // None: purged by retention meanwhile.
        if (rows.length === 0) to = end;
        for (const row of rows) {
          if (records.length === batchSize) break;
          to = row.seq + 1;
          looked++;
          if (matchesFilter(row, this.#filter)) records.push(journal.check(row));
        }
      }
      return { logId: log.logId, to, records, skipped: to - from - records.length };
    }
    return undefined;
  }

  /**
   * Delivers records; when the receiver refuses the batch, halves it until the refused records stand alone, delivers
   * the others, and returns the refused ones as dead letters (order kept). Other failures are thrown.
   */
  async #deliver(records: readonly CheckedRecord[], logId: number): Promise<{ receipt: SendReceipt | undefined; deadLetters: NewDeadLetter[] }> {
    try {
      return { receipt: await this.#sink!.deliver(records), deadLetters: [] };
    } catch (error) {
      if (!(error instanceof DeliveryError) || error.kind !== 'refused') throw error;
      if (records.length === 1) return { receipt: undefined, deadLetters: [this.#deadLetter(records[0]!, logId, error.message)] };
      const half = Math.ceil(records.length / 2);
      const first = await this.#deliver(records.slice(0, half), logId);
      const second = await this.#deliver(records.slice(half), logId);
      return { receipt: second.receipt ?? first.receipt, deadLetters: [...first.deadLetters, ...second.deadLetters] };
    }
  }

  #deadLetter(record: StoredRecord, logId: number, reason: string): NewDeadLetter {
    return { logId, seq: record.seq, recordId: record.id, event: record.event, tenantId: record.tenantId, reason, at: this.#context.now() };
  }

  async #fail(error: unknown): Promise<void> {
    // A send cut off by stopping is no failure of the destination: its records wait for the next start.
    if (this.#stopped) return;
    const now = this.#context.now();
    const message = describeFailure(error);
    this.#lastError = { at: now, message };
    this.#downSince ??= now;
    this.#unsaved.failures++;
    this.#unsaved.lastError = this.#lastError;
    this.#unsaved.downSince = this.#downSince;
    this.#state = 'retrying';
    // What was in flight on a connection that broke is sent again from the cursors.
    this.#settle(now);
    if (!this.#alarmed && now - this.#downSince >= this.#context.options.alarmMs) {
      this.#alarmed = true;
      await this.#journal(destinationDownEvent(this.#destination, this.#downSince, message));
    }
    await this.#save(false).catch((e: unknown) => this.#context.onError(e, `saving the progress of ${this.#destination.name} failed`));
    const asked = error instanceof DeliveryError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
    const delay = Math.min(Math.max(this.#backoff, asked), this.#context.options.maxBackoffMs);
    this.#backoff = Math.min(this.#backoff * 2, this.#context.options.maxBackoffMs);
    await this.#sleep(delay);
  }

  /** Saves unsaved progress when due (every `flushMs`, at once with dead letters, always when `force`). */
  async #save(force: boolean): Promise<void> {
    const u = this.#unsaved;
    const now = this.#context.now();
    const hasNews = u.cursors.size > 0 || u.failures > 0 || u.lastError !== undefined || u.deadLetters.length > 0;
    if (!hasNews || (!force && u.deadLetters.length === 0 && now - this.#lastSave < this.#context.options.flushMs)) return;
    this.#unsaved = emptyUnsaved();
    this.#saving = u;
    try {
      await this.#context.store.saveProgress(this.#destination.id, {
        cursors: [...u.cursors].map(([logId, nextSeq]) => ({ logId, nextSeq })),
        delivered: u.delivered,
        skipped: u.skipped,
        failures: u.failures,
        deadLetters: u.deadLetters,
        ...(u.lastDeliveredAt !== undefined && { lastDeliveredAt: u.lastDeliveredAt }),
        ...(u.lastError !== undefined && { lastError: u.lastError }),
        ...(u.downSince !== undefined && { downSince: u.downSince }),
        nodeId: this.#context.nodeId,
        at: now,
      });
      this.#lastSave = now;
    } catch (error) {
      // Kept for the next save: nothing is lost, the counts only come late.
      this.#unsaved = mergeUnsaved(u, this.#unsaved);
      throw error;
    } finally {
      this.#saving = undefined;
    }
    // A refused ForwardingDeadLettered record is dead-lettered without a new event: no loop.
    const letters = u.deadLetters.filter((l) => l.event !== FORWARD_EVENTS.DeadLettered);
    if (letters.length > 0) await this.#journal(deadLetteredEvent(this.#destination, letters));
  }

  async #journal(event: Record<string, unknown>): Promise<void> {
    try {
      await this.#context.journal.appendSystem(event);
    } catch (error) {
      this.#context.onError(error, `journalling event ${String(event.event)} of ${this.#destination.name} failed`);
    }
  }

  async #closeSink(): Promise<void> {
    this.#settle(this.#context.now());
    const sink = this.#sink;
    this.#sink = undefined;
    // Batches sent on the closing connection that have not settled yet are sent again from the cursors.
    if (this.#inFlight.some((b) => b.receipt !== undefined)) {
      this.#position = new Map(this.#committed);
      this.#inFlight = [];
    }
    await sink?.close().catch(() => undefined);
  }

  /** Waits for a wake-up, or until in-flight batches may settle or progress is due to be saved. */
  async #idle(state: WorkerState): Promise<void> {
    this.#state = state;
    const waits: number[] = [];
    if (this.#inFlight.length > 0) waits.push(this.#context.options.settleMs);
    if (this.#unsaved.cursors.size > 0 || this.#unsaved.failures > 0) waits.push(this.#context.options.flushMs);
    await this.#sleep(waits.length === 0 ? undefined : Math.min(...waits), true);
  }

  /** Sleeps `ms` (forever when undefined); `wakeable` lets {@link wake} end it early. Stopping always ends it. */
  async #sleep(ms: number | undefined, wakeable = false): Promise<void> {
    if (this.#stopped) return;
    if (wakeable && this.#woken) {
      this.#woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeUp = () => {
        if (wakeable || this.#stopped || this.#next !== undefined) done();
      };
    });
    this.#wakeUp = undefined;
    if (wakeable) this.#woken = false;
  }
}

/** Progress that failed to save (`older`) with what came since (`newer`): counts add up, the newer status wins. */
function mergeUnsaved(older: Unsaved, newer: Unsaved): Unsaved {
  const cursors = new Map(older.cursors);
  for (const [logId, seq] of newer.cursors) cursors.set(logId, Math.max(seq, cursors.get(logId) ?? 0));
  const merged: Unsaved = {
    cursors,
    delivered: older.delivered + newer.delivered,
    skipped: older.skipped + newer.skipped,
    failures: older.failures + newer.failures,
    deadLetters: [...older.deadLetters, ...newer.deadLetters],
  };
  const lastDeliveredAt = newer.lastDeliveredAt ?? older.lastDeliveredAt;
  if (lastDeliveredAt !== undefined) merged.lastDeliveredAt = lastDeliveredAt;
  const lastError = newer.lastError !== undefined ? newer.lastError : older.lastError;
  if (lastError !== undefined) merged.lastError = lastError;
  const downSince = newer.downSince !== undefined ? newer.downSince : older.downSince;
  if (downSince !== undefined) merged.downSince = downSince;
  return merged;
}
