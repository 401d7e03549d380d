import { randomFillSync } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Random bytes are drawn in blocks: one `randomFillSync` per UUID would dominate ingest time.
const pool = Buffer.alloc(10 * 1024);
let poolOffset = pool.length;

/** Where `n` fresh random bytes start in {@link pool} (read in place: no Buffer per id). */
function randomOffsetInPool(n: number): number {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += n;
  return at;
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
  const r = randomOffsetInPool(10);
  if (ms > lastMs) {
    hi = pool.readUIntBE(r, 6) % HI_LIMIT;
    lo = pool.readUInt32BE(r + 6);
  } else {
    ms = lastMs;
    lo = lastLo + 1 + (pool.readUInt32BE(r) & 0xffffff);
    hi = lastHi;
    if (lo >= LO_LIMIT) {
      lo -= LO_LIMIT;
      hi++;
    }
    if (hi >= HI_LIMIT) {
      // The 74 bits ran out within one millisecond: take the next one, fresh random bits.
      ms++;
      hi = pool.readUIntBE(r + 4, 6) % HI_LIMIT;
    }
  }
  lastMs = ms;
  lastHi = hi;
  lastLo = lo;
  // Bits of the 74: hi = rand_a (12) ‖ first 30 of rand_b; lo = last 32 of rand_b. Written as hex from a table, not
  // through a Buffer, its hex string and four slices: this runs for every event.
  const randA = Math.floor(hi / 2 ** 30);
  const randBHigh = hi % 2 ** 30;
  const msHigh = Math.floor(ms / 2 ** 16); // the first 32 of the 48 bits of time
  return (
    HEX[msHigh >>> 24]! + HEX[(msHigh >>> 16) & 0xff]! + HEX[(msHigh >>> 8) & 0xff]! + HEX[msHigh & 0xff]! + '-' +
    HEX[(ms >>> 8) & 0xff]! + HEX[ms & 0xff]! + '-' +
    HEX[0x70 | (randA >>> 8)]! + HEX[randA & 0xff]! + '-' + // version 7
    HEX[0x80 | (randBHigh >>> 24)]! + HEX[(randBHigh >>> 16) & 0xff]! + '-' + // RFC 9562 variant
    HEX[(randBHigh >>> 8) & 0xff]! + HEX[randBHigh & 0xff]! +
    HEX[lo >>> 24]! + HEX[(lo >>> 16) & 0xff]! + HEX[(lo >>> 8) & 0xff]! + HEX[lo & 0xff]!
  );
}

/** Two lowercase hex digits of each byte value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Whether `value` is a UUID in canonical lowercase form (any version). */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
