/**
 * The request thread's side of the SQLite reader threads (`sqlite-reader-thread.ts`): a pool of threads, each with a
 * read-only connection of its own on the WAL database, that run the store's read queries; the request thread posts a
 * read and awaits its answer. Each thread runs one read at a time; reads wait here, the short ones first. The pages of
 * exports run on a thread of their own in SCHED_IDLE (decision 0072).
 */
import { Worker } from 'node:worker_threads';
import { StoreError, TamgaError } from '@tamga/core';
import { fromWireError } from './sqlite-writer-protocol.js';
import type { WireError } from './sqlite-writer-protocol.js';
import { compiledExecArgv } from './sqlite-writer-threads.js';

/** Linux nice of the reader threads (the writer and the HTTP thread run at 0). */
export const READER_NICE = 10;
/** The young generation of a reader thread's heap, MB. */
const READER_YOUNG_GENERATION_MB = 12;

/**
 * How reader threads yield the cores to appends: `low`, at {@link READER_NICE}; `idle`, in Linux's SCHED_IDLE class
 * (CPU time no other thread wants; under full load a query waits).
 */
export type ReaderPriority = 'low' | 'idle';

/** What a reader thread starts with. */
export interface ReaderData {
  readonly path: string;
  readonly priority: ReaderPriority;
  /** The thread's name (`tamga-reader`, `tamga-export`). */
  readonly name: string;
}

/**
 * Where a read waits for a thread: `short` runs on any thread of the pool, before the long ones; `long` never on the
 * pool's last free thread; `bulk` (the pages of an export) on the export thread.
 */
export type ThreadPlace = 'short' | 'long' | 'bulk';

/** When the export thread's priority yields to other work, and when the pool runs exports instead. */
export interface ExportThreadTiming {
  /** A page that took longer than this from sending to answer (ms) shows the export thread starved of CPU time. */
  readonly starvedMs: number;
  /** Then exports run on the pool, at its priority, for this long (ms). */
  readonly onPoolMs: number;
  /** After this long without a page (ms), the export thread frees its page cache. */
  readonly idleMs: number;
}

/** {@link ExportThreadTiming}'s defaults: a page of 1,000 records takes 70–100 ms when the thread gets the CPU time it wants. */
export const EXPORT_THREAD_TIMING: ExportThreadTiming = Object.freeze({
  starvedMs: 1_000,
  onPoolMs: 30_000,
  idleMs: 30_000,
});

export type ToReader =
  | {
      readonly type: 'read';
      readonly id: number;
      readonly method: string;
      readonly args: readonly unknown[];
    }
  /** Frees the connection's page cache (`PRAGMA shrink_memory`); no answer. */
  | { readonly type: 'shrink' };

export type FromReader =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: WireError }
  | { readonly type: 'answer'; readonly id: number; readonly result: unknown }
  | { readonly type: 'refused'; readonly id: number; readonly error: WireError };

/** Options of {@link SqliteReaderThreads}. */
export interface SqliteReaderThreadsConfig {
  readonly path: string;
  /** Reader threads, at least 1. */
  readonly size: number;
  /** The compiled `sqlite-reader-thread.js`. */
  readonly script: URL;
  /** Default `low`. */
  readonly priority?: ReaderPriority | undefined;
  /**
   * The export thread's priority. `idle` (default): SCHED_IDLE, an export takes only the CPU time appends and queries
   * leave (on the pool while that is too little, see {@link ExportThreadTiming}); `low`: exports run on the pool.
   */
  readonly exportPriority?: ReaderPriority | undefined;
  /** Default {@link EXPORT_THREAD_TIMING} (tests shorten it). */
  readonly exportTiming?: ExportThreadTiming | undefined;
}

interface Read {
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
  readonly long: boolean;
  /** `performance.now()` when posted to a thread. */
  sentAt: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Reader {
  readonly worker: Worker;
  /** The read it runs, if any. */
  read?: Read | undefined;
  /** The error the thread reported before it ended (it could not open the database), if any. */
  failure?: WireError;
}

/** A pool of reader threads on one SQLite file; a thread that ended is replaced by the next read. */
export class SqliteReaderThreads {
  readonly #config: SqliteReaderThreadsConfig;
  readonly #readers: (Reader | undefined)[];
  readonly #short: Read[] = [];
  readonly #long: Read[] = [];
  readonly #bulk: Read[] = [];
  readonly #timing: ExportThreadTiming;
  /** The export thread, while it runs. */
  #exporter: Reader | undefined;
  /** Until when (`performance.now()`) exports run on the pool, the export thread having been starved. */
  #exportsOnPoolUntil = -Infinity;
  #exporterIdle: NodeJS.Timeout | undefined;
  #nextId = 1;
  #closed = false;

  constructor(config: SqliteReaderThreadsConfig) {
    this.#config = config;
    this.#readers = new Array<Reader | undefined>(Math.max(1, Math.floor(config.size))).fill(undefined);
    this.#timing = config.exportTiming ?? EXPORT_THREAD_TIMING;
  }

  /** Reader threads of the pool. */
  get size(): number {
    return this.#readers.length;
  }

  /** Whether an export's next page runs on the export thread (else on the pool: `exportPriority` low, or starved). */
  get exportsOnOwnThread(): boolean {
    return this.#config.exportPriority !== 'low' && performance.now() >= this.#exportsOnPoolUntil;
  }

  /**
   * Runs the store's read `method` with `args` on a reader thread; resolves with what it returned. A `long` read
   * leaves at least one thread of the pool to the short ones; a `bulk` one runs on the export thread while
   * {@link exportsOnOwnThread}, else as a short one.
   */
  call(method: string, args: readonly unknown[], place: ThreadPlace): Promise<unknown> {
    if (this.#closed)
      return Promise.reject(new StoreError('STORE_UNAVAILABLE', 'The SQLite store is closed'));
    const bulk = place === 'bulk' && this.exportsOnOwnThread;
    return new Promise((resolve, reject) => {
      const read = { id: this.#nextId++, method, args, long: place === 'long', sentAt: 0, resolve, reject };
      (bulk ? this.#bulk : place === 'long' ? this.#long : this.#short).push(read);
      this.#dispatch();
    });
  }

  /**
   * Gives each free thread the next read it may take: a short one first; a long one unless it is the last free thread;
   * the export thread the next page of an export.
   */
  #dispatch(): void {
    if (this.#bulk.length > 0 && this.#exporter?.read === undefined) {
      clearTimeout(this.#exporterIdle);
      this.#exporter ??= this.#start('tamga-export', 'idle', (reader) => {
        if (this.#exporter === reader) this.#exporter = undefined;
      });
      this.#post(this.#exporter, this.#bulk.shift()!);
    }
    for (let i = 0; i < this.#readers.length && (this.#short.length > 0 || this.#long.length > 0); i++) {
      if (this.#readers[i]?.read !== undefined) continue;
      const longRunning = this.#readers.filter((r) => r?.read?.long === true).length;
      const read =
        this.#short.shift() ??
        (longRunning < Math.max(1, this.#readers.length - 1) ? this.#long.shift() : undefined);
      if (read === undefined) return;
      this.#post(
        (this.#readers[i] ??= this.#start('tamga-reader', this.#config.priority ?? 'low', (reader) => {
          if (this.#readers[i] === reader) this.#readers[i] = undefined;
        })),
        read,
      );
    }
  }

  #post(reader: Reader, read: Read): void {
    reader.read = read;
    read.sentAt = performance.now();
    reader.worker.ref();
    reader.worker.postMessage({
      type: 'read',
      id: read.id,
      method: read.method,
      args: read.args,
    } satisfies ToReader);
  }

  /**
   * After the export thread answered a page: a page that waited long for CPU time sends the next ones to the pool for a
   * while (on a machine whose cores other work keeps busy, SCHED_IDLE would hold an export back for as long); a thread
   * left without a page frees its page cache after a while. It is not ended: a thread ends on its own time, and one in
   * SCHED_IDLE on busy cores could make the request thread, which joins it, wait as long.
   */
  #exported(reader: Reader, read: Read): void {
    if (performance.now() - read.sentAt > this.#timing.starvedMs)
      this.#exportsOnPoolUntil = performance.now() + this.#timing.onPoolMs;
    clearTimeout(this.#exporterIdle);
    this.#exporterIdle = setTimeout(() => {
      if (this.#exporter === reader && reader.read === undefined)
        reader.worker.postMessage({ type: 'shrink' } satisfies ToReader);
    }, this.#timing.idleMs).unref();
  }

  /** Starts a thread; `ended` is told when it ends. */
  #start(name: string, priority: ReaderPriority, ended: (reader: Reader) => void): Reader {
    const data: ReaderData = { path: this.#config.path, priority, name };
    const worker = new Worker(this.#config.script, {
      workerData: data,
      ...compiledExecArgv(),
      // A read's rows live until they are posted; a bigger young generation only costs memory (V8's default: 48 MB).
      resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_GENERATION_MB },
    });
    const reader: Reader = { worker };
    worker.unref();
    worker.on('message', (message: FromReader) => {
      if (message.type === 'failed') reader.failure = message.error;
      if (message.type !== 'answer' && message.type !== 'refused') return;
      const read = reader.read;
      if (read === undefined || read.id !== message.id) return;
      reader.read = undefined;
      worker.unref();
      if (reader === this.#exporter) this.#exported(reader, read);
      if (message.type === 'answer') read.resolve(asBuffers(message.result));
      else read.reject(fromWireError(message.error));
      this.#dispatch();
    });
    worker.on('error', () => undefined); // ends the thread: answered on 'exit'
    worker.on('exit', () => {
      ended(reader);
      const read = reader.read;
      reader.read = undefined;
      if (read !== undefined) {
        read.reject(
          reader.failure !== undefined
            ? fromWireError(reader.failure)
            : new StoreError(
                'STORE_UNAVAILABLE',
                'The SQLite reader thread stopped before it answered; try again',
              ),
        );
      }
      if (!this.#closed) this.#dispatch();
    });
    return reader;
  }

  /** Ends every thread at once, as a crash would (tests); the next reads start new ones. */
  async terminate(): Promise<void> {
    await Promise.all(
      [...this.#readers, this.#exporter].map(async (r) => void (await r?.worker.terminate())),
    );
  }

  /** Refuses the reads still waiting, ends the threads (a read running is refused too: reads store nothing). */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new StoreError('STORE_UNAVAILABLE', 'The SQLite store is closed');
    clearTimeout(this.#exporterIdle);
    for (const read of [...this.#short.splice(0), ...this.#long.splice(0), ...this.#bulk.splice(0)])
      read.reject(closed);
    await this.terminate();
  }
}

/**
 * A result as the store returned it: a Buffer crosses a thread as a plain Uint8Array (structured clone), so those of
 * the result, its items and their members (a record's `canonical`, `leafHash`, `payloadSalt`; Merkle hashes) are made
 * Buffers again, over the same memory.
 */
function asBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return toBuffer(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = asMemberBuffers(value[i]);
    return value;
  }
  return asMemberBuffers(value);
}

function asMemberBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return toBuffer(value);
  if (value !== null && typeof value === 'object' && !(value instanceof TamgaError)) {
    const object = value as Record<string, unknown>;
    for (const key in object) if (object[key] instanceof Uint8Array) object[key] = toBuffer(object[key]);
  }
  return value;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
