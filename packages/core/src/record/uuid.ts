import { randomFillSync } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Random bytes are drawn in blocks: one `randomFillSync` per UUID would dominate ingest time.
const pool = Buffer.alloc(10 * 1024);
let poolOffset = pool.length;

function randomBytesFromPool(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return bytes;
}

// The 74 bits after the time stamp (12 of rand_a, 62 of rand_b) as two integers a double holds exactly.
const HI_BITS = 42;
const LO_BITS = 32;
const HI_LIMIT = 2 ** HI_BITS;
const LO_LIMIT = 2 ** LO_BITS;

// State of the last id: RFC 9562 §6.2 method 2 ("monotonic random").
let lastMs = -1;
let lastHi = 0;
let lastLo = 0;

/**
 * A UUID version 7 (RFC 9562 §5.7): 48-bit Unix time in milliseconds, then 74 random bits, so ids sort by creation
 * time. Ids made by this process are strictly increasing (RFC 9562 §6.2, method 2): within one millisecond (or when
 * `nowMs` is earlier than the last id's time, e.g. the clock stepped back) the random part of the previous id is
 * increased by a random step of 1 to 2^24 rather than drawn afresh, keeping the previous time; if it would
 * overflow, the time advances by one millisecond.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  let ms = Math.floor(nowMs);
  let hi: number;
  let lo: number;
  const r = randomBytesFromPool(10);
  if (ms > lastMs) {
    hi = r.readUIntBE(0, 6) % HI_LIMIT;
    lo = r.readUInt32BE(6);
  } else {
    ms = lastMs;
    lo = lastLo + 1 + (r.readUInt32BE(0) & 0xffffff);
    hi = lastHi;
    if (lo >= LO_LIMIT) {
      lo -= LO_LIMIT;
      hi++;
    }
    if (hi >= HI_LIMIT) {
      // The 74 bits ran out within one millisecond: take the next one, fresh random bits.
      ms++;
      hi = r.readUIntBE(4, 6) % HI_LIMIT;
    }
  }
  lastMs = ms;
  lastHi = hi;
  lastLo = lo;
  const b = Buffer.allocUnsafe(16);
  b.writeUIntBE(ms, 0, 6);
  // Bits of the 74: hi = rand_a (12) ‖ first 30 of rand_b; lo = last 32 of rand_b.
  const randA = Math.floor(hi / 2 ** 30);
  const randBHigh = hi % 2 ** 30;
  b[6] = 0x70 | (randA >>> 8); // version 7
  b[7] = randA & 0xff;
  b[8] = 0x80 | (randBHigh >>> 24); // RFC 9562 variant
  b[9] = (randBHigh >>> 16) & 0xff;
  b[10] = (randBHigh >>> 8) & 0xff;
  b[11] = randBHigh & 0xff;
  b.writeUInt32BE(lo, 12);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Whether `value` is a UUID in canonical lowercase form (any version). */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
