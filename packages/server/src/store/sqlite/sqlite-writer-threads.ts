/**
 * The request thread's side of the SQLite writer (`sqlite-writer-thread.ts`): starts the writer and checkpointer
 * threads, sends each batch to the writer and resolves its promise with the writer's answer, given after COMMIT.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { StoreError } from '@tamga/core';
import type { AppendResult, PendingRecord } from '../../journal/journal-store.js';
import type { SideWrite } from './sqlite-appender.js';
import { fromResultColumns, toRecordColumns } from './sqlite-record-columns.js';
import type { RecordColumns } from './sqlite-record-columns.js';
import { fromWireError } from './sqlite-writer-protocol.js';
import type { FromWriter, ToWriter, WireError, WriterData } from './sqlite-writer-protocol.js';

/** Options of {@link SqliteWriterThreads}. */
export interface SqliteWriterThreadsConfig {
  readonly path: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  /** The compiled `sqlite-writer-thread.js`. */
  readonly script: URL;
}

/** A message sent to the writer and not answered yet. */
interface Pending {
  readonly resolve: (results: AppendResult[]) => void;
  readonly reject: (error: unknown) => void;
  /** An append's record keys, which its results are made of: only these wait for the commit, not the records. */
  readonly keys: Pick<RecordColumns, 'id' | 'tenantId'> | undefined;
}

interface Running {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** The error the thread reported before it ended (it could not open the database), if any. */
  failure?: WireError;
}

/** A batch for the writer, its records as the request thread has them (they cross by column). */
type AppendMessage = Omit<Extract<ToWriter, { type: 'append' }>, 'type' | 'id' | 'records'> & { readonly records: readonly PendingRecord[] };

/**
 * The Node options of a thread running a compiled script: this process's own without its resolution conditions, as the
 * compiled script imports the compiled packages even when the process runs the sources (`--conditions source`, as
 * under vitest). Without such conditions the thread simply inherits the process's options: Node refuses V8 and
 * process-wide options (`node --max-old-space-size=4096 tamga.js serve`) in an `execArgv` given explicitly, but not
 * inherited ones, and they hold for the whole process anyway.
 */
export function compiledExecArgv(): { execArgv?: string[] } {
  const args: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!;
    if (arg === '--conditions' || arg === '-C') i++;
    else if (!arg.startsWith('--conditions=')) args.push(arg);
  }
  return args.length === process.execArgv.length ? {} : { execArgv: args };
}

/**
 * The young generation of the checkpointer's heap, MB (V8's default, per thread, is 48 on 64 bits). The writer keeps
 * the default: with less, a group's objects outlive the young generation and its heap grows larger and slower.
 */
const CHECKPOINTER_YOUNG_GENERATION_MB = 4;

/** The writer and checkpointer threads of one SQLite file; a writer that ended is started again by the next append. */
export class SqliteWriterThreads {
  readonly #config: SqliteWriterThreadsConfig;
  #writer: Running | undefined;
  #checkpointer: Running | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  /** Set once the text index is started: every writer thread started since keeps it. */
  #onTextIndexError: ((error: unknown) => void) | undefined;

  constructor(config: SqliteWriterThreadsConfig) {
    this.#config = config;
  }

  /** Sends a batch to the writer; resolves with its results after the commit that stored it. */
  append({ records, ...message }: AppendMessage): Promise<AppendResult[]> {
    const columns = toRecordColumns(records);
    const { prepared } = message;
    // The prepared seals' buffers are the batch's own: moved to the writer, not copied.
    const transfer = prepared === undefined ? undefined : [prepared.bytes.buffer, prepared.offsets.buffer, prepared.salts.buffer] as ArrayBuffer[];
    return this.#send((id) => ({ type: 'append', id, ...message, records: columns }), { id: columns.id, tenantId: columns.tenantId }, transfer);
  }

  /** Has the writer run a write of the server's own; resolves after its commit. */
  async write(op: SideWrite): Promise<void> {
    await this.#send((id) => ({ type: 'write', id, op }));
  }

  /** Has the writer keep the text index from now on; `onError` hears of indexing failures (appends go on). */
  indexText(onError: (error: unknown) => void): void {
    this.#onTextIndexError = onError;
    this.#writer?.port.postMessage({ type: 'text-index' } satisfies ToWriter);
  }

  /** `keys`: an append's, whose results the writer sends back by column; `transfer`: buffers the message moves. */
  #send(message: (id: number) => ToWriter, keys?: Pending['keys'], transfer?: ArrayBuffer[]): Promise<AppendResult[]> {
    if (this.#closed) return Promise.reject(new StoreError('STORE_UNAVAILABLE', 'The SQLite store is closed'));
    const writer = (this.#writer ??= this.#start('writer'));
    this.#checkpointer ??= this.#start('checkpointer');
    const id = this.#nextId++;
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, keys });
      if (this.#pending.size === 1) writer.port.ref();
      writer.port.postMessage(message(id), transfer);
    });
  }

  #start(role: WriterData['role']): Running {
    const { port1, port2 } = new MessageChannel();
    const data: WriterData = {
      role,
      path: this.#config.path,
      synchronous: this.#config.synchronous,
      port: port2,
      textIndex: role === 'writer' && this.#onTextIndexError !== undefined,
    };
    const worker = new Worker(this.#config.script, {
      workerData: data,
      transferList: [port2],
      ...compiledExecArgv(),
      ...(role === 'checkpointer' && { resourceLimits: { maxYoungGenerationSizeMb: CHECKPOINTER_YOUNG_GENERATION_MB } }),
    });
    const running: Running = { worker, port: port1 };
    worker.unref();
    worker.on('message', (message: { type: string; error?: WireError }) => {
      if (message.type === 'failed' && message.error !== undefined) running.failure = message.error;
    });
    worker.on('error', () => undefined); // ends the thread: answered on 'exit'
    if (role === 'writer') {
      port1.on('message', (message: FromWriter) => this.#answer(message));
      port1.unref();
    }
    worker.on('exit', () => {
      port1.close();
      if (role === 'checkpointer') {
        if (this.#checkpointer === running) this.#checkpointer = undefined;
        return;
      }
      if (this.#writer === running) this.#writer = undefined;
      // Batches sent and not answered: committed or not, this thread can no longer say.
      const error =
        running.failure !== undefined
          ? fromWireError(running.failure)
          : new StoreError('STORE_OUTCOME_UNKNOWN', 'The SQLite writer thread stopped before it answered; send the batch again with the same ids');
      for (const [id, p] of this.#pending) {
        this.#pending.delete(id);
        p.reject(error);
      }
    });
    return running;
  }

  #answer(message: FromWriter): void {
    if (message.type === 'closed') return;
    if (message.type === 'text-index-failed') {
      this.#onTextIndexError?.(fromWireError(message.error));
      return;
    }
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id);
    if (this.#pending.size === 0) this.#writer?.port.unref();
    if (message.type === 'appended') pending.resolve(fromResultColumns(message.results, pending.keys ?? { id: [], tenantId: [] }));
    else if (message.type === 'written') pending.resolve([]);
    else pending.reject(fromWireError(message.error));
  }

  /** Lets the writer commit what it was sent, then ends both threads. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [this.#writer, this.#checkpointer].map(async (running) => {
        if (running === undefined) return;
        const ended = new Promise((resolve) => running.worker.once('exit', resolve));
        running.port.ref();
        running.port.postMessage({ type: 'close' } satisfies ToWriter);
        const timer = setTimeout(() => void running.worker.terminate(), 30_000);
        await ended;
        clearTimeout(timer);
      }),
    );
  }
}
