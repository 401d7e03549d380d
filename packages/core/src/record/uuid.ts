import { randomFillSync } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Random bytes are drawn in blocks: one `randomFillSync` per UUID would dominate ingest time.
const pool = Buffer.alloc(10 * 1024);
let poolOffset = pool.length;

/**
 * A UUID version 7 (RFC 9562 §5.7): 48-bit Unix time in milliseconds, then random bits, so ids sort
 * by creation time.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = Buffer.allocUnsafe(16);
  b.writeUIntBE(nowMs, 0, 6);
  pool.copy(b, 6, poolOffset, poolOffset + 10);
  poolOffset += 10;
  b[6] = 0x70 | (b[6]! & 0x0f); // version 7
  b[8] = 0x80 | (b[8]! & 0x3f); // RFC 9562 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Whether `value` is a UUID in canonical lowercase form (any version). */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
