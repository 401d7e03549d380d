/**
 * The request thread's side of the SQLite reader threads (`sqlite-reader-thread.ts`): a pool of threads, each with a
 * read-only connection of its own on the WAL database, that run the store's read queries; the request thread posts a
 * read and awaits its answer. Each thread runs one read at a time; reads wait here, the short ones first.
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
}

export type ToReader = {
  readonly type: 'read';
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
};

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
}

interface Read {
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
  readonly long: boolean;
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
  #nextId = 1;
  #closed = false;

  constructor(config: SqliteReaderThreadsConfig) {
    this.#config = config;
    this.#readers = new Array<Reader | undefined>(Math.max(1, Math.floor(config.size))).fill(undefined);
  }

  /** Reader threads of the pool. */
  get size(): number {
    return this.#readers.length;
  }

  /**
   * Runs the store's read `method` with `args` on a reader thread; resolves with what it returned. A `long` read
   * leaves at least one thread of the pool to the short ones.
   */
  call(method: string, args: readonly unknown[], long: boolean): Promise<unknown> {
    if (this.#closed)
      return Promise.reject(new StoreError('STORE_UNAVAILABLE', 'The SQLite store is closed'));
    return new Promise((resolve, reject) => {
      (long ? this.#long : this.#short).push({ id: this.#nextId++, method, args, long, resolve, reject });
      this.#dispatch();
    });
  }

  /** Gives each free thread the next read it may take: a short one first; a long one unless it is the last free thread. */
  #dispatch(): void {
    for (let i = 0; i < this.#readers.length && (this.#short.length > 0 || this.#long.length > 0); i++) {
      if (this.#readers[i]?.read !== undefined) continue;
      const longRunning = this.#readers.filter((r) => r?.read?.long === true).length;
      const read =
        this.#short.shift() ??
        (longRunning < Math.max(1, this.#readers.length - 1) ? this.#long.shift() : undefined);
      if (read === undefined) return;
      const reader = (this.#readers[i] ??= this.#start(i));
      reader.read = read;
      reader.worker.ref();
      reader.worker.postMessage({
        type: 'read',
        id: read.id,
        method: read.method,
        args: read.args,
      } satisfies ToReader);
    }
  }

  #start(slot: number): Reader {
    const data: ReaderData = { path: this.#config.path, priority: this.#config.priority ?? 'low' };
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
      if (message.type === 'answer') read.resolve(asBuffers(message.result));
      else read.reject(fromWireError(message.error));
      this.#dispatch();
    });
    worker.on('error', () => undefined); // ends the thread: answered on 'exit'
    worker.on('exit', () => {
      if (this.#readers[slot] === reader) this.#readers[slot] = undefined;
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
    await Promise.all(this.#readers.map(async (r) => void (await r?.worker.terminate())));
  }

  /** Refuses the reads still waiting, ends the threads (a read running is refused too: reads store nothing). */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new StoreError('STORE_UNAVAILABLE', 'The SQLite store is closed');
    for (const read of this.#short.splice(0).concat(this.#long.splice(0))) read.reject(closed);
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
