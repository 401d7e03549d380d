import { open } from 'node:fs/promises';
import { Buffer } from 'node:buffer';

/** Bytes read per chunk. */
const CHUNK = 4 * 1024 * 1024;

/**
 * Reads a file as chunks of whole lines: each yielded Buffer ends just after a newline (the last one may lack
 * it). Much faster than `readline` for large NDJSON files, and chunks can go to worker threads as they are.
 */
export async function* readLineChunks(path: string, chunkSize = CHUNK): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const buffer = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await file.read(buffer, 0, chunkSize, null);
      if (bytesRead === 0) break;
      const data = carry.length === 0 ? buffer.subarray(0, bytesRead) : Buffer.concat([carry, buffer.subarray(0, bytesRead)]);
      const cut = data.lastIndexOf(0x0a);
      if (cut < 0) {
        carry = Buffer.from(data);
        continue;
      }
      carry = Buffer.from(data.subarray(cut + 1));
      yield data.subarray(0, cut + 1);
    }
    if (carry.length > 0) yield carry;
  } finally {
    await file.close();
  }
}

/** The lines of a chunk from {@link readLineChunks}, without their newlines (a trailing `\r` is dropped). */
export function splitLines(chunk: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = chunk.indexOf(0x0a, start);
    const end = nl < 0 ? chunk.length : nl;
    const stop = end > start && chunk[end - 1] === 0x0d ? end - 1 : end;
    if (stop > start) lines.push(chunk.toString('utf8', start, stop));
    if (nl < 0) break;
    start = nl + 1;
  }
  return lines;
}
