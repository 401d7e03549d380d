import { ERROR_CODES, TamgaError } from '@tamga/core';
import type { ErrorCode } from '@tamga/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** Media type of every error body (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';

/** An RFC 9457 problem document as Tamga sends it. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly field?: string;
  readonly index?: number;
  readonly [key: string]: unknown;
}

// Fastify's own error codes that are caused by the request, and what they mean for a caller.
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
};

/** Turns any error into a problem document; unexpected errors become `INTERNAL` with no internals shown. */
export function toProblem(error: unknown): Problem {
  if (error instanceof TamgaError) {
    const { field, index, ...rest } = error.details;
    return {
      ...rest,
      type: `urn:tamga:error:${error.code}`,
      title: ERROR_CODES[error.code].title,
      status: error.status,
      code: error.code,
      detail: error.message,
      ...(field !== undefined && { field }),
      ...(index !== undefined && { index }),
    };
  }
  const fe = error as Partial<FastifyError>;
  const mapped = fe.code !== undefined ? FASTIFY_CODES[fe.code] : undefined;
  const code: ErrorCode =
    mapped ?? (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500 ? 'VALIDATION_FAILED' : 'INTERNAL');
  const detail = code === 'INTERNAL' ? 'Internal error' : (fe.message ?? ERROR_CODES[code].title);
  return {
    type: `urn:tamga:error:${code}`,
    title: ERROR_CODES[code].title,
    status: mapped !== undefined || code === 'INTERNAL' ? ERROR_CODES[code].status : fe.statusCode!,
    code,
    detail,
  };
}

/** The problem's `instance` (RFC 9457 §3.1.5): this request, by the id the server log records it under. */
export function instanceOf(request: FastifyRequest): string {
  return `urn:uuid:${request.id}`;
}

/** Codes whose answer carries `Retry-After`: the problem's `retryAfter` (seconds), else 5. */
const RETRY_LATER: ReadonlySet<ErrorCode> = new Set(['STORE_UNAVAILABLE', 'STORE_OUTCOME_UNKNOWN', 'STORE_CORRUPT', 'RATE_LIMITED', 'ACCOUNT_LOCKED']);

/** Longest wait for the rest of a body too large before answering 413 anyway. */
const DRAIN_MS = 5_000;

/** Reads and drops the rest of a request body; resolves when it ended, failed, or after `ms`. */
function drainBody(raw: FastifyRequest['raw'], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    raw.once('end', done).once('close', done).once('error', done);
    raw.resume();
  });
}

/**
 * Fastify error handler: every error leaves as `application/problem+json`. A request body not read yet (refused as
 * too large, of a media type no route takes, or never reached) is read to its end first, at most 5 s: Fastify closes
 * the connection after such errors, and closing while the client still sends makes the kernel reset it, so the
 * client may never read the answer (RFC 9112 §9.6).
 */
export function sendProblem(this: unknown, error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<void> {
  const problem: Problem = { ...toProblem(error), instance: instanceOf(request) };
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  if (RETRY_LATER.has(problem.code)) {
    const seconds = typeof problem.retryAfter === 'number' ? problem.retryAfter : 5;
    if (problem.code !== 'ACCOUNT_LOCKED' || typeof problem.retryAfter === 'number') void reply.header('retry-after', String(seconds));
  }
  const send = (): FastifyReply => reply.status(problem.status).type(PROBLEM_JSON).send(problem);
  const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
  if (hasBody && !request.raw.readableEnded && !request.raw.destroyed) {
    return drainBody(request.raw, DRAIN_MS).then(() => void send());
  }
  return send();
}
