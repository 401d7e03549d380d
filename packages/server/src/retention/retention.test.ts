/**
 * Retention with legal holds on both stores (issue #14 part 2): a policy and a hold, a purge in slices while appends
 * go on, and afterwards everything an auditor relies on — the server's verification, an exported bundle checked
 * offline against a checkpoint saved before the purge, inclusion proofs of the remaining records and consistency
 * proofs from every checkpoint signed before the purge, the per-minute counts — plus the triggers refusing a plain
 * DELETE.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CompactRange,
  verifyConsistency,
  verifyInclusion,
} from '@tamga/core';
import { CheckpointSelfCheck } from '../evidence/self-check.js';
import type { JournalStore, StoredCheckpoint } from '../journal/journal-store.js';
import { Prover } from '../journal/prover.js';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { randomSuffix, tempDir } from '../test-support/fixtures.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../test-support/postgres.js';
import { startTestServer, TEST_NOW_MS } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { verifyExport } from '../test-support/verify-export.js';
import { RetentionService } from './retention-service.js';

const PG_URL = await findTestDatabase();

interface Backend {
  readonly name: string;
  open(): Promise<JournalStore>;
  drop(store: JournalStore): Promise<void>;
  /** Raw SQL as an insider runs it (`?` placeholders). */
  run(store: JournalStore, sql: string, params: unknown[]): Promise<void>;
}

const files = tempDir();
const backends: Backend[] = [
  {
    name: 'SQLite',
    open: async () =>
      new SqliteJournalStore({ path: join(files.path, `retention-${randomSuffix()}.sqlite`) }),
    drop: async () => undefined,
    run: async (store, sql, params) =>
      void (store as SqliteJournalStore).database.prepare(sql).run(...params),
  },
];
if (PG_URL !== undefined) {
  backends.push({
    name: 'PostgreSQL',
    open: () => PostgresJournalStore.connect({ url: PG_URL, schema: testSchemaName('tamga_retention') }),
    drop: async (store) => (store as PostgresJournalStore).dropSchema(),
    run: async (store, sql, params) => {
      let n = 0;
      await (store as PostgresJournalStore).pool.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      );
    },
  });
} else {
  reportMissingPostgres('the PostgreSQL retention suite');
}
afterAll(() => files.remove());

const TENANT = 'acme';
const DAY_MS = 86_400_000;
/** Old enough for a 30-day policy, and recent. */
const OLD = (TEST_NOW_MS - 100 * DAY_MS) * 1000;
const RECENT = (TEST_NOW_MS - DAY_MS) * 1000;

let counter = 0;
function events(
  count: number,
  createdAt: number,
  userId: (i: number) => string = () => 'alice',
): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    event: 2001,
    tenantId: TENANT,
    userId: userId(i),
    createdAt: new Date(createdAt / 1000 + (counter++ % 50_000)).toISOString(),
    entityData: { login: 'alice', n: counter },
    text: `event ${counter}`,
  }));
}

async function append(
  t: TestServer,
  batch: Record<string, unknown>[],
): Promise<{ seq: number; id: string }[]> {
  const res = await t.request({ method: 'POST', url: '/api/v1/events', payload: batch });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { items: { seq: number; id: string }[] }).items;
}

async function waitForSigned(t: TestServer, size: number): Promise<void> {
  const store = t.server.journal.store;
  const logId = (await store.getLog(TENANT))!.logId;
  // Signed within 20 ms on an idle machine; a generous deadline for a loaded one.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (((await store.latestCheckpoint(logId))?.size ?? 0) >= size) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no checkpoint of size ${size}`);
}

/** Checks every proof an auditor may ask for after a purge to `cut`, against checkpoints signed before it. */
async function checkProofs(t: TestServer, before: readonly StoredCheckpoint[], cut: number): Promise<void> {
  const store = t.server.journal.store;
  const log = (await store.getLog(TENANT))!;
  const latest = (await store.latestCheckpoint(log.logId))!;
  // Consistency from every checkpoint signed before the purge — those below the cut too — to the newest.
  for (const old of before) {
    const res = await t.request({
      method: 'GET',
      url: `/api/v1/logs/${TENANT}/proofs/consistency?from=${old.size}&to=${latest.size}`,
    });
    expect(res.statusCode, `${old.size}: ${res.body}`).toBe(200);
    const hashes = (res.json() as { hashes: string[] }).hashes.map((h) => Buffer.from(h, 'base64'));
    verifyConsistency(old.size, latest.size, hashes, old.rootHash, latest.rootHash);
  }
  // Inclusion of remaining records (the first kept, a few more) in checkpoints signed before the purge.
  const remaining = await store.readRecordsBySeq(log.logId, cut, latest.size);
  for (const record of [
    remaining[0]!,
    remaining[1]!,
    remaining[Math.floor(remaining.length / 2)]!,
    remaining.at(-1)!,
  ]) {
    for (const cp of [...before.filter((c) => c.size > record.seq), latest]) {
      const res = await t.request({
        method: 'GET',
        url: `/api/v1/logs/${TENANT}/proofs/inclusion?seq=${record.seq}&treeSize=${cp.size}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      const hashes = (res.json() as { hashes: string[] }).hashes.map((h) => Buffer.from(h, 'base64'));
      verifyInclusion(record.leafHash, record.seq, cp.size, hashes, cp.rootHash);
    }
  }
}

for (const backend of backends) {
  describe(`retention on ${backend.name}`, () => {
    it('purges by policy up to a held record, in slices while appends go on, and every proof still verifies', async () => {
      const store = await backend.open();
      const t = await startTestServer({ store, env: { TAMGA_RETENTION_INTERVAL_MINUTES: '0' } });
      try {
        // 1,500 old records in batches of uneven sizes, each signed, so there are checkpoints at many sizes;
        // seq 1300 belongs to "mallory", who will be under a legal hold.
        const sizes = [1, 2, 5, 60, 187, 3, 255, 1, 256, 130, 100, 200, 99, 1];
        let size = 0;
        for (const n of [...sizes, 1500 - sizes.reduce((a, b) => a + b, 0)]) {
          await append(
            t,
            events(n, OLD, (i) => (size + i === 1300 ? 'mallory' : 'alice')),
          );
          size += n;
          await waitForSigned(t, size);
        }
        await append(t, events(200, RECENT));
        await waitForSigned(t, 1700);
        const logId = (await store.getLog(TENANT))!.logId;
        const before = await store.listCheckpoints(logId, 0, Number.MAX_SAFE_INTEGER);
        expect(before.length).toBeGreaterThan(14);
        const trusted = before.at(-1)!.note;
        const prover = new Prover(store);
        const rootAt = async (n: number): Promise<string> =>
          CompactRange.fromBytes(n, Buffer.concat(await prover.subtreeHashes(logId, 0, n)))
            .root()
            .toString('base64');
        const rootAt1300 = await rootAt(1300);
        const rootAt1500 = await rootAt(1500);

        // Nothing is purged without a policy.
        let res = await t.request({ method: 'POST', url: `/api/v1/tenants/${TENANT}/retention/purge` });
        expect(res.json()).toMatchObject({ purge: null, status: { purgedTo: 0, earliestKept: { seq: 0 } } });

        res = await t.request({
          method: 'PUT',
          url: `/api/v1/tenants/${TENANT}/retention`,
          payload: { keepDays: { '1': 30, '2': 30, '3': 30, '4': 30 } },
        });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({
          tenant: TENANT,
          policy: { keepDays: { '1': 30, '2': 30, '3': 30, '4': 30 }, updatedBy: expect.any(String) },
        });
        res = await t.request({
          method: 'POST',
          url: `/api/v1/tenants/${TENANT}/holds`,
          payload: { userId: 'mallory', reason: 'case 2026-41' },
        });
        expect(res.statusCode, res.body).toBe(201);
        const hold = res.json() as { id: string };
        expect(hold).toMatchObject({
          tenant: TENANT,
          userId: 'mallory',
          operationKey: null,
          reason: 'case 2026-41',
        });

        // Appends go on while the purge runs (two slices of 1,000 and 300): every acknowledged one is stored, in order.
        const purging = t.request({ method: 'POST', url: `/api/v1/tenants/${TENANT}/retention/purge` });
        const appended = await Promise.all(Array.from({ length: 8 }, () => append(t, events(25, RECENT))));
        res = await purging;
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({
          purge: {
            tenant: TENANT,
            from: 0,
            to: 1300,
            records: 1300,
            rootAtCut: rootAt1300,
            stoppedBy: 'hold',
          },
          status: { purgedTo: 1300, earliestKept: { seq: 1300 }, holds: 1, lastPurge: { to: 1300 } },
        });
        const seqs = appended
          .flat()
          .map((r) => r.seq)
          .sort((a, b) => a - b);
        expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => 1700 + i));
        for (const r of appended.flat()) expect((await store.getRecord(r.id))?.seq).toBe(r.seq);
        await waitForSigned(t, 1900);

        // The tlog-tiles API says what was purged (410), and still serves whole tiles above the cut.
        for (const path of ['tile/0/000', 'tile/entries/000', 'tile/0/005', 'tile/entries/005']) {
          const tile = await t.request({ method: 'GET', url: `/tlog/${TENANT}/${path}` });
          expect(tile.statusCode, `${path}: ${tile.body}`).toBe(410);
          expect(tile.json()).toMatchObject({ code: 'RECORDS_PURGED' });
        }
        const above = await t.request({ method: 'GET', url: `/tlog/${TENANT}/tile/0/006` });
        expect(above.statusCode, above.body).toBe(200);
        expect(above.rawPayload.length).toBe(256 * 32);

        // The purge journalled itself: who, why, the seq range and the root at the cut.
        const journalled = await t.request({
          method: 'GET',
          url: `/api/v1/events?tenantId=tamga&event=32005&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`,
        });
        expect(journalled.statusCode, journalled.body).toBe(200);
        const [purged] = (
          journalled.json() as { items: { entityData: Record<string, unknown>; userId: string }[] }
        ).items;
        expect(purged).toMatchObject({
          entityData: {
            tenant: TENANT,
            from: 0,
            to: 1300,
            rootAtCut: rootAt1300,
            reason: 'retention policy',
          },
        });

        // A plain DELETE is still refused, also of the records the policy would purge.
        await expect(
          backend.run(store, 'DELETE FROM records WHERE log_id = ? AND seq = ?', [logId, 1300]),
        ).rejects.toThrow(/append-only/);
        await expect(backend.run(store, 'DELETE FROM records WHERE log_id = ?', [logId])).rejects.toThrow(
          /append-only/,
        );

        // The server's verification and an offline check of an export, against the checkpoint saved before the purge.
        res = await t.request({ method: 'GET', url: `/api/v1/logs/${TENANT}/verify?from=0&to=1000000` });
        expect(res.json()).toMatchObject({ status: 'valid', range: { from: 1300, to: 1900 }, checked: 600 });
        expect(await verifyExport(t, TENANT, trusted)).toMatchObject({
          status: 'valid',
          checked: 600,
          firstBadSeq: null,
        });
        await checkProofs(t, before, 1300);
        res = await t.request({
          method: 'GET',
          url: `/api/v1/logs/${TENANT}/proofs/inclusion?seq=12&treeSize=1900`,
        });
        expect(res.statusCode).toBe(410);
        expect(res.json()).toMatchObject({ code: 'RECORDS_PURGED' });

        // The self-check, from scratch, finds every checkpoint signed before the purge consistent.
        const selfCheck = new CheckpointSelfCheck({ journal: t.server.journal, prover, intervalMs: 0 });
        expect(await selfCheck.runOnce()).toEqual([]);

        // Counts: the per-minute counts lost exactly the purged records.
        const counted = (await store.minuteCounts({ tenants: [TENANT] }, -1e12, 1e12)).reduce(
          (a, c) => a + c.count,
          0,
        );
        expect(counted).toBe(600);
        expect(await store.countRecords({ tenants: [TENANT] })).toBe(600);
        expect((await store.minuteSeqRange(logId, -1e12, 1e12))?.from).toBe(1300);
        res = await t.request({
          method: 'GET',
          url: `/api/v1/events/stats?tenantId=${TENANT}&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z`,
        });
        expect((res.json() as { count: number }).count).toBe(600);

        // A hold on the whole tenant stops every purge, also once the user's hold is released.
        res = await t.request({
          method: 'POST',
          url: `/api/v1/tenants/${TENANT}/holds`,
          payload: { reason: 'regulator audit' },
        });
        const tenantHold = res.json() as { id: string };
        res = await t.request({ method: 'DELETE', url: `/api/v1/tenants/${TENANT}/holds/${hold.id}` });
        expect(res.statusCode, res.body).toBe(200);
        res = await t.request({ method: 'POST', url: `/api/v1/tenants/${TENANT}/retention/purge` });
        expect(res.json()).toMatchObject({ purge: null, status: { purgedTo: 1300, holds: 1 } });
        expect(
          (await t.request({ method: 'GET', url: `/api/v1/tenants/${TENANT}/holds` })).json(),
        ).toMatchObject({
          holds: [{ id: tenantHold.id, userId: null, operationKey: null, reason: 'regulator audit' }],
        });

        // Every hold released, the next purge goes on to the first recent record.
        res = await t.request({ method: 'DELETE', url: `/api/v1/tenants/${TENANT}/holds/${tenantHold.id}` });
        expect(res.statusCode, res.body).toBe(200);
        res = await t.request({ method: 'POST', url: `/api/v1/tenants/${TENANT}/retention/purge` });
        expect(res.json()).toMatchObject({
          purge: { from: 1300, to: 1500, rootAtCut: rootAt1500, stoppedBy: 'retention' },
          status: { purgedTo: 1500 },
        });
        expect(await verifyExport(t, TENANT, trusted)).toMatchObject({ status: 'valid', checked: 400 });
        await checkProofs(t, before, 1500);
        expect(
          await new CheckpointSelfCheck({ journal: t.server.journal, prover, intervalMs: 0 }).runOnce(),
        ).toEqual([]);

        // Each change was journalled, with who and why.
        res = await t.request({
          method: 'GET',
          url: '/api/v1/events?tenantId=tamga&event=32005,32030,32031,32032&order=asc&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z',
        });
        const changes = (res.json() as { items: { event: number; entityData: Record<string, unknown> }[] })
          .items;
        expect(changes.map((c) => c.event)).toEqual([32030, 32031, 32005, 32031, 32032, 32032, 32005]);
        expect(changes[1]!.entityData).toMatchObject({
          tenant: TENANT,
          scope: { userId: 'mallory' },
          reason: 'case 2026-41',
        });
        expect(changes[3]!.entityData).toMatchObject({
          scope: { tenant: TENANT },
          reason: 'regulator audit',
        });
      } finally {
        await backend.drop(store);
        await t.close();
      }
    }, 300_000);

    it('never reports a purge in progress as tampering, to readers checking the log meanwhile', async () => {
      const store = await backend.open();
      const t = await startTestServer({ store, env: { TAMGA_RETENTION_INTERVAL_MINUTES: '0' } });
      try {
        for (let i = 1; i <= 4; i++) {
          await append(t, events(250, OLD));
          await waitForSigned(t, i * 250);
        }
        await append(t, events(20, RECENT));
        await waitForSigned(t, 1020);
        const logId = (await store.getLog(TENANT))!.logId;
        const first = (await store.listCheckpoints(logId, 0, Number.MAX_SAFE_INTEGER))[0]!;
        await t.server.retention.setPolicy(TENANT, { '1': 30, '2': 30, '3': 30, '4': 30 }, { name: 'test' });
        const retention = new RetentionService({
          journal: t.server.journal,
          prover: new Prover(store),
          now: () => TEST_NOW_MS,
          sliceSize: 50,
        });
        let done = false;
        const purge = retention.purge(TENANT, { name: 'test' }).finally(() => (done = true));
        const seen = new Set<string>();
        let rounds = 0;
        while (!done) {
          rounds++;
          const [one, view, proof] = await Promise.all([
            t.request({ method: 'GET', url: `/api/v1/logs/${TENANT}/verify?from=0&to=1000000` }),
            t.request({
              method: 'GET',
              url: `/api/v1/logs/verify?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&tenantId=${TENANT}`,
            }),
            t.request({
              method: 'GET',
              url: `/api/v1/logs/${TENANT}/proofs/consistency?from=${first.size}&to=1020`,
            }),
          ]);
          expect(one.statusCode, one.body).toBe(200);
          seen.add((one.json() as { status: string }).status);
          seen.add((view.json() as { status: string }).status);
          expect(proof.statusCode, proof.body).toBe(200);
          // Requests over inject() are promise chains that never reach the timers of the event loop; real clients
          // arrive through I/O. Let the purge's pause between slices end.
          await new Promise((r) => setTimeout(r, 5));
        }
        expect((await purge)?.to).toBe(1000);
        expect(rounds).toBeGreaterThan(1);
        expect([...seen]).toEqual(['valid']);
      } finally {
        await backend.drop(store);
        await t.close();
      }
    }, 300_000);

    // Several seeds on SQLite (fast), one on PostgreSQL: batch sizes, hence checkpoint sizes, and slice sizes vary.
    for (const start of backend.name === 'SQLite' ? [7, 1234, 99_991] : [7])
      it(`keeps every proof verifiable through many small purges at random cuts (seed ${start})`, async () => {
        const store = await backend.open();
        const t = await startTestServer({ store, env: { TAMGA_RETENTION_INTERVAL_MINUTES: '0' } });
        try {
          let seed = start;
          const random = (n: number): number => {
            seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
            return seed % n;
          };
          // Records whose age steps up every 100: each later "now" lets a purge go a little further.
          let size = 0;
          while (size < 1200) {
            const n = 1 + random(90);
            const batch = Array.from(
              { length: n },
              (_, i) => events(1, OLD + (size + i) * 60_000_000 * 10)[0]!,
            );
            await append(t, batch);
            size += n;
            await waitForSigned(t, size);
          }
          const logId = (await store.getLog(TENANT))!.logId;
          const before = await store.listCheckpoints(logId, 0, Number.MAX_SAFE_INTEGER);
          await t.server.retention.setPolicy(TENANT, { '1': 1, '2': 1, '3': 1, '4': 1 }, { name: 'test' });
          let cut = 0;
          for (const step of [37, 181, 260, 513, 700, 1024, 1100]) {
            // "now" such that records below `step` are older than a day.
            const now = (OLD + step * 600_000_000) / 1000 + DAY_MS - 1;
            const retention = new RetentionService({
              journal: t.server.journal,
              prover: new Prover(store),
              now: () => now,
              sliceSize: 1 + random(97),
            });
            const outcome = await retention.purge(TENANT, { name: 'test' });
            expect(outcome?.to).toBe(step);
            cut = step;
            await checkProofs(t, before, cut);
          }
          expect(await verifyExport(t, TENANT, before.at(-1)!.note)).toMatchObject({
            status: 'valid',
            checked: size - cut,
          });
        } finally {
          await backend.drop(store);
          await t.close();
        }
      }, 300_000);
  });
}

describe('retention API', () => {
  it('refuses bad policies and holds naming the field, and non-administrators', async () => {
    const t = await startTestServer({ env: { TAMGA_RETENTION_INTERVAL_MINUTES: '0' } });
    try {
      const put = (payload: unknown) =>
        t.request({ method: 'PUT', url: `/api/v1/tenants/${TENANT}/retention`, payload: payload as object });
      for (const [payload, field] of [
        [{ keepDays: { '5': 10 } }, 'keepDays.5'],
        [{ keepDays: { '1': 0 } }, 'keepDays.1'],
        [{ keepDays: { '1': 1.5 } }, 'keepDays.1'],
        [{ keepDays: [] }, 'keepDays'],
        [{ keepDays: {}, other: 1 }, 'other'],
      ] as const) {
        const res = await put(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.json()).toMatchObject({ field });
      }
      expect(
        (await t.request({ method: 'GET', url: `/api/v1/tenants/${TENANT}/retention` })).json(),
      ).toMatchObject({
        policy: { keepDays: { '1': null, '2': null, '3': null, '4': null }, updatedAt: null },
        earliestKept: null,
        purgedTo: 0,
        lastPurge: null,
      });
      const hold = (payload: unknown) =>
        t.request({ method: 'POST', url: `/api/v1/tenants/${TENANT}/holds`, payload: payload as object });
      for (const [payload, field] of [
        [{}, 'reason'],
        [{ reason: ' ' }, 'reason'],
        [{ reason: 'x', userId: 'a', operationKey: 'b' }, 'operationKey'],
        [{ reason: 'x', userId: 5 }, 'userId'],
        [{ reason: 'x', who: 'a' }, 'who'],
      ] as const) {
        const res = await hold(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json()).toMatchObject({ field });
      }
      expect((await t.request({ method: 'GET', url: `/api/v1/tenants/${TENANT}/holds` })).json()).toEqual({
        holds: [],
      });
      const res = await t.request({
        method: 'DELETE',
        url: `/api/v1/tenants/${TENANT}/holds/0190a000-0000-7000-8000-000000000000`,
      });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'HOLD_NOT_FOUND' });
    } finally {
      await t.close();
    }
  });
});
