import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCheckpoint, isTamgaError, openNote, parseVerifierKey, signNote } from '@tamga/core';
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

describe('KeyRing key files', () => {
  it('writes each key owner-only in an owner-only directory and leaves no temporary file', () => {
    const dir = join(fresh(), 'nested', 'keys');
    const ring = KeyRing.openOrCreate(dir);
    ring.rotateHmac();
    const names = readdirSync(dir);
    expect(names.filter((n) => n.endsWith('.key.json'))).toHaveLength(3);
    expect(names.filter((n) => !n.endsWith('.key.json'))).toEqual([]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of names) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
  });

  it('ignores a temporary file an interrupted write left behind', () => {
    const dir = fresh();
    const kid = KeyRing.openOrCreate(dir).activeHmacKey.kid;
    writeFileSync(join(dir, `.hmac-${kid}-x.key.json.123-abcd.tmp`), '');
    expect(KeyRing.openOrCreate(dir).activeHmacKey.kid).toBe(kid);
  });

  /** The CONFIG_INVALID that opening `dir` raises, after checking it named the file and left the directory as it was. */
  function openFailure(dir: string, file: string): string {
    const before = readdirSync(dir).sort();
    let message = '';
    try {
      KeyRing.openOrCreate(dir);
    } catch (error) {
      expect(isTamgaError(error) && error.code).toBe('CONFIG_INVALID');
      message = (error as Error).message;
    }
    expect(message).toContain(join(dir, file));
    expect(message).toContain('Restore this file from your backup');
    expect(readdirSync(dir).sort()).toEqual(before);
    return message;
  }

  it.each([
    ['empty', '', /is empty \(0 bytes\)/],
    ['cut short by a crash', '{\n  "type": "hmac",\n  "id": "hmac-2026', /is damaged: its 38 bytes are not a complete key/],
    ['without a usable secret', JSON.stringify({ type: 'hmac', id: 'hmac-x', secret: 'abc', createdAt: '2026-01-01T00:00:00Z' }), /lacks a valid type, id, 32-byte hex secret/],
  ])('refuses a key file that is %s, naming it, and neither replaces nor skips it', (_what, content, expected) => {
    const dir = fresh();
    const ring = KeyRing.openOrCreate(dir);
    const file = `hmac-${ring.activeHmacKey.kid}.key.json`;
    writeFileSync(join(dir, file), content);
    expect(openFailure(dir, file)).toMatch(expected);
    expect(readFileSync(join(dir, file), 'utf8')).toBe(content);
  });

  it('refuses a key file it cannot read, saying why', () => {
    const dir = fresh();
    KeyRing.openOrCreate(dir);
    mkdirSync(join(dir, 'hmac-odd.key.json'));
    expect(openFailure(dir, 'hmac-odd.key.json')).toMatch(/cannot be read \(EISDIR\)/);
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
