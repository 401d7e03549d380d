// `node bench/store-append.js` (after `npm run build`): the append path without HTTP. Appends BENCH_STORE_EVENTS
// events (default 100,000) through Journal.append (validation, catalogue, sealing, the store's transaction) in
// batches of BENCH_BATCH (1,000), one batch at a time, to SQLite (WAL, synchronous=FULL) and, unless
// BENCH_PG_URL=none, to PostgreSQL in a fresh schema; then re-sends 10,000 of them (retries: duplicate lookups
// and content comparison). Prints events/s per store and this process's CPU time per event (steadier than the rate on
// a shared machine; for PostgreSQL the database server's CPU is not in it). Figures, not a test: it never fails on a target.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogSet } from '@tamga/core';
import { Journal, KeyRing, loadBuiltinCatalogDocuments, PostgresJournalStore, SqliteJournalStore } from '@tamga/server';

const EVENTS = Number(process.env.BENCH_STORE_EVENTS ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CODES = [2001, 2002, 2003, 2004, 2007, 9000, 9001, 8000, 8001, 2008];

const work = mkdtempSync(join(tmpdir(), 'tamga-store-bench-'));
const keys = KeyRing.openOrCreate(join(work, 'keys'));
const catalog = CatalogSet.of(loadBuiltinCatalogDocuments());
const start = Date.now();

function makeBatch(b) {
  return Array.from({ length: BATCH }, (_, i) => {
    const n = b * BATCH + i;
    return {
      id: `01900000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`,
      event: CODES[n % CODES.length],
      createdAt: new Date(start - 3_600_000 + n).toISOString(),
      userId: `user${n % 200}`,
      ip: `10.0.${(n >> 8) & 255}.${n & 255}`,
      operationKey: `op-${Math.floor(n / 20)}`,
      entityData: { login: `user${n % 200}`, attempt: n % 7 },
    };
  });
}

async function measure(name, store) {
  const journal = new Journal({ store, catalog, keys, nodeId: 'bench', originPrefix: 'bench' });
  const batches = Array.from({ length: EVENTS / BATCH }, (_, b) => makeBatch(b));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const batch of batches) await journal.append(batch);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuPerEvent = (cpu.user + cpu.system) / EVENTS;
  const retries = batches.slice(0, Math.max(1, 10_000 / BATCH));
  const t1 = process.hrtime.bigint();
  for (const batch of retries) {
    const results = await journal.append(batch);
    if (!results.every((r) => r.duplicate)) throw new Error('a retry was stored again');
  }
  const retrySeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  console.log(
    `${name}: ${EVENTS.toLocaleString('en')} events appended in ${seconds.toFixed(2)} s = ${Math.round(EVENTS / seconds).toLocaleString('en')} events/s ` +
      `(this process's CPU ${cpuPerEvent.toFixed(1)} µs/event); ` +
      `${(retries.length * BATCH).toLocaleString('en')} retried at ${Math.round((retries.length * BATCH) / retrySeconds).toLocaleString('en')} events/s`,
  );
}

try {
  const sqlite = new SqliteJournalStore({ path: join(work, 'bench.sqlite'), writer: process.env.BENCH_STORE_WRITER === 'inline' ? 'inline' : 'thread' });
  await measure('SQLite', sqlite);
  await sqlite.close();
  if (PG_URL !== 'none') {
    const schema = `tamga_store_bench_${process.pid}`;
    const store = await PostgresJournalStore.connect({ url: PG_URL, schema });
    try {
      await measure('PostgreSQL', store);
    } finally {
      await store.dropSchema();
      await store.close();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
