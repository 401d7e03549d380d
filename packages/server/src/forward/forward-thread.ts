/**
 * The forwarding thread (compiled runs only; see `threaded-forwarder.ts`): runs the destination workers on a
 * connection of its own to the journal, so that reading, checking, formatting and sending records never takes the
 * event loop that accepts appends. It lowers its own scheduling priority (Linux nice 10): when the machine is busy,
 * ingest goes first and forwarding catches up after. Tamga's own events (dead letters, alarms) are appended by the
 * main thread, through messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkRecord } from '@tamga/core';
import { loadBuiltinCatalogDocuments } from '../catalog/load-builtin-catalogs.js';
import { openCatalogRegistry } from '../catalog/start-catalogs.js';
import type { JournalStore } from '../journal/journal-store.js';
import { KeyRing } from '../keys/key-ring.js';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import type { ForwardJournal } from './destination-worker.js';
import { Forwarder } from './forwarder.js';
import type { ForwardThreadData, FromForwardThread, ToForwardThread } from './forward-thread-protocol.js';
import { lowerThreadPriority, nameThread } from '../thread-priority.js';
import { SecretBox } from './secret-box.js';
import type { HmacKeySource } from './secret-box.js';
import { openForwardStore } from './start-forwarding.js';

const port = parentPort!;
const data = workerData as ForwardThreadData;
const post = (message: FromForwardThread): void => port.postMessage(message);

/** How long after a reload an unknown key id may make the keys be read again, ms. */
const KEY_RELOAD_MS = 5_000;

/** The keys directory, read again when a key id is unknown: a rotation in the main thread wrote a new key file. */
class ReloadingKeys implements HmacKeySource {
  #ring: KeyRing;
  #loadedAt = Date.now();

  constructor(readonly dir: string) {
    this.#ring = KeyRing.openOrCreate(dir);
  }

  get activeHmacKey(): { readonly kid: string } {
    return this.#ring.activeHmacKey;
  }

  hmacSecret(kid: string): Buffer | undefined {
    const secret = this.#ring.hmacSecret(kid);
    if (secret !== undefined || Date.now() - this.#loadedAt < KEY_RELOAD_MS) return secret;
    this.#ring = KeyRing.openOrCreate(this.dir);
    this.#loadedAt = Date.now();
    return this.#ring.hmacSecret(kid);
  }
}

const onError = (error: unknown, what: string): void =>
  post({ type: 'error', what, message: error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error) });

let nextRequest = 0;
const appends = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

function appendSystem(event: Readonly<Record<string, unknown>>): Promise<void> {
  const id = ++nextRequest;
  return new Promise<void>((resolve, reject) => {
    appends.set(id, { resolve, reject });
    post({ type: 'append', id, event: { ...event } });
  });
}

async function start(): Promise<void> {
  nameThread('tamga-forward');
  lowerThreadPriority(10);
  let store: JournalStore;
  if (data.store.kind === 'sqlite') {
    const sqlite = new SqliteJournalStore({ path: data.store.path });
    // It reads each record once, in order: a small page cache (8 MiB) is enough, and keeps the server's memory low.
    sqlite.database.pragma('cache_size = -8192');
    store = sqlite;
  } else {
    store = await PostgresJournalStore.connect({ url: data.store.url, schema: data.store.schema, poolSize: 3 });
  }
  const catalogs = await openCatalogRegistry(store, loadBuiltinCatalogDocuments());
  // Tenant catalogues changed through the API (OCSF mappings) are seen within 2 s.
  catalogs.startRefreshing(2_000, (error) => onError(error, 'reading tenant catalogues failed'));
  const keys = new ReloadingKeys(data.keysDir);
  const listeners = new Set<() => void>();
  const journal: ForwardJournal = {
    store,
    catalogs,
    check: (record) => ({ ...record, integrity: checkRecord(record, record, (kid) => keys.hmacSecret(kid)) }),
    appendSystem,
    onCommit: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const forwardStore = (await openForwardStore(store))!;
  const { sweepMs, ...options } = data.options;
  const forwarder = new Forwarder({
    journal,
    store: forwardStore,
    secrets: new SecretBox(keys),
    nodeId: data.nodeId,
    version: data.version,
    options,
    ...(sweepMs !== undefined && { sweepMs }),
    onError,
  });
  await forwarder.start();

  port.on('message', (message: ToForwardThread) => {
    if (message.type === 'wake') {
      for (const listener of listeners) listener();
      return;
    }
    if (message.type === 'appended') {
      const pending = appends.get(message.id);
      appends.delete(message.id);
      if (message.error === undefined) pending?.resolve();
      else pending?.reject(new Error(message.error));
      return;
    }
    const reply = (work: Promise<unknown>): void =>
      void work.then(
        (value) => post({ type: 'reply', id: message.id, value }),
        (error: unknown) => post({ type: 'reply', id: message.id, error: error instanceof Error ? error.message : String(error) }),
      );
    if (message.type === 'reload') reply(forwarder.reload());
    else if (message.type === 'describe') reply(forwarder.describe(message.destination));
    else if (message.type === 'stop') {
      reply(
        (async () => {
          await forwarder.stop();
          await catalogs.stop();
          await forwardStore.close?.();
          await store.close();
        })(),
      );
    }
  });
  post({ type: 'ready' });
}

start().catch((error: unknown) => post({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
