/**
 * The tlog-tiles read API (c2sp.org/tlog-tiles) checked by an independent client written here from the spec text:
 * its own path encoding, its own RFC 6962 hashing and tree hash (`MTH`, RFC 6962 §2.1), its own Ed25519 note check —
 * none of Tamga's Merkle or note code. It reads the checkpoint, every entry bundle and the tiles, and recomputes the
 * root two ways: from the entries (leaf inputs) and, as golang.org/x/mod/sumdb/tlog's TreeHash does, from the
 * highest tiles available. Go is not on this machine, so the Go tile client itself cannot run here.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import type { JournalStore } from '../journal/journal-store.js';
import { systemEvents } from '../test-support/access-helpers.js';
import { randomSuffix, tempDir } from '../test-support/fixtures.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../test-support/postgres.js';
import { startTestServer, TEST_API_KEY } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { formatTilePath, parseTilePath } from './tlog-tiles.js';

const PG_URL = await findTestDatabase();
const files = tempDir();
afterAll(() => files.remove());

// ---- The independent client (from c2sp.org/tlog-tiles and RFC 6962) ----

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const leafHash = (entry: Uint8Array): Buffer => sha256(Buffer.from([0]), entry);
const nodeHash = (l: Uint8Array, r: Uint8Array): Buffer => sha256(Buffer.from([1]), l, r);

/** RFC 6962 §2.1 MTH over leaf hashes: split at the largest power of two below n. */
function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** tlog-tiles path of index n: 3-digit groups, all but the last prefixed with x. */
function indexPath(n: number): string {
  const groups: string[] = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** Entry bundle → entries: each a big-endian uint16 length, then the bytes. */
function splitBundle(bundle: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bundle.length; ) {
    const n = bundle.readUInt16BE(at);
    out.push(bundle.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}

class TileClient {
  readonly cache = new Map<string, Buffer>();
  constructor(
    private readonly get: (path: string) => Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }>,
    private readonly size: number,
  ) {}

  /** The tile holding hash (level 8L, index i) for this tree size, as a client picks it: full, else partial. */
  async tileHash(tileLevel: number, index: number): Promise<Buffer> {
    const n = Math.floor(index / 256);
    const count = Math.floor(this.size / 256 ** tileLevel);
    const width = Math.min(256, count - n * 256);
    const path = `tile/${tileLevel}/${indexPath(n)}${width < 256 ? `.p/${width}` : ''}`;
    let tile = this.cache.get(path);
    if (tile === undefined) {
      const res = await this.get(path);
      expect(res.status, path).toBe(200);
      expect(res.body.length, path).toBe(width * 32);
      tile = res.body;
      this.cache.set(path, tile);
    }
    return tile.subarray((index % 256) * 32, (index % 256) * 32 + 32);
  }

  /** Hash of the perfect subtree at tree level h, index i: from a tile when h is a multiple of 8, else its children. */
  async hashAt(h: number, i: number): Promise<Buffer> {
    if (h % 8 === 0) return this.tileHash(h / 8, i);
    return nodeHash(await this.hashAt(h - 1, 2 * i), await this.hashAt(h - 1, 2 * i + 1));
  }

  /** The tree hash from the tiles (sumdb/tlog TreeHash): the perfect subtrees of the size's binary form, folded right to left. */
  async treeHash(): Promise<Buffer> {
    const subtrees: Buffer[] = [];
    let start = 0;
    for (let h = 52; h >= 0; h--) {
      if (Math.floor(this.size / 2 ** h) % 2 === 1) {
        subtrees.push(await this.hashAt(h, start / 2 ** h));
        start += 2 ** h;
      }
    }
    let root = subtrees.pop()!;
    while (subtrees.length > 0) root = nodeHash(subtrees.pop()!, root);
    return root;
  }
}

/** Checks a signed note's Ed25519 signature line by `vkey` (name+id+base64(0x01 ‖ key)), c2sp.org/signed-note. */
function checkNoteSignature(note: string, vkey: string): { origin: string; size: number; root: Buffer } {
  const name = vkey.slice(0, vkey.indexOf('+'));
  const raw = Buffer.from(vkey.slice(vkey.indexOf('+', vkey.indexOf('+') + 1) + 1), 'base64');
  expect(raw[0]).toBe(1);
  const split = note.lastIndexOf('\n\n');
  const text = note.slice(0, split + 1);
  const line = note
    .slice(split + 2)
    .split('\n')
    .find((l) => l.startsWith(`\u2014 ${name} `))!;
  const sig = Buffer.from(line.slice(`\u2014 ${name} `.length), 'base64');
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw.subarray(1)]), format: 'der', type: 'spki' });
  expect(verify(null, Buffer.from(text), key, sig.subarray(4))).toBe(true);
  const [origin, size, root] = text.split('\n') as [string, string, string];
  return { origin, size: Number(size), root: Buffer.from(root, 'base64') };
}

// ---- The tests ----

describe('parseTilePath', () => {
  it('reads and writes the spec examples', () => {
    expect(parseTilePath('0/x001/x234/067')).toEqual({ level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('entries/x001/x234/067.p/8')).toEqual({ level: 'entries', index: 1234067, width: 8 });
    expect(formatTilePath({ level: 1, index: 1234067, width: 8 })).toBe('1/x001/x234/067.p/8');
    expect(formatTilePath({ level: 0, index: 5, width: 256 })).toBe('0/005');
  });
  it.each(['0/1', '0/x000/001', '0/000.p/256', '0/000.p/0', '0/000.p/08', '64/000', '00/000', 'entries/000.p/', '0/x1/000'])(
    'refuses %s (one spelling per tile)',
    (path) => expect(() => parseTilePath(path)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }) as Error),
  );
});

interface Backend {
  readonly name: string;
  open(): Promise<JournalStore>;
  drop(store: JournalStore): Promise<void>;
}
const backends: Backend[] = [{ name: 'SQLite', open: async () => new SqliteJournalStore({ path: join(files.path, `tiles-${randomSuffix()}.sqlite`) }), drop: async () => undefined }];
if (PG_URL !== undefined) {
  backends.push({
    name: 'PostgreSQL',
    open: () => PostgresJournalStore.connect({ url: PG_URL, schema: testSchemaName('tamga_tiles') }),
    drop: async (store) => (store as PostgresJournalStore).dropSchema(),
  });
} else {
  reportMissingPostgres('the PostgreSQL tlog-tiles suite');
}

// 66,000 leaves on SQLite: full and partial tiles at levels 0, 1 and 2 (a level-2 hash covers 65,536 leaves).
describe.each(backends)('the tlog-tiles API on $name', (backend) => {
  const N = backend.name === 'SQLite' ? 66_000 : 1_300;
  let ts: TestServer;
  let store: JournalStore;
  beforeAll(async () => {
    store = await backend.open();
    ts = await startTestServer({ store, env: { TAMGA_TLOG_PUBLIC_TENANTS: 'open' } });
    for (const tenantId of ['acme', 'open']) {
      const total = tenantId === 'acme' ? N : 10;
      for (let at = 0; at < total; at += 10_000) {
        const batch = Array.from({ length: Math.min(10_000, total - at) }, (_, i) => ({ event: 2001, tenantId, entityData: `e${at + i}` }));
        const res = await ts.request({ method: 'POST', url: '/api/v1/events', payload: batch });
        expect(res.statusCode, res.body).toBe(201);
      }
    }
    await ts.server.checkpointer.signPending();
  }, 600_000);
  afterAll(async () => {
    await backend.drop(store);
    await ts.close();
  });

  const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${TEST_API_KEY}` }) =>
    ts.server.http.inject({ method: 'GET', url: `/tlog/acme/${path}`, headers }).then((r) => ({ status: r.statusCode, body: r.rawPayload, headers: r.headers }));

  it('serves tiles and entry bundles from which an independent client recomputes the signed root', async () => {
    const keys = (await ts.request({ method: 'GET', url: '/.well-known/tamga-keys' })).json<{ checkpointKeys: { verifierKey: string }[] }>();
    const checkpoint = await get('checkpoint');
    expect(checkpoint.status).toBe(200);
    expect(checkpoint.headers['cache-control']).toBe('private, no-cache');
    const head = checkNoteSignature(checkpoint.body.toString(), keys.checkpointKeys.at(-1)!.verifierKey);
    expect(head.size).toBe(N);

    // Every entry, bundle by bundle (partial last one), hashed as RFC 6962 leaves.
    const leaves: Buffer[] = [];
    for (let n = 0; n * 256 < N; n++) {
      const width = Math.min(256, N - n * 256);
      const res = await get(`tile/entries/${indexPath(n)}${width < 256 ? `.p/${width}` : ''}`);
      expect(res.status, `${n} ${res.body.toString()}`).toBe(200);
      const entries = splitBundle(res.body);
      expect(entries).toHaveLength(width);
      // An entry is the record's canonical bytes: JSON naming its log and seq.
      const first = JSON.parse(entries[0]!.toString()) as { seq: number; log: string };
      expect([first.seq, first.log]).toEqual([n * 256, head.origin]);
      leaves.push(...entries.map(leafHash));
    }
    expect(mth(leaves).equals(head.root)).toBe(true);

    const client = new TileClient(get, N);
    expect((await client.treeHash()).equals(head.root)).toBe(true);
    // Level-0 tiles hold the very leaf hashes of the entries; level-1 tiles the hashes of 256-leaf subtrees.
    for (let i = 0; i < N; i += 997) expect((await client.tileHash(0, i)).equals(leaves[i]!)).toBe(true);
    for (let i = 0; i < Math.floor(N / 256); i += 17) expect((await client.tileHash(1, i)).equals(mth(leaves.slice(i * 256, (i + 1) * 256)))).toBe(true);
    if (N >= 65_536) expect((await client.tileHash(2, 0)).equals(mth(leaves.slice(0, 65_536)))).toBe(true);
    const tiles = [...client.cache.keys()];
    expect(tiles.some((p) => p.includes('.p/'))).toBe(true);
  }, 300_000);

  it('marks tiles immutable and refuses what lies beyond the checkpoint', async () => {
    const full = await get('tile/0/000');
    expect(full.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(full.headers['content-type']).toBe('application/octet-stream');
    // A partial tile narrower than the newest one is an older tree's tile: served.
    expect((await get(`tile/0/${indexPath(Math.floor(N / 256))}.p/1`)).status).toBe(200);
    expect((await get(`tile/0/${indexPath(Math.floor(N / 256) + 1)}`)).status).toBe(404);
    expect((await get(`tile/entries/${indexPath(Math.floor(N / 256))}`)).status).toBe(404);
    expect((await get('tile/0/1')).status).toBe(404);
  });

  it('keeps a private log private and serves a public one to anybody', async () => {
    const anonymous = await get('checkpoint', {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await get('tile/0/000', {})).status).toBe(401);
    expect((await get('checkpoint', { authorization: 'Bearer wrong' })).status).toBe(401);
    const open = await ts.server.http.inject({ method: 'GET', url: '/tlog/open/checkpoint' });
    expect(open.statusCode).toBe(200);
    expect(open.headers['cache-control']).toBe('public, no-cache');
    expect((await ts.server.http.inject({ method: 'GET', url: '/tlog/open/tile/entries/000.p/10' })).statusCode).toBe(200);
    // Reads with credentials are journal reads (JournalRead, at most one a minute per principal).
    const reads = await systemEvents(ts, [32012]);
    expect(reads.some((r) => JSON.stringify(r.entityData).includes('/tlog/acme/'))).toBe(true);
  });
});
