/**
 * The SQLite writer thread (compiled runs; see `SqliteJournalStore`'s `writer` option): holds the one connection
 * that appends, seals the records (canonical bytes, HMAC, Merkle leaf — the request thread only parses and
 * validates) and commits several requests' batches per transaction (`SqliteAppender.appendGroup`). Each batch is
 * answered after its group's COMMIT returned, so an acknowledged batch is durable (`synchronous=FULL`).
 *
 * Everything else the server writes often goes through this thread too, so the thread serving HTTP never waits for
 * SQLite's write lock: signed checkpoints and the readiness row (`write` messages, each in a transaction of its own
 * between groups), and the text index (each group indexes what it stored in its own transaction; the follower for
 * records left behind runs on this thread's event loop, between groups).
 *
 * The WAL's pages are copied into the file by a checkpointer thread of the same script (`role: 'checkpointer'`),
 * PASSIVE on a connection of its own, which neither waits for nor blocks the writer. This thread checkpoints only when
 * the WAL passes `WRITER_WAL_AUTOCHECKPOINT_BYTES`, which under continuous appends is what starts the WAL over.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { preparedAt, RecordSealer } from '@tamga/core';
import type { RecordFields } from '@tamga/core';
import type { Sealer } from '../../journal/journal-store.js';
import { SqliteAppender } from './sqlite-appender.js';
import { sideWriteAction } from './sqlite-appender.js';
import type { GroupedBatch } from './sqlite-appender.js';
import { wrapSqliteError } from './sqlite-errors.js';
import { fromRecordColumns, toResultColumns } from './sqlite-record-columns.js';
import { SqliteTextIndex } from './sqlite-text-index.js';
import type { FromWriter, ToWriter, WriterData } from './sqlite-writer-protocol.js';
import {
  CHECKPOINT_INTERVAL_MS,
  MAX_GROUP_BATCHES,
  MAX_GROUP_RECORDS,
  SQLITE_CACHE_KIB,
  toWireError,
  WRITER_WAL_AUTOCHECKPOINT_BYTES,
} from './sqlite-writer-protocol.js';
import { nameThread } from '../../thread-priority.js';

const data = workerData as WriterData;
nameThread(`tamga-${data.role}`);
const port = data.port as MessagePort;
const files = [data.path, `${data.path}-wal`];

function open(): Database.Database {
  const db = new Database(data.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${data.synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

if (data.role === 'checkpointer') {
  const db = open();
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A busy or failing disk: the next round tries again; the writer's own safety net bounds the WAL meanwhile.
    }
  }, CHECKPOINT_INTERVAL_MS);
  port.on('message', (message: ToWriter) => {
    if (message.type !== 'close') return;
    clearInterval(timer);
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // closing anyway
    }
    db.close();
    port.postMessage({ type: 'closed' } satisfies FromWriter);
    port.close();
  });
} else {
  let db: Database.Database;
  let appender: SqliteAppender;
  try {
    db = open();
    db.pragma(`cache_size = -${SQLITE_CACHE_KIB.writer}`);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`wal_autocheckpoint = ${Math.ceil(WRITER_WAL_AUTOCHECKPOINT_BYTES / pageSize)}`);
    appender = new SqliteAppender(db);
  } catch (error) {
    parentPort?.postMessage({ type: 'failed', error: toWireError(wrapSqliteError(error, 'open the database', files)) });
    throw error;
  }
  const sealers = new Map<string, RecordSealer>();
  const sealerOf = (kid: string, key: Uint8Array): RecordSealer => {
    let sealer = sealers.get(kid);
    if (sealer === undefined) {
      sealer = new RecordSealer(key);
      sealers.set(kid, sealer);
    }
    return sealer;
  };

  let queue: Extract<ToWriter, { type: 'append' }>[] = [];
  let writes: Extract<ToWriter, { type: 'write' }>[] = [];
  let text: SqliteTextIndex | undefined;
  let closing = false;

  const indexText = (): void => {
    if (text !== undefined) return;
    const onError = (error: unknown): void =>
      port.postMessage({ type: 'text-index-failed', error: toWireError(wrapSqliteError(error, 'index text', files)) } satisfies FromWriter);
    text = new SqliteTextIndex(db, { createSchema: false });
    appender.indexText(text, onError);
    text.start(onError);
  };

  /** Runs the side writes that came, each committed on its own, and answers each. */
  const runWrites = (): void => {
    const now = writes;
    writes = [];
    for (const w of now) {
      try {
        appender.write(w.op);
        port.postMessage({ type: 'written', id: w.id } satisfies FromWriter);
      } catch (error) {
        port.postMessage({ type: 'refused', id: w.id, error: toWireError(wrapSqliteError(error, sideWriteAction(w.op), files)) } satisfies FromWriter);
      }
    }
  };

  /** Commits what is queued, in groups; answers each batch after its group's COMMIT. */
  const flush = (): void => {
    for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) take(next.message as ToWriter);
    runWrites();
    while (queue.length > 0) {
      let records = 0;
      let n = 0;
      while (n < queue.length && n < MAX_GROUP_BATCHES && (n === 0 || records + queue[n]!.records.id.length <= MAX_GROUP_RECORDS)) {
        records += queue[n]!.records.id.length;
        n++;
      }
      const group = queue.slice(0, n);
      queue = queue.slice(n);
      const batches: GroupedBatch[] = group.map((m) => {
        const recordSealer = sealerOf(m.sigKid, m.hmacKey);
        const sealer: Sealer = {
          sigKid: m.sigKid,
          originFor: (tenantId) => m.origins[tenantId ?? '']!,
          seal: (fields: RecordFields) => recordSealer.seal(fields),
          sealPrepared: (prepared, log, seq) => recordSealer.sealPrepared(prepared, log, seq),
        };
        const { prepared } = m;
        return {
          records: fromRecordColumns(m.records),
          columns: m.records,
          sealer,
          prepared: prepared === undefined ? undefined : (i: number) => preparedAt(prepared, i),
        };
      });
      try {
        const outcomes = appender.appendGroup(batches);
        outcomes.forEach((outcome, i) => {
          const id = group[i]!.id;
          port.postMessage(
            'results' in outcome
              ? ({ type: 'appended', id, results: toResultColumns(outcome.results) } satisfies FromWriter)
              : ({ type: 'refused', id, error: toWireError(wrapSqliteError(outcome.error, 'append', files)) } satisfies FromWriter),
          );
        });
      } catch (error) {
        const wrapped = toWireError(wrapSqliteError(error, 'append', files));
        for (const m of group) port.postMessage({ type: 'refused', id: m.id, error: wrapped } satisfies FromWriter);
      }
      // Batches that came while this group committed join the next one.
      for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) take(next.message as ToWriter);
      runWrites();
    }
    if (closing) {
      text?.close();
      db.close();
      port.postMessage({ type: 'closed' } satisfies FromWriter);
      port.close();
    }
  };

  let scheduled = false;
  const take = (message: ToWriter): void => {
    if (message.type === 'append') queue.push(message);
    else if (message.type === 'write') writes.push(message);
    else if (message.type === 'text-index') indexText();
    else closing = true;
  };
  if (data.textIndex) indexText();
  port.on('message', (message: ToWriter) => {
    take(message);
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        flush();
      });
    }
  });
  parentPort?.postMessage({ type: 'ready' });
}

