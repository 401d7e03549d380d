import { hostname } from 'node:os';
import { TamgaError, uuidv7, validateEventInput, ValidationError } from '@tamga/core';
import { DiskSpool } from './disk-spool.js';
import type { SpoolRecovery } from './disk-spool.js';
import { MemoryQueue } from './event-queue.js';
import type { EventQueue, OverflowPolicy } from './event-queue.js';
import { verifyReceipt } from './verify-receipt.js';
import type { ReceiptCheck } from './verify-receipt.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { TamgaApiError } from './tamga-api-error.js';
import type { TamgaProblem } from './tamga-api-error.js';
import { TamgaClient } from './tamga-client.js';
import type { TamgaClientConfig } from './tamga-client.js';
import type { AppendAnswer, TamgaEvent } from './tamga-event.js';

/** An event given to {@link TamgaProducer.log}: a {@link TamgaEvent} whose `createdAt` may also be a `Date`. */
export type ProducerEvent = Omit<TamgaEvent, 'createdAt'> & { readonly createdAt?: string | Date };

/** Why events did not reach Tamga: the server refused them (`TamgaApiError`), or the producer could not keep them. */
export type ProducerError = TamgaApiError | TamgaError;

/** Options of the on-disk spool of a {@link TamgaProducer}. */
export interface ProducerSpoolConfig {
  /** The spool directory (created when missing). One producer per directory at a time. */
  readonly dir: string;
  /** Most bytes of undelivered events on disk. Default 256 MiB. */
  readonly maxBytes?: number;
  /** Size of one segment file. Default `maxBytes / 16`, between 64 KiB and 16 MiB. */
  readonly segmentBytes?: number;
}

/** Options of {@link TamgaProducer}. */
export interface TamgaProducerConfig extends Omit<TamgaClientConfig, 'retry' | 'onRetry'> {
  /** Tenant of events that give none (`tenantId` absent); also where loss reports go. Default: the default tenant. */
  readonly tenantId?: string | null;
  /**
   * Whether an event without `createdAt` gets the time of `log()`. Default true: an event waits in the producer before
   * Tamga sees it, and keeps the time it happened. False leaves it absent (Tamga then takes `apiCreatedAt`), for events
   * replayed from a file, whose time of reading means nothing: sending the same file twice then stores nothing twice
   * (a `createdAt` that differs would make the second a 409 ID_CONFLICT).
   */
  readonly stampCreatedAt?: boolean;
  /** Most events in one request. Default 2,000 (the server takes up to 10,000). */
  readonly maxBatchSize?: number;
  /** Most bytes in one request. Default 4 MiB (the server takes up to 16 MiB). */
  readonly maxBatchBytes?: number;
  /** How long a logged event may wait for others to join its batch, in ms. Default 100. `record()` and `flush()` don't wait. */
  readonly lingerMs?: number;
  /**
   * Most events held in memory: the whole buffer without a spool; with one, the events not yet written to it. Default
   * 100,000.
   */
  readonly maxBufferedEvents?: number;
  /** Most bytes of serialized events held in memory. Default 64 MiB. */
  readonly maxBufferedBytes?: number;
  /**
   * What happens when the buffer (or the spool) is full: `drop-oldest` (default) drops the oldest undelivered events,
   * counts them, reports them to `onError` (`EVENTS_DROPPED`) and journals the loss as `RegistrationFailed` (32007)
   * when Tamga answers again; `block` drops nothing: `writable` turns false, `ready()` waits for room, and `log()`
   * on a full buffer throws `PRODUCER_BUFFER_FULL`.
   */
  readonly overflow?: OverflowPolicy;
  /** An on-disk spool: events survive a crash of this process and are delivered by the next producer on the directory. */
  readonly spool?: string | ProducerSpoolConfig;
  /**
   * Backoff between delivery attempts (full jitter, doubling from `initialDelayMs` 250 up to `maxDelayMs` 5,000; a
   * longer `Retry-After` wins). Attempts never stop while the producer is open. The cap is short so that delivery
   * resumes within seconds of Tamga's return; one small request every few seconds is nothing to a recovering server.
   */
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /**
   * Told about events that will not be stored: refused by the server (4xx, with its problem), invalid before sending,
   * dropped when full, or an unreadable spool. Default: a line on stderr.
   */
  readonly onError?: (error: ProducerError, events: readonly ProducerEvent[]) => void;
  /** Told the server's answers for each committed batch (stored or already stored), in log order. */
  readonly onStored?: (answers: readonly AppendAnswer[]) => void;
  /** Where the producer says that Tamga is unreachable or back, and warns at exit. Default: stderr. */
  readonly warn?: (message: string) => void;
  /** Whether dropped events are journalled as `RegistrationFailed` (32007) once Tamga answers. Default true. */
  readonly reportLoss?: boolean;
  /** How long a process that ends with undelivered events waits for their delivery, in ms. Default 10,000. */
  readonly exitTimeoutMs?: number;
}

/** Options of {@link TamgaProducer.record}. */
export interface RecordOptions {
  /** How long to wait for the commit, in ms. Default 30,000. The event stays queued after a timeout. */
  readonly timeoutMs?: number;
  /**
   * Also fetch the event's receipt (its inclusion proof in a signed checkpoint, within about a second of the commit)
   * and verify it locally. `true` trusts the checkpoint keys the server publishes at `/.well-known/tamga-keys`
   * (fetched once); pass the keys to pin them instead (the bundle `keys.json` or `.well-known` shape).
   */
  readonly receipt?: boolean | { readonly keys: unknown };
}

/** What {@link TamgaProducer.record} resolves with: the server's append answer, and the checked receipt if asked. */
export interface RecordResult extends AppendAnswer {
  readonly receipt?: ReceiptCheck;
}

/** Counters of a {@link TamgaProducer}. */
export interface ProducerStats {
  /** Events accepted by `log()` / `record()` since the producer was created. */
  readonly logged: number;
  /** Events the server committed (new records). */
  readonly stored: number;
  /** Events the server already had (a retry of a batch whose answer was lost): stored once. */
  readonly duplicates: number;
  /** Events refused: by the server (4xx) or as invalid before sending. */
  readonly refused: number;
  /** Events dropped because the buffer or spool was full (`drop-oldest`). */
  readonly dropped: number;
  /** Events waiting: in memory and in the spool, in flight included. */
  readonly waiting: number;
  /** Events found in the spool at start (a previous process's). */
  readonly recovered: number;
  /** Since when Tamga has not answered (ISO time), or null. */
  readonly unreachableSince: string | null;
  /** The last delivery error, or null. */
  readonly lastError: string | null;
}

/** What {@link TamgaProducer.close} resolves with. */
export interface CloseResult extends ProducerStats {
  /** Events left undelivered: kept in the spool (`spooled`), or lost (no spool). */
  readonly undelivered: number;
  /** Whether the undelivered events are in the spool. */
  readonly spooled: boolean;
}

const RETRY_401_MS = 30_000;
// `log()` sits on callers' hot paths: an id first lets the loop find it again without parsing the line.
const ID_PREFIX = '{"id":"';

/** The `id` of a serialized event. */
function idOf(line: string): string | undefined {
  if (line.startsWith(ID_PREFIX) && line[43] === '"') return line.slice(7, 43);
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function parseLines(lines: readonly string[]): ProducerEvent[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as ProducerEvent];
    } catch {
      return [];
    }
  });
}

interface Waiter {
  resolve(answer: AppendAnswer): void;
  reject(error: ProducerError): void;
}

/** Producers alive in this process, for the process's `beforeExit` and `exit` hooks. */
const live = new Set<TamgaProducer>();

/**
 * The producer side of the SDK: `log(event)` returns at once and the event reaches Tamga in the background, batched
 * by count and time, in order, retried with backoff and jitter while Tamga is unreachable or busy (network errors,
 * timeouts, 5xx, 429 with `Retry-After`), each retry with the same ids so nothing is stored twice. Refusals (4xx) are
 * not retried: `onError` gets them with the server's problem. `record(event)` is the fail-closed path: it resolves
 * only once the event is committed. With a `spool`, every batch is on disk (fsynced) before it is sent, so events
 * survive a crash of the process and a long outage. Design and crash semantics:
 * docs/decisions/0023-sdk-producer-and-spool.md.
 *
 * @example
 * const tamga = new TamgaProducer({ url: 'http://localhost:7300', apiKey: process.env.TAMGA_API_KEY, spool: './tamga-spool' });
 * tamga.log({ event: 2001, userId: 'alice', ip: '10.0.0.24' });
 * const { seq } = await tamga.record({ eventName: 'UserRolesAssigned', userId: 'admin', entityData: { user: 'bob', role: 'auditor' } });
 * await tamga.close();
 */
export class TamgaProducer {
  /** The client requests go through. */
  readonly client: TamgaClient;
  readonly #tenantId: string | null | undefined;
  readonly #stampCreatedAt: boolean;
  #maxBatchSize: number;
  #maxBatchBytes: number;
  readonly #lingerMs: number;
  readonly #maxBufferedEvents: number;
  readonly #maxBufferedBytes: number;
  readonly #overflow: OverflowPolicy;
  readonly #retry: { initialDelayMs: number; maxDelayMs: number };
  readonly #onError: (error: ProducerError, events: readonly ProducerEvent[]) => void;
  readonly #warn: (message: string) => void;
  readonly #onStored: ((answers: readonly AppendAnswer[]) => void) | undefined;
  readonly #reportLoss: boolean;
  readonly #exitTimeoutMs: number;

  readonly #queue: EventQueue;
  readonly #memory: MemoryQueue | undefined;
  readonly #spool: DiskSpool | undefined;
  /** With a spool: lines logged but not yet written to it. */
  #staged: string[] = [];
  #stagedBytes = 0;
  readonly #waiters = new Map<string, Waiter>();
  /** Ids refused in the batch in flight, left out when it is sent again. */
  readonly #refused = new Set<string>();
  readonly #progress = new Set<() => void>();

  #logged = 0;
  #stored = 0;
  #duplicates = 0;
  #refusedCount = 0;
  #dropped = 0;
  readonly #recovered: number;
  /** Events that ever entered the queue or staging, and those that left it for good (stored, refused, dropped). */
  #entered = 0;
  #left = 0;
  /** Staged events written to the spool (or dropped from staging), counted like `#entered`. */
  #spooledOrdinal = 0;
  #loss: { count: number; first: string; last: string } | undefined;
  #unreachableSince: number | undefined;
  #lastError: string | null = null;
  #attempt = 0;

  #lingerTimer: NodeJS.Timeout | undefined;
  #sleepTimer: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  #sending = false;
  #writing = false;
  #urgent = false;
  #closing: Promise<CloseResult> | undefined;
  #closed = false;
  readonly #abort = new AbortController();
  #keys: Promise<unknown> | undefined;

  constructor(config: TamgaProducerConfig) {
    this.client = new TamgaClient({ ...config, retry: { maxAttempts: 1 } });
    this.#tenantId = config.tenantId;
    this.#stampCreatedAt = config.stampCreatedAt ?? true;
    this.#maxBatchSize = config.maxBatchSize ?? 2000;
    this.#maxBatchBytes = config.maxBatchBytes ?? 4 * 1024 * 1024;
    this.#lingerMs = config.lingerMs ?? 100;
    this.#maxBufferedEvents = config.maxBufferedEvents ?? 100_000;
    this.#maxBufferedBytes = config.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.#overflow = config.overflow ?? 'drop-oldest';
    this.#retry = {
      initialDelayMs: config.retry?.initialDelayMs ?? DEFAULT_RETRY_POLICY.initialDelayMs,
      maxDelayMs: config.retry?.maxDelayMs ?? 5000,
    };
    this.#warn = config.warn ?? ((message) => process.stderr.write(`tamga: ${message}\n`));
    this.#onError = config.onError ?? ((error, events) => this.#warn(`${events.length === 0 ? '' : `${events.length} event(s) not stored: `}${error.message}`));
    this.#onStored = config.onStored;
    this.#reportLoss = config.reportLoss ?? true;
    this.#exitTimeoutMs = config.exitTimeoutMs ?? 10_000;
    if (config.spool !== undefined) {
      const spoolConfig = typeof config.spool === 'string' ? { dir: config.spool } : config.spool;
      this.#spool = DiskSpool.open({ ...spoolConfig, overflow: this.#overflow });
      this.#queue = this.#spool;
      this.#recovered = this.#spool.events;
      this.#entered = this.#recovered;
      this.#spooledOrdinal = this.#recovered;
    } else {
      this.#memory = new MemoryQueue({ maxEvents: this.#maxBufferedEvents, maxBytes: this.#maxBufferedBytes, overflow: this.#overflow });
      this.#queue = this.#memory;
      this.#recovered = 0;
    }
    this.#abort.signal.addEventListener('abort', () => this.#changed());
    if (live.size === 0) {
      process.on('beforeExit', TamgaProducer.#onBeforeExit);
      process.on('exit', TamgaProducer.#onExit);
    }
    live.add(this);
    if (this.#spool !== undefined) this.#reportRecovery(this.#spool.recovery);
  }

  /**
   * Queues an event and returns its id at once (a UUIDv7 when the event has none; retries reuse it). Never throws for
   * the event's content: an invalid event goes to `onError` (`VALIDATION_FAILED`, naming the field) and is not sent.
   *
   * @throws TamgaError `PRODUCER_BUFFER_FULL` under `overflow: 'block'` when the buffer is full (see {@link ready}).
   */
  log(event: ProducerEvent): string {
    const prepared = this.#prepare(event);
    if (prepared instanceof TamgaError) {
      this.#refusedCount++;
      this.#onError(prepared, [event]);
      return typeof event.id === 'string' ? event.id : '';
    }
    this.#enqueue(prepared.line);
    return prepared.id;
  }

  /**
   * Fail-closed: queues the event (in order with the others) and resolves only when the server has committed it,
   * with its append answer (`seq`, `signature`, …) and, if asked, its verified receipt. Rejects with the server's
   * refusal (`TamgaApiError`), `VALIDATION_FAILED` for an invalid event, `EVENTS_DROPPED` when it was dropped for room,
   * or `DELIVERY_TIMEOUT` after `timeoutMs` (the event stays queued and may still be stored later, with its id).
   */
  async record(event: ProducerEvent, options: RecordOptions = {}): Promise<RecordResult> {
    if (this.#closing !== undefined) throw new TamgaError('PRODUCER_CLOSED', 'The producer is closed');
    const prepared = this.#prepare(event);
    if (prepared instanceof TamgaError) throw prepared;
    if (this.#overflow === 'block') await this.ready();
    if (this.#closing !== undefined) throw new TamgaError('PRODUCER_CLOSED', 'The producer closed before the event was queued');
    const timeoutMs = options.timeoutMs ?? 30_000;
    const committed = new Promise<AppendAnswer>((resolve, reject) => {
      this.#waiters.set(prepared.id, { resolve, reject });
    });
    this.#urgent = true;
    this.#enqueue(prepared.line);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#waiters.delete(prepared.id);
        reject(new TamgaError('DELIVERY_TIMEOUT', `Event ${prepared.id} was not committed within ${timeoutMs} ms; it stays queued`, { id: prepared.id }));
      }, timeoutMs);
    });
    let answer: AppendAnswer;
    try {
      answer = await Promise.race([committed, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (options.receipt === undefined || options.receipt === false) return answer;
    const keys = options.receipt === true ? await this.#publishedKeys() : options.receipt.keys;
    const res = await this.client.request('GET', `/api/v1/events/${answer.id}/receipt`, { retry: { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 1000 } });
    return { ...answer, receipt: verifyReceipt(await res.json(), { keys }) };
  }

  /** False while the buffer (or spool) is full under `overflow: 'block'`; wait for {@link ready} then. */
  get writable(): boolean {
    if (this.#memory !== undefined) return this.#memory.events < this.#maxBufferedEvents && this.#memory.bytes < this.#maxBufferedBytes;
    return this.#staged.length < this.#maxBufferedEvents && this.#stagedBytes < this.#maxBufferedBytes;
  }

  /** Resolves when {@link writable} is true (at once when it is). */
  ready(): Promise<void> {
    return this.#until(() => this.writable || this.#closing !== undefined);
  }

  /**
   * Resolves when every event logged so far is durably in the spool (written and fsynced); at once without a spool.
   * A crash after this loses none of them.
   */
  sync(): Promise<void> {
    if (this.#spool === undefined) return Promise.resolve();
    const target = this.#entered;
    this.#writeStaged();
    return this.#until(() => this.#spooledOrdinal >= target || this.#closed);
  }

  /**
   * Sends what is queued now and resolves when every event logged before the call is stored or refused (or dropped).
   *
   * @throws TamgaError `DELIVERY_TIMEOUT` when `timeoutMs` (default: no limit) passes first; nothing is lost by that.
   *   `PRODUCER_CLOSED` when the producer is closed before they are delivered.
   */
  async flush(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const target = this.#entered;
    this.#urgent = true;
    this.#kick();
    await this.#until(
      () => (this.#left >= target && !this.#queue.inFlight) || this.#closed,
      options.timeoutMs,
      () => `${target - this.#left} events were not delivered within ${options.timeoutMs} ms; they stay queued`,
    );
    if (this.#left < target) throw new TamgaError('PRODUCER_CLOSED', `The producer closed with ${target - this.#left} of these events undelivered`);
  }

  /**
   * Delivers what is queued (up to `timeoutMs`, default 10,000), then stops. Undelivered events stay in the spool
   * for the next producer on it; without a spool they are lost, and said so loudly (unless `quiet`: the caller reports
   * `undelivered` itself). Never rejects.
   */
  close(options: { readonly timeoutMs?: number; readonly quiet?: boolean } = {}): Promise<CloseResult> {
    this.#closing ??= this.#close(options.timeoutMs ?? 10_000, options.quiet === true);
    return this.#closing;
  }

  /** Counters since the producer was created. */
  stats(): ProducerStats {
    return {
      logged: this.#logged,
      stored: this.#stored,
      duplicates: this.#duplicates,
      refused: this.#refusedCount,
      dropped: this.#dropped,
      waiting: this.#queue.events + this.#staged.length,
      recovered: this.#recovered,
      unreachableSince: this.#unreachableSince === undefined ? null : new Date(this.#unreachableSince).toISOString(),
      lastError: this.#lastError,
    };
  }

  /** The event loop is empty (the process would end): every producer delivers what waits, within `exitTimeoutMs`. */
  static readonly #onBeforeExit = (): void => {
    for (const producer of live) producer.#onProcessIdle();
  };

  /** The process is exiting: nothing asynchronous runs any more. */
  static readonly #onExit = (): void => {
    for (const producer of live) producer.#onProcessExit();
  };

  #onProcessIdle(): void {
    if (this.#closing === undefined && this.#queue.events + this.#staged.length > 0) void this.close({ timeoutMs: this.#exitTimeoutMs });
  }

  /** Spools what is staged, or warns of the loss. */
  #onProcessExit(): void {
    if (this.#closed) return;
    if (this.#spool !== undefined) {
      try {
        this.#spool.pushSync(this.#staged);
        this.#staged = [];
      } catch (error) {
        this.#warn(`could not write ${this.#staged.length} events to the spool at exit: ${(error as Error).message}`);
      }
      const waiting = this.#spool.events;
      if (waiting > 0) this.#warn(`${waiting} undelivered events stay in the spool ${this.#spool.dir}; the next producer on it delivers them`);
      return;
    }
    const lost = this.#queue.events;
    if (lost > 0) {
      this.#warn(
        `WARNING: ${lost} events logged through the Tamga SDK were NOT delivered and are LOST: the process is exiting before ` +
          'they reached Tamga, and no spool is configured. Await producer.close() before exiting, or configure a spool.',
      );
    }
  }

  #prepare(event: ProducerEvent): { id: string; line: string } | TamgaError {
    if (this.#closing !== undefined) return new TamgaError('PRODUCER_CLOSED', 'The producer is closed; the event was not queued');
    try {
      const { id: given, createdAt, ...rest } = event;
      const id = given ?? uuidv7();
      const full: Record<string, unknown> = {
        id,
        ...(rest.tenantId === undefined && this.#tenantId !== undefined && { tenantId: this.#tenantId }),
        ...rest,
        // An event waits here before Tamga sees it (seconds, or an outage): it keeps the time it happened, not the time
        // it arrived (that is apiCreatedAt), and every retry carries the same content.
        ...(createdAt !== undefined
          ? { createdAt: createdAt instanceof Date ? createdAt.toISOString() : createdAt }
          : this.#stampCreatedAt && { createdAt: new Date().toISOString() }),
      };
      // The server checks again; checking here keeps one bad event from holding up a batch and says so at once.
      const valid = validateEventInput(full);
      return { id: valid.id!, line: JSON.stringify(valid.id === id ? full : { ...full, id: valid.id }) };
    } catch (error) {
      if (error instanceof TamgaError) return error;
      // JSON.stringify: a BigInt or a cycle in entityData.
      return new ValidationError('VALIDATION_FAILED', `entityData: ${(error as Error).message}`, { field: 'entityData' });
    }
  }

  #enqueue(line: string): void {
    this.#logged++;
    if (this.#memory !== undefined) {
      const collectDropped = this.#waiters.size > 0;
      const pushed = this.#memory.pushNow([line], { collectDropped });
      if (!pushed.accepted) {
        this.#logged--;
        throw new TamgaError('PRODUCER_BUFFER_FULL', `The buffer holds ${this.#memory.events} events; wait for ready() before logging more`);
      }
      this.#entered++;
      if (pushed.dropped > 0) this.#lost(pushed.dropped, pushed.droppedLines);
    } else {
      if (this.#staged.length >= this.#maxBufferedEvents || this.#stagedBytes >= this.#maxBufferedBytes) {
        if (this.#overflow === 'block') {
          this.#logged--;
          throw new TamgaError('PRODUCER_BUFFER_FULL', `${this.#staged.length} events wait to be spooled; wait for ready() before logging more`);
        }
        const gone = this.#staged.shift()!;
        this.#stagedBytes -= gone.length;
        this.#spooledOrdinal++;
        this.#lost(1, [gone]);
      }
      this.#staged.push(line);
      this.#stagedBytes += line.length;
      this.#entered++;
      this.#writeStaged();
    }
    if (this.#urgent || this.#queue.events + this.#staged.length >= this.#maxBatchSize) this.#kick();
    else if (this.#lingerTimer === undefined && !this.#sending) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = undefined;
        this.#kick();
      }, this.#lingerMs);
      this.#lingerTimer.unref();
    }
  }

  /** With a spool: writes staged events to it, one fsynced frame per batch, until none is staged. */
  #writeStaged(): void {
    if (this.#spool === undefined || this.#writing || this.#staged.length === 0) return;
    this.#writing = true;
    void this.#writeLoop(this.#spool).finally(() => {
      this.#writing = false;
      if (this.#staged.length > 0 && this.#closing === undefined) this.#writeStaged();
    });
  }

  async #writeLoop(spool: DiskSpool): Promise<void> {
    let failures = 0;
    while (this.#staged.length > 0 && !this.#closed && !this.#abort.signal.aborted) {
      const lines = this.#staged.slice(0, this.#maxBatchSize);
      let pushed;
      try {
        pushed = await spool.push(lines, { collectDropped: this.#waiters.size > 0 });
      } catch (cause) {
        failures++;
        if (failures === 1) this.#onError(new TamgaError('SPOOL_FAILED', `Writing to the spool ${spool.dir} failed: ${(cause as Error).message}; ${this.#staged.length} events wait in memory`, { dir: spool.dir }, { cause }), []);
        await delay(backoffDelayMs(failures, { ...this.#retry, maxAttempts: Infinity }));
        continue;
      }
      if (!pushed.accepted) {
        // block: the spool is full until deliveries make room.
        await this.#until(() => spool.bytes < spool.maxBytes / 2 || this.#closing !== undefined);
        if (this.#closing !== undefined) return;
        continue;
      }
      failures = 0;
      this.#staged.splice(0, lines.length);
      for (const line of lines) this.#stagedBytes -= line.length;
      this.#spooledOrdinal += lines.length;
      if (pushed.dropped > 0) this.#lost(pushed.dropped, pushed.droppedLines);
      this.#changed();
      if (this.#lingerTimer === undefined) this.#kick();
    }
  }

  /** Starts the delivery loop now (unless it runs). */
  #kick(): void {
    if (this.#lingerTimer !== undefined) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = undefined;
    }
    if (this.#sending) return;
    this.#sending = true;
    void this.#deliveryLoop().finally(() => {
      this.#sending = false;
      this.#changed();
      // Events that arrived as the loop was ending found it still running and did not start it.
      if (this.#queue.events > 0 && !this.#closed && !this.#abort.signal.aborted) this.#kick();
    });
  }

  async #deliveryLoop(): Promise<void> {
    while (this.#queue.events > 0 && !this.#closed) {
      this.#urgent = false;
      const lines = await this.#queue.take(this.#maxBatchSize, this.#maxBatchBytes);
      if (lines.length === 0) break;
      let outcome: 'delivered' | { error: TamgaApiError };
      try {
        outcome = await this.#deliver(lines);
      } catch (error) {
        // Not a TamgaApiError: the producer is closing (aborted request) or something unexpected; keep the batch.
        outcome = { error: error instanceof TamgaApiError ? error : new TamgaApiError(String((error as Error).message ?? error), { status: 0, code: 'NETWORK', retryable: true, cause: error }) };
      }
      if (outcome === 'delivered') {
        await this.#queue.settle(true);
        this.#left += lines.length;
        this.#refused.clear();
        this.#delivered();
        this.#changed();
        continue;
      }
      const dropped = await this.#queue.settle(false);
      if (dropped > 0) {
        this.#refused.clear();
        this.#lost(dropped, lines);
      }
      this.#changed();
      this.#failed(outcome.error);
      if (this.#closing !== undefined && this.#abort.signal.aborted) break;
      this.#attempt++;
      const delay = outcome.error.status === 401 || outcome.error.status === 403 || outcome.error.status === 404
        ? RETRY_401_MS
        : backoffDelayMs(this.#attempt, { ...this.#retry, maxAttempts: Infinity }, outcome.error.retryAfterSeconds);
      await this.#sleep(delay);
    }
  }

  /**
   * Sends a batch: 'delivered' once every event is stored or refused, or the error to retry after. Events the server
   * names in a refusal are reported and left out, and the rest is sent again (the server stored nothing of it).
   */
  async #deliver(lines: readonly string[]): Promise<'delivered' | { error: TamgaApiError }> {
    let pending = this.#refused.size === 0 ? lines : lines.filter((l) => !this.#refused.has(idOf(l) ?? ''));
    while (pending.length > 0) {
      let res: Response;
      // Nobody waits for an event's answer (seq, signature): the server is asked for the count alone, which spares it
      // writing ~200 bytes per event (decisions/0068-minimal-append-answers.md).
      const minimal = this.#waiters.size === 0 && this.#onStored === undefined;
      try {
        res = await this.client.request('POST', '/api/v1/events', {
          body: `${pending.join('\n')}\n`,
          contentType: 'application/x-ndjson',
          retry: false,
          signal: this.#abort.signal,
          ...(minimal && { headers: { prefer: 'return=minimal' } }),
        });
      } catch (error) {
        if (!(error instanceof TamgaApiError)) throw error;
        if (error.retryable || isAboutTheCaller(error)) return { error };
        if ((error.code === 'BATCH_TOO_LARGE' || error.code === 'BODY_TOO_LARGE') && pending.length > 1) {
          // The server takes less than this producer sends: halve the batches from now on.
          this.#maxBatchSize = Math.max(1, Math.floor(pending.length / 2));
          this.#maxBatchBytes = Math.max(64 * 1024, Math.floor(this.#maxBatchBytes / 2));
          const half = Math.ceil(pending.length / 2);
          const first = await this.#deliver(pending.slice(0, half));
          return first === 'delivered' ? this.#deliver(pending.slice(half)) : first;
        }
        const named = refusedIndexes(error.problem, pending.length);
        if (named.size === 0) {
          this.#refuse(pending, error);
          return 'delivered';
        }
        for (const [index, problem] of named) this.#refuse([pending[index]!], perEventError(error, problem));
        pending = pending.filter((_, i) => !named.has(i));
        continue;
      }
      const answer = (await res.json()) as { items: AppendAnswer[] } | { items?: undefined; count: number; duplicates: number };
      if (answer.items === undefined) {
        this.#duplicates += answer.duplicates;
        this.#stored += answer.count - answer.duplicates;
        return 'delivered';
      }
      const { items } = answer;
      for (const item of items) {
        if (item.duplicate) this.#duplicates++;
        else this.#stored++;
        const waiter = this.#waiters.get(item.id);
        if (waiter !== undefined) {
          this.#waiters.delete(item.id);
          waiter.resolve(item);
        }
      }
      this.#onStored?.(items);
      return 'delivered';
    }
    return 'delivered';
  }

  #refuse(lines: readonly string[], error: TamgaApiError): void {
    const events = parseLines(lines);
    this.#refusedCount += lines.length;
    for (const line of lines) {
      const id = idOf(line);
      if (id === undefined) continue;
      this.#refused.add(id);
      const waiter = this.#waiters.get(id);
      if (waiter !== undefined) {
        this.#waiters.delete(id);
        waiter.reject(error);
      }
    }
    this.#onError(error, events);
  }

  /** Counts events dropped for room, rejects their `record()` callers, and reports the loss. */
  #lost(count: number, lines: readonly string[] | undefined): void {
    this.#left += count;
    this.#dropped += count;
    const now = new Date().toISOString();
    const first = this.#loss === undefined;
    this.#loss = { count: (this.#loss?.count ?? 0) + count, first: this.#loss?.first ?? now, last: now };
    const error = new TamgaError(
      'EVENTS_DROPPED',
      `${count} undelivered events were dropped: the ${this.#spool === undefined ? 'in-memory buffer' : `spool ${this.#spool.dir}`} is full (overflow: drop-oldest); ${this.#dropped} dropped so far`,
      { count, total: this.#dropped },
    );
    for (const line of lines ?? []) {
      const waiter = this.#waiters.get(idOf(line) ?? '');
      if (waiter !== undefined) {
        this.#waiters.delete(idOf(line)!);
        waiter.reject(error);
      }
    }
    // One report when the loss starts; the total is journalled when Tamga answers again.
    if (first) this.#onError(error, []);
  }

  /** A batch got through: the outage (if any) is over, and a loss that happened meanwhile is journalled. */
  #delivered(): void {
    if (this.#unreachableSince !== undefined) {
      const seconds = Math.round((Date.now() - this.#unreachableSince) / 1000);
      this.#warn(`Tamga at ${this.client.url} answers again after ${seconds} s; delivering ${this.#queue.events + this.#staged.length} held events`);
      this.#unreachableSince = undefined;
    }
    this.#attempt = 0;
    const loss = this.#loss;
    if (loss !== undefined && this.#closing === undefined) {
      this.#loss = undefined;
      if (this.#reportLoss) {
        this.log({
          event: 32007,
          eventName: 'RegistrationFailed',
          ...(this.#tenantId !== undefined && { tenantId: this.#tenantId }),
          outcome: 'failure',
          text: `A Tamga SDK producer (${hostname()}, pid ${process.pid}) dropped ${loss.count} events between ${loss.first} and ${loss.last}: its ${this.#spool === undefined ? 'in-memory buffer' : 'spool'} was full while Tamga could not be reached (overflow: drop-oldest).`,
          entityData: { dropped: loss.count, firstDroppedAt: loss.first, lastDroppedAt: loss.last, buffer: this.#spool === undefined ? 'memory' : 'spool', host: hostname(), pid: process.pid },
          source: { system: 'tamga-sdk', component: 'producer' },
        });
      }
    }
  }

  #failed(error: TamgaApiError): void {
    this.#lastError = error.message;
    if (this.#unreachableSince === undefined) {
      this.#unreachableSince = Date.now();
      const held = this.#queue.events + this.#staged.length;
      this.#warn(`cannot deliver to Tamga: ${error.message}; ${held} events held ${this.#spool === undefined ? 'in memory' : `in the spool ${this.#spool.dir}`}, retrying`);
    }
    if (isAboutTheCaller(error)) this.#onError(error, []);
  }

  async #close(timeoutMs: number, quiet: boolean): Promise<CloseResult> {
    const deadline = setTimeout(() => this.#abort.abort(new TamgaError('DELIVERY_TIMEOUT', `close: not delivered within ${timeoutMs} ms`)), timeoutMs);
    this.#urgent = true;
    // Try now rather than at the end of a backoff.
    this.#sleepTimer?.wake();
    this.#writeStaged();
    this.#kick();
    try {
      await this.#until(() => (this.#queue.events === 0 && this.#staged.length === 0 && !this.#writing) || this.#abort.signal.aborted);
    } finally {
      clearTimeout(deadline);
    }
    if (!this.#abort.signal.aborted) this.#abort.abort(new TamgaError('PRODUCER_CLOSED', 'The producer is closed'));
    this.#sleepTimer?.wake();
    await this.#until(() => !this.#sending && !this.#writing);
    if (this.#spool !== undefined && this.#staged.length > 0) {
      try {
        await this.#spool.push(this.#staged);
        this.#staged = [];
      } catch (error) {
        this.#warn(`could not write ${this.#staged.length} events to the spool: ${(error as Error).message}; they are lost`);
      }
    }
    this.#closed = true;
    const undelivered = this.#queue.events + this.#staged.length;
    for (const [id, waiter] of this.#waiters) {
      this.#waiters.delete(id);
      waiter.reject(new TamgaError('DELIVERY_TIMEOUT', `Event ${id} was not committed before the producer closed`, { id }));
    }
    await this.#queue.close();
    live.delete(this);
    if (live.size === 0) {
      process.off('beforeExit', TamgaProducer.#onBeforeExit);
      process.off('exit', TamgaProducer.#onExit);
    }
    if (undelivered > 0 && !quiet) {
      this.#warn(
        this.#spool !== undefined
          ? `${undelivered} undelivered events stay in the spool ${this.#spool.dir}; the next producer on it delivers them`
          : `WARNING: ${undelivered} events were NOT delivered to Tamga within ${timeoutMs} ms and are LOST (no spool configured)`,
      );
    }
    this.#changed();
    return { ...this.stats(), waiting: undelivered, undelivered, spooled: this.#spool !== undefined };
  }

  #reportRecovery(recovery: SpoolRecovery): void {
    if (recovery.torn !== undefined) {
      this.#warn(`the spool's last write was cut off (the process died inside it): ${recovery.torn.bytes} bytes set aside as ${recovery.torn.keptAs}`);
    }
    for (const bad of recovery.corrupt) {
      this.#onError(
        new TamgaError('SPOOL_CORRUPT', `${bad.bytes} bytes of the spool (${bad.segment} at ${bad.offset}) are not valid frames; set aside as ${bad.keptAs}`, { ...bad }),
        [],
      );
    }
    if (recovery.events > 0) {
      this.#warn(`${recovery.events} undelivered events found in the spool ${this.#spool!.dir}; delivering them first`);
      this.#kick();
    }
  }

  /** The checkpoint keys the server publishes, fetched once. */
  #publishedKeys(): Promise<unknown> {
    this.#keys ??= this.client.request('GET', '/.well-known/tamga-keys').then((res) => res.json() as Promise<unknown>);
    return this.#keys;
  }

  /** Waits `ms` (unref'd: an idle process may end meanwhile; the exit hooks take over), or less when woken. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#sleepTimer = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      if (this.#closing === undefined) timer.unref();
      this.#sleepTimer = { timer, wake };
    });
  }

  /** Resolves when `done()` holds, checked after every change; rejects with DELIVERY_TIMEOUT after `timeoutMs`. */
  #until(done: () => boolean, timeoutMs?: number, message?: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        if (!done()) return;
        this.#progress.delete(check);
        clearTimeout(timer);
        resolve();
      };
      this.#progress.add(check);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#progress.delete(check);
          reject(new TamgaError('DELIVERY_TIMEOUT', message?.() ?? `not done within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  #changed(): void {
    for (const check of [...this.#progress]) check();
  }
}

/** Waits `ms` without keeping the process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Refusals about the credentials or the address, not the events: keep the events and retry slowly. */
function isAboutTheCaller(error: TamgaApiError): boolean {
  return error.status === 401 || error.status === 404 || (error.status === 403 && error.problem?.index === undefined);
}

/** The events a refusal names (`errors[].index`, `index`, or an NDJSON `line`), with each one's problem. */
function refusedIndexes(problem: TamgaProblem | undefined, size: number): Map<number, TamgaProblem> {
  const named = new Map<number, TamgaProblem>();
  if (problem === undefined) return named;
  const listed = Array.isArray(problem.errors) ? (problem.errors as TamgaProblem[]) : [];
  for (const entry of listed) if (Number.isInteger(entry.index) && entry.index! >= 0 && entry.index! < size) named.set(entry.index!, entry);
  if (named.size === 0 && Number.isInteger(problem.index) && problem.index! < size) named.set(problem.index!, problem);
  const line = problem.line;
  if (named.size === 0 && typeof line === 'number' && Number.isInteger(line) && line >= 1 && line <= size) named.set(line - 1, problem);
  return named;
}

/** The refusal of one event of a batch, as its own error. */
function perEventError(batch: TamgaApiError, problem: TamgaProblem): TamgaApiError {
  const code = typeof problem.code === 'string' ? problem.code : batch.code;
  const message = typeof problem.message === 'string' ? problem.message : (problem.detail ?? batch.message);
  return new TamgaApiError(`${message} [${code}]`, { status: batch.status, code, problem: { ...problem, code }, retryable: false });
}
