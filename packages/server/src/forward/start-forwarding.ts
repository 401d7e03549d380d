import { readFileSync } from 'node:fs';
import type { Journal } from '../journal/journal.js';
import type { JournalStore } from '../journal/journal-store.js';
import type { KeyRing } from '../keys/key-ring.js';
import { PostgresForwardStore } from '../store/postgres/postgres-forward-store.js';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { SqliteForwardStore } from '../store/sqlite/sqlite-forward-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import type { WorkerOptions } from './destination-worker.js';
import type { ForwardConfig } from './forward-config.js';
import { readForwardFile } from './forward-file.js';
import type { ForwardStore } from './forward-store.js';
import type { ForwardThreadStore } from './forward-thread-protocol.js';
import { Forwarder, sinkContextOf } from './forwarder.js';
import type { ForwardRunner } from './forwarder.js';
import { ForwardingService } from './forwarding-service.js';
import { SecretBox } from './secret-box.js';
import { CAN_RUN_THREAD, ThreadedForwarder } from './threaded-forwarder.js';

/** Tamga's version, from the server package (CEF Device Version, OCSF product version, User-Agent). */
export const TAMGA_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The forwarding store sharing the journal store's connection; undefined for other store implementations. */
export async function openForwardStore(store: JournalStore): Promise<ForwardStore | undefined> {
  if (store instanceof SqliteJournalStore) return new SqliteForwardStore(store);
  if (store instanceof PostgresJournalStore) return PostgresForwardStore.open(store);
  return undefined;
}

/** Where a thread of its own finds the journal store; undefined for a store it cannot open again (in memory, other kinds). */
export function threadStoreOf(store: JournalStore): ForwardThreadStore | undefined {
  if (store instanceof SqliteJournalStore) {
    const path = store.database.name;
    return path === '' || path === ':memory:' ? undefined : { kind: 'sqlite', path };
  }
  if (store instanceof PostgresJournalStore) {
    const url = store.pool.options.connectionString;
    return url === undefined ? undefined : { kind: 'postgres', url, schema: store.schema };
  }
  return undefined;
}

/** Forwarding, opened: the API's use cases and the workers, started by {@link ForwardingRuntime.start}. */
export interface ForwardingRuntime {
  readonly service: ForwardingService;
  /** Runs the workers: on the forwarding thread (compiled runs), or in this thread (source runs, as in tests). */
  readonly forwarder: ForwardRunner;
  /** Applies `TAMGA_FORWARD_FILE` (the server does not start on a problem), then starts delivering. */
  start(): Promise<void>;
  /** Stops delivering (progress saved) and ends the lead session. */
  stop(): Promise<void>;
}

/** Options of {@link openForwarding}. */
export interface OpenForwardingOptions {
  readonly journal: Journal;
  readonly keys: KeyRing;
  readonly nodeId: string;
  readonly config: ForwardConfig;
  /** Delivery tuning (tests shorten the waits); `thread: false` keeps the workers in this thread. */
  readonly options?: Partial<WorkerOptions> & { readonly sweepMs?: number; readonly thread?: boolean };
  readonly now?: () => number;
  readonly onError: (error: unknown, what: string) => void;
}

/** Opens the forwarding store next to the journal's and builds the forwarder and its service (not started). */
export async function openForwarding(options: OpenForwardingOptions): Promise<ForwardingRuntime | undefined> {
  const { journal, config } = options;
  const store = await openForwardStore(journal.store);
  if (store === undefined) return undefined;
  const secrets = new SecretBox(options.keys);
  const { sweepMs, thread, ...tuning } = options.options ?? {};
  const workerOptions = { alarmMs: config.alarmMs, ...tuning };
  const common = { journal, secrets, nodeId: options.nodeId, version: TAMGA_VERSION, ...(options.now !== undefined && { now: options.now }) };
  const threadStore = threadStoreOf(journal.store);
  // The thread's script exists only compiled; a test's clock cannot cross into it either.
  const forwarder: ForwardRunner =
    (thread ?? true) && CAN_RUN_THREAD && threadStore !== undefined && options.now === undefined
      ? new ThreadedForwarder({
          data: { store: threadStore, keysDir: options.keys.dir, nodeId: options.nodeId, version: TAMGA_VERSION, options: { ...workerOptions, ...(sweepMs !== undefined && { sweepMs }) } },
          journal,
          sinkContext: (d) => sinkContextOf({ ...common, ...(tuning.settleMs !== undefined && { settleMs: tuning.settleMs }) }, d),
          hasDestinations: async () => (await store.listDestinations()).length > 0,
          onError: options.onError,
        })
      : new Forwarder({ ...common, store, options: workerOptions, ...(sweepMs !== undefined && { sweepMs }), onError: options.onError });
  const service = new ForwardingService({ journal, store, forwarder, secrets, onError: options.onError, ...(options.now !== undefined && { now: options.now }) });
  return {
    service,
    forwarder,
    async start() {
      if (config.file !== undefined) await service.applyFile(readForwardFile(config.file), config.file);
      await forwarder.start();
    },
    async stop() {
      await forwarder.stop();
      await store.close?.();
    },
  };
}
