// BENCH_SEED=store (bench/run.js): the journal of a large run appended in this process through Journal.append and
// the real store (validation, catalogue, sealing, Merkle leaf and nodes, every index, the per-minute counts), without
// HTTP, in the data directory the benchmark's server opens afterwards with the same keys. Faster than over HTTP on
// a shared machine (no request parsing, no second process), so 10 M events take minutes rather than a quarter hour.
// A seeding stopped half-way goes on where it stopped when run again with the same BENCH_DIR. The text index is not
// filled here: the server that opens the journal catches it up, and the run times that.
import { CatalogSet } from '@tamga/core';
import { Journal, KeyRing, loadBuiltinCatalogDocuments, loadConfig, openStore } from '@tamga/server';

/**
 * Appends (up to) `total` events made by `makeEvent(n, total)` in batches of `batch`, `inFlight` batches at a time, to the
 * store `env` configures (as the server's child process would read it); returns seconds and this process's CPU per
 * event (µs, every thread: the writer thread included).
 */
export async function seedStore({ env, total, batch, inFlight, makeEvent, progress }) {
  const config = loadConfig(env);
  const store = await openStore(config);
  try {
    const journal = new Journal({
      store,
      catalog: CatalogSet.of(loadBuiltinCatalogDocuments()),
      keys: KeyRing.openOrCreate(config.keysDir),
      nodeId: config.nodeId,
      originPrefix: config.logOrigin,
    });
    // A seeding that was stopped goes on from the records stored (each batch is stored whole or not at all).
    const stored = await store.countRecords({});
    const batches = Math.ceil(total / batch);
    let next = Math.floor(stored / batch);
    let done = next * batch;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const worker = async () => {
      while (next < batches) {
        const b = next++;
        const events = [];
        for (let n = b * batch; n < Math.min(total, (b + 1) * batch); n++) events.push(makeEvent(n, total));
        const results = await journal.append(events);
        if (results.length !== events.length || results.some((r) => r.duplicate))
          throw new Error(`seeding: batch ${b} was not stored as sent`);
        done += events.length;
        if (progress !== undefined && b % 500 === 0) progress(done, (performance.now() - t0) / 1000);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const appended = total - Math.floor(stored / batch) * batch;
    return { appended, seconds, cpuMicrosPerEvent: (cpu.user + cpu.system) / appended };
  } finally {
    await store.close();
  }
}
