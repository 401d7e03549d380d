/**
 * A SQLite reader thread (compiled runs; see `SqliteJournalStore`'s `readers` option): opens the database read-only,
 * as a store of its own (`readOnly`), and runs the read queries the request thread sends it (`THREAD_READS`), one at a
 * time, with the store's own code. Each read is a statement (or a few) of its own, not one transaction held across
 * reads, so each sees every commit made before it was sent: an append that was answered is visible to the next read.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TamgaError } from '@tamga/core';
import { idleThreadPriority, lowerThreadPriority, nameThread } from '../../thread-priority.js';
import { wrapSqliteError } from './sqlite-errors.js';
import { SqliteJournalStore, THREAD_READS } from './sqlite-journal-store.js';
import { READER_NICE } from './sqlite-reader-threads.js';
import type { FromReader, ReaderData, ToReader } from './sqlite-reader-threads.js';
import { toWireError } from './sqlite-writer-protocol.js';

const data = workerData as ReaderData;
const port = parentPort!;
const files = [data.path, `${data.path}-wal`];
// Queries yield the cores to the threads that append and serve HTTP: a search, count or export running beside ingest
// slows it as little as the machine allows, and takes every core left idle.
nameThread(data.name);
if (data.priority !== 'idle' || !idleThreadPriority()) lowerThreadPriority(READER_NICE);

let store: SqliteJournalStore;
try {
  store = new SqliteJournalStore({ path: data.path, readOnly: true });
} catch (error) {
  port.postMessage({
    type: 'failed',
    error: toWireError(wrapSqliteError(error, 'open the database', files)),
  } satisfies FromReader);
  throw error;
}
const reads = store as unknown as Record<string, (...args: readonly unknown[]) => Promise<unknown>>;
const utf8 = new TextEncoder();

/**
 * Posts an answer. The lines of a page (an export's, ~600 KB; a page of `GET /api/v1/events`; a bundle's records) go
 * as UTF-8 bytes, moved to the request thread without a copy: as a string they were copied across, then encoded again
 * there for the socket — 3.6–3.9 µs of the request thread's time per record exported against 1.5–1.8 as bytes, time
 * taken from appends (decisions/0047-exports-on-reader-threads.md, 0075-records-read-as-arrays.md).
 */
function answer(id: number, result: unknown): void {
  const chunk = (result as { chunk?: unknown } | undefined)?.chunk;
  if (typeof chunk === 'string') {
    const bytes = utf8.encode(chunk);
    port.postMessage({ type: 'answer', id, result: { ...(result as object), chunk: bytes } } satisfies FromReader, [bytes.buffer]);
  } else port.postMessage({ type: 'answer', id, result } satisfies FromReader);
}

port.on('message', (message: ToReader) => {
  if (message.type === 'shrink') {
    try {
      store.database.pragma('shrink_memory');
    } catch {
      // the cache stays; the next read reports what is wrong with the connection
    }
    return;
  }
  void (async () => {
    try {
      if (!Object.hasOwn(THREAD_READS, message.method))
        throw new TamgaError('STORE_FAILED', `${message.method} is not a read of the reader threads`);
      answer(message.id, await reads[message.method]!(...message.args));
    } catch (error) {
      port.postMessage({
        type: 'refused',
        id: message.id,
        error: toWireError(wrapSqliteError(error, `run ${message.method}`, files)),
      } satisfies FromReader);
    }
  })();
});
port.postMessage({ type: 'ready' } satisfies FromReader);
