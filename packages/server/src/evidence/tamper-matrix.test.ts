/**
 * The tamper matrix (DESIGN.md §4) against the real stores: an insider with database access drops the
 * append-only triggers and edits rows; `GET /logs/{tenant}/verify` and an exported bundle must each tell, with
 * the first bad seq, and a clean log must give no false alarm (also after a PostgreSQL round trip).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CompactRange,
  createEd25519Signer,
  formatCheckpoint,
  generateEd25519Key,
  parseCheckpoint,
  signNote,
} from '@tamga/core';
import type { VerificationReport } from '@tamga/core';
import type { JournalStore } from '../journal/journal-store.js';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { randomSuffix, tempDir } from '../test-support/fixtures.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../test-support/postgres.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { verifyExport } from '../test-support/verify-export.js';

const PG_URL = await findTestDatabase();

/** Raw SQL the way an insider runs it, `?` placeholders for both databases. */
interface Insider {
  run(sql: string, params?: unknown[]): Promise<void>;
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  dropTriggers(): Promise<void>;
}

function insiderOf(store: JournalStore): Insider {
  if (store instanceof SqliteJournalStore) {
    const db = store.database;
    return {
      run: async (sql, params = []) => void db.prepare(sql).run(...params),
      rows: async <T>(sql: string, params: unknown[] = []) => db.prepare(sql).all(...params) as T[],
      dropTriggers: async () => {
        const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[];
        for (const { name } of names) db.exec(`DROP TRIGGER ${name}`);
      },
    };
  }
  const pool = (store as PostgresJournalStore).pool;
  const numbered = (sql: string): string => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    run: async (sql, params = []) => void (await pool.query(numbered(sql), params)),
    rows: async <T>(sql: string, params: unknown[] = []) => (await pool.query(numbered(sql), params)).rows as T[],
    dropTriggers: async () => {
      // The text indexes are built CONCURRENTLY after the start: an ALTER TABLE meanwhile deadlocks with that build.
      await (store as PostgresJournalStore).indexText();
      for (const t of ['records', 'checkpoints', 'merkle_nodes']) await pool.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    },
  };
}

interface Backend {
  readonly name: string;
  open(): Promise<JournalStore>;
  drop(store: JournalStore): Promise<void>;
}

const files = tempDir();
const backends: Backend[] = [
  {
    name: 'SQLite',
    open: async () => new SqliteJournalStore({ path: join(files.path, `tamper-${randomSuffix()}.sqlite`) }),
    drop: async () => undefined,
  },
];
if (PG_URL !== undefined) {
  backends.push({
    name: 'PostgreSQL',
    open: () => PostgresJournalStore.connect({ url: PG_URL, schema: testSchemaName('tamga_tamper') }),
    drop: async (store) => (store as PostgresJournalStore).dropSchema(),
  });
} else {
  reportMissingPostgres('the PostgreSQL tamper matrix');
}
afterAll(() => files.remove());

const TENANT = 'acme';
const N = 30;

async function waitForCheckpoint(t: TestServer, size: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const res = await t.request({ method: 'GET', url: `/api/v1/logs/${TENANT}/checkpoint` });
    if (res.statusCode === 200 && Number(res.body.split('\n')[1]) >= size) return res.body;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no checkpoint of size ${size}`);
}

/** Waits until every log has a signed checkpoint of its current size. */
async function waitForAllSigned(t: TestServer): Promise<void> {
  const store = t.server.journal.store;
  for (let i = 0; i < 200; i++) {
    const logs = await store.listLogs();
    const signed = await Promise.all(logs.map(async (l) => (await store.latestCheckpoint(l.logId))?.size === l.size));
    if (signed.every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the logs were not all signed');
}

async function append(t: TestServer, count: number, offset = 0): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({
    event: 2001,
    tenantId: TENANT,
    userId: `user${offset + i}`,
    entityData: { login: `user${offset + i}`, n: offset + i },
    text: `event ${offset + i}`,
  }));
  const res = await t.request({ method: 'POST', url: '/api/v1/events', payload: events });
  expect(res.statusCode).toBe(201);
}

/** `GET /verify` over the whole log. */
async function verifyApi(t: TestServer): Promise<VerificationReport> {
  const res = await t.request({ method: 'GET', url: `/api/v1/logs/${TENANT}/verify?from=0&to=1000000` });
  expect(res.statusCode).toBe(200);
  return res.json();
}

for (const backend of backends) {
  describe(`tamper matrix on ${backend.name}`, () => {
    /** A server with N records in tenant acme, checkpointed, and the insider's handle on its database. */
    async function setUp(env: Record<string, string> = {}): Promise<{ t: TestServer; db: Insider; logId: number; close: () => Promise<void> }> {
      const store = await backend.open();
      const t = await startTestServer({ store, env });
      await append(t, N);
      await waitForCheckpoint(t, N);
      const db = insiderOf(store);
      const logId = (await store.getLog(TENANT))!.logId;
      await db.dropTriggers();
      return {
        t,
        db,
        logId,
        close: async () => {
          await backend.drop(store);
          await t.close();
        },
      };
    }

    it('a clean log gives no false alarm, over the API and in a bundle', async () => {
      const { t, close } = await setUp();
      expect(await verifyApi(t)).toMatchObject({ status: 'valid', checked: N, firstBadSeq: null, problems: [] });
      expect(await verifyExport(t, TENANT)).toMatchObject({ status: 'valid', checked: N, firstBadSeq: null });
      await close();
    });

    it('with maxAge checks only what was not found valid lately, and forgets that once a check finds a problem', async () => {
      const { t, db, logId, close } = await setUp();
      const ask = async (maxAge: string): Promise<VerificationReport & { verifiedAt: string }> => {
        const res = await t.request({ method: 'GET', url: `/api/v1/logs/${TENANT}/verify?from=0&to=1000000&maxAge=${maxAge}` });
        expect(res.statusCode, res.body).toBe(200);
        return res.json();
      };
      const first = await ask('300');
      expect(first).toMatchObject({ status: 'valid', checked: N });
      await new Promise((r) => setTimeout(r, 20));
      await append(t, 10, N);
      await waitForCheckpoint(t, N + 10);
      // Only the 10 new records are checked now: the answer is as old as the check of the first N.
      expect(await ask('300')).toMatchObject({ status: 'valid', checked: N + 10, verifiedAt: first.verifiedAt });
      await db.run(`UPDATE records SET entity_data = ? WHERE log_id = ? AND seq = 7`, ['{"login":"mallory","n":7}', logId]);
      // Within maxAge the earlier answer stands (that is what maxAge asks for); a check now finds the edit...
      expect(await ask('300')).toMatchObject({ status: 'valid', verifiedAt: first.verifiedAt });
      expect(await ask('0')).toMatchObject({ status: 'tampered', firstBadSeq: 7 });
      // ...and from then on no earlier answer covers it.
      expect(await ask('300')).toMatchObject({ status: 'tampered', firstBadSeq: 7 });
      const bad = await t.request({ method: 'GET', url: `/api/v1/logs/${TENANT}/verify?maxAge=7200` });
      expect([bad.statusCode, bad.json().field]).toEqual([400, 'maxAge']);
      await close();
    });

    it('edit of a payload column: tampered at its seq (payload-mismatch) in both', async () => {
      const { t, db, logId, close } = await setUp();
      await db.run(`UPDATE records SET entity_data = ? WHERE log_id = ? AND seq = 7`, ['{"login":"mallory","n":7}', logId]);
      expect(await verifyApi(t)).toMatchObject({ status: 'tampered', firstBadSeq: 7, problems: [{ code: 'RECORD_TAMPERED', reason: 'payload-mismatch' }] });
      expect(await verifyExport(t, TENANT)).toMatchObject({ status: 'tampered', firstBadSeq: 7 });
      await close();
    });

    it('edit of a signed column outside the payload: tampered over the API; the bundle carries the signed original', async () => {
      const { t, db, logId, close } = await setUp();
      await db.run(`UPDATE records SET user_id = ? WHERE log_id = ? AND seq = 11`, ['mallory', logId]);
      expect(await verifyApi(t)).toMatchObject({ status: 'tampered', firstBadSeq: 11, problems: [{ reason: 'columns-mismatch' }] });
      // Listed as tampered. (Found by time, not by the forged name: SQLite looks for a user in the hours its appends
      // recorded for that name, decision 0055.)
      const read = await t.request({ method: 'GET', url: `/api/v1/events?tenantId=${TENANT}&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=1000` });
      const items = read.json().items as { userId: string | null; integrity: string; validSignature: boolean }[];
      expect(items.filter((item) => item.userId === 'mallory')).toEqual([expect.objectContaining({ integrity: 'tampered', validSignature: false })]);
      expect(items.filter((item) => item.integrity !== 'valid')).toHaveLength(1);
      expect((await verifyExport(t, TENANT)).status).toBe('valid');
      await close();
    });

    it('edit of the canonical bytes: tampered at its seq (leaf-mismatch)', async () => {
      const { t, db, logId, close } = await setUp();
      const [row] = await db.rows<{ canonical: Buffer }>('SELECT canonical FROM records WHERE log_id = ? AND seq = 9', [logId]);
      const edited = Buffer.from(row!.canonical.toString('utf8').replace('"user9"', '"userX"'));
      await db.run('UPDATE records SET canonical = ? WHERE log_id = ? AND seq = 9', [edited, logId]);
      expect(await verifyApi(t)).toMatchObject({ status: 'tampered', firstBadSeq: 9, problems: [{ reason: 'leaf-mismatch' }] });
      expect(await verifyExport(t, TENANT)).toMatchObject({ status: 'tampered', firstBadSeq: 9 });
      await close();
    });

    it('delete of a record in the middle: gap at its seq', async () => {
      const { t, db, logId, close } = await setUp();
      await db.run('DELETE FROM records WHERE log_id = ? AND seq = 13', [logId]);
      expect(await verifyApi(t)).toMatchObject({ status: 'tampered', firstBadSeq: 13, problems: [{ code: 'LOG_INCONSISTENT', reason: 'gap' }] });
      expect(await verifyExport(t, TENANT)).toMatchObject({ status: 'tampered', firstBadSeq: 13 });
      await close();
    });

    it('a view over several logs names the broken log with its first bad seq and the check that failed', async () => {
      const { t, db, logId, close } = await setUp();
      const other = await t.request({
        method: 'POST',
        url: '/api/v1/events',
        payload: [
          { event: 2001, tenantId: 'globex', userId: 'g' },
          { event: 2001, userId: 'd' },
        ],
      });
      expect(other.statusCode).toBe(201);
      await waitForAllSigned(t);
      await db.run('DELETE FROM records WHERE log_id = ? AND seq IN (13, 14)', [logId]);
      await db.run(`UPDATE records SET entity_data = ? WHERE log_id = ? AND seq = 20`, ['{"login":"mallory","n":20}', logId]);
      const view = async (query: string): Promise<{ status: string; logs: { tenant: string; coverage: string; range: { from: number; to: number }; verification: VerificationReport | null }[] }> => {
        const res = await t.request({ method: 'GET', url: `/api/v1/logs/verify?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&${query}` });
        expect(res.statusCode, res.body).toBe(200);
        return res.json();
      };
      const all = await view('not.tenantId=tamga');
      expect(all.status).toBe('tampered');
      expect(all.logs.map((l) => [l.tenant, l.coverage, l.verification?.status])).toEqual([
        ['default', 'verified', 'valid'],
        ['acme', 'verified', 'tampered'],
        ['globex', 'verified', 'valid'],
      ]);
      const acme = all.logs[1]!.verification!;
      expect(acme).toMatchObject({ firstBadSeq: 13, range: { from: 0, to: N } });
      expect(acme.problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ code: 'LOG_INCONSISTENT', reason: 'gap', seq: 13, lastSeq: 14 }),
          expect.objectContaining({ code: 'RECORD_TAMPERED', reason: 'payload-mismatch', seq: 20 }),
        ]),
      );
      // The filter's tenants narrow the view; a log without records in the range is not listed.
      expect((await view('tenantId=globex,default')).logs.map((l) => l.tenant)).toEqual(['default', 'globex']);
      const none = await t.request({ method: 'GET', url: '/api/v1/logs/verify?from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z' });
      expect(none.json()).toEqual({ status: 'valid', logs: [], purged: [] });
      await close();
    });

    it('swap of two records: tampered at the first of them', async () => {
      const { t, db, logId, close } = await setUp();
      await db.run('UPDATE records SET seq = -1 WHERE log_id = ? AND seq = 5', [logId]);
      await db.run('UPDATE records SET seq = 5 WHERE log_id = ? AND seq = 6', [logId]);
      await db.run('UPDATE records SET seq = 6 WHERE log_id = ? AND seq = -1', [logId]);
      const api = await verifyApi(t);
      expect(api).toMatchObject({ status: 'tampered', firstBadSeq: 5 });
      expect(api.problems.map((p) => [p.seq, p.reason])).toEqual([
        [5, 'seq-mismatch'],
        [6, 'seq-mismatch'],
        [5, 'root-mismatch'],
      ]);
      expect(await verifyExport(t, TENANT)).toMatchObject({ status: 'tampered', firstBadSeq: 5 });
      await close();
    });

    it('a forged record with a valid HMAC put in place of one: the roots tell', async () => {
      const { t, db, logId, close } = await setUp();
      // The insider holds the HMAC key and re-seals record 4 with other content, leaf hash included.
      const [row] = await db.rows<{ canonical: Buffer }>('SELECT canonical FROM records WHERE log_id = ? AND seq = 4', [logId]);
      const { hashLeaf } = await import('@tamga/core');
      const forged = Buffer.from(row!.canonical.toString('utf8').replace('"user4"', '"admin"'));
      await db.run('UPDATE records SET canonical = ?, leaf_hash = ?, user_id = ? WHERE log_id = ? AND seq = 4', [forged, hashLeaf(forged), 'admin', logId]);
      const api = await verifyApi(t);
      expect(api.status).toBe('tampered');
      expect(api.problems.map((p) => p.code)).toContain('LOG_INCONSISTENT');
      expect(api.firstBadSeq).toBeLessThanOrEqual(4);
      expect((await verifyExport(t, TENANT)).status).toBe('tampered');
      await close();
    });

    it('truncated tail: first missing seq', async () => {
      const { t, db, logId, close } = await setUp();
      await db.run('DELETE FROM records WHERE log_id = ? AND seq >= 25', [logId]);
      expect(await verifyApi(t)).toMatchObject({ status: 'tampered', firstBadSeq: 25, problems: [{ reason: 'truncated' }] });
      expect(await verifyExport(t, TENANT)).toMatchObject({ status: 'tampered', firstBadSeq: 25 });
      await close();
    });

    it('roll back to an older state after a checkpoint was saved: rollback, also seen by the self-check', async () => {
      const dir = tempDir();
      const { t, db, logId, close } = await setUp({ TAMGA_CHECKPOINT_DIR: dir.path, TAMGA_SELF_CHECK_SECONDS: '0' });
      const saved = await waitForCheckpoint(t, N);
      await new Promise((r) => setTimeout(r, 100)); // the publication of the checkpoint to the directory
      const before = await t.server.journal.store.listCheckpoints(logId, 0, N);
      const older = before[0]!; // the checkpoint of the first append, size N
      // The insider rewinds to 20 records: drops the rest, rewrites the head and the checkpoints.
      const leaves = (await db.rows<{ leaf_hash: Buffer }>('SELECT leaf_hash FROM records WHERE log_id = ? AND seq < 20 ORDER BY seq', [logId])).map((r) => r.leaf_hash);
      const range = CompactRange.empty();
      for (const leaf of leaves) range.append(leaf);
      await db.run('DELETE FROM records WHERE log_id = ? AND seq >= 20', [logId]);
      await db.run('DELETE FROM checkpoints WHERE log_id = ?', [logId]);
      await db.run('UPDATE logs SET size = ?, root_hash = ?, frontier = ? WHERE log_id = ?', [20, range.root(), range.toBytes(), logId]);
      expect(older.size).toBe(N);
      // The signing node re-signs the rewound head (it holds the key): internally the log is consistent again.
      await t.server.checkpointer.signPending();
      expect(await verifyApi(t)).toMatchObject({ status: 'valid', checked: 20 });
      // Against the checkpoint saved earlier, the bundle shows the rollback.
      expect(await verifyExport(t, TENANT, saved)).toMatchObject({ status: 'tampered', firstBadSeq: 20, problems: [{ code: 'LOG_INCONSISTENT', reason: 'rollback' }] });
      // The self-check compares with the checkpoints published outside the database and raises an incident.
      const findings = await t.server.evidence.selfCheck.runOnce();
      expect(findings.map((f) => f.reason)).toContain('rollback');
      const incidents = await t.request({ method: 'GET', url: '/api/v1/events?tenantId=tamga&event=32002&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z' });
      expect(incidents.json().items[0]).toMatchObject({ event: 32002, classifiedEvent: 3 });
      await close();
      dir.remove();
    });

    it('a checkpoint re-signed with a foreign key: KEY_UNKNOWN', async () => {
      const { t, db, logId, close } = await setUp();
      const [cp] = await db.rows<{ note: string; size: number }>('SELECT note, size FROM checkpoints WHERE log_id = ? ORDER BY size DESC', [logId]);
      const body = parseCheckpoint(cp!.note.slice(0, cp!.note.lastIndexOf('\n\n') + 1));
      const name = cp!.note.split('\n— ')[1]!.split(' ')[0]!;
      const foreign = signNote(formatCheckpoint(body), [createEd25519Signer(name, generateEd25519Key().seed)]);
      await db.run('UPDATE checkpoints SET note = ? WHERE log_id = ? AND size = ?', [foreign, logId, cp!.size]);
      const api = await verifyApi(t);
      expect(api.status).toBe('tampered');
      expect(api.problems[0]).toMatchObject({ code: 'KEY_UNKNOWN' });
      expect((await verifyExport(t, TENANT)).problems[0]).toMatchObject({ code: 'KEY_UNKNOWN' });
      await close();
    });

    it('an erased payload: redacted, never tampered', async () => {
      const { t, close } = await setUp();
      const list = await t.request({ method: 'GET', url: `/api/v1/events?tenantId=${TENANT}&userId=user3&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z` });
      const id = list.json().items[0].id as string;
      const erase = await t.request({ method: 'POST', url: `/api/v1/events/${id}/erase`, payload: { reason: 'GDPR art. 17 request #12' } });
      expect(erase.json()).toMatchObject({ erased: 1 });
      const read = await t.request({ method: 'GET', url: `/api/v1/events/${id}` });
      expect(read.json()).toMatchObject({ integrity: 'redacted', validSignature: true, entityData: null, text: null });
      expect(await verifyApi(t)).toMatchObject({ status: 'valid', counts: { redacted: 1 }, records: [{ seq: 3, status: 'redacted' }] });
      expect(await verifyExport(t, TENANT)).toMatchObject({ status: 'valid', counts: { redacted: 1 } });
      await close();
    });
  });
}
