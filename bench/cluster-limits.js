// `node bench/cluster-limits.js` (after `npm run build`): what a rate limit kept in PostgreSQL (several nodes, one
// limit; docs/decisions/0034) costs a request, against the in-memory buckets of a single node. Takes BENCH_TAKES
// tokens (default 5,000) one at a time, then 20,000 with 16 in flight (as concurrent requests do), from one key and
// from many keys. Figures, not a test. BENCH_PG_URL as in store-append.js.
import { openAccessStore, openRateLimiter, PostgresJournalStore } from '@tamga/server';

const TAKES = Number(process.env.BENCH_TAKES ?? 5000);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function measure(name, limiter) {
  const sequential = performance.now();
  for (let i = 0; i < TAKES; i++) await limiter.take('key:one', 1, Date.now());
  const perTake = ((performance.now() - sequential) / TAKES) * 1000;
  for (const [label, keyOf] of [
    ['one key', () => 'key:one'],
    ['1,000 keys', (i) => `key:${i % 1000}`],
  ]) {
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < 20_000) await limiter.take(keyOf(next++), 1, Date.now());
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const rate = 20_000 / ((performance.now() - started) / 1000);
    console.log(`${name}: ${label}, 16 in flight: ${Math.round(rate).toLocaleString('en')} takes/s`);
  }
  console.log(`${name}: one at a time: ${perTake.toFixed(0)} µs per take`);
}

const schema = `bench_limits_${process.pid}`;
const store = await PostgresJournalStore.connect({ url: PG_URL, schema });
try {
  const access = await openAccessStore(store);
  // The floor: one round trip to the database through the same pool.
  const rt = performance.now();
  for (let i = 0; i < TAKES; i++) await store.pool.query('SELECT 1');
  console.log(`PostgreSQL: SELECT 1 one at a time: ${(((performance.now() - rt) / TAKES) * 1000).toFixed(0)} µs (the round-trip floor)`);
  await measure('PostgreSQL', openRateLimiter(access, 'bench', 1e12, 1e12));
  const memory = { ...access, takeTokens: undefined };
  await measure('memory', openRateLimiter(memory, 'bench', 1e12, 1e12));
} finally {
  await store.dropSchema();
  await store.close();
}
