import { open } from 'node:fs/promises';
import { Buffer } from 'node:buffer';

/** Bytes read per chunk. */
const CHUNK = 4 * 1024 * 1024;

/**
 * Reads a file as chunks of whole lines: each yielded Buffer ends just after a newline (the last one may lack
 * it). Much faster than `readline` for large NDJSON files. Each chunk starts at offset 0 of an ArrayBuffer of its
 * own (never Node's shared pool), so it can be transferred to a worker thread without a copy.
 */
export async function* readLineChunks(path: string, chunkSize = CHUNK): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      // The carried partial line first, the next bytes read after it, in one buffer.
      const buffer = Buffer.allocUnsafeSlow(carry.length + chunkSize);
      carry.copy(buffer, 0);
      const { bytesRead } = await file.read(buffer, carry.length, chunkSize, null);
      if (bytesRead === 0) break;
      const data = buffer.subarray(0, carry.length + bytesRead);
      const cut = data.lastIndexOf(0x0a);
      carry = Buffer.from(data.subarray(cut + 1));
      if (cut >= 0) yield data.subarray(0, cut + 1);
    }
    if (carry.length > 0) {
      const last = Buffer.allocUnsafeSlow(carry.length);
      carry.copy(last, 0);
      yield last;
    }
  } finally {
    await file.close();
  }
}

/**
 * Calls `line(start, stop)` for each line of a chunk from {@link readLineChunks}, bounds without the newline (and
 * without a trailing `\r`); empty lines are skipped.
 */
export function forEachLine(chunk: Buffer, line: (start: number, stop: number) => void): void {
  let start = 0;
  for (;;) {
    const nl = chunk.indexOf(0x0a, start);
    const end = nl < 0 ? chunk.length : nl;
    const stop = end > start && chunk[end - 1] === 0x0d ? end - 1 : end;
    if (stop > start) line(start, stop);
    if (nl < 0) break;
    start = nl + 1;
  }
}
