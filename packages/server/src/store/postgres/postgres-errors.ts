import type pg from 'pg';
import { StoreError, TamgaError } from '@tamga/core';

/*
 * What every PostgreSQL store shares: how a driver error becomes a StoreError, and how a transaction runs
 * on one pooled connection. One classification, so the same outage answers the same from every store.
 */

/** SQLSTATEs (besides class 08, connection exceptions) meaning the server cannot serve us now. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
]);

/** Socket-level error codes meaning the server cannot be reached. */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** Messages of pg / pg-pool errors that carry no code but mean the server is unreachable. */
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|Connection refused/i;

export function isPostgresUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code)) return true;
  }
  // Node's happy-eyeballs connect reports every address tried in an AggregateError.
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.some(isPostgresUnavailable)) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

/**
 * Wraps a driver error; the message names the operation only, never SQL text or driver detail. Tamga's own errors
 * (raised on purpose inside a store, e.g. ID_CONFLICT) pass unchanged.
 */
export function wrapPostgresError(error: unknown, what: string): TamgaError {
  if (error instanceof TamgaError) return error;
  if (isPostgresUnavailable(error)) {
    return new StoreError('STORE_UNAVAILABLE', `PostgreSQL is unavailable (could not ${what})`, {}, { cause: error });
  }
  return new StoreError('STORE_FAILED', `PostgreSQL failed to ${what}`, {}, { cause: error });
}

/** Runs `fn` in a transaction on one pooled connection: COMMIT on success, ROLLBACK on error (a connection whose
 * rollback failed is discarded, not returned to the pool). */
export async function inPostgresTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error('rollback failed');
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
