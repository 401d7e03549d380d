/**
 * Why a delivery did not happen. `refused` is a receiver's answer about these records (HTTP 400, 413, 415, 422):
 * sending them again cannot help, so the worker narrows the batch down and dead-letters the records refused alone.
 * Anything else (no connection, TLS failure, time-out, 5xx, 429, 401/403/404 — a receiver or a setting that is
 * wrong for every record) is `failed`: the records stay at the cursor and are sent again after a back-off.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly kind: 'failed' | 'refused',
    /** Seconds the receiver asked to wait (HTTP `Retry-After`), if it did. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/** A short, single-line description of any delivery failure, for `lastError` and logs. */
export function describeFailure(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  const code = typeof e?.code === 'string' && !message.includes(e.code) ? ` (${e.code})` : '';
  return `${message}${code}`.replace(/\s+/g, ' ').slice(0, 1000);
}
