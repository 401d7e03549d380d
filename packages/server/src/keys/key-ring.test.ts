import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCheckpoint, openNote, parseVerifierKey, signNote } from '@tamga/core';
import { loadConfig } from '../config/tamga-config.js';
import { tempDir } from '../test-support/fixtures.js';
import { startTestServer } from '../test-support/test-server.js';
import { KeyRing } from './key-ring.js';

const dirs: { remove: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));
function fresh(): string {
  const d = tempDir();
  dirs.push(d);
  return d.path;
}

describe('KeyRing rotation', () => {
  it('signs new records with the new HMAC key at once and keeps the old one for verification', () => {
    const ring = KeyRing.openOrCreate(fresh());
    const old = ring.activeHmacKey;
    const next = ring.rotateHmac();
    expect(ring.activeHmacKey.kid).toBe(next.kid);
    expect(ring.hmacSecret(old.kid)).toEqual(old.secret);
    expect(ring.publicKeys().hmacKeys.map((k) => [k.kid, k.validUntil])).toEqual([
      [old.kid, next.createdAt],
      [next.kid, null],
    ]);
  });

  it('co-signs checkpoints with the previous key during the overlap, then with the new key alone', () => {
    const ring = KeyRing.openOrCreate(fresh(), { checkpointOverlapMs: 60_000 });
    const [first] = ring.checkpointKeys;
    const next = ring.rotateCheckpoint();
    const now = Date.parse(next.createdAt);
    const note = signNote(formatCheckpoint({ origin: 'o', size: 1, rootHash: Buffer.alloc(32), extensions: [] }), ring.checkpointSigners(now + 1000));
    expect(openNote(note, [parseVerifierKey(first!.verifierKey)]).verified).toHaveLength(1);
    expect(openNote(note, [parseVerifierKey(next.verifierKey)]).verified).toHaveLength(1);
    expect(ring.checkpointSigners(now + 60_001).map((s) => s.name)).toEqual([next.name]);
    expect(ring.publicKeys().checkpointKeys[0]!.validUntil).toBe(new Date(now + 60_000).toISOString());
  });

  it('reloads rotated keys from the directory (a CLI rotation applies at the next start)', () => {
    const dir = fresh();
    KeyRing.openOrCreate(dir).rotateHmac();
    expect(readdirSync(dir).filter((f) => f.startsWith('hmac-'))).toHaveLength(2);
    expect(KeyRing.openOrCreate(dir).hmacKeys).toHaveLength(2);
  });
});

describe('offline rotations', () => {
  it('are journalled (HmacKeyRotated) when the server next starts', async () => {
    const first = await startTestServer();
    const keysDir = loadConfig({ TAMGA_DATA_DIR: first.dataDir }).keysDir;
    const kid = KeyRing.openOrCreate(keysDir).rotateHmac().kid; // `tamga keys rotate --hmac` while stopped
    await first.server.close();
    const again = await startTestServer({ env: { TAMGA_DATA_DIR: first.dataDir } });
    const res = await again.request({ method: 'GET', url: '/api/v1/events?tenantId=tamga&event=32003&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z' });
    expect(res.json().items.map((i: { entityData: { keyId: string } }) => i.entityData.keyId)).toEqual([kid]);
    await again.close();
    await first.close(); // removes its data directory (the server is already stopped)
  });
});
