import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the signature of an HTTP delivery's body. */
export const SIGNATURE_HEADER = 'x-tamga-signature';

/** How far a receiver should accept a signature's timestamp from its own clock, in seconds (5 minutes). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * The `x-tamga-signature` header of a body: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The
 * timestamp is inside the MAC, so a receiver that refuses timestamps far from its clock refuses replays of an old
 * delivery; the secret is the destination's `secret` as UTF-8 bytes.
 */
export function signBody(secret: string, body: Buffer, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * What a receiver does with the header (and what the tests do): parses `t` and `v1`, refuses a timestamp more
 * than `toleranceSeconds` from `nowSeconds`, recomputes the MAC over `"<t>." + body` and compares in constant time.
 */
export function verifyBodySignature(
  header: string | undefined,
  body: Buffer,
  secret: string,
  nowSeconds: number,
  toleranceSeconds: number = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  if (header === undefined) return false;
  const parts = new Map(header.split(',').map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isSafeInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
