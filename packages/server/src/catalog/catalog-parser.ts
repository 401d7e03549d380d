import { Worker } from 'node:worker_threads';
import { ERROR_CODES, parseCatalogText, restoreCatalogDocument, TamgaError, ValidationError } from '@tamga/core';
import type { CatalogDocument, ErrorCode } from '@tamga/core';
import type { CatalogParseResult, CatalogParseTask } from './catalog-parse-protocol.js';

/** Options of {@link CatalogParser}. */
export interface CatalogParserOptions {
  /**
   * The worker script; `null` parses on the calling thread. Default: `catalog-parse-worker.js` next to this module
   * when it runs compiled, else (tests running the TypeScript sources) `null`.
   */
  readonly workerUrl?: URL | null;
  /** Longest parse, in milliseconds, before the worker is stopped and the catalogue refused. Default 30,000. */
  readonly timeoutMs?: number;
  /**
   * Old-generation heap of the worker in MiB: a parse needing more is refused, and what one parse can add to the
   * server's memory is bounded. Default 64 (a 1 MiB catalogue of 2,400 entries in the built-ins' style peaks at about
   * 64 MB; 100,000 empty flow objects are refused at about 56 MB).
   */
  readonly maxHeapMb?: number;
}

interface Task {
  readonly text: string;
  readonly source: string;
  readonly resolve: (doc: CatalogDocument) => void;
  readonly reject: (error: unknown) => void;
}

const DEFAULT_WORKER_URL = import.meta.url.endsWith('.js') ? new URL('./catalog-parse-worker.js', import.meta.url) : null;

/**
 * Parses catalogue texts (`parseCatalogText`) off the server's thread: YAML parsing is linear but slow (about a
 * second of CPU for a 1 MiB catalogue, and the YAML parser's nodes take about 1 KB each), and the thread that parses also serves every append and `/healthz`. One
 * worker thread, started on first use and kept (unref'd); texts are parsed one at a time, each within `timeoutMs`
 * and `maxHeapMb`, beyond which the worker is stopped and the catalogue refused with `CATALOG_INVALID`.
 */
export class CatalogParser {
  readonly #workerUrl: URL | null;
  readonly #timeoutMs: number;
  readonly #maxHeapMb: number;
  readonly #queue: Task[] = [];
  #worker: Promise<Worker> | undefined;
  #busy = false;
  #nextId = 0;
  #closed = false;

  constructor(options: CatalogParserOptions = {}) {
    this.#workerUrl = options.workerUrl === undefined ? DEFAULT_WORKER_URL : options.workerUrl;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxHeapMb = options.maxHeapMb ?? 64;
  }

  /** Whether texts are parsed on a worker thread. */
  get isOffThread(): boolean {
    return this.#workerUrl !== null;
  }

  /**
   * Parses and validates a catalogue text, as `parseCatalogText` does.
   * @throws ValidationError `CATALOG_INVALID` with every problem, or when the parse takes too long or too much memory.
   */
  parse(text: string, source: string): Promise<CatalogDocument> {
    if (this.#workerUrl === null) return Promise.resolve().then(() => parseCatalogText(text, source));
    if (this.#closed) return Promise.reject(new TamgaError('INTERNAL', 'The catalogue parser is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ text, source, resolve, reject });
      this.#next();
    });
  }

  /** Stops the worker; parses still queued are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) task.reject(new TamgaError('INTERNAL', 'The catalogue parser is closed'));
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.then((w) => w.terminate()).catch(() => undefined);
  }

  #next(): void {
    if (this.#busy) return;
    const task = this.#queue.shift();
    if (task === undefined) return;
    this.#busy = true;
    this.#startedWorker().then(
      (worker) => this.#run(worker, task),
      (error: unknown) => {
        this.#worker = undefined;
        this.#busy = false;
        task.reject(new TamgaError('INTERNAL', 'The catalogue parser did not start', {}, { cause: error }));
        this.#next();
      },
    );
  }

  #run(worker: Worker, task: Task): void {
    const id = ++this.#nextId;
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      this.#busy = false;
      this.#next();
    };
    const fail = (error: unknown): void => {
      // The worker may be mid-parse or broken: a fresh one serves the next text.
      this.#worker = undefined;
      void worker.terminate();
      done();
      task.reject(error);
    };
    const onMessage = (result: CatalogParseResult): void => {
      if (result.id !== id) return;
      done();
      if ('doc' in result) task.resolve(restoreCatalogDocument(result.doc, result.lines));
      else task.reject(reviveError(result.error));
    };
    const onError = (error: Error): void => {
      const outOfMemory = (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      fail(
        outOfMemory
          ? invalid(task.source, `the catalogue needs more than ${this.#maxHeapMb} MiB to parse`, { heapMb: this.#maxHeapMb })
          : new TamgaError('INTERNAL', 'The catalogue parser failed', {}, { cause: error }),
      );
    };
    const onExit = (): void => fail(new TamgaError('INTERNAL', 'The catalogue parser stopped'));
    const timer = setTimeout(
      () => fail(invalid(task.source, `the catalogue took longer than ${this.#timeoutMs / 1000} s to parse`, { parseSeconds: this.#timeoutMs / 1000 })),
      this.#timeoutMs,
    );
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage({ id, text: task.text, source: task.source } satisfies CatalogParseTask);
  }

  /** The worker, started if needed; resolves once it has loaded its modules (the time limit counts parsing only). */
  #startedWorker(): Promise<Worker> {
    this.#worker ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(this.#workerUrl!, {
        // No flags of the parent (a test runner's `--conditions source` would load TypeScript sources).
        execArgv: [],
        // A small young generation: its semi-spaces count in the process's memory too (64 MB of them peaked at 120 MB).
        resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb, maxYoungGenerationSizeMb: 8 },
      });
      // A parse in flight keeps its caller waiting, not the process alive.
      worker.unref();
      worker.once('message', () => resolve(worker));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the catalogue parser exited with ${code} while starting`)));
    });
    return this.#worker;
  }
}

function invalid(source: string, message: string, limit: Record<string, number>): ValidationError {
  return new ValidationError('CATALOG_INVALID', `Catalogue ${source} is invalid: ${message}`, {
    source,
    problems: [{ source, line: null, path: '', message }],
    limit,
  });
}

function reviveError(error: { code: string; message: string; details: Record<string, unknown> }): TamgaError {
  const code = (error.code in ERROR_CODES ? error.code : 'INTERNAL') as ErrorCode;
  return code === 'CATALOG_INVALID' ? new ValidationError(code, error.message, error.details) : new TamgaError(code, error.message, error.details);
}
