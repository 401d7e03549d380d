/**
 * Errors of Tamga: few classes, many stable codes.
 *
 * Every error that can reach a user carries a `code` from {@link ERROR_CODES}. The HTTP layer maps the
 * code to a status and an `application/problem+json` body; `docs/errors.md` lists every code and a test
 * keeps the two in sync.
 */

/** Every error code Tamga can raise, with its HTTP status and a one-line meaning. */
export const ERROR_CODES = Object.freeze({
  // Input validation
  VALIDATION_FAILED: { status: 400, title: 'A field of the request is invalid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body has a content type Tamga does not accept' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body exceeds the size limit' },
  BATCH_TOO_LARGE: { status: 413, title: 'The batch holds more events than allowed' },
  UNKNOWN_EVENT_CODE: { status: 422, title: 'The event code is not in the catalogue' },
  UNKNOWN_EVENT_NAME: { status: 422, title: 'The event name is not in the catalogue' },
  EVENT_NAME_MISMATCH: { status: 422, title: 'The event name does not match the event code' },
  INVALID_CURSOR: { status: 400, title: 'The pagination cursor is invalid' },
  EVENTS_APPEND_ONLY: { status: 405, title: 'Events cannot be deleted: the journal is append-only; retention removes old events' },
  ID_CONFLICT: { status: 409, title: 'The event id is already used by a different event' },
  // The HTTP request itself, before any route sees it
  MALFORMED_REQUEST: { status: 400, title: 'The request is not well-formed HTTP' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'The resource does not answer this method' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  // Access
  UNAUTHENTICATED: { status: 401, title: 'Credentials are missing or invalid' },
  FORBIDDEN: { status: 403, title: 'The credentials do not allow this action' },
  ACCOUNT_LOCKED: { status: 401, title: 'Sign-in is refused: the account is locked or disabled' },
  PASSWORD_EXPIRED: { status: 401, title: 'Sign-in is refused: the password or the account has expired' },
  PASSWORD_CHANGE_REQUIRED: { status: 403, title: 'The password must be changed before anything else' },
  PASSWORD_TOO_WEAK: { status: 422, title: 'The new password does not meet the password policy' },
  CSRF_TOKEN_INVALID: { status: 403, title: 'The x-csrf-token header is missing or does not match the session' },
  USER_NOT_FOUND: { status: 404, title: 'No user with this login' },
  USER_EXISTS: { status: 409, title: 'A user with this login already exists' },
  API_KEY_NOT_FOUND: { status: 404, title: 'No API key with this id' },
  // Lookups
  NOT_FOUND: { status: 404, title: 'The resource does not exist' },
  EVENT_NOT_FOUND: { status: 404, title: 'No event with this id' },
  LOG_NOT_FOUND: { status: 404, title: 'No log for this tenant' },
  TREE_SIZE_OUT_OF_RANGE: { status: 400, title: 'The tree size or index is outside the log' },
  RECORDS_PURGED: { status: 410, title: 'The records asked for were purged by the retention policy' },
  HOLD_NOT_FOUND: { status: 404, title: 'No active legal hold with this id' },
  // Integrity
  SIGNATURE_INVALID: { status: 422, title: 'A signature does not verify' },
  PROOF_INVALID: { status: 422, title: 'A Merkle proof does not verify' },
  CHECKPOINT_INVALID: { status: 422, title: 'A checkpoint is malformed or its signature does not verify' },
  NOTE_MALFORMED: { status: 422, title: 'A signed note is malformed' },
  KEY_UNKNOWN: { status: 422, title: 'No known key has this id' },
  RECORD_TAMPERED: { status: 422, title: 'A record does not match its canonical bytes, leaf, payload digest or signature' },
  LOG_INCONSISTENT: { status: 422, title: 'The log does not match its signed checkpoints (gap, reorder, rewrite or rollback)' },
  BUNDLE_INVALID: { status: 422, title: 'An evidence bundle or receipt is unusable: missing, malformed or unsupported' },
  CHECKPOINT_PENDING: { status: 503, title: 'No signed checkpoint covers the record yet; retry in a second' },
  // Catalogue
  CATALOG_INVALID: { status: 422, title: 'A catalogue file is invalid' },
  CATALOG_NOT_FOUND: { status: 404, title: 'No such catalogue entry or tenant catalogue' },
  // Forwarding
  DESTINATION_NOT_FOUND: { status: 404, title: 'No forwarding destination with this id' },
  DESTINATION_EXISTS: { status: 409, title: 'A forwarding destination with this name already exists' },
  DESTINATION_MANAGED_BY_FILE: { status: 409, title: 'The forwarding destination is managed by TAMGA_FORWARD_FILE; change the file' },
  DESTINATION_UNREACHABLE: { status: 502, title: 'The forwarding destination did not accept the test event' },
  // Storage and service
  STORE_UNAVAILABLE: { status: 503, title: 'The database is unavailable; retry later' },
  STORE_FAILED: { status: 500, title: 'The database failed to complete the operation' },
  STORE_OUTCOME_UNKNOWN: { status: 503, title: 'The database did not confirm whether the batch was committed; retry it with the same ids' },
  STORE_CORRUPT: { status: 503, title: 'The database file is damaged; an operator must restore it' },
  RATE_LIMITED: { status: 429, title: 'Too many requests; retry later' },
  SERVER_UNREACHABLE: { status: 503, title: 'The Tamga server cannot be reached' },
  CONFIG_INVALID: { status: 500, title: 'The configuration is invalid' },
  INTERNAL: { status: 500, title: 'Internal error' },
  // Producers (the SDK and `tamga send`): raised on the producer's side, never sent by the server; the status is the
  // nearest HTTP meaning.
  PRODUCER_BUFFER_FULL: { status: 503, title: "The producer's buffer is full and its overflow policy is to block" },
  EVENTS_DROPPED: { status: 503, title: "Events were dropped: the producer's buffer or spool was full (drop-oldest)" },
  DELIVERY_TIMEOUT: { status: 504, title: 'Events were not confirmed committed in time; they stay queued' },
  PRODUCER_CLOSED: { status: 409, title: 'The producer is closed' },
  SPOOL_LOCKED: { status: 409, title: 'Another process holds the spool directory' },
  SPOOL_CORRUPT: { status: 500, title: 'Part of the spool could not be read and was set aside' },
  SPOOL_FAILED: { status: 507, title: 'The spool could not be written (disk full or failing); events wait in memory' },
} as const);

/** A stable error code, e.g. `UNKNOWN_EVENT_CODE`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Details attached to an error: which field (JSON pointer style, e.g. `/3/event`) and extra facts. */
export interface ErrorDetails {
  /** The offending field, e.g. `event` or `[3].createdAt` (batch index first). */
  readonly field?: string;
  /** Position of the offending event in a batch (0-based). */
  readonly index?: number;
  /** Any further machine-readable facts, e.g. `{ code: 99999 }`. */
  readonly [key: string]: unknown;
}

/** Base class of every error Tamga raises on purpose. */
export class TamgaError extends Error {
  /** Stable code, see {@link ERROR_CODES}. */
  readonly code: ErrorCode;
  /** Machine-readable details, such as the offending field. */
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  /** HTTP status for this error's code. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** Bad input from a caller: a field is missing, malformed or out of range. */
export class ValidationError extends TamgaError {}

/** An integrity check failed: signature, proof, checkpoint or bundle. */
export class VerificationError extends TamgaError {}

/** The store failed; wraps driver errors so SQL errors never reach HTTP. */
export class StoreError extends TamgaError {}

/** Whether `value` is a {@link TamgaError} (works across package copies). */
export function isTamgaError(value: unknown): value is TamgaError {
  return value instanceof TamgaError;
}
