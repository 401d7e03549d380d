import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (RFC 7914) from `node:crypto`. Parameters: docs/decisions/0004.
 *
 * Stored form: `scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<32-byte key, base64url>`, so the parameters
 * can be raised later and old hashes still verify.
 */
export interface PasswordHashParams {
  /** log2 of the CPU/memory cost N. Default 15 (N = 32768: 32 MiB, ~50 ms per hash). */
  readonly log2N: number;
  /** Block size r. Default 8. */
  readonly r: number;
  /** Parallelization p. Default 1. */
  readonly p: number;
}

/** The parameters new hashes get (OWASP Password Storage Cheat Sheet, 2024: N=2^15, r=8, p=1 or stronger). */
export const DEFAULT_PASSWORD_HASH_PARAMS: PasswordHashParams = Object.freeze({ log2N: 15, r: 8, p: 1 });

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Hashes read from the database are trusted only up to these costs (a tampered row must not exhaust memory). */
const MAX_LOG2N = 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Buffer, params: PasswordHashParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  // scrypt needs 128 * N * r bytes; node refuses more than maxmem (default 32 MiB), so allow twice that.
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password with a fresh 128-bit salt. */
export async function hashPassword(password: string, params: PasswordHashParams = DEFAULT_PASSWORD_HASH_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params);
  return ['scrypt', params.log2N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * Whether `password` matches `stored`. A malformed stored hash, or one with parameters beyond the limits,
 * never matches. Compares in constant time.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![log2N, r, p].every(Number.isInteger) || log2N < 1 || log2N > MAX_LOG2N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || expected.length !== KEY_LENGTH) return false;
  const key = await derive(password, salt, { log2N, r, p });
  return timingSafeEqual(key, expected);
}

/** A hash of a random password: verified against when a login does not exist, so timing does not tell. */
export function dummyPasswordHash(params: PasswordHashParams = DEFAULT_PASSWORD_HASH_PARAMS): Promise<string> {
  return hashPassword(randomBytes(16).toString('hex'), params);
}
