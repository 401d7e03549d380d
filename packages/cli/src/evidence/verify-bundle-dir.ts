import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Buffer } from 'node:buffer';
import { statSync } from 'node:fs';
import { BundleVerifier, verifiersFromKeys } from '@tamga/core';
import type { NoteVerifier, VerificationReport } from '@tamga/core';
import { readBundleHead } from './bundle-files.js';
import { forEachLine, readLineChunks } from './read-lines.js';
import { STATUS_CODES } from './verify-protocol.js';
import type { VerifyWorkerData, VerifyWorkerResult } from './verify-protocol.js';

/** Options of {@link verifyBundleDir}. */
export interface VerifyBundleDirOptions {
  /** Pinned checkpoint keys; default: the bundle's `keys.json`. */
  readonly verifiers?: readonly NoteVerifier[];
  readonly hmacKeys?: ReadonlyMap<string, Uint8Array>;
  readonly trustedCheckpoint?: string;
  /**
   * Worker threads for the per-record steps. Default: one per CPU when there are at least two and the records
   * file is large (the compiled CLI only; source runs, as in tests, use 0).
   */
  readonly workers?: number;
  /** Bytes read per chunk of `records.ndjson` (default 4 MiB; tests make it small to spread a small file over workers). */
  readonly chunkBytes?: number;
}

/** Records-file size above which worker threads pay off. */
const WORKERS_FROM_BYTES = 32 * 1024 * 1024;

/**
 * Verifies a bundle directory offline: reads the manifest, keys and checkpoints, streams `records.ndjson`
 * through {@link BundleVerifier} (the per-record steps optionally on worker threads), and returns the report.
 */
export async function verifyBundleDir(dir: string, options: VerifyBundleDirOptions = {}): Promise<VerificationReport> {
  const head = readBundleHead(dir);
  const verifiers = options.verifiers ?? verifiersFromKeys(head.keys);
  const verifier = new BundleVerifier(head.manifest, head.checkpoints, {
    verifiers,
    ...(options.hmacKeys !== undefined && { hmacKeys: options.hmacKeys }),
    ...(options.trustedCheckpoint !== undefined && { trustedCheckpoint: options.trustedCheckpoint }),
  });
  const workerUrl = new URL('./verify-worker.js', import.meta.url);
  const compiled = import.meta.url.endsWith('.js');
  const { size } = statSync(head.recordsPath);
  const workers = options.workers ?? (compiled && size >= WORKERS_FROM_BYTES ? Math.min(4, availableParallelism()) : 0);
  if (workers < 2) {
    for await (const chunk of readLineChunks(head.recordsPath, options.chunkBytes)) {
      forEachLine(chunk, (start, stop) => verifier.addLineBytes(chunk, start, stop));
    }
    return verifier.finish();
  }
  const data: VerifyWorkerData = {
    origin: head.manifest.origin,
    hmacKeys: options.hmacKeys === undefined ? null : [...options.hmacKeys].map(([kid, key]) => [kid, Buffer.from(key).toString('hex')] as const),
  };
  // A larger young generation: the per-record steps allocate many short-lived strings and buffers.
  const pool = Array.from({ length: workers }, () => new Worker(workerUrl, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 64 } }));
  try {
    const pending = new Map<number, Promise<VerifyWorkerResult>>();
    let sent = 0;
    let fed = 0;
    const feed = async (): Promise<void> => {
      const result = await pending.get(fed)!;
      pending.delete(fed);
      fed++;
      verifier.addCheckedColumns(result.count, result.seqs, result.leaves, result.statuses, STATUS_CODES, result.problems, result.unreadable);
    };
    for await (const chunk of readLineChunks(head.recordsPath, options.chunkBytes)) {
      const id = sent++;
      const worker = pool[id % workers]!;
      pending.set(
        id,
        new Promise<VerifyWorkerResult>((resolve, reject) => {
          const onMessage = (r: VerifyWorkerResult): void => {
            if (r.id !== id) return;
            worker.off('message', onMessage);
            worker.off('error', reject);
            resolve(r);
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
        }),
      );
      // The chunk owns its ArrayBuffer (readLineChunks): moved to the worker, not copied.
      worker.postMessage({ id, chunk }, [chunk.buffer as ArrayBuffer]);
      // Keep at most two chunks per worker in flight.
      while (sent - fed > workers * 2) await feed();
    }
    while (fed < sent) await feed();
    return verifier.finish();
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
