import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CatalogSet, checkRecord, StoreError } from '@tamga/core';
import type { RecordFilter } from '../../journal/journal-store.js';
import { loadBuiltinCatalogDocuments } from '../../catalog/load-builtin-catalogs.js';
import { TenantCatalog } from '../../catalog/tenant-catalog.js';
import { SubjectBackfill } from '../../journal/subject-backfill.js';
import { SQLITE_PAGE_SIZE, SqliteJournalStore } from './sqlite-journal-store.js';
import { SqliteTextIndex } from './sqlite-text-index.js';
import { describeJournalStoreContract } from '../journal-store.contract.js';
import { pendingRecord, tempDir, TEST_HMAC_KEY, testSealer } from '../../test-support/fixtures.js';
import { startTestServer } from '../../test-support/test-server.js';

const dir = tempDir();
afterAll(() => dir.remove());
let n = 0;

describeJournalStoreContract(
  'SqliteJournalStore',
  () => Promise.resolve(new SqliteJournalStore({ path: join(dir.path, `contract-${++n}.sqlite`) })),
  (store) => store.close(),
  // async: a synchronous throw of exec() must reach the contract as a rejection
  async (store, sql) => void (store as SqliteJournalStore).database.exec(sql),
);

/**
 * Puts a text index of an older version in place: drops the store's, then runs `create` on another connection (the one
 * that dropped a contentless FTS5 table may not drop the shadow table it leaves behind).
 */
function replaceTextIndex(path: string, create: string): void {
  for (const sql of ['DROP TABLE record_text', `DROP TABLE record_text_content; ${create}`]) {
    const raw = new Database(path);
    raw.exec(sql);
    raw.close();
  }
}

/** The SQL a store prepares on its own connection while `read` runs. */
async function preparedBy(store: SqliteJournalStore, read: () => Promise<unknown>): Promise<string[]> {
  const db = store.database;
  const prepare = db.prepare.bind(db);
  const seen: string[] = [];
  Object.defineProperty(db, 'prepare', { configurable: true, value: (sql: string) => (seen.push(sql), prepare(sql)) });
  try {
    await read();
  } finally {
    Object.defineProperty(db, 'prepare', { configurable: true, value: prepare });
  }
  return seen;
}

describe('SqliteJournalStore', () => {
  it('pages a text many records hold in time order, not rid order, and indexes a journal made before the index', async () => {
    const path = join(dir.path, 'dense-text.sqlite');
    const a = new SqliteJournalStore({ path });
    const T = Date.UTC(2026, 0, 1) * 1000;
    // 4,500 matches (above the count from which a page walks the time index), stored out of time order.
    const records = Array.from({ length: 4500 }, (_, i) => pendingRecord({ createdAt: T + ((i * 7919) % 4500) * 1000, text: `Ошибка ${i}` }));
    await a.append(records, testSealer());
    // As a journal of the version before: no text index yet.
    a.database.exec('DROP TABLE record_text; DROP TABLE record_text_state;');
    await a.close();
    const b = new SqliteJournalStore({ path });
    expect(await b.searchIndexStatus()).toMatchObject({ pending: 4500 });
    const expected = [...records].sort((x, y) => y.createdAt - x.createdAt).slice(0, 5).map((r) => r.id);
    const page = async (): Promise<string[]> => (await b.queryRecords({ q: 'ошибка' }, 5)).map((r) => r.id);
    expect(await page()).toEqual(expected);
    await b.indexText();
    expect(await b.searchIndexStatus()).toEqual({ pending: 0, behindMicros: 0 });
    expect(await page()).toEqual(expected);
    const first = await b.queryRecords({ q: 'ОШИБКА', order: 'asc' }, 3);
    const next = await b.queryRecords({ q: 'ОШИБКА', order: 'asc' }, 3, { createdAt: first[2]!.createdAt, rid: first[2]!.rid });
    expect([...first, ...next].map((r) => r.createdAt - T)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(await b.countRecords({ q: 'ошибка 44' })).toBe(111); // 44, 440–449, 4400–4499
    // The records past the index, read by rid range (a short tail) and through the time index (a long one): the same.
    const where = { sql: 'WHERE created_at >= ? AND created_at < ?', params: [T + 1_000_000, T + 2_000_000] };
    const short = await new SqliteTextIndex(b.database).tailHits(0, 'ОШИБКА 1', where);
    const long = await new SqliteTextIndex(b.database, { smallTail: 10 }).tailHits(0, 'ОШИБКА 1', where);
    expect(short.length).toBeGreaterThan(100);
    expect([...long].sort((x, y) => x - y)).toEqual(short);
    await b.close();
  });

  it('counts and draws a text search from the index and the records past it, per tenant and range; an older index is rebuilt', async () => {
    const path = join(dir.path, 'text-counts.sqlite');
    const a = new SqliteJournalStore({ path });
    const T = Date.UTC(2026, 0, 1) * 1000;
    const HOUR = 3_600_000_000;
    const make = (i: number) =>
      pendingRecord({ createdAt: T + (i % 10) * HOUR + i, tenantId: i % 3 === 0 ? 'acme' : null, text: i % 4 === 0 ? `ОШИБКА ${i}` : `ok ${i}` });
    const first = Array.from({ length: 400 }, (_, i) => make(i));
    await a.append(first, testSealer());
    await a.close();
    // As an index of an older version, complete but without created_at and log_id.
    replaceTextIndex(
      path,
      `CREATE VIRTUAL TABLE record_text USING fts5(text, entity, content='', contentless_delete=1, tokenize='trigram case_sensitive 0');
       UPDATE record_text_state SET through = (SELECT max(rid) FROM records);`,
    );
    const b = new SqliteJournalStore({ path });
    expect(await b.searchIndexStatus()).toMatchObject({ pending: 400 });
    await b.indexText();
    // Past the index: the tail, found by scanning.
    const second = Array.from({ length: 100 }, (_, i) => make(400 + i));
    await b.append(second, testSealer());
    expect((await b.searchIndexStatus()).pending).toBe(100);
    const all = [...first, ...second].filter((r) => r.text!.startsWith('ОШИБКА'));
    const from = T + 2 * HOUR;
    const to = T + 7 * HOUR;
    const within = all.filter((r) => r.createdAt >= from && r.createdAt < to);
    expect(await b.countRecords({ q: 'ошибка' })).toBe(all.length);
    expect(await b.countRecords({ q: 'ошибка', from, to })).toBe(within.length);
    expect(await b.countRecords({ q: 'ошибка', from, to, tenants: ['acme'] })).toBe(within.filter((r) => r.tenantId === 'acme').length);
    expect(await b.countRecords({ q: 'ошибка', from, to, tenants: ['nobody'] })).toBe(0);
    const buckets = await b.histogram({ q: 'ошибка', from, to, tenants: [null] }, HOUR);
    const expected = new Map<number, number>();
    for (const r of within.filter((x) => x.tenantId === null)) expected.set(from + Math.floor((r.createdAt - from) / HOUR) * HOUR, (expected.get(from + Math.floor((r.createdAt - from) / HOUR) * HOUR) ?? 0) + 1);
    expect(buckets).toEqual([...expected].sort(([x], [y]) => x - y).map(([start, count]) => ({ start, count })));
    // The page of the same search: every record of the range, newest first (index, rid span and tail alike).
    const newestFirst = [...within].sort((x, y) => y.createdAt - x.createdAt).map((r) => r.id);
    expect((await b.queryRecords({ q: 'ошибка', from, to }, 1000)).map((r) => r.id)).toEqual(newestFirst);
    // Another filter beside q: counted among the records, the same way as before.
    expect(await b.countRecords({ q: 'ошибка', from, to, ip: '10.0.0.24' })).toBe(within.length);
    await b.indexText();
    expect(await b.countRecords({ q: 'ошибка', from, to })).toBe(within.length);
    await b.close();
  });

  it("builds again an index of entityData's JSON (the version before): its keys stop matching, its values as written match", async () => {
    const path = join(dir.path, 'json-index.sqlite');
    const a = new SqliteJournalStore({ path });
    const data = [{ login: 'alice', path: 'C:\\data' }, { login: 'bob', size: 1234 }, 'login "plain"'];
    await a.append(data.map((entityData) => pendingRecord({ entityData })), testSealer());
    await a.close();
    // As the version before this one left it: complete, holding the JSON.
    replaceTextIndex(
      path,
      `CREATE VIRTUAL TABLE record_text USING fts5(text, entity, created_at UNINDEXED, log_id UNINDEXED,
         content='', contentless_delete=1, contentless_unindexed=1, tokenize='trigram case_sensitive 0');
       INSERT INTO record_text (rowid, text, entity, created_at, log_id) SELECT rid, text, entity_data, created_at, log_id FROM records;
       UPDATE record_text_state SET through = (SELECT max(rid) FROM records);`,
    );
    const b = new SqliteJournalStore({ path });
    expect(await b.searchIndexStatus()).toMatchObject({ pending: 3 });
    const counts = async (): Promise<number[]> => Promise.all(['login', '"path"', 'C:\\data', '1234', '"plain"'].map((q) => b.countRecords({ q })));
    expect(await counts()).toEqual([1, 0, 1, 1, 1]); // the scan of the records past the index
    await b.indexText();
    expect((await b.searchIndexStatus()).pending).toBe(0);
    expect(await counts()).toEqual([1, 0, 1, 1, 1]);
    await b.close();
  });

  it('draws a text search over records stored in time order from their rids, exactly, with unaligned buckets and late records', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'text-minutes.sqlite') });
    const T = Date.UTC(2026, 0, 1) * 1000;
    const MIN = 60_000_000;
    // Three hours, a record every 7 s, in time order; every third holds the word. Two logs: a batch is stored log by
    // log, so each batch holds one tenant to keep the rids in time order.
    const records = Array.from({ length: 1543 }, (_, i) =>
      pendingRecord({
        createdAt: T + i * 7_000_000,
        tenantId: i < 500 && Math.floor(i / 100) % 2 === 1 ? 'acme' : null,
        text: i % 3 === 0 ? `ОШИБКА ${i}` : `ok ${i}`,
      }),
    );
    for (let i = 0; i < records.length; i += 100) await store.append(records.slice(i, i + 100), testSealer());
    await store.indexText();
    const truth = (all: typeof records, from: number, to: number, origin: number, width: number) => {
      const counts = new Map<number, number>();
      for (const r of all) {
        if (!r.text!.toLowerCase().includes('ошибка') || r.createdAt < from || r.createdAt >= to) continue;
        const start = origin + Math.floor((r.createdAt - origin) / width) * width;
        counts.set(start, (counts.get(start) ?? 0) + 1);
      }
      return [...counts].sort(([a], [b]) => a - b).map(([start, count]) => ({ start, count }));
    };
    const from = T + 17 * MIN + 12_345_678;
    const to = T + 161 * MIN + 3_000_001;
    const check = async (all: typeof records) => {
      for (const width of [5 * MIN, 7 * MIN + 500, 3_600_000_000]) {
        expect(await store.histogram({ q: 'ошибка', from, to }, width, from)).toEqual(truth(all, from, to, from, width));
      }
      const total = truth(all, from, to, from, to - from).reduce((n, b) => n + b.count, 0);
      expect(await store.countRecords({ q: 'ошибка', from, to })).toBe(total);
    };
    await check(records);
    // Records stored late for minutes already written (back-dated): those minutes' rids no longer say their time.
    const late = [
      pendingRecord({ createdAt: T + 30 * MIN + 1, text: 'ошибка late 1' }),
      pendingRecord({ createdAt: T + 90 * MIN + 2, text: 'ok late' }),
    ];
    await store.append(late, testSealer());
    await store.indexText();
    await check([...records, ...late]);
    await store.close();
  });

  it('keeps committed records after the file is closed and reopened', async () => {
    const path = join(dir.path, 'reopen.sqlite');
    const a = new SqliteJournalStore({ path });
    const [r] = await a.append([pendingRecord()], testSealer());
    await a.close();
    const b = new SqliteJournalStore({ path });
    expect((await b.getRecord(r!.id))?.signature).toBe(r!.signature);
    const [next] = await b.append([pendingRecord()], testSealer());
    expect(next!.seq).toBe(1);
    await b.close();
  });

  it('counts per minute the records of a journal made before the per-minute counts existed', async () => {
    const path = join(dir.path, 'backfill.sqlite');
    const a = new SqliteJournalStore({ path });
    const minute = 29_000_000;
    await a.append(
      [0, 1, 1, 3].map((m) => pendingRecord({ createdAt: (minute + m) * 60_000_000 + 5 })),
      testSealer(),
    );
    a.database.exec('DELETE FROM record_minutes');
    await a.close();
    const b = new SqliteJournalStore({ path });
    expect(await b.minuteCounts({}, minute, minute + 10)).toEqual([
      { minute, count: 1 },
      { minute: minute + 1, count: 2 },
      { minute: minute + 3, count: 1 },
    ]);
    await b.close();
  });

  it('reads the canonical bytes, leaf hash and payload salt exactly as stored, whatever their lengths and types', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'seal-bytes.sqlite') });
    const records = [pendingRecord({ text: 'Ошибка входа 😀' }), pendingRecord(), pendingRecord(), pendingRecord(), pendingRecord()];
    await store.append(records, testSealer());
    const db = store.database;
    const stored = (): { canonical: unknown; leaf_hash: unknown; payload_salt: unknown }[] =>
      db.prepare('SELECT canonical, leaf_hash, payload_salt FROM records ORDER BY seq').all() as never;
    const before = stored();
    // An insider with the triggers dropped: a salt of another length, a short leaf hash, the canonical bytes kept as
    // TEXT (the same bytes), and one record's payload erased (its salt NULL).
    db.exec('DROP TRIGGER records_append_only_except_erasure');
    db.prepare('UPDATE records SET payload_salt = ? WHERE seq = 1').run(Buffer.alloc(20, 0xab));
    db.prepare('UPDATE records SET leaf_hash = ? WHERE seq = 2').run(Buffer.alloc(31, 0xcd));
    db.exec('UPDATE records SET canonical = CAST(canonical AS TEXT) WHERE seq = 3');
    db.exec('UPDATE records SET entity_data = NULL, text = NULL, payload_salt = NULL, redacted = 1 WHERE seq = 4');
    const read = await store.readRecordsBySeq((await store.getLog(null))!.logId, 0, 5);
    const after = stored();
    expect(typeof after[3]!.canonical).toBe('string');
    expect(read.map((r) => [r.canonical, r.leafHash, r.payloadSalt])).toEqual(
      after.map((row) => [Buffer.from(row.canonical as Buffer | string), row.leaf_hash, row.payload_salt]),
    );
    expect(read[0]!.canonical).toEqual(before[0]!.canonical);
    expect(read[1]!.payloadSalt).toHaveLength(20);
    expect(read[2]!.leafHash).toHaveLength(31);
    expect(read[4]!.payloadSalt).toBeNull();
    const keyFor = (kid: string): Buffer | undefined => (kid === 'test-key' ? TEST_HMAC_KEY : undefined);
    expect(read.map((r) => checkRecord(r, r, keyFor))).toEqual(['valid', 'tampered', 'valid', 'valid', 'redacted']);
    await store.close();
  });

  it('reads, matches and checks a live slice for several filters at once: each record taken once, checked once', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'matching.sqlite') });
    const users = ['ivan', 'olga', 'ivan', 'petr', 'olga', 'ivan'];
    await store.append(
      users.map((userId, i) => pendingRecord({ userId, event: i % 2 === 0 ? 2001 : 2004 })),
      testSealer(),
    );
    const logId = (await store.getLog(null))!.logId;
    store.database.exec("DROP TRIGGER records_append_only_except_erasure; UPDATE records SET user_id = 'olga' WHERE seq = 3");
    const keys: [string, Uint8Array][] = [['test-key', TEST_HMAC_KEY]];
    const matched = await store.readMatching(logId, 0, 6, [{ userId: 'olga' }, { events: [2004] }, { userId: 'nobody' }], keys);
    // seq 1 (olga, 2004), 3 (petr edited to olga, 2004) and 4 (olga, 2001), each once though two filters take 1 and 3.
    expect(matched.records.map((r) => [r.seq, r.userId, r.integrity])).toEqual([
      [1, 'olga', 'valid'],
      [3, 'olga', 'tampered'],
      [4, 'olga', 'valid'],
      [5, 'ivan', 'valid'],
    ]);
    expect(matched.taken).toEqual([[0, 1, 2], [0, 1, 3], []]);
    expect(matched.unknownKids).toEqual([]);
    // Without the key: unknown-key, and the key id named for the caller to look up.
    const keyless = await store.readMatching(logId, 0, 6, [{ events: [2004] }], []);
    expect(keyless.records.map((r) => r.integrity)).toEqual(['unknown-key', 'unknown-key', 'unknown-key']);
    expect(keyless.unknownKids).toEqual(['test-key']);
    await store.close();
  });

  it('adds pollable to a journal made before it existed: old records stay valid and poll by their code', async () => {
    const path = join(dir.path, 'before-pollable.sqlite');
    const a = new SqliteJournalStore({ path });
    // Records as the earlier version wrote them: no pollable field, so no column value either.
    const [old] = await a.append([pendingRecord({ event: 30401, eventName: 'OBJECT_UPDATE' }), pendingRecord({ event: 30302, eventName: 'LOGIN_FAILED' })], testSealer());
    a.database.exec(`DROP INDEX records_poll; DROP TRIGGER records_append_only_except_erasure; ALTER TABLE records DROP COLUMN pollable;`);
    await a.close();
    const b = new SqliteJournalStore({ path });
    const record = (await b.getRecord(old!.id))!;
    expect(checkRecord(record, record, (kid) => (kid === 'test-key' ? TEST_HMAC_KEY : undefined))).toBe('valid');
    const log = (await b.getLog(null))!;
    expect((await b.pollRecords(log.logId, 0, 10, [30401])).map((r) => r.seq)).toEqual([0]);
    await b.append([pendingRecord({ extra: { pollable: true } })], testSealer());
    expect((await b.pollRecords(log.logId, 0, 10, [30401])).map((r) => r.seq)).toEqual([0, 2]);
    // The append-only trigger was rebuilt with the new column in its list.
    expect(() => b.database.exec('UPDATE records SET entity_data = NULL, text = NULL, payload_salt = NULL, redacted = 1, pollable = 1 WHERE seq = 1')).toThrow(
      /append-only/,
    );
    await b.close();
  });

  it('fills the subject of sign-ins stored before the append did, so the user filter finds them; signatures stay valid', async () => {
    const path = join(dir.path, 'before-subject.sqlite');
    const a = new SqliteJournalStore({ path });
    // Records as the earlier version wrote them: sign-ins naming the user only in entityData (text and object form),
    // another code naming a login (no subject rule), a sign-in with a userId; no subject column at all.
    await a.append(
      [
        pendingRecord({ entityData: 'ivanov, tenantId=' }),
        pendingRecord({ event: 2002, eventName: 'LoginUserNotExist', entityData: { login: 'ivanov', tenantId: null } }),
        pendingRecord({ event: 8000, eventName: 'RoleCreated', entityData: { login: 'ivanov' } }),
        pendingRecord({ entityData: 'ivanov, tenantId=', userId: 'petrov' }),
      ],
      testSealer(),
    );
    a.database.exec(
      'DROP INDEX records_subject_time; DROP TRIGGER records_append_only_except_erasure; DROP TABLE subject_backfill; ALTER TABLE records DROP COLUMN subject;',
    );
    await a.close();
    const b = new SqliteJournalStore({ path });
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
    // Done for good: a second run examines nothing, and the record appended after the upgrade kept its NULL.
    expect(await new SubjectBackfill(b, catalogs).run()).toBe(0);
    expect(b.database.prepare('SELECT seq, subject FROM records WHERE subject IS NOT NULL ORDER BY seq').all()).toEqual([
      { seq: 0, subject: 'ivanov' },
      { seq: 1, subject: 'ivanov' },
    ]);
    // The trigger lets the backfill's UPDATE through and nothing more: no subject on a record with a userId, no change of one.
    expect(() => b.database.exec("UPDATE records SET subject = 'x' WHERE seq = 3")).toThrow(/append-only/);
    expect(() => b.database.exec("UPDATE records SET subject = 'x' WHERE seq = 0")).toThrow(/append-only/);
    expect(() => b.database.exec("UPDATE records SET subject = 'x', text = 'y' WHERE seq = 2")).toThrow(/append-only/);
    await b.close();
  });

  it('finds the records of a journal made before addresses were canonical by any spelling, their signed bytes untouched', async () => {
    const path = join(dir.path, 'before-ip-search.sqlite');
    const a = new SqliteJournalStore({ path });
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
    a.database.exec(
      'DROP INDEX records_hour_ip_search; DROP TRIGGER records_append_only_except_erasure; ALTER TABLE records DROP COLUMN ip_search;',
    );
    await a.close();
    const b = new SqliteJournalStore({ path });
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
    // The search column, once filled, is as append-only as the rest.
    expect(() =>
      b.database.exec("UPDATE records SET ip_search = '10.9.9.9' WHERE id = '" + v6!.id + "'"),
    ).toThrow(/append-only/);
    const plan = b.database
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM records WHERE ip IS NOT NULL AND coalesce(ip_search, ip) = ? AND created_at / 3600000000 IN (1, 2)`,
      )
      .all('10.0.0.1') as { detail: string }[];
    expect(plan.map((r) => r.detail).join('; ')).toMatch(/USING INDEX records_hour_ip_search/);
    await b.close();
  });

  it('leads the user and operation-key indexes by the hour; a journal with the key-led ones is brought up to date', async () => {
    const path = join(dir.path, 'hour-keys.sqlite');
    const HOUR = 3_600_000_000;
    const T = Date.UTC(2026, 0, 1) * 1000;
    const a = new SqliteJournalStore({ path });
    const old = Array.from({ length: 30 }, (_, i) =>
      pendingRecord({ createdAt: T + (i % 10) * 7 * HOUR + i, tenantId: i % 2 === 0 ? null : 'x', userId: `u${i % 3}`, operationKey: `op${i % 4}` }),
    );
    await a.append(old, testSealer());
    // As a journal of the version before: indexes led by the key, no record_keys.
    a.database.exec(`DROP INDEX records_hour_user; DROP INDEX records_hour_op; DROP TABLE record_keys;
      CREATE INDEX records_user_time ON records(user_id, created_at) WHERE user_id IS NOT NULL;
      CREATE INDEX records_op_time ON records(operation_key, created_at) WHERE operation_key IS NOT NULL;`);
    await a.close();
    const b = new SqliteJournalStore({ path });
    const indexes = (b.database.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'").pluck().all() as string[]).sort();
    expect(indexes).toEqual(expect.arrayContaining(['records_hour_op', 'records_hour_user']));
    expect(indexes).not.toEqual(expect.arrayContaining(['records_user_time']));
    expect(indexes).not.toEqual(expect.arrayContaining(['records_op_time']));
    const times = (filter: RecordFilter) => b.queryRecords({ ...filter, order: 'asc' }, 100).then((rows) => rows.map((r) => r.createdAt));
    const want = (keep: (r: (typeof old)[number]) => boolean) => old.filter(keep).map((r) => r.createdAt).sort((x, y) => x - y);
    expect(await times({ userId: 'u1' })).toEqual(want((r) => r.userId === 'u1'));
    expect(await times({ operationKey: 'op2', tenants: ['x'] })).toEqual(want((r) => r.operationKey === 'op2' && r.tenantId === 'x'));
    expect(await b.suggestUsers('u', ['x'], 10)).toEqual(['u0', 'u1', 'u2']);
    // A new record in an hour the user had none in is found too.
    const [late] = await b.append([pendingRecord({ createdAt: T + 500 * HOUR, userId: 'u1' })], testSealer());
    expect((await b.queryRecords({ userId: 'u1' }, 1))[0]!.id).toBe(late!.id);
    // A page by user reads one hour at a time from the hour-led index, in order: no sort of the user's records.
    const plan = b.database
      .prepare(`EXPLAIN QUERY PLAN SELECT * FROM records WHERE created_at / ${HOUR} = ? AND user_id = ? ORDER BY created_at DESC, rid DESC LIMIT 10`)
      .all(1, 'u1') as { detail: string }[];
    expect(plan.map((r) => r.detail).join('; ')).toMatch(/^SEARCH records USING INDEX records_hour_user \(<expr>=\? AND user_id=\?\)$/);
    // Erasure by user finds every hour of the user's records.
    expect((await b.erasePayloads({ userId: 'u2' })).length).toBe(old.filter((r) => r.userId === 'u2').length);
    await b.close();
  });

  it('walks the hour-led index of a user, operation key or IP with an event code or tenant beside it, not the code\'s index', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'key-and-code.sqlite') });
    const HOUR = 3_600_000_000;
    const T = Date.UTC(2026, 0, 1) * 1000;
    await store.append(
      Array.from({ length: 40 }, (_, i) => pendingRecord({ createdAt: T + (i % 4) * HOUR + i, userId: `u${i % 2}`, operationKey: `op${i % 5}`, ip: `10.0.0.${i % 3}`, event: i % 3 === 0 ? 2002 : 2001 })),
      testSealer(),
    );
    // The plans of the statements the store itself prepares for a page, a count and a histogram.
    const plansOf = async (read: () => Promise<unknown>): Promise<string[]> =>
      (await preparedBy(store, read))
        .filter((sql) => /\bFROM records\b.*\bWHERE\b/.test(sql))
        .map((sql) => {
          const marks = (sql.match(/\?/g) ?? []).length;
          return (store.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array<number>(marks).fill(0)) as { detail: string }[]).map((r) => r.detail).join('; ');
        });
    const day = { from: T, to: T + 24 * HOUR };
    for (const filter of [
      { ...day, userId: 'u1', events: [2002] },
      { ...day, operationKey: 'op3', events: [2001] },
      { ...day, userId: 'u0', tenants: [null], events: [2001, 2002] },
      { ...day, ip: '10.0.0.1', events: [2001] },
      // Without a time range: the journal's own first and last record bound the hours.
      { ip: '10.0.0.1' },
      { ip: '10.0.0.1', events: [2002], from: T },
    ] satisfies RecordFilter[]) {
      const plans = [...(await plansOf(() => store.queryRecords(filter, 10))), ...(await plansOf(() => store.countRecords(filter))), ...(await plansOf(() => store.histogram(filter, HOUR)))];
      expect(plans.length).toBeGreaterThanOrEqual(3);
      // (The subject half of a user filter, records about a user without userId, has its own index.)
      for (const plan of plans) expect(plan).toMatch(/USING INDEX records_(hour_user|hour_op|hour_ip_search|subject_time) /);
      expect(plans.some((plan) => /records_hour_(user|op|ip_search) /.test(plan))).toBe(true);
    }
    // And the answers are the same as without the index hint.
    expect((await store.queryRecords({ ip: '10.0.0.1', order: 'asc' }, 100)).map((r) => r.createdAt)).toEqual(
      Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 3 === 1).map((i) => T + (i % 4) * HOUR + i).sort((x, y) => x - y),
    );
    expect(await store.countRecords({ ip: '10.0.0.1' })).toBe(13);
    const both = (await store.queryRecords({ ...day, userId: 'u1', events: [2002], order: 'asc' }, 100)).map((r) => r.createdAt);
    expect(both).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 2 === 1 && i % 3 === 0).map((i) => T + (i % 4) * HOUR + i).sort((x, y) => x - y));
    expect(await store.countRecords({ ...day, userId: 'u1', events: [2002] })).toBe(both.length);
    await store.close();
  });

  it('forgets what a rolled-back append wrote of a user\'s hours: the same user and hour appended again is found', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'hour-keys-rollback.sqlite') });
    const T = Date.UTC(2026, 0, 1) * 1000;
    const { hmacKey: _key, ...sealer } = testSealer();
    let calls = 0;
    const failing = { ...sealer, seal: (fields: Parameters<typeof sealer.seal>[0]) => (++calls === 2 ? (() => { throw new Error('boom'); })() : sealer.seal(fields)) };
    await expect(store.append([pendingRecord({ createdAt: T, userId: 'ruth', operationKey: 'op-r' }), pendingRecord({ createdAt: T })], failing)).rejects.toThrow();
    await store.append([pendingRecord({ createdAt: T + 1, userId: 'ruth', operationKey: 'op-r' })], sealer);
    expect(await store.countRecords({ userId: 'ruth' })).toBe(1);
    expect(await store.countRecords({ operationKey: 'op-r' })).toBe(1);
    await store.close();
  });

  it('serves the poll and the default list order from indexes, not by reading past records', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'plans.sqlite') });
    const plan = (sql: string) => (store.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan("SELECT * FROM records INDEXED BY records_poll WHERE log_id = 1 AND seq >= 5 AND (pollable IS NOT 0 AND (pollable = 1 OR event IN (SELECT value FROM json_each('[]')))) ORDER BY seq LIMIT 10")).toMatch(
      /SEARCH records USING INDEX records_poll \(log_id=\? AND seq>\?\)/,
    );
    expect(plan('SELECT * FROM records WHERE log_id = 1 ORDER BY seq DESC LIMIT 10 OFFSET 5')).toMatch(/SEARCH records USING INDEX records_log_seq \(log_id=\?\)/);
    await store.close();
  });

  it('searches text in slices: other work goes on meanwhile, and the slices add up to the whole answer', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'text-scan.sqlite') });
    const T = 1_800_000_000_000_000;
    const needles = [100, 9_000, 17_500, 17_501, 29_999];
    const records = Array.from({ length: 30_000 }, (_, i) =>
      pendingRecord({ createdAt: T + i * 1000, text: needles.includes(i) ? `found needle ${i}` : `hay ${i}` }),
    );
    for (let i = 0; i < records.length; i += 5000) await store.append(records.slice(i, i + 5000), testSealer());

    const order: string[] = [];
    const search = store.queryRecords({ q: 'needle' }, 3).then((rows) => {
      order.push('search');
      return rows;
    });
    setImmediate(() => void store.append([pendingRecord()], testSealer()).then(() => order.push('append')));
    const first = await search;
    expect(order).toEqual(['append', 'search']);
    expect(first.map((r) => r.text)).toEqual(['found needle 29999', 'found needle 17501', 'found needle 17500']);
    const last = first[2]!;
    const rest = await store.queryRecords({ q: 'needle' }, 3, { createdAt: last.createdAt, rid: last.rid });
    expect(rest.map((r) => r.text)).toEqual(['found needle 9000', 'found needle 100']);
    expect(await store.countRecords({ q: 'needle' })).toBe(5);
    // One record a millisecond: the needles at 0.1 s and 9 s, 17.5 s twice, and 29.999 s.
    expect(await store.histogram({ q: 'needle', from: T }, 10_000_000)).toEqual([
      { start: T, count: 2 },
      { start: T + 10_000_000, count: 2 },
      { start: T + 20_000_000, count: 1 },
    ]);
    await store.close();
  });

  it('draws a text search\'s histogram from its matches\' rids although a record of the range came long after its time', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'text-histogram-late.sqlite') });
    const MINUTE = 60_000_000;
    const T = Date.UTC(2026, 0, 1) * 1000;
    const at = (i: number): number => T + i * 1_000_000; // one a second over three hours
    // The first record stored carries a time of the range's last minute: that minute's rids are not one run.
    const late = pendingRecord({ createdAt: at(3 * 3600 - 30), text: 'late needle' });
    const records = Array.from({ length: 3 * 3600 }, (_, i) => pendingRecord({ createdAt: at(i), text: i % 2 === 0 ? `needle ${i}` : `hay ${i}` }));
    await store.append([late], testSealer());
    for (let i = 0; i < records.length; i += 3600) await store.append(records.slice(i, i + 3600), testSealer());
    await store.indexText();
    const width = 15 * MINUTE;
    const expected = new Map<number, number>();
    for (const r of [late, ...records]) {
      const start = T + Math.floor((r.createdAt - T) / width) * width;
      if (r.text!.includes('needle')) expected.set(start, (expected.get(start) ?? 0) + 1);
    }
    let buckets: Awaited<ReturnType<typeof store.histogram>> = [];
    const prepared = await preparedBy(store, async () => (buckets = await store.histogram({ q: 'needle', from: T, to: at(3 * 3600) }, width, T)));
    expect(buckets).toEqual([...expected].sort(([a], [b]) => a - b).map(([start, count]) => ({ start, count })));
    // Not by reading each of the 5,401 matches' time from the index.
    expect(prepared.filter((sql) => /FROM record_text WHERE .*GROUP BY b/.test(sql))).toEqual([]);
    await store.close();
  });

  it('draws a text search\'s histogram from its matches\' rids when busy minutes\' last batches were stored after the next minute\'s first', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'text-histogram-interleaved.sqlite') });
    const MINUTE = 60_000_000;
    const T = Date.UTC(2026, 0, 1) * 1000;
    // Minutes 1–3 hold 11,000 records each (too many to test one by one); each minute's last 1,000 are stored
    // interleaved with the next one's first 1,000, as two requests in flight leave them. Minute 0's one record and
    // minute 9's one are stored in the middle of minute 2's.
    const minute = (m: number, i: number) => pendingRecord({ createdAt: T + m * MINUTE + Math.floor((i * MINUTE) / 11_000), text: i % 3 === 0 ? `needle ${m}.${i}` : `hay ${m}.${i}` });
    const runs = [1, 2, 3].map((m) => Array.from({ length: 11_000 }, (_, i) => minute(m, i)));
    // Another tenant's three records of minute 5 are stored first.
    const ordered = [...[0, 1, 2].map((i) => pendingRecord({ tenantId: 'other', createdAt: T + 5 * MINUTE + i, text: `needle other ${i}` })), ...runs[0]!.slice(0, 10_000)];
    for (let k = 0; k < 2; k++) {
      for (let i = 0; i < 1000; i++) ordered.push(runs[k]![10_000 + i]!, runs[k + 1]![i]!);
      ordered.push(...runs[k + 1]!.slice(1000, 10_000));
      if (k === 0) ordered.splice(ordered.length - 5000, 0, pendingRecord({ createdAt: T + 7, text: 'needle early' }), pendingRecord({ createdAt: T + 9 * MINUTE, text: 'needle late' }));
    }
    ordered.push(...runs[2]!.slice(10_000));
    for (let i = 0; i < ordered.length; i += 5000) await store.append(ordered.slice(i, i + 5000), testSealer());
    await store.indexText();
    const expected = (from: number, to: number, width: number, origin: number, tenants?: (string | null)[]) => {
      const counts = new Map<number, number>();
      for (const r of ordered) {
        if (r.createdAt < from || r.createdAt >= to || !r.text!.includes('needle') || (tenants !== undefined && !tenants.includes(r.tenantId))) continue;
        const start = origin + Math.floor((r.createdAt - origin) / width) * width;
        counts.set(start, (counts.get(start) ?? 0) + 1);
      }
      return [...counts].sort(([a], [b]) => a - b).map(([start, count]) => ({ start, count }));
    };
    const PER_MATCH = /FROM record_text WHERE .*GROUP BY b/;
    // Of minutes 2 and 3's 7,334 matches, those whose time is read (by its rid, from the index).
    const cases: { from: number; to: number; width: number; lookups: number; tenants?: (string | null)[] }[] = [
      // Minute 1 is read whole (the smallest); minutes 2 and 3 hold all the rids of their spans: a match is counted by
      // its minute where one span covers it, by its time where the two overlap (666).
      { from: T, to: T + 10 * MINUTE, width: MINUTE, lookups: 666 },
      // One tenant's: its minutes are its records (the other tenant's lie outside their spans).
      { from: T, to: T + 10 * MINUTE, width: MINUTE, lookups: 666, tenants: [null] },
      { from: T, to: T + 10 * MINUTE, width: MINUTE, lookups: 0, tenants: ['other'] },
      // Minute 9 is outside the range, and its record lies among minute 2's: both minutes' matches (and its) by their time.
      { from: T, to: T + 4 * MINUTE, width: MINUTE, lookups: 7335 },
    ];
    for (const { from, to, width, lookups, tenants } of cases) {
      let buckets: Awaited<ReturnType<typeof store.histogram>> = [];
      let looked = 0;
      const db = store.database;
      const prepare = db.prepare.bind(db);
      const spy = (sql: string) => {
        const statement = prepare(sql);
        const get = statement.get.bind(statement);
        if (sql === 'SELECT created_at, log_id FROM record_text WHERE rowid = ?') statement.get = (...args: unknown[]) => (looked++, get(...args));
        return statement;
      };
      Object.defineProperty(db, 'prepare', { configurable: true, value: spy });
      let prepared: string[];
      try {
        prepared = await preparedBy(store, async () => (buckets = await store.histogram({ q: 'needle', from, to, ...(tenants && { tenants }) }, width, from)));
      } finally {
        Object.defineProperty(db, 'prepare', { configurable: true, value: prepare });
      }
      expect(buckets).toEqual(expected(from, to, width, from, tenants));
      expect(looked).toBe(lookups);
      // Not by reading each of the 18,337 matches' time from the index.
      expect(prepared.some((sql) => PER_MATCH.test(sql))).toBe(false);
      expect(await store.countRecords({ q: 'needle', from, to, ...(tenants && { tenants }) })).toBe(expected(from, to, to - from, from, tenants)[0]!.count);
    }
    // Open ranges (an API call with `from` alone, or none) take the same way.
    let open: [number, Awaited<ReturnType<typeof store.histogram>>] = [0, []];
    const prepared = await preparedBy(store, async () => (open = [await store.countRecords({ q: 'needle', from: T + MINUTE }), await store.histogram({ q: 'needle' }, MINUTE, T)]));
    expect(open[0]).toBe(expected(T + MINUTE, Infinity, 2 ** 62, T)[0]!.count);
    expect(open[1]).toEqual(expected(-Infinity, Infinity, MINUTE, T));
    expect(prepared.some((sql) => PER_MATCH.test(sql))).toBe(false);
    await store.close();
  });

  describe('a page of a common text', () => {
    const T = 1_800_000_000_000_000;
    const WALK = /^SELECT rid, created_at, text, entity_data /;
    const EVERY_MATCH = /rid IN \(SELECT rowid FROM record_text/;
    /** Every page of `filter`, 100 at a time, by cursor. */
    const allPages = async (store: SqliteJournalStore, filter: RecordFilter): Promise<string[]> => {
      const ids: string[] = [];
      let after: { createdAt: number; rid: number } | undefined;
      for (;;) {
        const page = await store.queryRecords(filter, 100, after);
        ids.push(...page.map((r) => r.id));
        if (page.length < 100) return ids;
        after = { createdAt: page[99]!.createdAt, rid: page[99]!.rid };
      }
    };

    it('walks the time index and tests each record, in both orders and by cursor: the records the index would give', async () => {
      const store = new SqliteJournalStore({ path: join(dir.path, 'text-dense.sqlite') });
      // Every one of the oldest 4,200 records holds "common", then one in 40 (a page from the newest walks several
      // slices); in text or only in entityData, in any case; in two tenants; some records come after the index's last.
      const holds = (i: number): boolean => i < 4200 || i % 40 === 0;
      const make = (i: number) =>
        pendingRecord({
          createdAt: T + i * 1000,
          tenantId: i % 3 === 0 ? 'b' : 'a',
          text: holds(i) && i % 2 === 0 ? `Common word ${i}` : `other ${i}`,
          entityData: holds(i) && i % 2 === 1 ? { note: `COMMON ${i}` } : { n: i },
        });
      const first = [];
      for (let i = 0; i < 14_000; i += 3500) first.push(...(await store.append(Array.from({ length: 3500 }, (_, j) => make(i + j)), testSealer())));
      await store.indexText();
      const later = await store.append(Array.from({ length: 300 }, (_, i) => make(14_000 + i)), testSealer());
      const all = [...first, ...later].map((r, i) => ({ id: r.id, at: T + i * 1000, tenant: i % 3 === 0 ? 'b' : 'a', holds: holds(i) }));
      const want = (tenant: string, order: 'asc' | 'desc', from = T, to = T + 15_000 * 1000) =>
        all
          .filter((r) => r.holds && r.tenant === tenant && r.at >= from && r.at < to)
          .sort((x, y) => (order === 'asc' ? x.at - y.at : y.at - x.at))
          .map((r) => r.id);
      for (const order of ['desc', 'asc'] as const) {
        const filter: RecordFilter = { q: 'common', tenants: ['a'], order };
        expect(await allPages(store, filter)).toEqual(want('a', order));
        // A page of a text with thousands of matches and a hundred ahead is walked: the matches are not all read.
        const sql = await preparedBy(store, () => store.queryRecords(filter, 100));
        expect(sql.some((s) => WALK.test(s))).toBe(true);
        expect(sql.some((s) => EVERY_MATCH.test(s))).toBe(false);
        // Within a time range too.
        const range = { from: T + 500 * 1000, to: T + 10_500 * 1000 };
        expect(await allPages(store, { ...filter, ...range })).toEqual(want('a', order, range.from, range.to));
      }
      await store.close();
    });

    it('reads through the index when the walk passes 20,000 records without filling the page (records far out of commit order)', async () => {
      const store = new SqliteJournalStore({ path: join(dir.path, 'text-dense-out-of-order.sqlite') });
      // The newest appends hold the word but carry the oldest times: a walk from the newest time finds none of them.
      const plain = Array.from({ length: 21_000 }, (_, i) => pendingRecord({ createdAt: T + (5000 + i) * 1000, text: `plain ${i}` }));
      for (let i = 0; i < plain.length; i += 7000) await store.append(plain.slice(i, i + 7000), testSealer());
      const late = await store.append(Array.from({ length: 4100 }, (_, i) => pendingRecord({ createdAt: T + i * 1000, text: `late needle ${i}` })), testSealer());
      await store.indexText();
      let page: Awaited<ReturnType<typeof store.queryRecords>> = [];
      const sql = await preparedBy(store, async () => (page = await store.queryRecords({ q: 'needle' }, 100)));
      expect(page.map((r) => r.id)).toEqual(late.slice(-100).reverse().map((r) => r.id));
      expect(sql.some((s) => WALK.test(s))).toBe(true);
      expect(sql.some((s) => EVERY_MATCH.test(s))).toBe(true);
      await store.close();
    });
  });

  it('makes a new journal with 16 KiB pages; one made with 4 KiB pages keeps them and works as before', async () => {
    const fresh = new SqliteJournalStore({ path: join(dir.path, 'pages-new.sqlite') });
    expect(fresh.database.pragma('page_size', { simple: true })).toBe(SQLITE_PAGE_SIZE);
    await fresh.close();
    // A journal of an earlier version: SQLite's default page size, records in it.
    const path = join(dir.path, 'pages-old.sqlite');
    const earlier = new Database(path);
    earlier.pragma('page_size = 4096');
    earlier.pragma('journal_mode = WAL');
    earlier.close();
    const a = new SqliteJournalStore({ path, writer: 'inline' });
    const [first] = await a.append([pendingRecord({ tenantId: 'pages', text: 'before the upgrade' })], testSealer());
    await a.close();
    const b = new SqliteJournalStore({ path });
    expect(b.database.pragma('page_size', { simple: true })).toBe(4096);
    const [second] = await b.append([pendingRecord({ tenantId: 'pages' })], testSealer());
    expect(second!.seq).toBe(1);
    expect((await b.queryRecords({ tenants: ['pages'], q: 'upgrade' }, 10)).map((r) => r.id)).toEqual([first!.id]);
    await b.close();
  });

  it('runs in WAL mode with full sync', async () => {
    const store = new SqliteJournalStore({ path: join(dir.path, 'wal.sqlite') });
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.database.pragma('synchronous', { simple: true })).toBe(2);
    await store.close();
  });

  it('reports a damaged database file as STORE_CORRUPT (503, Retry-After) telling the operator what to do', async () => {
    const path = join(dir.path, 'damaged.sqlite');
    const a = new SqliteJournalStore({ path });
    const records = Array.from({ length: 3000 }, (_, i) => pendingRecord({ entityData: { pad: 'x'.repeat(1000), n: i } }));
    await a.append(records, testSealer());
    await a.close(); // checkpoints the WAL into the file
    // Overwrite leaf pages of records in the middle of the table: the search reads them, a start's appends do not.
    const file = new Database(path, { readonly: true });
    const pageSize = file.pragma('page_size', { simple: true }) as number;
    const leaves = file.prepare("SELECT pageno FROM dbstat WHERE name = 'records' AND pagetype = 'leaf' ORDER BY pageno").pluck().all() as number[];
    file.close();
    const fd = openSync(path, 'r+');
    const middle = Math.floor(leaves.length / 2);
    for (const page of leaves.slice(middle - 3, middle + 3)) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);

    const t = await startTestServer({ store: new SqliteJournalStore({ path }) });
    const res = await t.request({ method: 'GET', url: '/api/v1/events?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=1000&q=xxx' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('60');
    expect(res.json()).toMatchObject({ code: 'STORE_CORRUPT' });
    expect(res.json().detail).toMatch(/database file is damaged.*restore it from a backup/);
    await t.close();
  });

  it('refuses to open a file that is no SQLite database with STORE_CORRUPT', () => {
    const path = join(dir.path, 'not-a-database.sqlite');
    writeFileSync(path, Buffer.alloc(8192, 0x42));
    let code: unknown;
    try {
      new SqliteJournalStore({ path });
    } catch (error) {
      code = (error as StoreError).code;
    }
    expect(code).toBe('STORE_CORRUPT');
  });

  it('reports a database it cannot open as a StoreError', () => {
    const file = join(dir.path, 'not-a-dir');
    writeFileSync(file, 'x');
    expect(() => new SqliteJournalStore({ path: join(file, 'x.sqlite') })).toThrow(StoreError);
  });
});
