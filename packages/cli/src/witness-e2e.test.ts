/**
 * Issue #14 §3, "Done when": two `tamga witness` processes and a `tamga serve` process, on SQLite and on PostgreSQL.
 * Checkpoints are cosigned by both witnesses, served with their cosignatures and exported in bundles that
 * `tamga verify --witness … --min-witnesses 2` accepts. Then an insider rewrites history in the database (a record
 * changed, its leaf hash and the log head recomputed so the tree looks whole) and the next checkpoint is refused by
 * both witnesses (422): the log journals WitnessRefusedCheckpoint (32040, class 3) per witness and its status says
 * so, and neither witness moves past the size it cosigned. Runs the compiled CLI: `npm run build` first.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { CompactRange, parseWitnessKey, verifyCosignatures, witnessKeyFromSeed } from '@tamga/core';
import { KeyRing } from '@tamga/server';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../../server/src/test-support/postgres.js';
import { SERVE_API_KEY, startServeProcess, TAMGA_BIN } from './test-support/serve-process.js';
import type { ServeProcess } from './test-support/serve-process.js';

const PG_URL = await findTestDatabase();
const work = mkdtempSync(join(tmpdir(), 'tamga-witness-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface WitnessProcess {
  readonly url: string;
  readonly key: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `tamga witness` on a free port and reads its URL and verifier key from what it prints. */
function startWitness(args: string[]): Promise<WitnessProcess> {
  const child = spawn(process.execPath, [TAMGA_BIN, 'witness', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    void exited.then(() => reject(new Error(`tamga witness exited: ${err}`)));
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const key = /verifier key: (\S+)/.exec(out)?.[1];
      if (url === undefined || key === undefined) return;
      resolve({
        url,
        key,
        child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/** Runs a `tamga` command to its end. */
function runTamga(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [TAMGA_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

interface LogStatus {
  size: number;
  checkpointSize: number;
  witnessed: boolean;
  refused: boolean;
  witnesses: { key: string; state: string; cosignedSize: number; lastSize?: number; message?: string }[];
}

async function waitForStatus(serve: ServeProcess, ok: (s: LogStatus) => boolean): Promise<LogStatus> {
  let last: LogStatus | undefined;
  for (let i = 0; i < 150; i++) {
    last = (await serve.request('GET', '/api/v1/logs/acme/status')).json as LogStatus;
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`log status never matched: ${JSON.stringify(last)}`);
}

/** An insider's SQL on the stopped server's database, `?` placeholders for both. */
interface Insider {
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<void>;
  close(): Promise<void>;
}

async function openInsider(backend: 'SQLite' | 'PostgreSQL', dataDir: string, schema: string): Promise<Insider> {
  if (backend === 'SQLite') {
    const db = new Database(join(dataDir, 'tamga.sqlite'));
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${name}`);
    return {
      rows: async <T>(sql: string, params: unknown[] = []) => db.prepare(sql).all(...params) as T[],
      run: async (sql, params = []) => void db.prepare(sql).run(...params),
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`SET search_path TO ${schema}`);
  await client.query('ALTER TABLE records DISABLE TRIGGER USER');
  const numbered = (sql: string): string => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    rows: async <T>(sql: string, params: unknown[] = []) => (await client.query(numbered(sql), params)).rows as T[],
    run: async (sql, params = []) => void (await client.query(numbered(sql), params)),
    close: async () => {
      await client.query('ALTER TABLE records ENABLE TRIGGER USER');
      await client.end();
    },
  };
}

const backends: ('SQLite' | 'PostgreSQL')[] = ['SQLite'];
if (PG_URL !== undefined) backends.push('PostgreSQL');
else reportMissingPostgres('the PostgreSQL witness e2e test');

describe.each(backends)('witnesses of a Tamga log on %s', (backend) => {
  it('cosign its checkpoints, and both refuse the checkpoint after history is rewritten', async () => {
    const dir = mkdtempSync(join(work, `${backend}-`));
    const schema = testSchemaName('tamga_witness');
    const keysDir = join(dir, 'keys');
    // The operator gives the auditors the log's checkpoint key (as published at /.well-known/tamga-keys).
    const logKey = KeyRing.openOrCreate(keysDir).publicKeys().checkpointKeys[0]!.verifierKey;
    const witnesses = await Promise.all(
      ['one', 'two'].map((n) => startWitness(['--data-dir', join(dir, `witness-${n}`), '--name', `witness-${n}.auditor.example`, '--log', `tamga/*=${logKey}`])),
    );
    const env: Record<string, string> = {
      TAMGA_DATA_DIR: join(dir, 'data'),
      TAMGA_KEYS_DIR: keysDir,
      TAMGA_WITNESS_FILE: join(dir, 'witnesses.json'),
      ...(backend === 'PostgreSQL' && { TAMGA_DATABASE_URL: PG_URL!, TAMGA_DATABASE_SCHEMA: schema }),
    };
    writeFileSync(env.TAMGA_WITNESS_FILE!, JSON.stringify({ witnesses: witnesses.map((w) => ({ url: w.url, key: w.key })) }));
    let serve = await startServeProcess(env);
    try {
      const events = Array.from({ length: 20 }, (_, i) => ({ event: 2001, tenantId: 'acme', userId: `user${i}`, text: `login ${i}` }));
      expect((await serve.request('POST', '/api/v1/events', events)).status).toBe(201);
      const cosigned = await waitForStatus(serve, (s) => s.witnesses.every((w) => w.cosignedSize === 20));
      expect(cosigned).toMatchObject({ witnessed: true, refused: false });

      // The served checkpoint carries both cosignatures, here and in the tlog-tiles layout.
      const note = (await serve.request('GET', '/api/v1/logs/acme/checkpoint')).text;
      const witnessKeys = witnesses.map((w) => parseWitnessKey(w.key));
      expect(verifyCosignatures(note, witnessKeys).map((c) => c.name).sort()).toEqual(['witness-one.auditor.example', 'witness-two.auditor.example']);
      expect((await serve.request('GET', '/tlog/acme/checkpoint')).text).toBe(note);

      // An exported bundle carries them; tamga verify requires them.
      const bundle = join(dir, 'bundle');
      const exported = await runTamga(['export', '--url', serve.url, '--api-key', SERVE_API_KEY, '--tenant', 'acme', '--out', bundle]);
      expect(exported.code, exported.stderr).toBe(0);
      const witnessArgs = witnesses.flatMap((w) => ['--witness', w.key]);
      const verified = await runTamga(['verify', bundle, ...witnessArgs, '--min-witnesses', '2']);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stdout).toContain('WITNESSED: checkpoint 20 is cosigned by 2 of the 2 given witnesses');
      const stranger = witnessKeyFromSeed('stranger.example', Buffer.alloc(32, 9)).text;
      const unwitnessed = await runTamga(['verify', bundle, ...witnessArgs, '--witness', stranger, '--min-witnesses', '3']);
      expect(unwitnessed.code).toBe(3);
      expect(unwitnessed.stdout).toContain('NOT WITNESSED: no checkpoint covering the bundle');

      // The insider: server stopped, record 3 rewritten, its leaf and the log head recomputed over the whole log.
      expect(await serve.stop()).toBe(0);
      const insider = await openInsider(backend, env.TAMGA_DATA_DIR!, schema);
      const [log] = await insider.rows<{ log_id: number; size: number }>("SELECT log_id, size FROM logs WHERE tenant_key = 'acme'");
      const records = await insider.rows<{ seq: number; canonical: Buffer }>('SELECT seq, canonical FROM records WHERE log_id = ? ORDER BY seq', [log!.log_id]);
      const forged = Buffer.from(records[3]!.canonical.toString('utf8').replace('"user3"', '"mallory"'));
      const leafOf = (bytes: Buffer): Buffer => createHash('sha256').update(Buffer.from([0])).update(bytes).digest();
      await insider.run('UPDATE records SET canonical = ?, leaf_hash = ?, user_id = ? WHERE log_id = ? AND seq = 3', [forged, leafOf(forged), 'mallory', log!.log_id]);
      const range = CompactRange.empty();
      for (const r of records) range.append(leafOf(r.seq === 3 ? forged : r.canonical));
      await insider.run('UPDATE logs SET root_hash = ?, frontier = ? WHERE log_id = ?', [range.root(), range.toBytes(), log!.log_id]);
      await insider.close();

      serve = await startServeProcess(env);
      expect((await serve.request('POST', '/api/v1/events', [{ event: 2001, tenantId: 'acme', userId: 'after' }])).status).toBe(201);
      const refused = await waitForStatus(serve, (s) => s.checkpointSize === 21 && s.witnesses.every((w) => w.state === 'refused'));
      expect(refused).toMatchObject({ refused: true, witnessed: false });
      expect(refused.witnesses.map((w) => w.cosignedSize)).toEqual([20, 20]);
      expect(refused.witnesses[0]!.message).toContain('not consistent with size 20');

      // A later checkpoint of the rewritten log is refused too, and is no new incident.
      expect((await serve.request('POST', '/api/v1/events', [{ event: 2001, tenantId: 'acme', userId: 'later' }])).status).toBe(201);
      await waitForStatus(serve, (s) => s.checkpointSize === 22 && s.witnesses.every((w) => w.state === 'refused' && w.lastSize === 22));
      // The journal says so: one class-3 WitnessRefusedCheckpoint per witness, in the system tenant.
      const incidents = (await serve.request('GET', '/api/v1/events?tenantId=tamga&event=32040&from=2000-01-01T00:00:00Z')).json as {
        items: { event: number; classifiedEvent: number; entityData: { witness: string; size: number; witnessedSize: number } }[];
      };
      expect(incidents.items, serve.stderr()).toHaveLength(2);
      for (const item of incidents.items) expect(item).toMatchObject({ event: 32040, classifiedEvent: 3, entityData: { size: 21, witnessedSize: 20 } });
      expect(incidents.items.map((i) => i.entityData.witness).sort()).toEqual(witnesses.map((w) => w.key).sort());
      // The served checkpoint of size 22 carries no cosignature; the witnesses still hold size 20.
      expect(verifyCosignatures((await serve.request('GET', '/api/v1/logs/acme/checkpoint')).text, witnessKeys)).toEqual([]);
      for (const n of ['one', 'two']) {
        const logs = join(dir, `witness-${n}`, 'logs');
        const states = readdirSync(logs).map((f) => JSON.parse(readFileSync(join(logs, f), 'utf8')) as { origin: string; size: number });
        expect(states.find((s) => s.origin === 'tamga/acme')).toMatchObject({ size: 20 });
      }
    } finally {
      await serve.stop();
      await Promise.all(witnesses.map((w) => w.stop()));
      if (backend === 'PostgreSQL') {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    }
  }, 180_000);
});
