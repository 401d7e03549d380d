import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogSet, checkRecord, rootFromLeaves, StoreError } from '@tamga/core';
import type { JournalStore, PendingRecord, RecordFilter } from '../../journal/journal-store.js';
import { loadBuiltinCatalogDocuments } from '../../catalog/load-builtin-catalogs.js';
import { TenantCatalog } from '../../catalog/tenant-catalog.js';
import { SubjectBackfill } from '../../journal/subject-backfill.js';
import { describeJournalStoreContract } from '../journal-store.contract.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../../test-support/postgres.js';
import { pendingRecord, TEST_HMAC_KEY, testSealer } from '../../test-support/fixtures.js';
import { PostgresCatalogStore } from './postgres-catalog-store.js';
import { PostgresForwardStore } from './postgres-forward-store.js';
import { PostgresJournalStore } from './postgres-journal-store.js';
import { entitySearchExpression, KEY_COLUMNS } from './postgres-schema.js';

/**
 * Runs against a real PostgreSQL: `TAMGA_TEST_DATABASE_URL`, else the local server (trust auth).
 * Every store gets its own schema, dropped afterwards, so runs do not interfere.
 * Unreachable: skipped with a loud warning, except in CI (`CI=true`) where it fails.
 */
const url = await findTestDatabase();
const schemaName = (): string => testSchemaName();

/** Open stores, each in its own schema, dropped when the file ends. */
const opened: PostgresJournalStore[] = [];
async function open(schema = schemaName(), poolSize?: number): Promise<PostgresJournalStore> {
  const store = await PostgresJournalStore.connect({ url: url!, schema, ...(poolSize !== undefined && { poolSize }) });
  opened.push(store);
  return store;
}
async function dropAndClose(store: JournalStore): Promise<void> {
  const pgStore = store as PostgresJournalStore;
  await pgStore.dropSchema();
  await pgStore.close();
}
afterAll(async () => {
  for (const store of opened) await store.close();
});

if (url === undefined) {
  reportMissingPostgres('the PostgreSQL journal store suite');
} else {
  describeJournalStoreContract(
    'PostgresJournalStore',
    () => open(),
    dropAndClose,
    async (store, sql) => {
      await (store as PostgresJournalStore).pool.query(sql);
    },
  );

  describe('PostgresJournalStore', () => {
    for (const older of ['records_entity_trgm', 'records_entity_values_trgm'] as const) {
      it(`replaces the text index of entityData before decision 0069 (${older}) and finds the values of the records written before`, async () => {
        const schema = schemaName();
        const before = await open(schema);
        await before.append([pendingRecord({ tenantId: 'json', entityData: { login: 'alice', path: 'C:\\data' } })], testSealer());
        await before.indexText();
        const opclass = (await before.pool.query<{ s: string }>("SELECT extnamespace::regnamespace::text AS s FROM pg_extension WHERE extname = 'pg_trgm'")).rows[0]!.s;
        // A journal of that time: no entity_values (the record's values are computed from its JSON), its index on
        // the JSON (0066) or on the computed values (0067), built by an older schema.
        const indexed = older === 'records_entity_trgm' ? 'lower(entity_data)' : 'lower(tamga_entity_values(entity_data))';
        await before.pool.query(
          `DROP INDEX records_entity_search_trgm; ALTER TABLE records DROP COLUMN entity_values; DROP TABLE schema_built;
           CREATE INDEX ${older} ON records USING gin (${indexed} ${opclass}.gin_trgm_ops)`,
        );
        await before.close();
        const after = await open(schema);
        await after.append([pendingRecord({ tenantId: 'json', entityData: { login: 'bob', path: 'C:\\data' } })], testSealer());
        await after.indexText();
        const indexes = await after.pool.query<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE '%trgm' ORDER BY 1", [schema]);
        expect(indexes.rows.map((r) => r.name)).toEqual(['records_entity_search_trgm', 'records_text_trgm']);
        expect(await after.searchIndexStatus()).toEqual({ pending: 0, behindMicros: 0 });
        const stored = await after.pool.query<{ v: string | null }>('SELECT entity_values AS v FROM records ORDER BY seq');
        expect(stored.rows.map((r) => r.v)).toEqual([null, 'bob\nC:\\data']);
        expect(await Promise.all(['login', 'alice', 'bob', 'C:\\data', '"path"'].map((q) => after.countRecords({ q })))).toEqual([0, 1, 1, 2, 0]);
        // The search's expression is the index's (the columns qualified as the store's queries have them).
        const client = await after.pool.connect();
        try {
          await client.query('SET enable_seqscan = off');
          const plan = await client.query<{ 'QUERY PLAN': string }>(
            `EXPLAIN SELECT 1 FROM records r WHERE lower(${entitySearchExpression('r.')}) LIKE '%alic%'`,
          );
          expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('records_entity_search_trgm');
        } finally {
          await client.query('RESET enable_seqscan');
          client.release();
        }
        await dropAndClose(after);
      });
    }

    it('reads the canonical bytes, leaf hash and payload salt exactly as stored, whatever their lengths', async () => {
      const store = await open();
      await store.append([pendingRecord({ tenantId: 'bytes', text: 'Ошибка 😀' }), ...Array.from({ length: 3 }, () => pendingRecord({ tenantId: 'bytes' }))], testSealer());
      const log = (await store.getLog('bytes'))!;
      // An insider with the triggers off: a salt of another length, a short leaf hash; and one payload erased.
      await store.pool.query('ALTER TABLE records DISABLE TRIGGER USER');
      await store.pool.query('UPDATE records SET payload_salt = $1 WHERE log_id = $2 AND seq = 1', [Buffer.alloc(20, 0xab), log.logId]);
      await store.pool.query('UPDATE records SET leaf_hash = $1 WHERE log_id = $2 AND seq = 2', [Buffer.alloc(31, 0xcd), log.logId]);
      await store.pool.query('ALTER TABLE records ENABLE TRIGGER USER');
      await store.pool.query('UPDATE records SET entity_data = NULL, text = NULL, payload_salt = NULL, redacted = true WHERE log_id = $1 AND seq = 3', [log.logId]);
      const stored = await store.pool.query<{ canonical: Buffer; leaf_hash: Buffer; payload_salt: Buffer | null }>(
        'SELECT canonical, leaf_hash, payload_salt FROM records WHERE log_id = $1 ORDER BY seq',
        [log.logId],
      );
      const read = await store.readRecordsBySeq(log.logId, 0, 4);
      expect(read.map((r) => [r.canonical, r.leafHash, r.payloadSalt])).toEqual(stored.rows.map((row) => [row.canonical, row.leaf_hash, row.payload_salt]));
      expect(read[1]!.payloadSalt).toHaveLength(20);
      expect(read[2]!.leafHash).toHaveLength(31);
      expect(read[3]!.payloadSalt).toBeNull();
      const keyFor = (kid: string): Buffer | undefined => (kid === 'test-key' ? TEST_HMAC_KEY : undefined);
      expect(read.map((r) => checkRecord(r, r, keyFor))).toEqual(['valid', 'tampered', 'valid', 'redacted']);
      await dropAndClose(store);
    });

    it('keeps the searched values of entityData as append-only as the record, and erases them with its payload', async () => {
      const store = await open();
      const [r] = await store.append([pendingRecord({ tenantId: 'values', entityData: { phone: '+7 900', n: 12 } })], testSealer());
      const values = async (): Promise<string | null> =>
        (await store.pool.query<{ v: string | null }>('SELECT entity_values AS v FROM records WHERE id = $1', [r!.id])).rows[0]!.v;
      expect(await values()).toBe('+7 900\n12');
      await expect(store.pool.query(`UPDATE records SET entity_values = 'other' WHERE id = $1`, [r!.id])).rejects.toThrow(/append-only/);
      // An erasure that does not name the column (a node of the version before) clears it all the same.
      await store.pool.query('UPDATE records SET entity_data = NULL, text = NULL, payload_salt = NULL, redacted = true WHERE id = $1', [r!.id]);
      expect(await values()).toBeNull();
      expect(await store.countRecords({ q: '+7 900' })).toBe(0);
      await dropAndClose(store);
    });

    it('stores text exactly as sent when it holds what array literals escape: quotes, backslashes, braces, NULL', async () => {
      const store = await open();
      const texts = ['say "hi"', 'C:\\temp\\x', '{a,b}', 'NULL', '', 'line\nbreak\ttab', 'ключ "значение" \\ {}'];
      const records = texts.map((text, i) =>
        pendingRecord({ tenantId: 'literal', text, userId: texts[(i + 1) % texts.length]!, entityData: { value: text, 'k"\\': [text] } }),
      );
      const results = await store.append(records, testSealer());
      for (const [i, r] of results.entries()) {
        const stored = (await store.getRecord(r.id))!;
        expect([stored.text, stored.userId, stored.entityData]).toEqual([records[i]!.text, records[i]!.userId, records[i]!.entityData]);
        expect(checkRecord(stored, stored, (kid) => (kid === 'test-key' ? TEST_HMAC_KEY : undefined))).toBe('valid');
      }
      await dropAndClose(store);
    });

    it('stores a large batch whole and in order, none of one that meets a stored id late, and a late duplicate as one', async () => {
      const store = await open();
      const tenantId = 'large';
      const batch = (n: number): PendingRecord[] => Array.from({ length: n }, (_, i) => pendingRecord({ tenantId, text: `record ${i}` }));
      const first = batch(700);
      const results = await store.append(first, testSealer());
      expect(results.map((r) => r.seq)).toEqual(first.map((_, i) => i));
      // rid follows seq within the batch (the rows are inserted in the batch's order).
      const { rows } = await store.pool.query<{ seq: number }>('SELECT seq FROM records ORDER BY rid');
      expect(rows.map((r) => r.seq)).toEqual(first.map((_, i) => i));

      // A stored id with other content at record 400: ID_CONFLICT, and none of the 399 before it kept.
      const second = batch(700);
      second[400] = { ...first[3]!, text: 'other content' };
      await expect(store.append(second, testSealer())).rejects.toMatchObject({ code: 'ID_CONFLICT' });
      const count = await store.pool.query<{ n: string }>('SELECT count(*) AS n FROM records');
      expect(Number(count.rows[0]!.n)).toBe(700);
      expect((await store.getLog(tenantId))?.size).toBe(700);

      // The same stored event as the last record: a duplicate, the rest stored after the first batch.
      const third = batch(700);
      third[699] = first[5]!;
      const again = await store.append(third, testSealer());
      expect(again[699]).toMatchObject({ seq: 5, duplicate: true });
      expect(again.slice(0, 699).map((r) => r.seq)).toEqual(third.slice(0, 699).map((_, i) => 700 + i));
      const head = (await store.getLog(tenantId))!;
      expect(head.size).toBe(1399);
      const leaves = await store.readNodes(head.logId, 0, 0, 1399);
      expect(head.rootHash.equals(rootFromLeaves(leaves))).toBe(true);
      const nodes = await store.readNodes(head.logId, 8, 0, 5);
      nodes.forEach((node, i) => expect(node.equals(rootFromLeaves(leaves.slice(i * 256, (i + 1) * 256)))).toBe(true));
      await dropAndClose(store);
    });

    it('creates its schema idempotently, and a second connect sees the same data', async () => {
      const schema = schemaName();
      const a = await open(schema);
      const [r] = await a.append([pendingRecord({ tenantId: 'reopen' })], testSealer());
      const b = await open(schema);
      expect((await b.getRecord(r!.id))?.signature).toBe(r!.signature);
      const [next] = await b.append([pendingRecord({ tenantId: 'reopen' })], testSealer());
      expect(next!.seq).toBe(1);
      await a.close();
      await dropAndClose(b);
    });

    it('starts again without locking records once the catalogue and forwarding stores added their triggers; a disabled trigger comes back', async () => {
      const schema = schemaName();
      const a = await open(schema);
      await a.append([pendingRecord({ tenantId: 'restart' })], testSealer());
      // What a server's start does next: the catalogue and forwarding stores add their tables and triggers.
      await PostgresCatalogStore.open(a);
      await PostgresForwardStore.open(a);
      // Another node reading records (a transaction holding a lock on it, as CREATE INDEX CONCURRENTLY waits for):
      // a start that rebuilt the schema would wait for it, and deadlock against such an index build.
      const reader = await a.pool.connect();
      try {
        await reader.query('BEGIN');
        await reader.query('LOCK TABLE records IN ACCESS SHARE MODE');
        const started = PostgresJournalStore.connect({ url: url!, schema }).then((store) => opened.push(store));
        const waited = await Promise.race([started.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 3_000))]);
        await reader.query('ROLLBACK');
        await started;
        expect(waited, 'the second start waited for a lock on records').toBe(false);
      } finally {
        reader.release();
      }
      // A trigger someone disabled is enabled again by the next start.
      await a.pool.query('ALTER TABLE records DISABLE TRIGGER records_append_only_except_erasure');
      await open(schema);
      await expect(a.pool.query("UPDATE records SET text = 'altered'")).rejects.toThrow(/append-only/);
      await dropAndClose(a);
    });

    it('counts per minute the records of a journal made before the per-minute counts existed', async () => {
      const schema = schemaName();
      const a = await open(schema);
      const minute = 29_000_000;
      await a.append(
        [0, 1, 1, 3].map((m) => pendingRecord({ createdAt: (minute + m) * 60_000_000 + 5 })),
        testSealer(),
      );
      // A journal of that time: no per-minute counts, and built by an older schema (no schema_built row to match).
      await a.pool.query('DELETE FROM record_minutes');
      await a.pool.query('DROP TABLE schema_built');
      const b = await open(schema);
      expect(await b.minuteCounts({}, minute, minute + 10)).toEqual([
        { minute, count: 1 },
        { minute: minute + 1, count: 2 },
        { minute: minute + 3, count: 1 },
      ]);
      await a.close();
      await dropAndClose(b);
    });

    it('fills the subject of sign-ins stored before the append did, so the user filter finds them; signatures stay valid', async () => {
      const schema = schemaName();
      const a = await open(schema);
      // Records as the earlier version wrote them: sign-ins naming the user only in entityData (text and object form),
      // another code naming a login (no subject rule), a sign-in with a userId; no subject.
      await a.append(
        [
          pendingRecord({ entityData: 'ivanov, tenantId=' }),
          pendingRecord({ event: 2002, eventName: 'LoginUserNotExist', entityData: { login: 'ivanov', tenantId: null } }),
          pendingRecord({ event: 8000, eventName: 'RoleCreated', entityData: { login: 'ivanov' } }),
          pendingRecord({ entityData: 'ivanov, tenantId=', userId: 'petrov' }),
        ],
        testSealer(),
      );
      // Built by an older schema: no backfill state (and no schema_built row to match).
      await a.pool.query('DROP TABLE subject_backfill');
      await a.pool.query('DROP TABLE schema_built');
      const b = await open(schema);
      expect(await b.queryRecords({ userId: 'ivanov' }, 10)).toEqual([]);
      // Appended after the upgrade without a subject (as a code without a rule would be): not the backfill's to fill.
      await b.append([pendingRecord({ entityData: 'ivanov, tenantId=' })], testSealer());
      const catalogs = { forTenant: () => TenantCatalog.ofSet(CatalogSet.of(loadBuiltinCatalogDocuments())) };
      expect(await new SubjectBackfill(b, catalogs, { span: 3 }).run()).toBe(2);
      const found = await b.queryRecords({ userId: 'ivanov' }, 10);
      expect(found.map((r) => [r.seq, r.event, r.userId]).sort()).toEqual([
        [0, 2001, null],
        [1, 2002, null],
      ]);
      for (const record of found) expect(checkRecord(record, record, (kid) => (kid === 'test-key' ? TEST_HMAC_KEY : undefined))).toBe('valid');
      expect(await new SubjectBackfill(b, catalogs).run()).toBe(0);
      expect((await b.pool.query('SELECT seq, subject FROM records WHERE subject IS NOT NULL ORDER BY seq')).rows).toEqual([
        { seq: 0, subject: 'ivanov' },
        { seq: 1, subject: 'ivanov' },
      ]);
      // The guard lets the backfill's UPDATE through and nothing more.
      await expect(b.pool.query("UPDATE records SET subject = 'x' WHERE seq = 3")).rejects.toThrow(/append-only/);
      await expect(b.pool.query("UPDATE records SET subject = 'x' WHERE seq = 0")).rejects.toThrow(/append-only/);
      await expect(b.pool.query("UPDATE records SET subject = 'x', text = 'y' WHERE seq = 2")).rejects.toThrow(/append-only/);
      await a.close();
      await dropAndClose(b);
    });

    it('finds the records of a journal made before addresses were canonical by any spelling, their signed bytes untouched', async () => {
      const schema = schemaName();
      const a = await open(schema);
      const T = Date.UTC(2026, 0, 1, 10) * 1000;
      // Records as the earlier version sealed them: the address as sent (the store itself never rewrites one).
      const [v6, mapped] = await a.append(
        [
          pendingRecord({ createdAt: T, ip: '2001:0DB8:0:0::1' }),
          pendingRecord({ createdAt: T + 1, ip: '::ffff:10.0.0.1' }),
          pendingRecord({ createdAt: T + 2, ip: '10.0.0.2' }),
        ],
        testSealer(),
      );
      // A journal of that time: no ip_search (its index goes with it), built by an older schema.
      await a.pool.query('ALTER TABLE records DROP COLUMN ip_search');
      await a.pool.query('DROP TABLE schema_built');
      const b = await open(schema);
      const ids = async (filter: RecordFilter) =>
        (await b.queryRecords({ ...filter, order: 'asc' }, 10)).map((r) => r.id);
      expect(await ids({ ip: '2001:db8::1' })).toEqual([v6!.id]);
      expect(await ids({ ip: '2001:db8::1', from: T - 1, to: T + 10 })).toEqual([v6!.id]);
      expect(await ids({ ip: '10.0.0.1', from: T - 1, to: T + 10 })).toEqual([mapped!.id]);
      expect(await ids({ exclude: { ips: ['2001:db8::1', '10.0.0.1'] } })).toHaveLength(1);
      const record = (await b.getRecord(v6!.id))!;
      expect(record.ip).toBe('2001:0DB8:0:0::1');
      expect(checkRecord(record, record, (kid) => (kid === 'test-key' ? TEST_HMAC_KEY : undefined))).toBe(
        'valid',
      );
      // The guard is back on: the search column is as append-only as the rest.
      await expect(
        b.pool.query(`UPDATE records SET ip_search = '10.9.9.9' WHERE id = $1`, [v6!.id]),
      ).rejects.toThrow(/append-only/);
      await a.close();
      await dropAndClose(b);
    });

    it('returns numbers for BIGINT columns and keeps JSON text byte for byte', async () => {
      const store = await open();
      const entityData = { z: 1, a: { y: [1, 'b'], b: null }, é: 'ü' };
      const [r] = await store.append(
        [pendingRecord({ entityData, extra: { source: { system: 's' } }, createdAt: 1_900_000_000_000_123 })],
        testSealer(),
      );
      const stored = (await store.getRecord(r!.id))!;
      expect(stored.createdAt).toBe(1_900_000_000_000_123);
      expect(typeof stored.rid).toBe('number');
      expect(Object.keys(stored.entityData as object)).toEqual(['z', 'a', 'é']);
      expect(stored.extra).toEqual({ source: { system: 's' } });
      const raw = await store.pool.query<{ entity_data: string }>('SELECT entity_data FROM records WHERE id = $1', [r!.id]);
      expect(raw.rows[0]!.entity_data).toBe(JSON.stringify(entityData));
      expect(await store.countRecords({})).toBe(1);
      await dropAndClose(store);
    });

    it('refuses TRUNCATE of the append-only tables', async () => {
      const store = await open();
      await store.append([pendingRecord()], testSealer());
      await expect(store.pool.query('TRUNCATE records CASCADE')).rejects.toThrow(/append-only/);
      await expect(store.pool.query('TRUNCATE checkpoints')).rejects.toThrow(/append-only/);
      await dropAndClose(store);
    });

    it('serializes two nodes appending to one tenant: contiguous seq, no gaps, root of all leaves', async () => {
      const schema = schemaName();
      const nodeA = await open(schema, 4);
      const nodeB = await open(schema, 4);
      const batches = 12;
      const size = 50;
      const work = (store: PostgresJournalStore, node: string): Promise<unknown[]> =>
        Promise.all(
          Array.from({ length: batches }, () =>
            store.append(
              Array.from({ length: size }, () => pendingRecord({ tenantId: 'shared', nodeId: node })),
              testSealer(),
            ),
          ),
        );
      const [a, b] = await Promise.all([work(nodeA, 'a'), work(nodeB, 'b')]);
      const seqs = [...a, ...b].flat().map((r) => (r as { seq: number }).seq).sort((x, y) => x - y);
      const total = 2 * batches * size;
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i));
      const log = (await nodeB.getLog('shared'))!;
      expect(log.size).toBe(total);
      const leaves = await nodeA.readNodes(log.logId, 0, 0, total);
      expect(log.rootHash.equals(rootFromLeaves(leaves))).toBe(true);
      const nodes = await nodeA.readNodes(log.logId, 8, 0, Math.floor(total / 256));
      nodes.forEach((node, i) => expect(node.equals(rootFromLeaves(leaves.slice(i * 256, (i + 1) * 256)))).toBe(true));
      await nodeA.close();
      await dropAndClose(nodeB);
    });

    /** Every seq of the tenant's log stored once, 0 to size - 1, the head's root that of all leaves, and the level-8 nodes right. */
    async function expectWholeLog(store: PostgresJournalStore, tenant: string, size: number): Promise<void> {
      const log = (await store.getLog(tenant))!;
      expect(log.size).toBe(size);
      const seqs = await store.pool.query<{ seq: number }>('SELECT seq FROM records WHERE log_id = $1 ORDER BY seq', [log.logId]);
      expect(seqs.rows.map((r) => r.seq)).toEqual(Array.from({ length: size }, (_, i) => i));
      const leaves = await store.readNodes(log.logId, 0, 0, size);
      expect(log.rootHash.equals(rootFromLeaves(leaves))).toBe(true);
      const nodes = await store.readNodes(log.logId, 8, 0, Math.floor(size / 256));
      expect(nodes).toHaveLength(Math.floor(size / 256));
      nodes.forEach((node, i) => expect(node.equals(rootFromLeaves(leaves.slice(i * 256, (i + 1) * 256)))).toBe(true));
    }

    it('keeps one node\'s concurrent batches to one tenant contiguous, one id repeated across them stored once', async () => {
      const store = await open(schemaName(), 8);
      await store.append([pendingRecord({ tenantId: 'busy' })], testSealer());
      const shared = pendingRecord({ tenantId: 'busy' });
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, b) =>
          store.append(
            Array.from({ length: 40 }, (_, i) => (i === 20 && b % 4 === 0 ? shared : pendingRecord({ tenantId: 'busy' }))),
            testSealer(),
          ),
        ),
      );
      const sharedResults = results.flat().filter((r) => r.id === shared.id);
      expect(sharedResults.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(sharedResults.map((r) => r.seq)).size).toBe(1);
      const stored = 1 + 16 * 40 - 3;
      expect(results.flat().filter((r) => !r.duplicate).map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: stored - 1 }, (_, i) => i + 1));
      await expectWholeLog(store, 'busy', stored);
      await dropAndClose(store);
    });

    it('refuses a batch the database fails whole while the batches behind it, sealed after it, are all stored', async () => {
      const store = await open(schemaName(), 8);
      await store.append([pendingRecord({ tenantId: 'failing' })], testSealer());
      // A failure the database raises in the middle of the insert, as a full disk or a constraint would.
      await store.pool.query(`CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.text = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`);
      await store.pool.query('CREATE TRIGGER boom BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION boom()');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, (_, b) =>
          store.append(
            Array.from({ length: 30 }, (_, i) => pendingRecord({ tenantId: 'failing', text: b % 5 === 2 && i === 29 ? 'boom' : null })),
            testSealer(),
          ),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual(Array.from({ length: 12 }, (_, b) => (b % 5 === 2 ? 'rejected' : 'fulfilled')));
      await expectWholeLog(store, 'failing', 1 + 10 * 30);
      await dropAndClose(store);
    });

    it('appends to one tenant while another tenant\'s log head is held by a transaction', async () => {
      const store = await open();
      for (const tenant of ['held', 'free']) await store.append([pendingRecord({ tenantId: tenant })], testSealer());
      const holder = new pg.Client({ connectionString: url, options: `-c search_path=${store.schema}` });
      await holder.connect();
      try {
        await holder.query("BEGIN; SELECT * FROM logs WHERE tenant_key = 'held' FOR UPDATE");
        const held = store.append([pendingRecord({ tenantId: 'held' })], testSealer());
        const [free] = await store.append([pendingRecord({ tenantId: 'free' })], testSealer());
        expect(free!.seq).toBe(1);
        const late = await Promise.race([held.then(() => 'stored'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 300))]);
        expect(late).toBe('waiting');
        await holder.query('COMMIT');
        expect((await held)[0]!.seq).toBe(1);
      } finally {
        await holder.end();
      }
      await dropAndClose(store);
    });

    it('stores an id raced by two nodes into two tenants once, and refuses the other batch whole with ID_CONFLICT', async () => {
      const schema = schemaName();
      const nodeA = await open(schema);
      const nodeB = await open(schema);
      for (let round = 0; round < 5; round++) {
        const shared = pendingRecord({ tenantId: `race-${round}-a` });
        // Same id sent to two different tenants' logs by two nodes: no common head lock, so the
        // unique index decides, and the loser's retry finds the id in another tenant.
        const outcomes = await Promise.allSettled([
          nodeA.append([shared, pendingRecord({ tenantId: shared.tenantId })], testSealer()),
          nodeB.append([{ ...shared, tenantId: `race-${round}-b` }, pendingRecord({ tenantId: `race-${round}-b` })], testSealer()),
        ]);
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o) => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost.map((o) => (o.reason as { code?: string }).code)).toEqual(['ID_CONFLICT']);
        expect(won[0]!.value.map((r) => r.duplicate)).toEqual([false, false]);
        expect(await nodeA.countRecords({})).toBe(2 * (round + 1));
      }
      await nodeA.close();
      await dropAndClose(nodeB);
    });

    it('answers an event raced by two nodes into one tenant once as new, then as a duplicate', async () => {
      const schema = schemaName();
      const nodeA = await open(schema);
      const nodeB = await open(schema);
      for (let round = 0; round < 5; round++) {
        const shared = pendingRecord({ tenantId: 'race-same' });
        const [ra, rb] = await Promise.all([nodeA.append([shared], testSealer()), nodeB.append([{ ...shared, nodeId: 'node-b' }], testSealer())]);
        expect([ra[0]!.duplicate, rb[0]!.duplicate].sort()).toEqual([false, true]);
        expect(ra[0]!.signature).toBe(rb[0]!.signature);
      }
      expect(await nodeA.countRecords({})).toBe(5);
      await nodeA.close();
      await dropAndClose(nodeB);
    });

    it('gives the checkpoint lead to exactly one node, and hands it over when that node closes', async () => {
      const schema = schemaName();
      const nodeA = await open(schema);
      const nodeB = await open(schema);
      const [a, b] = await Promise.all([nodeA.tryLeadCheckpoints(), nodeB.tryLeadCheckpoints()]);
      expect([a, b].filter(Boolean)).toHaveLength(1);
      const [leader, follower] = a ? [nodeA, nodeB] : [nodeB, nodeA];
      expect(await leader.tryLeadCheckpoints()).toBe(true);
      expect(await follower.tryLeadCheckpoints()).toBe(false);
      await leader.close();
      expect(await follower.tryLeadCheckpoints()).toBe(true);
      expect(await follower.tryLeadCheckpoints()).toBe(true);
      // Another schema is another journal: its lead is independent.
      const other = await open();
      expect(await other.tryLeadCheckpoints()).toBe(true);
      await dropAndClose(other);
      await dropAndClose(follower);
    });

    it('reports an unreachable server as STORE_UNAVAILABLE', async () => {
      const error = await PostgresJournalStore.connect({ url: 'postgres://postgres@127.0.0.1:1/none' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('STORE_UNAVAILABLE');
    });

    it('reports a store whose server went away as STORE_UNAVAILABLE, and other errors as STORE_FAILED', async () => {
      const store = await open();
      await store.append([pendingRecord()], testSealer());
      const failed = await store.readNodes(1, 8, 0, 1).catch((e: unknown) => e);
      expect((failed as StoreError).code).toBe('STORE_FAILED');
      // Kill our own backends, as a server restart would.
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tamga' AND query NOT ILIKE '%pg_terminate_backend%'",
      );
      await admin.end();
      // An idle pooled connection was killed: the first query over it fails as unavailable (or succeeds
      // on a fresh connection); it must never leak a raw driver error.
      const result = await store.countRecords({}).catch((e: unknown) => e);
      if (result instanceof Error) {
        expect(result).toBeInstanceOf(StoreError);
        expect((result as StoreError).code).toBe('STORE_UNAVAILABLE');
        expect(result.message).not.toMatch(/SELECT|FROM/);
      } else {
        expect(result).toBe(1);
      }
      await dropAndClose(store);
    });

    it('rejects a schema name that is not a plain identifier', async () => {
      await expect(PostgresJournalStore.connect({ url: url!, schema: 'x; DROP TABLE y' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    });
  });

  // A database whose locale orders text as people read it (ICU's en-US, as production databases often are): "bob" <
  // "Bob" < "Bz", so the names starting with "B" are not one run of an index in that order.
  describe('PostgresJournalStore in a database with a linguistic collation', () => {
    const database = `tamga_test_icu_${process.pid}`;
    const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    };
    const icuUrl = (): string => {
      const u = new URL(url!);
      u.pathname = `/${database}`;
      return u.toString();
    };
    const users = ['alice', 'bob', 'Bob', 'Bz', 'carol'];
    const openIcu = async (schema: string): Promise<PostgresJournalStore> => {
      const store = await PostgresJournalStore.connect({ url: icuUrl(), schema });
      opened.push(store);
      return store;
    };
    const collations = async (store: PostgresJournalStore): Promise<Record<string, string>> =>
      Object.fromEntries(
        (
          await store.pool.query<{ attname: string; collname: string }>(
            `SELECT a.attname, c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
              WHERE a.attrelid = 'records'::regclass AND a.attname = ANY($1)`,
            [KEY_COLUMNS],
          )
        ).rows.map((row) => [row.attname, row.collname]),
      );

    beforeAll(async () => {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      await admin((c) => c.query(`CREATE DATABASE ${database} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`));
    });
    afterAll(async () => {
      for (const store of opened) await store.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    });

    it('suggests every user a prefix starts, in code-point order', async () => {
      const store = await openIcu(schemaName());
      await store.append(users.map((userId) => pendingRecord({ tenantId: 'icu', userId, operationKey: userId })), testSealer());
      expect(await store.suggestUsers('B', ['icu'], 10)).toEqual(['Bob', 'Bz']);
      expect(await store.suggestUsers('b', ['icu'], 10)).toEqual(['bob']);
      expect(await store.suggestUsers('', ['icu'], 10)).toEqual(['Bob', 'Bz', 'alice', 'bob', 'carol']);
      expect(Object.values(await collations(store))).toEqual(KEY_COLUMNS.map(() => 'C'));
      await dropAndClose(store);
    });

    it('turns the key columns of a journal made before to byte order at start, its records unchanged', async () => {
      const schema = schemaName();
      const before = await openIcu(schema);
      const results = await before.append(users.map((userId) => pendingRecord({ tenantId: 'icu', userId, operationKey: `op-${userId}` })), testSealer());
      // The journal as an earlier version made it: key columns in the database's collation, built by another schema text.
      await before.pool.query(
        `ALTER TABLE records ${KEY_COLUMNS.map((c) => `ALTER COLUMN ${c} TYPE text COLLATE "default"`).join(', ')}`,
      );
      await before.pool.query(`UPDATE schema_built SET digest = 'before-0065'`);
      expect(await before.suggestUsers('B', ['icu'], 10)).toEqual([]);
      await before.close();

      const after = await openIcu(schema);
      expect(Object.values(await collations(after))).toEqual(KEY_COLUMNS.map(() => 'C'));
      expect(await after.suggestUsers('B', ['icu'], 10)).toEqual(['Bob', 'Bz']);
      expect((await after.queryRecords({ operationKey: 'op-Bob' }, 10)).map((r) => r.userId)).toEqual(['Bob']);
      for (const { id } of results) {
        const record = (await after.getRecord(id))!;
        expect(checkRecord(record, record, (kid) => (kid === 'test-key' ? TEST_HMAC_KEY : undefined))).toBe('valid');
      }
      const [next] = await after.append([pendingRecord({ tenantId: 'icu', userId: 'Bea' })], testSealer());
      expect(next!.seq).toBe(users.length);
      expect(await after.suggestUsers('B', ['icu'], 10)).toEqual(['Bea', 'Bob', 'Bz']);
      await dropAndClose(after);
    });
  });
}
