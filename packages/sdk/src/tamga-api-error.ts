/** An RFC 9457 problem document as the Tamga server sends it (`application/problem+json`). */
export interface TamgaProblem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  /** Tamga's stable error code, e.g. `UNKNOWN_EVENT_CODE` (docs/errors.md). */
  readonly code?: string;
  readonly detail?: string;
  /** The offending field, e.g. `[3].createdAt`. */
  readonly field?: string;
  /** Position of the offending event in a batch. */
  readonly index?: number;
  readonly [key: string]: unknown;
}

/**
 * A request to Tamga that failed: the server refused it (`status` ≥ 400, with its problem document), or it could not
 * be delivered at all (`status` 0: network error or timeout, the cause attached).
 */
export class TamgaApiError extends Error {
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** The server's error code (`problem.code`), or `NETWORK` / `TIMEOUT` when no answer arrived. */
  readonly code: string;
  /** The problem document, when the server sent one. */
  readonly problem: TamgaProblem | undefined;
  /** Whether sending the same request again may succeed (network errors, timeouts, 5xx, 429). */
  readonly retryable: boolean;
  /** Seconds the server asked to wait (`Retry-After`), when it did. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    init: { status: number; code: string; problem?: TamgaProblem; retryable: boolean; retryAfterSeconds?: number; cause?: unknown },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'TamgaApiError';
    this.status = init.status;
    this.code = init.code;
    this.problem = init.problem;
    this.retryable = init.retryable;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** Whether an HTTP status is worth retrying with the same request: 408, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
