/**
 * Proofs from a log past two stored levels (65,536 leaves and some), against real stores: every inclusion and
 * consistency proof the prover serves, from a cold cache and again from a warm one, verifies against the roots
 * rebuilt from the leaves.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactRange, StoreError, verifyConsistency, verifyInclusion } from '@tamga/core';
import type { JournalStore } from './journal-store.js';
import { Prover } from './prover.js';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { pendingRecord, randomSuffix, tempDir, testSealer } from '../test-support/fixtures.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../test-support/postgres.js';

const PG_URL = await findTestDatabase();
const files = tempDir();

/** Past level 16 (65,536 leaves), with a ragged right edge at every level. */
const SIZE = 65_536 + 256 * 3 + 77;

interface Backend {
  readonly name: string;
  open(): Promise<JournalStore>;
  drop(store: JournalStore): Promise<void>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    open: async () =>
      new SqliteJournalStore({ path: join(files.path, `prover-${randomSuffix()}.sqlite`), writer: 'inline' }),
    drop: (store) => store.close(),
  },
];
if (PG_URL === undefined) reportMissingPostgres('the prover suite on PostgreSQL');
else {
  backends.push({
    name: 'PostgreSQL',
    open: () => PostgresJournalStore.connect({ url: PG_URL, schema: testSchemaName('tamga_prover') }),
    drop: async (store) => {
      await (store as PostgresJournalStore).dropSchema();
      await store.close();
    },
  });
}

afterAll(() => files.remove());

/** A few sizes near the edges of the stored levels, and random ones. */
function treeSizes(): number[] {
  const sizes = [1, 2, 255, 256, 257, 511, 65_535, 65_536, 65_537, SIZE - 1, SIZE];
  for (let i = 0; i < 8; i++) sizes.push(1 + Math.floor(Math.random() * SIZE));
  return [...new Set(sizes)].sort((a, b) => a - b);
}

for (const backend of backends) {
  describe(`Prover on ${backend.name}`, () => {
    let store: JournalStore;
    let logId: number;
    let leaves: Buffer[];
    const roots = new Map<number, Buffer>();
    const sizes = treeSizes();

    beforeAll(async () => {
      store = await backend.open();
      const sealer = testSealer();
      for (let from = 0; from < SIZE; from += 4096) {
        await store.append(
          Array.from({ length: Math.min(4096, SIZE - from) }, () => pendingRecord({ tenantId: 'proofs' })),
          sealer,
        );
      }
      const log = (await store.getLog('proofs'))!;
      logId = log.logId;
      leaves = await store.readNodes(logId, 0, 0, SIZE);
      const range = CompactRange.empty();
      for (const leaf of leaves) {
        range.append(leaf);
        if (sizes.includes(range.size)) roots.set(range.size, range.root());
      }
      expect(roots.get(SIZE)!.equals(log.rootHash)).toBe(true);
    }, 300_000);

    afterAll(async () => {
      await backend.drop(store);
    });

    it('serves inclusion proofs that verify, from a cold and a warm cache alike', async () => {
      const cold = new Prover(store);
      const warm = new Prover(store);
      for (const size of sizes) {
        const indexes = new Set([
          0,
          size - 1,
          Math.floor(size / 2),
          ...Array.from({ length: 6 }, () => Math.floor(Math.random() * size)),
        ]);
        for (const index of indexes) {
          const proof = await warm.inclusion(logId, SIZE, index, size);
          verifyInclusion(leaves[index]!, index, size, proof.hashes, roots.get(size)!);
          expect((await new Prover(store).inclusion(logId, SIZE, index, size)).hashes).toEqual(proof.hashes);
          expect((await cold.inclusion(logId, SIZE, index, size)).hashes).toEqual(proof.hashes);
        }
      }
    }, 120_000);

    it('serves consistency proofs that verify between any two of the sizes', async () => {
      const prover = new Prover(store);
      for (const size1 of sizes) {
        for (const size2 of sizes.filter((s) => s >= size1)) {
          const proof = await prover.consistency(logId, SIZE, size1, size2);
          verifyConsistency(size1, size2, proof.hashes, roots.get(size1)!, roots.get(size2)!);
        }
      }
    }, 120_000);

    it('gives the compact range of any prefix, whose root is the tree root at that size', async () => {
      const prover = new Prover(store);
      for (const size of sizes) {
        const range = CompactRange.fromBytes(size, Buffer.concat(await prover.subtreeHashes(logId, 0, size)));
        expect(range.root().equals(roots.get(size)!)).toBe(true);
      }
    });

    it('fails a proof whose reads fail with the store error, leaving none of its reads to fail unhandled', async () => {
      // A purge slice racing the proof: the cut it read (300) is stale, and the reads of the leaves it needs fail,
      // those below the cut last.
      const failing = new Proxy(store, {
        get(target, key) {
          if (key === 'purgeState') return async () => ({ purgedTo: 300 });
          if (key === 'readNodes') {
            return async (log: number, level: number, from: number, to: number) =>
              level === 0 ? Promise.reject(new StoreError('STORE_FAILED', 'Merkle nodes missing')) : target.readNodes(log, level, from, to);
          }
          if (key === 'readRetainedNode') {
            return () => new Promise((_, reject) => setTimeout(() => reject(new StoreError('STORE_FAILED', 'retained node missing')), 20));
          }
          const value: unknown = Reflect.get(target, key);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        await expect(new Prover(failing).consistency(logId, SIZE, 100, 60_000)).rejects.toThrow(/missing/);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  });
}
