import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addSignatureLines, openNote, parseVerifierKey, verifyCosignatures } from '@tamga/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../journal/checkpointer.js';
import { Prover } from '../journal/prover.js';
import { KeyRing } from '../keys/key-ring.js';
import { tempDir } from '../test-support/fixtures.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { buildWitnessServer, parseWitnessedLogs } from './witness-server.js';
import type { WitnessServer } from './witness-server.js';

const dir = tempDir();
let witness: WitnessServer;
let witnessUrl: string;
let ts: TestServer;
let logKey: string;

async function post(body: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${witnessUrl}/add-checkpoint`, { method: 'POST', body });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

async function append(n: number): Promise<void> {
  const res = await ts.request({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: n }, (_, i) => ({ event: 2001, tenantId: 'acme', entityData: `w${i}` })) });
  expect(res.statusCode).toBe(201);
}

async function status(): Promise<{ witnesses: { state: string; cosignedSize: number; message?: string }[]; refused: boolean; witnessed: boolean }> {
  await ts.server.witnesses.resubmitPending();
  return (await ts.request({ method: 'GET', url: '/api/v1/logs/acme/status' })).json();
}

async function note(): Promise<string> {
  return (await ts.request({ method: 'GET', url: '/api/v1/logs/acme/checkpoint' })).body;
}

beforeAll(async () => {
  // The log's keys exist before the witness is configured with them, as in a real deployment.
  const keysDir = join(dir.path, 'keys');
  logKey = KeyRing.openOrCreate(keysDir).publicKeys().checkpointKeys[0]!.verifierKey;
  witness = await buildWitnessServer({ dataDir: join(dir.path, 'witness'), name: 'auditor.example/witness', logs: parseWitnessedLogs([`tamga/*=${logKey}`]) });
  witnessUrl = await witness.http.listen({ host: '127.0.0.1', port: 0 });
  const file = join(dir.path, 'witnesses.json');
  writeFileSync(file, JSON.stringify({ witnesses: [{ url: witnessUrl, key: witness.key.key.text }] }));
  ts = await startTestServer({ env: { TAMGA_KEYS_DIR: keysDir, TAMGA_WITNESS_FILE: file }, serverOptions: { witnessRetryMs: 0 } });
});
afterAll(async () => {
  await ts.close();
  await witness.http.close();
  dir.remove();
});

describe('tamga witness and the log that submits to it', () => {
  it('cosigns a first checkpoint and then only consistent ones; the served note carries the cosignature', async () => {
    await append(3);
    await ts.server.checkpointer.signPending();
    expect((await status()).witnesses[0]).toMatchObject({ state: 'cosigned', cosignedSize: 3 });
    await append(300);
    await ts.server.checkpointer.signPending();
    const s = await status();
    expect(s.witnesses[0]).toMatchObject({ state: 'cosigned', cosignedSize: 303 });
    expect(s.witnessed).toBe(true);
    const served = await note();
    // Still a valid note for the log key; one valid cosignature by the witness, timestamped now.
    expect(openNote(served, [parseVerifierKey(logKey)]).verified).toHaveLength(1);
    const cosignatures = verifyCosignatures(served, [witness.key.key]);
    expect(cosignatures).toHaveLength(1);
    expect(Math.abs(cosignatures[0]!.time - Date.now() / 1000)).toBeLessThan(60);
    // The tiles' checkpoint is the same note.
    expect((await ts.request({ method: 'GET', url: '/tlog/acme/checkpoint' })).body).toBe(served);
  });

  it('answers 409 with its size, and the log resubmits from that size', async () => {
    await append(5);
    // Signed by a checkpointer that tells no witness: another party (a second node, say) brings the witness to
    // this size, while the log still has 303 as the witness's last cosigned size.
    const [checkpoint] = await new Checkpointer({ store: ts.server.journal.store, keys: ts.server.journal.keys }).signPending();
    const bare = checkpoint!.note;
    const log = (await ts.server.journal.store.getLog('acme'))!;
    const proof = await new Prover(ts.server.journal.store).consistency(log.logId, log.size, 303, checkpoint!.size);
    const direct = await post(`old 303\n${proof.hashes.map((h) => `${h.toString('base64')}\n`).join('')}\n${bare}`);
    expect(direct.status).toBe(200);
    const stale = await post(`old 303\n\n${bare}`);
    expect(stale).toMatchObject({ status: 409, text: `${checkpoint!.size}\n`, type: 'text/x.tlog.size' });
    // The log's resubmission meets the 409, proves from the witness's size and is cosigned.
    expect((await status()).witnesses[0]).toMatchObject({ state: 'cosigned', cosignedSize: checkpoint!.size });
    expect(verifyCosignatures(await note(), [witness.key.key])).toHaveLength(1);
  });

  it('refuses malformed bodies, unknown logs and notes not signed by the log key', async () => {
    const served = await note();
    expect((await post('hello')).status).toBe(400);
    expect((await post(`old 0\n${served}`)).status).toBe(400);
    expect((await post(`old 0\n\n${served.replace(/^tamga\//, 'other/')}`)).status).toBe(404);
    const forged = served.replace(/\n\n[\s\S]*$/, '\n\n\u2014 tamga-x AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n');
    expect((await post(`old 0\n\n${forged}`)).status).toBe(403);
    // Cosignature lines from the answer are checked, and an answer's lines already present are not repeated.
    expect(addSignatureLines(served, served.split('\n').slice(-2, -1))).toBe(served);
  });

  it('refuses a checkpoint whose proof does not lead from the root it cosigned (422)', async () => {
    const served = await note();
    const size = Number(served.split('\n')[1]);
    // A proof that does not lead from the witnessed root: one hash flipped.
    const bad = await post(`old ${size}\n${Buffer.alloc(32, 7).toString('base64')}\n\n${served}`);
    expect(bad.status).toBe(422);
  });
});
