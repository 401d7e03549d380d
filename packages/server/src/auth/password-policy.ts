import { ValidationError } from '@tamga/core';

/** Shortest password accepted (NIST SP 800-63B §3.1.1.2 asks for at least 8; Tamga asks 12). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest password accepted: scrypt hashes any length, but a megabyte password is an attack, not a secret. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * Checks a new password against the policy: 12 to 1024 characters (code points) and not the login
 * (case-insensitive). Throws `PASSWORD_TOO_WEAK` naming `field`.
 */
export function checkPasswordPolicy(password: string, login: string, field = 'password'): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError('PASSWORD_TOO_WEAK', `${field}: must be at least ${MIN_PASSWORD_LENGTH} characters`, { field, minLength: MIN_PASSWORD_LENGTH });
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError('PASSWORD_TOO_WEAK', `${field}: must be at most ${MAX_PASSWORD_LENGTH} characters`, { field });
  }
  if (password.trim().toLowerCase() === login.trim().toLowerCase()) {
    throw new ValidationError('PASSWORD_TOO_WEAK', `${field}: must not be the login`, { field });
  }
}
