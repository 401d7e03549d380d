/**
 * Worker thread of `tamga verify`: runs the per-record steps (parse, leaf, canonical header, payload, HMAC) on
 * chunks of `records.ndjson` and sends back compact results; the main thread keeps the order-dependent steps
 * (contiguous seq, tree, roots).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Buffer } from 'node:buffer';
import { checkRecordLine } from '@tamga/core';
import type { CheckProblem } from '@tamga/core';
import { splitLines } from './read-lines.js';
import { STATUS_CODES } from './verify-protocol.js';
import type { VerifyWorkerData, VerifyWorkerResult, VerifyWorkerTask } from './verify-protocol.js';

const data = workerData as VerifyWorkerData;
const keys = data.hmacKeys === null ? undefined : new Map(data.hmacKeys.map(([kid, hex]) => [kid, Buffer.from(hex, 'hex')] as const));
const keyFor = keys === undefined ? undefined : (kid: string): Buffer | undefined => keys.get(kid);

parentPort?.on('message', (task: VerifyWorkerTask) => {
  const lines = splitLines(Buffer.from(task.chunk.buffer, task.chunk.byteOffset, task.chunk.byteLength));
  const n = lines.length;
  const seqs = new Float64Array(n);
  const leaves = new Uint8Array(n * 32);
  const statuses = new Uint8Array(n);
  const problems: [number, CheckProblem][] = [];
  for (let i = 0; i < n; i++) {
    const checked = checkRecordLine(lines[i]!, 0, data.origin, keyFor);
    seqs[i] = checked.seq ?? -1;
    if (checked.leaf !== null) leaves.set(checked.leaf, i * 32);
    statuses[i] = STATUS_CODES.indexOf(checked.status);
    if (checked.problem !== undefined) problems.push([i, checked.problem]);
  }
  const result: VerifyWorkerResult = { id: task.id, count: n, seqs, leaves, statuses, problems };
  parentPort!.postMessage(result, [seqs.buffer, leaves.buffer, statuses.buffer]);
});
