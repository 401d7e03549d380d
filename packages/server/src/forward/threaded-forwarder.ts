import { Worker } from 'node:worker_threads';
import type { Journal } from '../journal/journal.js';
import type { SinkContext } from './delivery-sink.js';
import type { Destination } from './destination.js';
import type { ForwardRunner, WorkerView } from './forwarder.js';
import type { ForwardThreadData, FromForwardThread, ToForwardThread } from './forward-thread-protocol.js';

/** Options of {@link ThreadedForwarder}. */
export interface ThreadedForwarderConfig {
  readonly data: ForwardThreadData;
  /** The main thread's journal: appends the thread's events, and tells of appends. */
  readonly journal: Journal;
  /** What a sink needs in this thread (`POST …/test`). */
  readonly sinkContext: (d: Destination) => SinkContext;
  /** Whether any destination is stored: the thread starts only then (it costs some 45 MB). */
  readonly hasDestinations: () => Promise<boolean>;
  readonly onError: (error: unknown, what: string) => void;
}

/** The forwarding thread's script, next to this module once compiled. */
const THREAD_URL = new URL('./forward-thread.js', import.meta.url);

/** Whether this module runs compiled (`dist/`), where the thread's script exists; source runs (tests) cannot start it. */
export const CAN_RUN_THREAD = import.meta.url.endsWith('.js');

/** How long stopping waits for the thread to save its progress before ending it. */
const STOP_TIMEOUT_MS = 10_000;
/** Wait before starting a thread again after it died. */
const RESTART_MS = 1_000;
/** How often a node without the thread looks for destinations (made by another node), ms. */
const LOOK_MS = 2_000;

/**
 * Runs the forwarding workers on a thread of their own (`forward-thread.ts`), so ingest's event loop never reads,
 * formats or sends a forwarded record: each committed batch costs it one message (`wake`). The thread appends
 * Tamga's own events (dead letters, alarms) through this thread's journal, so the checkpointer and the live stream
 * see them. A thread that dies is started again from the saved cursors. The thread starts with the first destination
 * (made here, by another node, or by `TAMGA_FORWARD_FILE`), so a server that forwards nothing does not carry it.
 */
export class ThreadedForwarder implements ForwardRunner {
  readonly #config: ThreadedForwarderConfig;
  #thread: Worker | undefined;
  #nextRequest = 0;
  readonly #requests = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #removeListener: (() => void) | undefined;
  #stopping = false;
  #spawning: Promise<void> | undefined;
  #look: NodeJS.Timeout | undefined;

  constructor(config: ThreadedForwarderConfig) {
    this.#config = config;
  }

  /**
   * Starts the thread when there are destinations, and waits until it delivers; rejects (the server does not start)
   * when it cannot. Without destinations it looks for some every 2 s.
   */
  async start(): Promise<void> {
    await this.#startIfNeeded();
    this.#removeListener = this.#config.journal.onCommit(() => this.#post({ type: 'wake' }));
    this.#look = setInterval(() => {
      if (this.#thread === undefined) this.#startIfNeeded().catch((error: unknown) => this.#config.onError(error, 'starting the forwarding thread failed'));
    }, LOOK_MS);
    this.#look.unref();
  }

  async #startIfNeeded(): Promise<void> {
    if (this.#thread !== undefined || this.#stopping) return;
    this.#spawning ??= (async () => {
      if (await this.#config.hasDestinations()) await this.#spawn();
    })().finally(() => (this.#spawning = undefined));
    await this.#spawning;
  }

  #spawn(): Promise<void> {
    const thread = new Worker(THREAD_URL, { workerData: this.#config.data });
    this.#thread = thread;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      thread.on('message', (message: FromForwardThread) => {
        switch (message.type) {
          case 'ready':
            started = true;
            resolve();
            break;
          case 'failed':
            reject(new Error(`The forwarding thread did not start: ${message.message}`));
            void thread.terminate();
            break;
          case 'reply': {
            const request = this.#requests.get(message.id);
            this.#requests.delete(message.id);
            if (message.error === undefined) request?.resolve(message.value);
            else request?.reject(new Error(message.error));
            break;
          }
          case 'append':
            void this.#config.journal.appendSystem(message.event).then(
              () => this.#post({ type: 'appended', id: message.id }),
              (error: unknown) => this.#post({ type: 'appended', id: message.id, error: error instanceof Error ? error.message : String(error) }),
            );
            break;
          case 'error':
            this.#config.onError(new Error(message.message), message.what);
            break;
        }
      });
      thread.on('error', (error) => {
        if (!started) reject(error);
        else this.#config.onError(error, 'the forwarding thread failed');
      });
      thread.on('exit', (code) => {
        if (this.#thread !== thread) return;
        this.#thread = undefined;
        for (const request of this.#requests.values()) request.reject(new Error('the forwarding thread ended'));
        this.#requests.clear();
        if (!started || this.#stopping) return;
        this.#config.onError(new Error(`the forwarding thread ended (code ${code}); starting it again`), 'forwarding');
        setTimeout(() => {
          if (!this.#stopping) this.#spawn().catch((error: unknown) => this.#config.onError(error, 'restarting the forwarding thread failed'));
        }, RESTART_MS).unref();
      });
    });
  }

  #post(message: ToForwardThread): void {
    this.#thread?.postMessage(message);
  }

  #request<T>(message: { type: 'reload' | 'stop' } | { type: 'describe'; destination: string }): Promise<T> {
    if (this.#thread === undefined) return Promise.reject(new Error('the forwarding thread is not running'));
    const id = ++this.#nextRequest;
    return new Promise<T>((resolve, reject) => {
      this.#requests.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#post({ ...message, id } as ToForwardThread);
    });
  }

  /** Starts the thread for a first destination, or has the running one reload. */
  async reload(): Promise<void> {
    if (this.#thread === undefined) await this.#startIfNeeded();
    else await this.#request<void>({ type: 'reload' });
  }

  async describe(id: string): Promise<WorkerView | undefined> {
    if (this.#thread === undefined) return undefined;
    return (await this.#request<WorkerView | undefined>({ type: 'describe', destination: id })) ?? undefined;
  }

  sinkContext(d: Destination): SinkContext {
    return this.#config.sinkContext(d);
  }

  /** Asks the thread to stop (its workers save their progress), then ends it. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#look);
    this.#removeListener?.();
    await this.#spawning?.catch(() => undefined);
    const thread = this.#thread;
    if (thread === undefined) return;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref());
    await Promise.race([this.#request<void>({ type: 'stop' }).catch(() => undefined), timeout]);
    this.#thread = undefined;
    await thread.terminate();
  }
}
