// Appends while a retention purge runs (issue #14): BENCH_RETENTION=1 npx vitest run bench/retention-purge.test.ts
//   BENCH_N   old records purged (default 100,000)     SLICE  records per purge transaction (default: the store's)
//   PG=1      on PostgreSQL (postgres://postgres@127.0.0.1:5432/test, a fresh schema) instead of SQLite
// Prints the purge time and the latency of 10-event appends, one after the other, before and during the purge.
import { it } from 'vitest';
import { startTestServer, TEST_NOW_MS } from '../packages/server/src/test-support/test-server.js';
import { PostgresJournalStore } from '../packages/server/src/store/postgres/postgres-journal-store.js';
import { testSchemaName } from '../packages/server/src/test-support/postgres.js';
import { RetentionService } from '../packages/server/src/retention/retention-service.js';
import { Prover } from '../packages/server/src/journal/prover.js';

const N = Number(process.env.BENCH_N ?? 100_000);
it.skipIf(process.env.BENCH_RETENTION !== '1')('appends during a purge', async () => {
  const store = process.env.PG === '1' ? await PostgresJournalStore.connect({ url: 'postgres://postgres@127.0.0.1:5432/test', schema: testSchemaName('bench') }) : undefined;
  const t = await startTestServer({ env: { TAMGA_RETENTION_INTERVAL_MINUTES: '0' }, ...(store !== undefined && { store }) });
  const old = TEST_NOW_MS - 100 * 86_400_000;
  for (let at = 0; at < N; at += 2000) {
    const batch = Array.from({ length: 2000 }, (_, i) => ({ event: 2001, tenantId: 'acme', userId: `u${i % 50}`, createdAt: new Date(old + (at + i) * 10).toISOString(), entityData: { n: at + i }, text: 'x'.repeat(100) }));
    const r = await t.request({ method: 'POST', url: '/api/v1/events', payload: batch });
    if (r.statusCode !== 201) throw new Error(r.body);
  }
  await t.server.checkpointer.signPending();
  const appendOnce = async (): Promise<number> => {
    const started = performance.now();
    const batch = Array.from({ length: 10 }, (_, i) => ({ event: 2001, tenantId: 'acme', userId: `r${i}`, entityData: { i }, text: 'recent' }));
    const r = await t.request({ method: 'POST', url: '/api/v1/events', payload: batch });
    if (r.statusCode !== 201) throw new Error(r.body);
    return performance.now() - started;
  };
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2);
    return `n=${s.length} p50=${q(0.5)}ms p99=${q(0.99)}ms max=${s.at(-1)!.toFixed(2)}ms`;
  };
  const base: number[] = [];
  for (let i = 0; i < 300; i++) base.push(await appendOnce());
  await t.request({ method: 'PUT', url: '/api/v1/tenants/acme/retention', payload: { keepDays: { '1': 30, '2': 30, '3': 30, '4': 30 } } });
  let done = false;
  const started = performance.now();
  const svc = new RetentionService({ journal: t.server.journal, prover: new Prover(t.server.journal.store), now: () => TEST_NOW_MS, ...(process.env.SLICE !== undefined && { sliceSize: Number(process.env.SLICE) }) });
  const purge = svc.purge('acme', { name: 'bench' }).then((o) => {
    done = true;
    return { r: { json: () => ({ purge: o }) }, ms: performance.now() - started };
  });
  const during: number[] = [];
  while (!done) during.push(await appendOnce());
  const { r, ms } = await purge;
  console.log(`records=${N} purge: ${JSON.stringify((r.json() as { purge: { records: number } }).purge.records)} records in ${ms.toFixed(0)} ms`);
  console.log(`appends of 10 events, before the purge: ${stats(base)}`);
  console.log(`appends of 10 events, during the purge: ${stats(during)}`);
  await store?.dropSchema();
  await t.close();
}, 600_000);
