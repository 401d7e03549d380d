/**
 * Worker thread of `tamga verify`: runs the per-record steps (parse, leaf, canonical header, payload, HMAC) on
 * chunks of `records.ndjson` and sends back compact results; the main thread keeps the order-dependent steps
 * (contiguous seq, tree, roots).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Buffer } from 'node:buffer';
import { checkRecordBytes, checkRecordLine } from '@tamga/core';
import type { CheckProblem } from '@tamga/core';
import { forEachLine } from './read-lines.js';
import { STATUS_CODES } from './verify-protocol.js';
import type { VerifyWorkerData, VerifyWorkerResult, VerifyWorkerTask } from './verify-protocol.js';

const data = workerData as VerifyWorkerData;
const keys =
  data.hmacKeys === null
    ? undefined
    : new Map(data.hmacKeys.map(([kid, hex]) => [kid, Buffer.from(hex, 'hex')] as const));
const keyFor = keys === undefined ? undefined : (kid: string): Buffer | undefined => keys.get(kid);

parentPort?.on('message', (task: VerifyWorkerTask) => {
  const chunk = Buffer.from(task.chunk.buffer, task.chunk.byteOffset, task.chunk.byteLength);
  // At most one line per newline, plus a last one without it.
  let most = 1;
  for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) most++;
  const seqs = new Float64Array(most);
  const leaves = new Uint8Array(most * 32);
  const statuses = new Uint8Array(most);
  const problems: [number, CheckProblem][] = [];
  const unreadable: [number, string][] = [];
  let n = 0;
  forEachLine(chunk, (start, stop) => {
    // The exporter's own lines of valid records on the fast path; any other line on the general one.
    let checked = checkRecordBytes(chunk, start, stop, data.origin, keyFor);
    if (checked === undefined) {
      const text = chunk.toString('utf8', start, stop);
      checked = checkRecordLine(text, 0, data.origin, keyFor);
      if (checked.seq === null) {
        // Unreadable: the main thread checks it again, knowing the seq it should hold (which the problem names).
        unreadable.push([n, text]);
        seqs[n++] = -1;
        return;
      }
    }
    seqs[n] = checked.seq ?? -1;
    if (checked.leaf !== null) leaves.set(checked.leaf, n * 32);
    statuses[n] = STATUS_CODES.indexOf(checked.status);
    if (checked.problem !== undefined) problems.push([n, checked.problem]);
    n++;
  });
  const result: VerifyWorkerResult = { id: task.id, count: n, seqs, leaves, statuses, problems, unreadable };
  parentPort!.postMessage(result, [seqs.buffer, leaves.buffer, statuses.buffer]);
});
