/**
 * Evidence as a new user meets it, through the CLI commands: export a tenant's log, verify it offline, tamper
 * with the files, rotate both keys, erase a payload, verify a receipt alone.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEd25519Signer, formatCheckpoint, generateEd25519Key, parseCheckpoint, signNote } from '@tamga/core';
import { startTestServer, TEST_API_KEY } from '../../../server/src/test-support/test-server.js';
import type { TestServer } from '../../../server/src/test-support/test-server.js';
import { exportBundle } from '../commands/export.js';
import { keys } from '../commands/keys.js';
import { verify } from '../commands/verify.js';
import { verifyReceipt } from '../commands/verify-receipt.js';
import { loadHmacKeys } from './bundle-files.js';
import { verifyBundleDir } from './verify-bundle-dir.js';

interface Sink extends NodeJS.WritableStream {
  text: string;
}
function sink(): Sink {
  const s = {
    text: '',
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as Sink;
}

const work = mkdtempSync(join(tmpdir(), 'tamga-evidence-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { TAMGA_CHECKPOINT_DIR: join(work, 'published') } });
});
afterAll(async () => t.close());

/** fetch over the in-process server (`inject`), as `tamga export` calls it. */
const fetchImpl = (async (url: string, init?: RequestInit) => {
  const u = new URL(url);
  const r = await t.server.http.inject({ method: 'GET', url: u.pathname + u.search, headers: init?.headers as Record<string, string> });
  return new Response(r.rawPayload, { status: r.statusCode, headers: r.headers as Record<string, string> });
}) as typeof fetch;

async function append(count: number, from = 0): Promise<string[]> {
  const events = Array.from({ length: count }, (_, i) => ({ event: 2001, tenantId: 'acme', userId: `user${from + i}`, entityData: { n: from + i }, text: `login ${from + i}` }));
  const res = await t.request({ method: 'POST', url: '/api/v1/events', payload: events });
  expect(res.statusCode).toBe(201);
  return (res.json().items as { id: string }[]).map((i) => i.id);
}

async function settle(size: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await t.request({ method: 'GET', url: '/api/v1/logs/acme/checkpoint' });
    if (res.statusCode === 200 && Number(res.body.split('\n')[1]) >= size) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no checkpoint');
}

async function exportTo(name: string, extra: string[] = []): Promise<string> {
  const dir = join(work, name);
  const out = sink();
  expect(await exportBundle(['--url', 'http://tamga.test', '--api-key', TEST_API_KEY, '--tenant', 'acme', '--out', dir, ...extra], out, fetchImpl)).toBe(0);
  return dir;
}

async function runVerify(args: string[]): Promise<{ code: number; report: { status: string; firstBadSeq: number | null; problems: { reason: string; code: string }[]; counts: Record<string, number>; records: { seq: number; status: string }[] } }> {
  const out = sink();
  const code = await verify([...args, '--json'], out);
  return { code, report: JSON.parse(out.text) };
}

/** A copy of a bundle with `records.ndjson` edited line by line. */
function tamperedCopy(dir: string, name: string, edit: (lines: string[]) => string[]): string {
  const copy = join(work, name);
  cpSync(dir, copy, { recursive: true });
  const path = join(copy, 'records.ndjson');
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  writeFileSync(path, edit(lines).map((l) => `${l}\n`).join(''));
  return copy;
}

describe('tamga export + tamga verify', () => {
  let bundle: string;
  let ids: string[];
  beforeAll(async () => {
    ids = await append(40);
    await settle(40);
    bundle = await exportTo('first');
  });

  it('writes the four files and verifies offline with exit 0, HMAC included', async () => {
    expect(readdirSync(bundle).sort()).toEqual(['checkpoints.ndjson', 'keys.json', 'manifest.json', 'records.ndjson']);
    const { code, report } = await runVerify([bundle, '--hmac-key', join(t.dataDir, 'keys'), '--save-checkpoint', join(work, 'saved.note')]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ status: 'valid', firstBadSeq: null, counts: { valid: 40 } });
    expect(readFileSync(join(work, 'saved.note'), 'utf8')).toContain('tamga/acme\n40\n');
  });

  it('journals the export as JournalExported (32000)', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/events?tenantId=tamga&event=32000&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z' });
    expect(res.json().items[0].entityData).toMatchObject({ tenant: 'acme', from: 0, to: 40 });
  });

  it('exports a seq range [from, to) and verifies it through the manifest frontier', async () => {
    const dir = await exportTo('range', ['--from', '13', '--to', '31']);
    const { code, report } = await runVerify([dir]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ status: 'valid', counts: { valid: 18 } });
  });

  it.each([
    ['one changed byte of the canonical bytes', 17, (l: string[]) => l.map((x, i) => (i === 17 ? x.replace(/"canonical":"(.)/, (_m, c: string) => `"canonical":"${c === 'e' ? 'f' : 'e'}`) : x))],
    ['one changed byte of the payload', 21, (l: string[]) => l.map((x, i) => (i === 21 ? x.replace('login 21', 'login 2l') : x))],
    ['one deleted line', 8, (l: string[]) => l.filter((_x, i) => i !== 8)],
    ['two swapped lines', 30, (l: string[]) => l.map((x, i) => (i === 30 ? l[31]! : i === 31 ? l[30]! : x))],
    ['a cut tail', 35, (l: string[]) => l.slice(0, 35)],
    ['an inserted (repeated) line, naming the repeated seq', 11, (l: string[]) => [...l.slice(0, 12), l[11]!, ...l.slice(12)]],
  ])('exits 1 and names the first bad seq for %s', async (_name, seq, edit) => {
    const dir = tamperedCopy(bundle, `t-${seq}`, edit);
    const { code, report } = await runVerify([dir]);
    expect(code).toBe(1);
    expect(report.status).toBe('tampered');
    expect(report.firstBadSeq).toBe(seq);
  });

  it('reports the same on worker threads (the compiled CLI on a large file) as on one thread, for every tamper', async () => {
    // The compiled modules in a plain Node process, as the CLI runs them; chunks of 2 KiB spread the lines over both workers.
    const dist = (path: string): string => new URL(`../../dist/evidence/${path}`, import.meta.url).href;
    const onWorkers = async (dir: string): Promise<unknown> => {
      const script = `const { verifyBundleDir } = await import(${JSON.stringify(dist('verify-bundle-dir.js'))});
        const { loadHmacKeys } = await import(${JSON.stringify(dist('bundle-files.js'))});
        const report = await verifyBundleDir(${JSON.stringify(dir)}, { hmacKeys: loadHmacKeys(${JSON.stringify(join(t.dataDir, 'keys'))}), workers: 2, chunkBytes: 2048 });
        process.stdout.write(JSON.stringify(report));`;
      const file = join(work, 'on-workers.mjs');
      writeFileSync(file, script);
      const { stdout } = await promisify(execFile)(process.execPath, [file]);
      return JSON.parse(stdout);
    };
    const hmacKeys = loadHmacKeys(join(t.dataDir, 'keys'));
    const edits: [string, (l: string[]) => string[]][] = [
      ['none', (l) => l],
      ['canonical', (l) => l.map((x, i) => (i === 17 ? x.replace(/"canonical":"(.)/, (_m, c: string) => `"canonical":"${c === 'e' ? 'f' : 'e'}`) : x))],
      ['payload', (l) => l.map((x, i) => (i === 21 ? x.replace('login 21', 'login 2l') : x))],
      ['signature', (l) => l.map((x, i) => (i === 3 ? x.replace(/"signature":"(.)/, (_m, c: string) => `"signature":"${c === 'a' ? 'b' : 'a'}`) : x))],
      ['unreadable and reordered', (l) => l.map((x, i) => (i === 5 ? x.slice(0, 40) : i === 30 ? l[31]! : i === 31 ? l[30]! : x))],
      ['deleted and repeated', (l) => [...l.slice(0, 8), ...l.slice(9, 12), l[11]!, ...l.slice(12)]],
    ];
    for (const [name, edit] of edits) {
      const dir = tamperedCopy(bundle, `w-${name}`, edit);
      const one = await verifyBundleDir(dir, { hmacKeys, workers: 0 });
      expect(await onWorkers(dir), name).toEqual(JSON.parse(JSON.stringify(one)));
      expect(one.status, name).toBe(name === 'none' ? 'valid' : 'tampered');
    }
  });

  it('exits 1 for a checkpoint re-signed with a foreign key, and with pinned keys for a replaced keys.json', async () => {
    const dir = join(work, 'foreign');
    cpSync(bundle, dir, { recursive: true });
    const line = JSON.parse(readFileSync(join(dir, 'checkpoints.ndjson'), 'utf8').trim().split('\n').pop()!) as { size: number; note: string };
    const body = parseCheckpoint(line.note.slice(0, line.note.lastIndexOf('\n\n') + 1));
    const name = line.note.split('\n— ')[1]!.split(' ')[0]!;
    const note = signNote(formatCheckpoint(body), [createEd25519Signer(name, generateEd25519Key().seed)]);
    writeFileSync(join(dir, 'checkpoints.ndjson'), `${JSON.stringify({ size: line.size, note })}\n`);
    const { code, report } = await runVerify([dir]);
    expect(code).toBe(1);
    expect(report.problems[0]).toMatchObject({ code: 'KEY_UNKNOWN' });
    // Pinned keys from the server's well-known document catch a keys.json swapped by the forger too.
    const wellKnown = await t.request({ method: 'GET', url: '/.well-known/tamga-keys' });
    writeFileSync(join(work, 'pinned.json'), wellKnown.body);
    expect((await runVerify([bundle, '--keys', join(work, 'pinned.json')])).code).toBe(0);
  });

  it('verifies the single-stream file the journal page downloads, and catches an edit or a cut in it', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/logs/acme/export' });
    expect(res.statusCode).toBe(200);
    const file = join(work, 'tamga-evidence-acme.ndjson');
    writeFileSync(file, res.body);
    const { code, report } = await runVerify([file, '--hmac-key', join(t.dataDir, 'keys')]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ status: 'valid', counts: { valid: 40 } });

    const lines = res.body.trimEnd().split('\n');
    const at = lines.findIndex((l) => l.startsWith('{"seq":7,'));
    const edited = [...lines];
    edited[at] = edited[at]!.replace(/"text":"login \d+"/, '"text":"login 999"');
    expect(edited[at]).not.toBe(lines[at]);
    writeFileSync(file, `${edited.join('\n')}\n`);
    expect(await runVerify([file])).toMatchObject({ code: 1, report: { status: 'tampered', firstBadSeq: 7 } });

    writeFileSync(file, `${lines.slice(0, -3).join('\n')}\n`);
    await expect(verify([file])).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
  });

  it('exits 2 for unusable input (a missing file)', async () => {
    const dir = join(work, 'broken');
    cpSync(bundle, dir, { recursive: true });
    rmSync(join(dir, 'manifest.json'));
    await expect(verify([dir])).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
  });

  describe('after rotating both keys over the API', () => {
    beforeAll(async () => {
      for (const type of ['hmac', 'checkpoint']) {
        const res = await t.request({ method: 'POST', url: '/api/v1/keys/rotate', payload: { type } });
        expect(res.statusCode).toBe(200);
      }
      await append(10, 40);
      await settle(50);
    });

    it('signs new records with the new HMAC key and checkpoints with both keys during the overlap', async () => {
      const note = (await t.request({ method: 'GET', url: '/api/v1/logs/acme/checkpoint' })).body;
      expect(note.match(/\n— /g)).toHaveLength(2);
      const wellKnown = (await t.request({ method: 'GET', url: '/.well-known/tamga-keys' })).json();
      expect(wellKnown.checkpointKeys).toHaveLength(2);
      expect(wellKnown.hmacKeys).toHaveLength(2);
      expect(wellKnown.checkpointKeys[0].validUntil).not.toBeNull();
      const rotations = await t.request({ method: 'GET', url: '/api/v1/events?tenantId=tamga&event=32003&event=32004&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z' });
      expect(rotations.json().items).toHaveLength(2);
    });

    it('still verifies everything, old records with their old key, and consistently with the checkpoint saved before', async () => {
      const dir = await exportTo('rotated');
      const { code, report } = await runVerify([dir, '--hmac-key', join(t.dataDir, 'keys'), '--trusted-checkpoint', join(work, 'saved.note')]);
      expect(code).toBe(0);
      expect(report.counts.valid).toBe(50);
      // With the old public key pinned alone, the overlap signatures still verify the new checkpoints.
      const { code: pinnedOld } = await runVerify([dir, '--keys', join(work, 'pinned.json')]);
      expect(pinnedOld).toBe(0);
    });

    it('gives unknown-key (exit 0) to records whose HMAC key the verifier is not given', async () => {
      const dir = join(work, 'rotated');
      const newest = readdirSync(join(t.dataDir, 'keys'))
        .filter((f) => f.startsWith('hmac-'))
        .map((f) => JSON.parse(readFileSync(join(t.dataDir, 'keys', f), 'utf8')) as { createdAt: string })
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .pop()!;
      writeFileSync(join(work, 'new-hmac.json'), JSON.stringify(newest));
      const { code, report } = await runVerify([dir, '--hmac-key', join(work, 'new-hmac.json')]);
      expect(code).toBe(0);
      expect(report.counts).toMatchObject({ 'unknown-key': 40, valid: 10 });
    });

    it('lists the keys in the keys directory (tamga keys list)', async () => {
      const out = sink();
      process.env.TAMGA_KEYS_DIR = join(t.dataDir, 'keys');
      try {
        expect(await keys(['list', '--json'], out)).toBe(0);
      } finally {
        delete process.env.TAMGA_KEYS_DIR;
      }
      expect(JSON.parse(out.text).hmacKeys).toHaveLength(2);
    });
  });

  describe('erasure and receipts', () => {
    it('erases a payload; the record verifies as redacted in a new bundle (exit 0)', async () => {
      const res = await t.request({ method: 'POST', url: `/api/v1/events/${ids[5]}/erase`, payload: { reason: 'data subject request 2026-77' } });
      expect(res.json()).toMatchObject({ erased: 1, seq: 5 });
      const dir = await exportTo('erased');
      const { code, report } = await runVerify([dir, '--hmac-key', join(t.dataDir, 'keys')]);
      expect(code).toBe(0);
      expect(report.records).toContainEqual({ seq: 5, status: 'redacted' });
      const journal = await t.request({ method: 'GET', url: '/api/v1/events?tenantId=tamga&event=32006&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z' });
      expect(journal.json().items[0].entityData).toMatchObject({ reason: 'data subject request 2026-77', count: 1 });
    });

    it('erases every record of a user (POST /api/v1/erasures)', async () => {
      const res = await t.request({ method: 'POST', url: '/api/v1/erasures', payload: { userId: 'user7', reason: 'account deleted' } });
      expect(res.json()).toMatchObject({ erased: 1, records: [{ seq: 7 }] });
    });

    it('refuses erasure and rotation to non-administrators (FORBIDDEN) and an empty reason (VALIDATION_FAILED)', async () => {
      const res = await t.request({ method: 'POST', url: `/api/v1/events/${ids[6]}/erase`, payload: { reason: ' ' } });
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'reason' });
      const created = await t.request({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'auditor', scopes: ['read'] } });
      expect(created.statusCode).toBe(201);
      const auditor = { authorization: `Bearer ${created.json().key as string}` };
      const erase = await t.request({ method: 'POST', url: `/api/v1/events/${ids[6]}/erase`, payload: { reason: 'x' }, headers: auditor });
      expect(erase.json()).toMatchObject({ code: 'FORBIDDEN' });
      const rotate = await t.request({ method: 'POST', url: '/api/v1/keys/rotate', payload: { type: 'hmac' }, headers: auditor });
      expect(rotate.json()).toMatchObject({ code: 'FORBIDDEN' });
      // Reading is allowed: the auditor exports and verifies.
      const check = await t.request({ method: 'GET', url: '/api/v1/logs/acme/verify', headers: auditor });
      expect(check.json()).toMatchObject({ status: 'valid' });
    });

    it('serves a receipt that verifies alone (exit 0), and exits 1 once it is edited', async () => {
      const res = await t.request({ method: 'GET', url: `/api/v1/events/${ids[3]}/receipt` });
      expect(res.statusCode).toBe(200);
      const file = join(work, 'receipt.json');
      writeFileSync(file, res.body);
      const out = sink();
      expect(await verifyReceipt([file], out)).toBe(0);
      expect(out.text).toMatch(/^VALID: record seq 3/);
      const edited = res.json();
      edited.record.text = 'login 99';
      writeFileSync(file, JSON.stringify(edited));
      expect(await verifyReceipt([file], sink())).toBe(1);
    });
  });

  it('published every checkpoint to TAMGA_CHECKPOINT_DIR, one file each', () => {
    const files = readdirSync(join(work, 'published', 'tamga_acme'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files.every((f) => /^\d{16}\.note$/.test(f))).toBe(true);
  });
});
