/**
 * Where a producer keeps events between `log()` and their delivery: in memory ({@link MemoryQueue}) or in an
 * on-disk spool ({@link DiskSpool}). Events are NDJSON lines (one serialized event each, no newline); both queues
 * hand them out oldest first and keep them until the request that carried them ended.
 */

/** What a producer does when its buffer or spool is full. */
export type OverflowPolicy = 'drop-oldest' | 'block';

/** The answer of {@link EventQueue.push}. */
export interface PushResult {
  /** False when the queue was full and its policy is `block`: nothing was added. */
  readonly accepted: boolean;
  /** Events dropped (oldest first) to make room, under `drop-oldest`. */
  readonly dropped: number;
  /** The dropped events' lines, when asked for (`collectDropped`). */
  readonly droppedLines?: readonly string[];
}

/** A FIFO of serialized events with one request's worth "in flight" at a time. */
export interface EventQueue {
  /** Events waiting, those in flight included. */
  readonly events: number;
  /** Bytes they take (in the spool: frame headers included). */
  readonly bytes: number;
  /** Whether a batch taken by {@link take} is not settled yet. */
  readonly inFlight: boolean;
  /**
   * Adds lines at the tail (in the spool: one frame, written and fsynced before this resolves). When they don't fit:
   * `drop-oldest` drops the oldest events not in flight first; `block` adds nothing.
   */
  push(lines: readonly string[], options?: { readonly collectDropped?: boolean }): Promise<PushResult>;
  /** The oldest events, at least one when any wait and not more than the limits allow otherwise; marks them in flight. */
  take(maxEvents: number, maxBytes: number): Promise<string[]>;
  /**
   * Ends the request of the batch in flight: `delivered` removes it; otherwise it stays at the head for the next
   * attempt, unless newer events were dropped meanwhile (drop-oldest: the older batch goes first). Returns how many
   * events of the batch were dropped that way.
   */
  settle(delivered: boolean): Promise<number>;
  /** Releases files and locks. */
  close(): Promise<void>;
}

/** Limits of a {@link MemoryQueue}. */
export interface MemoryQueueConfig {
  /** Most events held. */
  readonly maxEvents: number;
  /** Most bytes held (the serialized events' UTF-16 length, a close enough measure of their memory). */
  readonly maxBytes: number;
  readonly overflow: OverflowPolicy;
}

/** An {@link EventQueue} in memory: bounded by events and bytes. Lost when the process ends. */
export class MemoryQueue implements EventQueue {
  readonly #config: MemoryQueueConfig;
  // Waiting lines are #lines[#head..]; the batch in flight was taken off the front (#head moved past it), so dropping
  // the oldest waiting events is always a move of #head. The dead front is compacted away when nothing is in flight.
  #lines: string[] = [];
  #head = 0;
  #bytes = 0;
  #inFlight = 0;
  #inFlightBytes = 0;
  #droppedDuringFlight = false;

  constructor(config: MemoryQueueConfig) {
    this.#config = config;
  }

  get events(): number {
    return this.#lines.length - this.#head + this.#inFlight;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get inFlight(): boolean {
    return this.#inFlight > 0;
  }

  push(lines: readonly string[], options: { readonly collectDropped?: boolean } = {}): Promise<PushResult> {
    return Promise.resolve(this.pushNow(lines, options));
  }

  /** {@link push} without the promise: the memory queue answers at once. */
  pushNow(lines: readonly string[], options: { readonly collectDropped?: boolean } = {}): PushResult {
    let size = 0;
    for (const line of lines) size += line.length;
    const { maxEvents, maxBytes, overflow } = this.#config;
    if (this.#inFlight === 0) this.#compact();
    let result: PushResult = { accepted: true, dropped: 0 };
    if (this.events + lines.length > maxEvents || this.#bytes + size > maxBytes) {
      if (overflow === 'block') return { accepted: false, dropped: 0 };
      const start = this.#head;
      const dropped = this.#dropOldest(this.events + lines.length - maxEvents, this.#bytes + size - maxBytes);
      result = { accepted: true, dropped, ...(options.collectDropped === true && { droppedLines: this.#lines.slice(start, start + dropped) }) };
    }
    for (const line of lines) this.#lines.push(line);
    this.#bytes += size;
    return result;
  }

  take(maxEvents: number, maxBytes: number): Promise<string[]> {
    if (this.#inFlight === 0) this.#compact();
    const batch: string[] = [];
    let size = 0;
    while (this.#head < this.#lines.length && batch.length < maxEvents) {
      const line = this.#lines[this.#head]!;
      if (batch.length > 0 && size + line.length > maxBytes) break;
      batch.push(line);
      size += line.length;
      this.#head++;
    }
    this.#inFlight = batch.length;
    this.#inFlightBytes = size;
    return Promise.resolve(batch);
  }

  settle(delivered: boolean): Promise<number> {
    const n = this.#inFlight;
    const dropped = !delivered && this.#droppedDuringFlight ? n : 0;
    if (delivered || dropped > 0) this.#bytes -= this.#inFlightBytes;
    // Not delivered and nothing newer dropped: the batch is still right before #head (nothing compacts in flight).
    else this.#head -= n;
    this.#inFlight = 0;
    this.#inFlightBytes = 0;
    this.#droppedDuringFlight = false;
    return Promise.resolve(dropped);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Drops the oldest waiting events until `events` events and `bytes` bytes are freed, or none waits. */
  #dropOldest(events: number, bytes: number): number {
    const start = this.#head;
    let freed = 0;
    while (this.#head < this.#lines.length && (this.#head - start < events || freed < bytes)) freed += this.#lines[this.#head++]!.length;
    if (this.#head > start && this.#inFlight > 0) this.#droppedDuringFlight = true;
    this.#bytes -= freed;
    return this.#head - start;
  }

  #compact(): void {
    if (this.#head > 4096 && this.#head * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#head = 0;
    }
  }
}
