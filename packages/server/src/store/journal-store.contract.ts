import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecord, isTamgaError, rootFromLeaves, StoreError } from '@tamga/core';
import type { TamgaError } from '@tamga/core';
import type { EventSortField, JournalStore, PendingRecord, RecordExclusion, RecordFilter, StoredRecord } from '../journal/journal-store.js';
import { DEFAULTED_CLASS, DEFAULTED_CREATED_AT, DEFAULTED_SEVERITY } from '../journal/same-event.js';
import { matchesFilter } from '../journal/record-matcher.js';
import { countRecordStats, findSeqRange } from '../journal/minute-counts.js';
import { pendingRecord, TEST_HMAC_KEY, testSealer } from '../test-support/fixtures.js';

const HOUR = 3_600_000_000;
const T0 = Date.UTC(2026, 10, 22, 10, 0, 0) * 1000;

/**
 * The contract every {@link JournalStore} passes, run against real databases (no mocks).
 * `open` gives a fresh, empty store; `tamper` runs raw SQL the way an insider with database access would.
 */
export function describeJournalStoreContract(
  name: string,
  open: () => Promise<JournalStore>,
  cleanup: (store: JournalStore) => Promise<void> = (s) => s.close(),
  tamper?: (store: JournalStore, sql: string) => Promise<void>,
): void {
  describe(`${name} (journal store contract)`, () => {
    let store: JournalStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await cleanup(store);
    });

    const keyFor = (kid: string): Buffer | undefined => (kid === 'test-key' ? TEST_HMAC_KEY : undefined);
    const all = (tenant: string | null): Promise<StoredRecord[]> =>
      store.queryRecords({ tenants: [tenant], order: 'asc' }, 10_000);

    describe('append', () => {
      it('assigns contiguous seq per tenant log, starting at 0, in input order', async () => {
        const batch = [
          pendingRecord({ tenantId: 'acme' }),
          pendingRecord({ tenantId: 'globex' }),
          pendingRecord({ tenantId: 'acme' }),
          pendingRecord({ tenantId: 'acme' }),
        ];
        const results = await store.append(batch, testSealer());
        expect(results.map((r) => [r.tenantId, r.seq, r.duplicate])).toEqual([
          ['acme', 0, false],
          ['globex', 0, false],
          ['acme', 1, false],
          ['acme', 2, false],
        ]);
        const more = await store.append([pendingRecord({ tenantId: 'acme' })], testSealer());
        expect(more[0]!.seq).toBe(3);
        expect((await store.getLog('acme'))!.size).toBe(4);
      });

      it('stores records whose signature and canonical bytes check out on read', async () => {
        const [r] = await store.append([pendingRecord({ entityData: { login: 'logs', roles: ['a'] }, text: 'hello' })], testSealer());
        const stored = (await store.getRecord(r!.id))!;
        expect(stored.signature).toBe(r!.signature);
        expect(stored.entityData).toEqual({ login: 'logs', roles: ['a'] });
        expect(checkRecord(stored, stored, keyFor)).toBe('valid');
      });

      it('is idempotent on id, across batches and within one batch', async () => {
        const first = pendingRecord({ tenantId: 'idem' });
        const [a] = await store.append([first], testSealer());
        const results = await store.append([first, pendingRecord({ tenantId: 'idem', id: first.id }), pendingRecord({ tenantId: 'idem' })], testSealer());
        expect(results[0]).toMatchObject({ id: first.id, seq: a!.seq, signature: a!.signature, duplicate: true });
        expect(results[1]).toMatchObject({ id: first.id, seq: a!.seq, duplicate: true });
        expect(results[2]).toMatchObject({ seq: a!.seq + 1, duplicate: false });
        expect((await all('idem')).length).toBe(2);
      });

      describe('an id used again', () => {
        /** The ID_CONFLICT an append raises; fails the test when it raises anything else or stores the batch. */
        async function conflict(batch: PendingRecord[]): Promise<TamgaError> {
          const error = await store.append(batch, testSealer()).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isTamgaError(error) && error.code, String(error)).toBe('ID_CONFLICT');
          return error as TamgaError;
        }

        it('by another tenant is a conflict that reveals nothing of the other record, and stores nothing of the batch', async () => {
          const victim = pendingRecord({ tenantId: 'victim', userId: 'ceo', text: 'wire transfer approved' });
          const [stored] = await store.append([victim], testSealer());
          const own = pendingRecord({ tenantId: 'attacker' });
          const error = await conflict([own, { ...victim, tenantId: 'attacker' }]);
          expect(error.details).toMatchObject({ field: 'id', index: 1 });
          const said = JSON.stringify({ message: error.message, details: error.details });
          for (const secret of ['victim', stored!.signature, 'ceo', 'wire']) expect(said).not.toContain(secret);
          expect(await store.getLog('attacker')).toBeUndefined();
          expect(await store.getRecord(own.id)).toBeUndefined();
          expect((await store.getRecord(victim.id))!).toMatchObject({ tenantId: 'victim', seq: 0, signature: stored!.signature });
        });

        it('by the same tenant with other content is a conflict; the same event sent again is a duplicate', async () => {
          const first = pendingRecord({ tenantId: 'retry', userId: 'alice', entityData: { a: 1, b: [1, 2] }, extra: { object: { type: 'doc', id: '7' } } });
          const [stored] = await store.append([first], testSealer());
          for (const changed of [
            { userId: 'mallory' },
            { entityData: { a: 2, b: [1, 2] } },
            { text: 'other' },
            { event: 2002, eventName: 'Logout' },
            { createdAt: first.createdAt + 1 },
            { classifiedEvent: 1 as const },
            { severity: 1 },
            { outcome: 'failure' as const },
            { ip: '10.0.0.25' },
            { operationKey: 'op-x' },
            { extra: { object: { type: 'doc', id: '8' } } },
          ]) {
            const error = await conflict([{ ...first, ...changed }]);
            expect(error.details, JSON.stringify(changed)).toMatchObject({ index: 0, field: 'id' });
          }
          // Keys in another order are the same JSON; what the server fills in (its clock, node, catalogue) may differ.
          const again = { ...first, entityData: { b: [1, 2], a: 1 }, apiCreatedAt: first.apiCreatedAt + 5_000_000, nodeId: 'node-b', extra: { ...first.extra, catalogVersion: 'ai-server@2' } };
          const [dup] = await store.append([again], testSealer());
          expect(dup).toEqual({ ...stored, duplicate: true });
          expect((await all('retry')).length).toBe(1);
        });

        it('leaves out of the comparison the fields the producer left for the server to fill in', async () => {
          const first = pendingRecord({ tenantId: 'defaults', classifiedEvent: 3, severity: 4 });
          const [stored] = await store.append([first], testSealer());
          // The retry omitted createdAt, classifiedEvent and severity: today's defaults (clock, catalogue) differ.
          const retry = { ...first, createdAt: first.createdAt + 60_000_000, classifiedEvent: 1 as const, severity: 1, defaulted: DEFAULTED_CREATED_AT | DEFAULTED_CLASS | DEFAULTED_SEVERITY };
          expect((await store.append([retry], testSealer()))[0]).toEqual({ ...stored, duplicate: true });
          await conflict([{ ...retry, defaulted: DEFAULTED_CLASS | DEFAULTED_SEVERITY }]);
        });

        it('within one batch: a repeat of the same event is a duplicate, other content or another tenant a conflict', async () => {
          const a = pendingRecord({ tenantId: 'batch-ids' });
          const results = await store.append([a, pendingRecord({ tenantId: 'batch-ids' }), { ...a }], testSealer());
          expect(results.map((r) => [r.seq, r.duplicate])).toEqual([[0, false], [1, false], [0, true]]);
          expect(results[2]!.signature).toBe(results[0]!.signature);
          const b = pendingRecord({ tenantId: 'batch-ids' });
          const error = await conflict([b, pendingRecord({ tenantId: 'batch-ids' }), { ...b, text: 'changed' }, { ...b, tenantId: 'batch-ids-2' }]);
          expect((error.details.errors as { index: number }[]).map((e) => e.index)).toEqual([2, 3]);
          expect((await all('batch-ids')).length).toBe(2);
        });

        it('for an erased record compares all but the erased payload', async () => {
          const first = pendingRecord({ tenantId: 'erased-retry', text: 'personal', entityData: { phone: '+7 900' } });
          const [stored] = await store.append([first], testSealer());
          await store.erasePayloads({ ids: [first.id] });
          expect((await store.append([first], testSealer()))[0]).toEqual({ ...stored, duplicate: true });
          await conflict([{ ...first, userId: 'someone else' }]);
        });
      });

      it('stores nothing of a batch when sealing fails midway', async () => {
        // No hmacKey: the store must call this sealer (a writer thread would otherwise seal with the key itself).
        const { hmacKey: _key, ...sealer } = testSealer();
        let calls = 0;
        const failing = {
          ...sealer,
          seal: (fields: Parameters<typeof sealer.seal>[0]) => {
            if (++calls === 2) throw new Error('boom');
            return sealer.seal(fields);
          },
        };
        await expect(store.append([pendingRecord({ tenantId: 'atomic' }), pendingRecord({ tenantId: 'atomic' })], failing)).rejects.toThrow();
        expect(await all('atomic')).toEqual([]);
        const [r] = await store.append([pendingRecord({ tenantId: 'atomic' })], sealer);
        expect(r!.seq).toBe(0);
      });

      it('keeps the log root equal to the Merkle root of all leaves, and stores perfect subtree nodes', async () => {
        const batch = Array.from({ length: 300 }, () => pendingRecord({ tenantId: 'merkle' }));
        await store.append(batch.slice(0, 123), testSealer());
        await store.append(batch.slice(123), testSealer());
        const log = (await store.getLog('merkle'))!;
        const leaves = await store.readNodes(log.logId, 0, 0, 300);
        expect(log.size).toBe(300);
        expect(log.rootHash.equals(rootFromLeaves(leaves))).toBe(true);
        const [node] = await store.readNodes(log.logId, 8, 0, 1);
        expect(node!.equals(rootFromLeaves(leaves.slice(0, 256)))).toBe(true);
        await expect(store.readNodes(log.logId, 8, 1, 2)).rejects.toBeInstanceOf(StoreError);
      });
    });

    describe('queries', () => {
      beforeAll(async () => {
        const rows = [
          pendingRecord({ tenantId: 'q', createdAt: T0 + 1, event: 2001, userId: 'alice', operationKey: 'op-1', text: 'started' }),
          pendingRecord({ tenantId: 'q', createdAt: T0 + 2, event: 2002, userId: 'bob', ip: '10.0.0.9', classifiedEvent: 2 }),
          pendingRecord({ tenantId: 'q', createdAt: T0 + 3, event: 2001, userId: 'alice', operationKey: 'op-1', entityData: { stage: 'middle 50%' } }),
          pendingRecord({ tenantId: 'q', createdAt: T0 + HOUR + 5, event: 2001, userId: 'alice', operationKey: 'op-1', outcome: 'failure' }),
          pendingRecord({ tenantId: 'other', createdAt: T0 + 4, event: 2001, userId: 'alice' }),
        ];
        await store.append(rows, testSealer());
      });
      const q = { tenants: ['q'] } as const;

      it('filters by [from, to) on createdAt, newest first', async () => {
        const rows = await store.queryRecords({ ...q, from: T0, to: T0 + 3 }, 10);
        expect(rows.map((r) => r.createdAt)).toEqual([T0 + 2, T0 + 1]);
      });

      it('filters by event codes, class, user, operation, ip, outcome and text', async () => {
        const count = (f: object): Promise<number> => store.countRecords({ ...q, ...f });
        expect(await count({ events: [2001] })).toBe(3);
        expect(await count({ events: [2001, 2002] })).toBe(4);
        expect(await count({ classes: [2] })).toBe(1);
        expect(await count({ userId: 'alice' })).toBe(3);
        expect(await count({ operationKey: 'op-1', from: T0, to: T0 + HOUR })).toBe(2);
        expect(await count({ ip: '10.0.0.9' })).toBe(1);
        // With a range, the IP index is searched hour by hour.
        expect(await count({ ip: '10.0.0.9', from: T0 - HOUR, to: T0 + 2 * HOUR })).toBe(1);
        expect(await count({ ip: '10.0.0.24', from: T0 + 3, to: T0 + HOUR + 6 })).toBe(2);
        expect(await count({ ip: '10.0.0.24', from: T0 + HOUR, to: T0 + 2 * HOUR })).toBe(1);
        expect(await count({ outcome: 'failure' })).toBe(1);
        expect(await count({ q: 'start' })).toBe(1);
        expect(await count({ q: 'STARTED' })).toBe(1);
        expect(await count({ q: '50%' })).toBe(1); // literal, not a LIKE pattern
        expect(await count({ q: 'mid_le' })).toBe(0);
        expect(await count({ q: 'e 5' })).toBe(1);
      });

      it('finds an IPv6 address by its canonical text, with and without the hour index, as the live matcher does', async () => {
        const [v6, mapped] = await store.append(
          [
            pendingRecord({ tenantId: 'ip6', createdAt: T0 + 1, ip: '2001:db8::1' }),
            pendingRecord({ tenantId: 'ip6', createdAt: T0 + HOUR + 1, ip: '10.0.0.1' }),
          ],
          testSealer(),
        );
        const stored = await store.queryRecords({ tenants: ['ip6'], order: 'asc' }, 10);
        for (const [filter, expected] of [
          [{ ip: '2001:db8::1' }, [v6!.id]],
          [{ ip: '2001:db8::1', from: T0, to: T0 + 2 * HOUR }, [v6!.id]],
          [{ ip: '10.0.0.1', from: T0, to: T0 + 2 * HOUR }, [mapped!.id]],
          [{ exclude: { ips: ['2001:db8::1'] } }, [mapped!.id]],
        ] as const) {
          const f: RecordFilter = { tenants: ['ip6'], order: 'asc', ...filter };
          expect(
            (await store.queryRecords(f, 10)).map((r) => r.id),
            JSON.stringify(filter),
          ).toEqual(expected);
          expect(
            stored.filter((r) => matchesFilter(r, f)).map((r) => r.id),
            JSON.stringify(filter),
          ).toEqual(expected);
        }
      });

      it('never returns another tenant’s records', async () => {
        const rows = await store.queryRecords({ tenants: ['q'], userId: 'alice' }, 100);
        expect(rows.every((r) => r.tenantId === 'q')).toBe(true);
        expect(await store.countRecords({ tenants: ['nobody'] })).toBe(0);
        expect(await store.countRecords({ tenants: [] })).toBe(0);
        const other = (await store.queryRecords({ tenants: ['other'] }, 1))[0]!;
        expect(await store.getRecord(other.id, ['q'])).toBeUndefined();
        expect(await store.getRecord(other.id, ['other'])).toBeDefined();
      });

      it('leaves out excluded values, keeps records whose field is null, and agrees with the live matcher', async () => {
        const [r1, r2, r3, r4] = (
          await store.append(
            [
              pendingRecord({ tenantId: 'ex', createdAt: T0 + 1, event: 2001, userId: 'alice', operationKey: 'op-1' }),
              pendingRecord({ tenantId: 'ex', createdAt: T0 + 2, event: 2002, userId: 'bob', ip: '10.0.0.9', classifiedEvent: 2 }),
              pendingRecord({ tenantId: 'ex', createdAt: T0 + 3, event: 2003, ip: null, operationKey: 'op-2', nodeId: 'node-b' }),
              pendingRecord({ tenantId: 'ex2', createdAt: T0 + 4, event: 2001, userId: 'alice' }),
            ],
            testSealer(),
          )
        ).map((r) => r.id);
        const cases: [RecordExclusion, string[], Omit<RecordFilter, 'exclude'>?][] = [
          [{ userIds: ['alice'] }, [r2!, r3!]],
          [{ userIds: ['alice', 'bob'] }, [r3!]],
          [{ ips: ['10.0.0.24'] }, [r2!, r3!]],
          [{ operationKeys: ['op-1'] }, [r2!, r3!, r4!]],
          [{ nodeIds: ['node-a'] }, [r3!]],
          [{ events: [2001] }, [r2!, r3!]],
          [{ classes: [3] }, [r2!]],
          [{ tenants: ['ex2'] }, [r1!, r2!, r3!]],
          [{ tenants: ['nobody'] }, [r1!, r2!, r3!, r4!]],
          [{ userIds: ['bob'], events: [2003] }, [r1!, r4!]],
          [{ tenants: ['ex2'] }, [r1!], { userId: 'alice' }],
          [{ userIds: [] }, [r1!, r2!, r3!, r4!]],
        ];
        const stored = await store.queryRecords({ tenants: ['ex', 'ex2'], order: 'asc' }, 100);
        for (const [exclude, expected, narrowing] of cases) {
          const filter: RecordFilter = { tenants: ['ex', 'ex2'], order: 'asc', ...narrowing, exclude };
          const found = (await store.queryRecords(filter, 100)).map((r) => r.id);
          expect(found, JSON.stringify(exclude)).toEqual(expected);
          expect(await store.countRecords(filter), JSON.stringify(exclude)).toBe(expected.length);
          expect(stored.filter((r) => matchesFilter(r, filter)).map((r) => r.id), JSON.stringify(exclude)).toEqual(expected);
        }
        const buckets = await store.histogram({ tenants: ['ex', 'ex2'], from: T0, to: T0 + HOUR, exclude: { userIds: ['alice'] } }, HOUR);
        expect(buckets).toEqual([{ start: T0, count: 2 }]);
      });

      it('pages with a keyset cursor in both orders without gaps or repeats', async () => {
        for (const order of ['desc', 'asc'] as const) {
          const seen: string[] = [];
          let after: { createdAt: number; rid: number } | undefined;
          for (;;) {
            const page = await store.queryRecords({ ...q, order }, 2, after);
            seen.push(...page.map((r) => r.id));
            if (page.length < 2) break;
            const last = page[page.length - 1]!;
            after = { createdAt: last.createdAt, rid: last.rid };
          }
          const full = await store.queryRecords({ ...q, order }, 100);
          expect(seen).toEqual(full.map((r) => r.id));
          expect(seen.length).toBe(4);
        }
      });

      it('finds a user\'s and an operation\'s records over many hours, with and without a range, paged in both orders', async () => {
        // 90 records of three users and three operations over 40 hours, stored out of time order, in two tenants.
        const times = Array.from({ length: 90 }, (_, i) => T0 + 100 * HOUR + ((i * 37) % 40) * HOUR + i);
        const rows = times.map((createdAt, i) =>
          pendingRecord({ tenantId: i % 5 === 0 ? 'hours-b' : 'hours-a', createdAt, userId: `h-user-${i % 3}`, operationKey: `h-op-${i % 3}` }),
        );
        await store.append(rows.slice(0, 45), testSealer());
        await store.append(rows.slice(45), testSealer());
        const expected = (filter: RecordFilter, order: 'asc' | 'desc'): number[] =>
          rows
            .filter((r) => matchesFilter({ ...r, rid: 0, subject: null } as unknown as StoredRecord, filter))
            .map((r) => r.createdAt)
            .sort((a, b) => (order === 'asc' ? a - b : b - a));
        const A = { tenants: ['hours-a'] };
        const filters: RecordFilter[] = [
          { ...A, userId: 'h-user-1' },
          { ...A, operationKey: 'h-op-2' },
          { ...A, userId: 'h-user-1', from: T0 + 110 * HOUR, to: T0 + 125 * HOUR + 7 },
          { tenants: ['hours-a', 'hours-b'], operationKey: 'h-op-0', from: T0 + 120 * HOUR },
          { ...A, userId: 'h-user-1', operationKey: 'h-op-1', to: T0 + 130 * HOUR },
          { ...A, userId: 'h-user-1', operationKey: 'h-op-2' },
          { tenants: ['hours-b'], userId: 'h-user-2', events: [2001] },
        ];
        for (const filter of filters) {
          for (const order of ['desc', 'asc'] as const) {
            const want = expected(filter, order);
            // Pages of 4: across hours, gaps of empty hours, and cursors inside an hour.
            const paged: number[] = [];
            let after: { createdAt: number; rid: number } | undefined;
            for (;;) {
              const page = await store.queryRecords({ ...filter, order }, 4, after);
              paged.push(...page.map((r) => r.createdAt));
              if (page.length < 4) break;
              after = { createdAt: page[3]!.createdAt, rid: page[3]!.rid };
            }
            expect(paged, JSON.stringify({ filter, order })).toEqual(want);
          }
          expect(await store.countRecords(filter)).toBe(expected(filter, 'asc').length);
          const from = filter.from ?? T0 + 100 * HOUR;
          const buckets = await store.histogram({ ...filter, from, to: filter.to ?? T0 + 140 * HOUR }, 10 * HOUR, from);
          expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(expected({ ...filter, from, to: filter.to ?? T0 + 140 * HOUR }, 'asc').length);
        }
        expect(expected(filters[5]!, 'asc')).toEqual([]);
        expect(await store.suggestUsers('h-user', ['hours-b'], 10)).toEqual(['h-user-0', 'h-user-1', 'h-user-2']);
      });

      it('counts per time bucket from the start of the range', async () => {
        const buckets = await store.histogram({ ...q, from: T0, to: T0 + 2 * HOUR }, HOUR);
        expect(buckets).toEqual([
          { start: T0, count: 3 },
          { start: T0 + HOUR, count: 1 },
        ]);
      });

      it('stores records of before 1970 (back-dated imports): ranges, pages, counts and seq ranges', async () => {
        const t1899 = Date.UTC(1899, 6, 4, 8, 30, 0) * 1000 + 1;
        const times = [t1899, t1899 + 90_000_000, Date.UTC(1969, 11, 31, 23, 59, 59) * 1000 + 999_999, 1];
        await store.append(times.map((createdAt) => pendingRecord({ tenantId: 'old', createdAt })), testSealer());
        const before1970 = { tenants: ['old'], from: Date.UTC(1700, 0, 1) * 1000, to: 0 };
        expect((await store.queryRecords({ ...before1970, order: 'asc' }, 10)).map((r) => r.createdAt)).toEqual(times.slice(0, 3));
        const paged: number[] = [];
        let after: { createdAt: number; rid: number } | undefined;
        for (let page = await store.queryRecords(before1970, 1); page.length > 0; page = await store.queryRecords(before1970, 1, after)) {
          paged.push(page[0]!.createdAt);
          after = { createdAt: page[0]!.createdAt, rid: page[0]!.rid };
        }
        expect(paged).toEqual(times.slice(0, 3).reverse());
        const stats = await countRecordStats(store, before1970, HOUR);
        expect(stats.count).toBe(3);
        expect(stats.buckets.reduce((n, b) => n + b.count, 0)).toBe(3);
        const log = (await store.getLog('old'))!;
        expect(await findSeqRange(store, log.logId, t1899, t1899 + 60_000_000)).toEqual({ from: 0, to: 1 });
        expect(await store.seqRangeForTime(log.logId, undefined, 0)).toEqual({ from: 0, to: 3 });
      });

      describe('counts and histograms from the per-minute counts', () => {
        const MINUTE = 60_000_000;
        // 400 records over three hours at pseudo-random microseconds (a fixed LCG), three codes, three classes.
        const made: { createdAt: number; event: number; classifiedEvent: 1 | 2 | 3; tenantId: string; userId: string }[] = [];
        let seed = 42;
        const next = (n: number): number => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return seed % n;
        };
        for (let i = 0; i < 400; i++) {
          made.push({
            createdAt: T0 + next(3 * 3600) * 1_000_000 + next(1_000_000),
            event: 2001 + next(3),
            classifiedEvent: (1 + next(3)) as 1 | 2 | 3,
            tenantId: i % 10 === 0 ? 'minutes-b' : 'minutes-a',
            userId: `u${next(4)}`,
          });
        }
        const seqs: number[] = [];
        beforeAll(async () => {
          // Two batches, so the second adds to minutes the first created.
          for (const batch of [made.slice(0, 250), made.slice(250)]) {
            seqs.push(...(await store.append(batch.map((r) => pendingRecord(r)), testSealer())).map((r) => r.seq));
          }
        });

        it('finds the seq range covering a time range from the whole minutes and the partial ones', async () => {
          const log = (await store.getLog('minutes-a'))!;
          const ranges: [number | undefined, number | undefined][] = [
            [T0, T0 + HOUR],
            [T0 + 37 * 1_000_000 + 123, T0 + 2 * HOUR + 59 * 1_000_000 + 7],
            [T0 + 90 * MINUTE + 5, T0 + 90 * MINUTE + 40_000_000],
            [undefined, T0 + HOUR + 1],
            [T0 + 2 * HOUR + 1, undefined],
            [T0 + 5 * HOUR, T0 + 6 * HOUR],
          ];
          for (const [from, to] of ranges) {
            const inRange = made
              .map((r, i) => ({ ...r, seq: seqs[i]! }))
              .filter((r) => r.tenantId === 'minutes-a' && (from === undefined || r.createdAt >= from) && (to === undefined || r.createdAt < to));
            const expected = inRange.length === 0 ? undefined : { from: Math.min(...inRange.map((r) => r.seq)), to: Math.max(...inRange.map((r) => r.seq)) + 1 };
            expect(await findSeqRange(store, log.logId, from, to), JSON.stringify({ from, to })).toEqual(expected);
            expect(await store.seqRangeForTime(log.logId, from, to), JSON.stringify({ from, to })).toEqual(expected);
          }
        });

        it('keeps one count per minute that equals the records of that minute', async () => {
          const scope = { tenants: ['minutes-a', 'minutes-b'] };
          const counts = await store.minuteCounts({ ...scope, events: [2001, 2003], exclude: { classes: [2] } }, T0 / MINUTE, T0 / MINUTE + 180);
          const expected = new Map<number, number>();
          for (const r of made.filter((r) => r.event !== 2002 && r.classifiedEvent !== 2)) {
            const minute = Math.floor(r.createdAt / MINUTE);
            expected.set(minute, (expected.get(minute) ?? 0) + 1);
          }
          expect(counts).toEqual([...expected].sort(([a], [b]) => a - b).map(([minute, count]) => ({ minute, count })));
          expect((await store.minuteCounts({ tenants: ['minutes-b'] }, 0, 2 ** 40)).reduce((n, m) => n + m.count, 0)).toBe(40);
        });

        it('sums the minutes per bucket when asked, each bucket named by its first minute', async () => {
          const scope = { tenants: ['minutes-a', 'minutes-b'], exclude: { events: [2002] } };
          const perMinute = await store.minuteCounts(scope, T0 / MINUTE + 7, T0 / MINUTE + 170);
          // Buckets of 25 minutes from 3 minutes before the first one asked for: the first bucket holds only minutes 7-27.
          const origin = T0 / MINUTE + 4;
          const expected = new Map<number, number>();
          for (const m of perMinute) {
            const start = origin + Math.floor((m.minute - origin) / 25) * 25;
            expected.set(start, (expected.get(start) ?? 0) + m.count);
          }
          expect(expected.size).toBeGreaterThan(3);
          const buckets = await store.minuteCounts(scope, T0 / MINUTE + 7, T0 / MINUTE + 170, { originMinute: origin, minutes: 25 });
          expect(buckets).toEqual([...expected].sort(([a], [b]) => a - b).map(([minute, count]) => ({ minute, count })));
        });

        it('gives the count and histogram of counting every record, for aligned, unaligned and open ranges', async () => {
          const ranges: [number, number | undefined][] = [
            [T0, T0 + HOUR],
            [T0 + 37 * 1_000_000 + 123, T0 + 2 * HOUR + 59 * 1_000_000 + 7],
            [T0 + 90 * MINUTE + 5, T0 + 90 * MINUTE + 40_000_000],
            [T0 - HOUR, T0 + 4 * HOUR],
            // No end (an export of everything since a time): the minutes through the newest.
            [T0 + 37 * 1_000_000 + 123, undefined],
          ];
          const filters: Omit<RecordFilter, 'from' | 'to'>[] = [
            { tenants: ['minutes-a', 'minutes-b'] },
            { tenants: ['minutes-a'], events: [2001] },
            { tenants: ['minutes-a', 'minutes-b'], classes: [3], exclude: { events: [2002], tenants: ['minutes-b'] } },
            { tenants: ['minutes-a'], userId: 'u1' },
            // Users left out: their records counted and taken away from the per-minute counts.
            { tenants: ['minutes-a', 'minutes-b'], events: [2001, 2003], exclude: { userIds: ['u1', 'u3', 'u1'] } },
            { tenants: ['minutes-a'], exclude: { userIds: ['nobody'], classes: [2] } },
          ];
          for (const [from, to] of ranges) {
            for (const narrowing of filters) {
              for (const bucketMicros of [15_000_000, MINUTE, 7 * MINUTE, HOUR]) {
                const filter = { ...narrowing, from, ...(to !== undefined && { to }) };
                const stats = await countRecordStats(store, filter, bucketMicros);
                const what = JSON.stringify({ from, to, narrowing, bucketMicros });
                expect([from, Math.floor(from / MINUTE) * MINUTE], what).toContain(stats.origin);
                const expected = new Map<number, number>();
                for (const r of made) {
                  const record = { ...pendingRecord(r), rid: 0, log: '', seq: 0, sigKid: '', signature: '', canonical: Buffer.alloc(0), leafHash: Buffer.alloc(0), payloadSalt: null, redacted: false };
                  if (!matchesFilter(record, filter)) continue;
                  const start = stats.origin + Math.floor((r.createdAt - stats.origin) / bucketMicros) * bucketMicros;
                  expected.set(start, (expected.get(start) ?? 0) + 1);
                }
                expect(stats.buckets, what).toEqual([...expected].sort(([a], [b]) => a - b).map(([start, count]) => ({ start, count })));
                expect(stats.count, what).toBe([...expected.values()].reduce((a, b) => a + b, 0));
                if (store.recordStats !== undefined) expect(await store.recordStats(filter, bucketMicros), what).toEqual(stats);
              }
            }
          }
        });
      });
    });

    describe('text search and the user an event is about', () => {
      const S = { tenants: ['search'] } as const;
      beforeAll(async () => {
        await store.append(
          [
            pendingRecord({ tenantId: 'search', createdAt: T0 + 1, text: 'Ошибка входа: неверный пароль' }),
            pendingRecord({ tenantId: 'search', createdAt: T0 + 2, text: 'ошибка сети', userId: 'pyotr' }),
            pendingRecord({ tenantId: 'search', createdAt: T0 + 3, entityData: { message: 'ОШИБКА диска', path: 'C:\\data', bytes: [73421], full: true } }),
            pendingRecord({ tenantId: 'search', createdAt: T0 + 4, text: 'An ERROR "occurred"', entityData: 'quoted "text"' }),
            pendingRecord({ tenantId: 'search', createdAt: T0 + 5, event: 2001, userId: null, subject: 'logs', entityData: 'logs, tenantId=' }),
            pendingRecord({ tenantId: 'search', createdAt: T0 + 6, event: 2001, userId: 'logs' }),
            pendingRecord({ tenantId: 'search', createdAt: T0 + 7, event: 2004, userId: null, subject: 'logistics', entityData: { login: 'logistics' } }),
            pendingRecord({ tenantId: 'search-2', createdAt: T0 + 8, event: 2001, userId: null, subject: 'lorna', entityData: { login: 'lorna' } }),
          ],
          testSealer(),
        );
      });

      const checks = async (): Promise<void> => {
        const texts = async (q: string): Promise<number[]> =>
          (await store.queryRecords({ ...S, q, order: 'asc' }, 100)).map((r) => r.createdAt - T0);
        // Case folds for Cyrillic and Latin alike, in text and in entityData's values.
        expect(await texts('ошибка')).toEqual([1, 2, 3]);
        expect(await texts('ОШИБКА')).toEqual([1, 2, 3]);
        expect(await texts('Ошибка входа')).toEqual([1]);
        expect(await texts('error')).toEqual([4]);
        expect(await texts('"occurred"')).toEqual([4]); // a quote is a literal character
        // entityData's strings as they are, not as JSON escapes them; its numbers; not its keys, true or punctuation.
        expect(await texts('quoted "text"')).toEqual([4]);
        expect(await texts('\\"text\\"')).toEqual([]);
        expect(await texts('C:\\data')).toEqual([3]);
        expect(await texts('C:\\\\data')).toEqual([]);
        expect(await texts('7342')).toEqual([3]);
        expect(await texts('logi')).toEqual([7]);
        for (const q of ['message', 'login', 'true', '"path":', '{"log']) expect(await texts(q), q).toEqual([]);
        expect(await texts('нет такого')).toEqual([]);
        // The live stream's matcher agrees with the store.
        const stored = await store.queryRecords({ ...S, order: 'asc' }, 100);
        for (const q of ['ОШИБКА', 'quoted "text"', '\\"text\\"', 'C:\\data', '7342', 'logi', 'login', '"path":']) {
          expect(stored.filter((r) => matchesFilter(r, { ...S, q })).map((r) => r.createdAt - T0), q).toEqual(await texts(q));
        }
        expect(await store.countRecords({ ...S, q: 'ошибка', userId: 'pyotr' })).toBe(1);
        expect(await store.histogram({ ...S, q: 'ошибка', from: T0 }, HOUR)).toEqual([{ start: T0, count: 3 }]);
      };

      it('finds text ignoring case, before the text index has caught up (a scan of what it lacks) and after', async () => {
        const before = await store.searchIndexStatus();
        expect(before.pending > 0 || before.building === true).toBe(true);
        await checks();
        await store.indexText?.();
        expect((await store.searchIndexStatus()).pending).toBe(0);
        await checks();
        // Appended after the index caught up: found by the scan of what it lacks.
        await store.append([pendingRecord({ tenantId: 'search', createdAt: T0 + 9, text: 'поздняя ОшибкА' })], testSealer());
        expect((await store.queryRecords({ ...S, q: 'ошибка' }, 10)).map((r) => r.createdAt - T0)).toEqual([9, 3, 2, 1]);
        await store.indexText?.();
        expect(await store.countRecords({ ...S, q: 'ошибка' })).toBe(4);
      });

      it('matches userId or, for records without one, the subject; pages in order across both', async () => {
        const users = async (userId: string, order: 'asc' | 'desc' = 'asc'): Promise<number[]> =>
          (await store.queryRecords({ ...S, userId, order }, 100)).map((r) => r.createdAt - T0);
        expect(await users('logs')).toEqual([5, 6]);
        expect(await users('logs', 'desc')).toEqual([6, 5]);
        expect(await users('logistics')).toEqual([7]);
        expect(await store.countRecords({ ...S, userId: 'logs' })).toBe(2);
        expect(await store.countRecords({ ...S, userId: 'logs', events: [2001], from: T0 + 6 })).toBe(1);
        expect(await store.histogram({ ...S, userId: 'logs', from: T0 }, HOUR)).toEqual([{ start: T0, count: 2 }]);
        const first = await store.queryRecords({ ...S, userId: 'logs' }, 1);
        expect(first.map((r) => r.createdAt - T0)).toEqual([6]);
        const rest = await store.queryRecords({ ...S, userId: 'logs' }, 10, { createdAt: first[0]!.createdAt, rid: first[0]!.rid });
        expect(rest.map((r) => r.createdAt - T0)).toEqual([5]);
        // not.userId leaves out the sign-ins too.
        expect(await store.countRecords({ ...S, from: T0 + 5, to: T0 + 8, exclude: { userIds: ['logs'] } })).toBe(1);
        const stored = await store.queryRecords({ ...S, order: 'asc' }, 100);
        for (const filter of [{ userId: 'logs' }, { exclude: { userIds: ['logs'] } }] as RecordFilter[]) {
          const expected = (await store.queryRecords({ ...S, ...filter, order: 'asc' }, 100)).map((r) => r.id);
          expect(stored.filter((r) => matchesFilter(r, { ...S, ...filter })).map((r) => r.id)).toEqual(expected);
        }
      });

      it('suggests user names by prefix from userId and subjects, in the tenants given', async () => {
        expect(await store.suggestUsers('lo', ['search'], 10)).toEqual(['logistics', 'logs']);
        expect(await store.suggestUsers('lo', ['search', 'search-2'], 10)).toEqual(['logistics', 'logs', 'lorna']);
        expect(await store.suggestUsers('lo', ['search-2'], 10)).toEqual(['lorna']);
        expect(await store.suggestUsers('lo', ['search'], 1)).toEqual(['logistics']);
        expect(await store.suggestUsers('iv', ['nobody'], 10)).toEqual([]);
        expect(await store.suggestUsers('lor', undefined, 10)).toEqual(['lorna']);
      });

      it('forgets the text of an erased record', async () => {
        await store.indexText?.();
        const [target] = await store.queryRecords({ ...S, q: 'неверный пароль' }, 10);
        expect(target).toBeDefined();
        await store.erasePayloads({ ids: [target!.id] });
        expect(await store.countRecords({ ...S, q: 'неверный пароль' })).toBe(0);
        // Erasing a user's records covers the records naming them as their subject.
        const erased = await store.erasePayloads({ userId: 'logistics' });
        expect(erased.map((e) => e.tenantId)).toEqual(['search']);
        expect(await store.countRecords({ ...S, q: 'logistics' })).toBe(0);
      });
    });

    describe('checkpoints and settings', () => {
      it('keeps the checkpoint with the largest size as the latest', async () => {
        const log = (await store.getLog('acme'))!;
        await store.addCheckpoint({ logId: log.logId, size: 1, rootHash: Buffer.alloc(32, 1), note: 'n1\n', createdAt: T0 });
        await store.addCheckpoint({ logId: log.logId, size: 3, rootHash: Buffer.alloc(32, 3), note: 'n3\n', createdAt: T0 + 1 });
        await store.addCheckpoint({ logId: log.logId, size: 3, rootHash: Buffer.alloc(32, 3), note: 'n3\n', createdAt: T0 + 2 });
        expect(await store.latestCheckpoint(log.logId)).toMatchObject({ size: 3, note: 'n3\n' });
      });

      it('keeps witnesses\' cosignatures per checkpoint and witness, first line kept, and the largest cosigned size', async () => {
        const log = (await store.getLog('acme'))!;
        expect(await store.cosignedSize(log.logId, 'w1')).toBe(0);
        await store.addCosignature({ logId: log.logId, size: 3, witness: 'w1', line: '\u2014 w1 AAAA', createdAt: T0 });
        await store.addCosignature({ logId: log.logId, size: 3, witness: 'w1', line: '\u2014 w1 BBBB', createdAt: T0 });
        await store.addCosignature({ logId: log.logId, size: 3, witness: 'w2', line: '\u2014 w2 CCCC', createdAt: T0 });
        await store.addCosignature({ logId: log.logId, size: 1, witness: 'w1', line: '\u2014 w1 DDDD', createdAt: T0 });
        expect(await store.cosignedSize(log.logId, 'w1')).toBe(3);
        expect(await store.cosignedSize(log.logId + 1000, 'w1')).toBe(0);
        expect((await store.listCosignatures(log.logId, 2, 3)).map((c) => [c.size, c.witness, c.line])).toEqual([
          [3, 'w1', '\u2014 w1 AAAA'],
          [3, 'w2', '\u2014 w2 CCCC'],
        ]);
      });

      it('stores settings', async () => {
        expect(await store.getSetting('k')).toBeUndefined();
        await store.putSetting('k', 'v1');
        await store.putSetting('k', 'v2');
        expect(await store.getSetting('k')).toBe('v2');
      });
    });

    describe('evidence: seq reads, checkpoint lists, erasure', () => {
      it('reads records by seq in log order and finds the seq range of a time range', async () => {
        const batch = [0, 5, 2, 9].map((d) => pendingRecord({ tenantId: 'ev', createdAt: T0 + d }));
        await store.append(batch, testSealer());
        const log = (await store.getLog('ev'))!;
        expect((await store.readRecordsBySeq(log.logId, 1, 4)).map((r) => r.seq)).toEqual([1, 2, 3]);
        expect(await store.seqRangeForTime(log.logId, T0 + 2, T0 + 6)).toEqual({ from: 1, to: 3 });
        expect(await store.seqRangeForTime(log.logId, undefined, T0 + 1)).toEqual({ from: 0, to: 1 });
        expect(await store.seqRangeForTime(log.logId, T0 + 100, undefined)).toBeUndefined();
      });

      it('lists the checkpoints of a log within a size range, smallest first', async () => {
        const log = (await store.getLog('ev'))!;
        for (const size of [4, 1, 3]) await store.addCheckpoint({ logId: log.logId, size, rootHash: Buffer.alloc(32, size), note: `n${size}\n`, createdAt: T0 });
        expect((await store.listCheckpoints(log.logId, 2, 4)).map((c) => c.size)).toEqual([3, 4]);
      });

      it('erases payloads so the record checks as redacted, once', async () => {
        const [a, b] = await store.append(
          [pendingRecord({ tenantId: 'erase', userId: 'ivan', text: 'passport 4510', entityData: { phone: '+7 900' } }), pendingRecord({ tenantId: 'erase', userId: 'ivan' })],
          testSealer(),
        );
        expect(await store.erasePayloads({ ids: [a!.id] })).toEqual([{ id: a!.id, tenantId: 'erase', seq: 0 }]);
        expect(await store.erasePayloads({ ids: [a!.id] })).toEqual([]);
        const erased = (await store.getRecord(a!.id))!;
        expect(erased).toMatchObject({ entityData: null, text: null, payloadSalt: null, redacted: true });
        expect(checkRecord(erased, erased, keyFor)).toBe('redacted');
        expect((await store.erasePayloads({ userId: 'ivan' })).map((r) => r.id)).toEqual([b!.id]);
      });

      if (tamper) {
        it('lets through no UPDATE but the erasure itself', async () => {
          const [r] = await store.append([pendingRecord({ tenantId: 'erase2', userId: 'olga' })], testSealer());
          const where = `WHERE id = '${r!.id}'`;
          const erase = 'entity_data = NULL, text = NULL, payload_salt = NULL';
          await expect(tamper(store, `UPDATE records SET ${erase}, redacted = redacted ${where}`)).rejects.toThrow(/append-only/);
          await expect(tamper(store, `UPDATE records SET ${erase}, redacted = ${store.kind === 'postgres' ? 'true' : '1'}, user_id = 'x' ${where}`)).rejects.toThrow(/append-only/);
          await expect(tamper(store, `UPDATE records SET entity_data = '"x"' ${where}`)).rejects.toThrow(/append-only/);
          expect((await store.getRecord(r!.id))!.userId).toBe('olga');
        });
      }
    });

    describe('the Event API (seed 004): poll and list', () => {
      const object = (o: Record<string, unknown>) => ({ object: o });
      let logId = 0;
      let ids: string[] = [];
      beforeAll(async () => {
        // seq: 0 pollable, 1 not, 2 no pollable field (written before the field existed; code 30401 counts as
        // pollable), 3 pollable, 4 not, 5 legacy code 30000 (not pollable), 6 pollable.
        const rows = [
          pendingRecord({ tenantId: 'ev4', event: 30401, eventName: 'OBJECT_UPDATE', createdAt: T0 + 10, userId: '1', extra: { pollable: true, ...object({ schema: 'USER', type: 'pictures', id: 118, version: 2 }), userDisplayName: 'Root' } }),
          pendingRecord({ tenantId: 'ev4', event: 30302, eventName: 'LOGIN_FAILED', createdAt: T0 + 20, extra: { pollable: false } }),
          pendingRecord({ tenantId: 'ev4', event: 30401, eventName: 'OBJECT_UPDATE', createdAt: T0 + 30, userId: '2', extra: object({ schema: 'BASE', type: 'user', id: 7, version: 1 }) }),
          pendingRecord({ tenantId: 'ev4', event: 30300, eventName: 'USER_LOGIN', createdAt: T0 + 40, userId: '2', extra: { pollable: true, ...object({ schema: 'BASE', baseType: 'user', id: 'x-7' }), userDisplayName: 'bob' } }),
          pendingRecord({ tenantId: 'ev4', event: 30000, eventName: 'API_CALL', createdAt: T0 + 50, userId: '1', extra: { pollable: false, userDisplayName: 'Root' } }),
          pendingRecord({ tenantId: 'ev4', event: 30000, eventName: 'API_CALL', createdAt: T0 + 60 }),
          pendingRecord({ tenantId: 'ev4', event: 30402, eventName: 'OBJECT_DELETE', createdAt: T0 + 10, userId: '1', extra: { pollable: true, ...object({ schema: 'USER', type: 'pictures', id: 5, version: 10 }), userDisplayName: 'alice' } }),
          pendingRecord({ tenantId: 'ev4-other', event: 30401, eventName: 'OBJECT_UPDATE', extra: { pollable: true } }),
        ];
        ids = (await store.append(rows, testSealer())).map((r) => r.id);
        logId = (await store.getLog('ev4'))!.logId;
      });
      const legacy = [30401, 30402, 30300];
      const seqs = (rows: readonly StoredRecord[]) => rows.map((r) => r.seq);
      const list = (over: Partial<Parameters<JournalStore['listEventRecords']>[0]> = {}) =>
        store.listEventRecords({ logId, legacyPollable: legacy, sort: [{ field: 'seq', descending: true }], offset: 0, limit: 100, ...over });

      it('polls the pollable records of one log from a seq, in seq order, up to the limit', async () => {
        expect(seqs(await store.pollRecords(logId, 0, 100, legacy))).toEqual([0, 2, 3, 6]);
        expect(seqs(await store.pollRecords(logId, 1, 2, legacy))).toEqual([2, 3]);
        expect(seqs(await store.pollRecords(logId, 7, 100, legacy))).toEqual([]);
        // A record without the field follows today's catalogue; with the field, the field wins.
        expect(seqs(await store.pollRecords(logId, 0, 100, []))).toEqual([0, 3, 6]);
        expect(seqs(await store.pollRecords(logId, 0, 100, [30000, 30302, 30401]))).toEqual([0, 2, 3, 5, 6]);
      });

      it('reads pollable back into the record, which still checks out', async () => {
        const [first, legacyRecord] = await Promise.all([store.getRecord(ids[0]!), store.getRecord(ids[2]!)]);
        expect(first!.extra.pollable).toBe(true);
        expect(legacyRecord!.extra).not.toHaveProperty('pollable');
        expect(checkRecord(first!, first!, keyFor)).toBe('valid');
        expect(checkRecord(legacyRecord!, legacyRecord!, keyFor)).toBe('valid');
      });

      it('lists with every filter: pollable, codes, user, base type, inclusive times, seq range', async () => {
        expect(seqs(await list())).toEqual([6, 5, 4, 3, 2, 1, 0]);
        expect(seqs(await list({ pollable: true }))).toEqual([6, 3, 2, 0]);
        expect(seqs(await list({ pollable: false }))).toEqual([5, 4, 1]);
        expect(seqs(await list({ events: [30000, 30302] }))).toEqual([5, 4, 1]);
        expect(seqs(await list({ userId: '1' }))).toEqual([6, 4, 0]);
        expect(seqs(await list({ baseType: 'user' }))).toEqual([3, 2]);
        expect(seqs(await list({ from: T0 + 20, to: T0 + 40 }))).toEqual([3, 2, 1]);
        expect(seqs(await list({ seqFrom: 2, seqTo: 5 }))).toEqual([4, 3, 2]);
        expect(seqs(await list({ offset: 2, limit: 3 }))).toEqual([4, 3, 2]);
      });

      it('sorts by each key in both directions: absent values last, integers before strings, then seq', async () => {
        const by = async (field: EventSortField, descending: boolean) => seqs(await list({ sort: [{ field, descending }] }));
        expect(await by('seq', false)).toEqual([0, 1, 2, 3, 4, 5, 6]);
        expect(await by('createdAt', false)).toEqual([0, 6, 1, 2, 3, 4, 5]);
        expect(await by('createdAt', true)).toEqual([5, 4, 3, 2, 1, 6, 0]);
        expect(await by('eventName', false)).toEqual([4, 5, 1, 6, 0, 2, 3]);
        expect(await by('objectId', false)).toEqual([6, 2, 0, 3, 1, 4, 5]);
        expect(await by('objectId', true)).toEqual([3, 0, 2, 6, 5, 4, 1]);
        expect(await by('objectVersion', false)).toEqual([2, 0, 6, 1, 3, 4, 5]);
        expect(await by('schema', false)).toEqual([2, 3, 0, 6, 1, 4, 5]);
        expect(await by('userDisplayName', false)).toEqual([0, 4, 6, 3, 1, 2, 5]);
        expect(seqs(await list({ sort: [{ field: 'userDisplayName', descending: false }, { field: 'createdAt', descending: true }] }))).toEqual([4, 0, 6, 3, 5, 2, 1]);
      });

      if (tamper) {
        it('refuses to change pollable, even within an erasure', async () => {
          const set = `entity_data = NULL, text = NULL, payload_salt = NULL, redacted = ${store.kind === 'postgres' ? 'true' : '1'}`;
          await expect(tamper(store, `UPDATE records SET ${set}, pollable = ${store.kind === 'postgres' ? 'false' : '0'} WHERE id = '${ids[0]}'`)).rejects.toThrow(
            /append-only/,
          );
          expect(seqs(await store.pollRecords(logId, 0, 1, legacy))).toEqual([0]);
        });
      }
    });

    if (tamper) {
      describe('append-only storage', () => {
        it('refuses UPDATE and DELETE of records, Merkle nodes and checkpoints', async () => {
          await expect(tamper(store, "UPDATE records SET text = 'x'")).rejects.toThrow(/append-only/);
          await expect(tamper(store, 'DELETE FROM records')).rejects.toThrow(/append-only/);
          await expect(tamper(store, 'DELETE FROM merkle_nodes')).rejects.toThrow(/append-only/);
          await expect(tamper(store, 'UPDATE checkpoints SET note = note')).rejects.toThrow(/append-only/);
          expect(await store.countRecords({})).toBeGreaterThan(0);
        });
      });
    }
  });
}
