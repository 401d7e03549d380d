import pg from 'pg';
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
  '57014', // query_canceled: the statement ran past statement_timeout
  '55P03', // lock_not_available: lock_timeout
  '25P03', // idle_in_transaction_session_timeout
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
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|Connection refused|Query read timeout|not queryable/i;

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
    const code = (error as { code?: unknown }).code;
    const message =
      code === '57014'
        ? `PostgreSQL did not finish in time (statement timeout, TAMGA_DATABASE_STATEMENT_TIMEOUT_SECONDS) and could not ${what}`
        : /Query read timeout/.test(String((error as { message?: unknown }).message))
          ? `PostgreSQL did not answer in time (could not ${what})`
          : `PostgreSQL is unavailable (could not ${what})`;
    return new StoreError('STORE_UNAVAILABLE', message, {}, { cause: error });
  }
  return new StoreError('STORE_FAILED', `PostgreSQL failed to ${what}`, {}, { cause: error });
}

/**
 * Runs `fn` in a transaction on one pooled connection and resolves only once it has committed; rolls back on error.
 *
 * - The connection is watched for the whole checkout: a connection that drops between two statements emits an
 *   error event, which with no listener would end the process (pg-pool listens only while a client is idle).
 * - A connection that timed out or dropped is discarded without a ROLLBACK (it would wait behind the stuck
 *   statement); the server rolls back an open transaction when its connection ends.
 * - The transaction's id is read with BEGIN (same round trip). When COMMIT gets no answer, whether it committed is
 *   asked on another connection (`txid_status`, PostgreSQL ≥ 10) for at most `outcomeTimeoutMs`: committed resolves
 *   as if COMMIT had answered, aborted rethrows the error, and no answer is `STORE_OUTCOME_UNKNOWN`. So a failure is
 *   never reported for a transaction that committed (acknowledged means committed; refused means not stored).
 *
 * @param outcomeTimeoutMs - how long to try to learn a commit's outcome. Default 5 s.
 */
export async function inPostgresTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  outcomeTimeoutMs = 5_000,
): Promise<T> {
  const client = await pool.connect();
  let dropped: unknown;
  const onError = (error: unknown): void => {
    dropped = error;
  };
  client.on('error', onError);
  let xid: string | undefined;
  let result: T;
  try {
    const begun = (await client.query('BEGIN; SELECT txid_current()::text AS xid')) as unknown as pg.QueryResult<{ xid: string }>[];
    xid = begun[1]?.rows[0]?.xid;
    result = await fn(client);
  } catch (error) {
    // A statement the server refused leaves a working connection to roll back; one that got no answer does not.
    let broken: unknown = dropped ?? (!hasServerAnswer(error) && isPostgresUnavailable(error) ? error : undefined);
    if (broken === undefined) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e;
      });
    }
    release(client, onError, broken);
    throw error;
  }
  if (dropped !== undefined) {
    // Lost before COMMIT was sent: the server rolls the transaction back.
    release(client, onError, dropped);
    throw dropped;
  }
  try {
    await client.query('COMMIT');
  } catch (error) {
    release(client, onError, hasServerAnswer(error) ? undefined : error);
    // The server may have committed before the answer was lost: learn the outcome before reporting anything.
    const outcome = hasServerAnswer(error) || xid === undefined ? 'aborted' : await transactionOutcome(pool, xid, outcomeTimeoutMs);
    if (outcome === 'committed') return result;
    if (outcome === 'aborted') throw error;
    throw new StoreError(
      'STORE_OUTCOME_UNKNOWN',
      'PostgreSQL did not confirm whether the batch was committed; retry it with the same ids (an event already stored answers duplicate: true)',
      {},
      { cause: error },
    );
  }
  release(client, onError, dropped);
  return result;
}

/**
 * Whether the server itself answered with this error (it has a SQLSTATE), so the connection still works and the
 * statement's fate is known; a client-side timeout or a dropped connection has none.
 */
function hasServerAnswer(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return false;
  // Class 08 and 57P0x: the server ends the connection with the error.
  return !error.code?.startsWith('08') && !error.code?.startsWith('57P');
}

/** Returns a client to the pool, or discards it when `broken` is set; stops watching it. */
function release(client: pg.PoolClient, onError: (error: unknown) => void, broken: unknown): void {
  client.removeListener('error', onError);
  // A discarded client may still emit (its socket closing): keep a listener so that cannot end the process.
  if (broken !== undefined) client.on('error', () => undefined);
  try {
    client.release(broken === undefined ? undefined : broken instanceof Error ? broken : new Error(String(broken)));
  } catch {
    // released already (pg-pool throws on a second release)
  }
}

/** How long to wait between two questions about a transaction still in progress. */
const OUTCOME_POLL_MS = 100;

/**
 * Whether transaction `xid` committed, asked on a fresh pooled connection until it is no longer in progress or
 * `timeoutMs` has passed: `committed`, `aborted`, or `unknown` (no answer in time, or still in progress).
 */
export async function transactionOutcome(pool: pg.Pool, xid: string, timeoutMs: number): Promise<'committed' | 'aborted' | 'unknown'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const question: pg.QueryConfig & { query_timeout: number } = {
      text: 'SELECT txid_status($1::bigint) AS status',
      values: [xid],
      query_timeout: Math.max(1, left),
    };
    const asked = pool
      .query<{ status: string | null }>(question)
      .then((r) => r.rows[0]?.status ?? null)
      .catch(() => 'unknown');
    const status = await Promise.race([asked, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('unknown'), left)))]);
    clearTimeout(timer);
    // NULL: the xid is too old to know (wrapped around): not ours, which is seconds old.
    if (status === 'committed' || status === 'aborted') return status;
    if (status === 'unknown') return 'unknown';
    await new Promise((resolve) => setTimeout(resolve, Math.min(OUTCOME_POLL_MS, Math.max(0, deadline - Date.now()))));
  }
  return 'unknown';
}
