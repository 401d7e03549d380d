/** How a request is retried after a retryable failure (network error, timeout, 408, 429, 5xx). */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 8; `Infinity` retries until the request succeeds or is aborted. */
  readonly maxAttempts?: number;
  /** Upper bound of the first backoff delay, in ms. Default 250. */
  readonly initialDelayMs?: number;
  /** Largest backoff delay, in ms (a longer `Retry-After` is still honoured). Default 30,000. */
  readonly maxDelayMs?: number;
}

/** The defaults of {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: Required<RetryPolicy> = Object.freeze({ maxAttempts: 8, initialDelayMs: 250, maxDelayMs: 30_000 });

/**
 * The delay before retry number `attempt` (1 = the first retry): exponential backoff with full jitter (a uniformly
 * random delay up to `initialDelayMs · 2^(attempt-1)`, capped at `maxDelayMs`), so producers that failed together
 * don't come back together. A server's `Retry-After` is a floor: the delay is never shorter than what it asked.
 */
export function backoffDelayMs(attempt: number, policy: Required<RetryPolicy>, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterSeconds === undefined ? jittered : Math.max(jittered, retryAfterSeconds * 1000);
}

/**
 * Parses an HTTP `Retry-After` value (RFC 9110 §10.2.3): delay-seconds or an HTTP date. Undefined when absent or
 * unreadable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMs) / 1000));
}
