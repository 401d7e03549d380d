import { ApiError } from '../api/tamga-api.js';
import { t } from './i18n.js';
import type { MessageKey } from './messages.js';

/**
 * The page's own words for the problem codes people meet in it; the server's `detail` is English and names
 * fields, so other codes (VALIDATION_FAILED, …) keep it.
 */
const CODE_TEXTS: Readonly<Partial<Record<string, MessageKey>>> = {
  UNAUTHENTICATED: 'errUnauthenticated',
  FORBIDDEN: 'errForbidden',
  ACCOUNT_LOCKED: 'errAccountLocked',
  PASSWORD_EXPIRED: 'errPasswordExpired',
  PASSWORD_TOO_WEAK: 'errPasswordTooWeak',
  CSRF_TOKEN_INVALID: 'errSessionStale',
  RATE_LIMITED: 'errRateLimited',
  STORE_UNAVAILABLE: 'errStoreUnavailable',
  STORE_FAILED: 'errServer',
  INTERNAL: 'errServer',
  LOG_NOT_FOUND: 'errLogNotFound',
};

/** Codes whose text depends on where they happen (e.g. UNAUTHENTICATED at sign-in: wrong login or password). */
export type ErrorTextOverrides = Readonly<Partial<Record<string, MessageKey>>>;

function asApiError(caught: unknown): ApiError {
  return caught instanceof ApiError ? caught : new ApiError('NETWORK', String(caught), 0);
}

/** The sentence for a failed call, in the page's language where the page knows the code (see {@link errorText}). */
export function errorMessage(caught: unknown, overrides: ErrorTextOverrides = {}): string {
  const error = asApiError(caught);
  if (error.isNetwork) return t('serverUnreachable');
  const key = overrides[error.code] ?? CODE_TEXTS[error.code];
  return key === undefined ? error.message : t(key);
}

/** What the page says about a failed call: {@link errorMessage}, then the problem code, e.g. `… (ACCOUNT_LOCKED)`. */
export function errorText(caught: unknown, overrides: ErrorTextOverrides = {}): string {
  const error = asApiError(caught);
  return error.isNetwork ? t('serverUnreachable') : `${errorMessage(error, overrides)} (${error.code})`;
}
