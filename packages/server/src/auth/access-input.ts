import { DEFAULT_TENANT_NAME, parseTimestamp, ValidationError } from '@tamga/core';
import type { TenantIds } from '@tamga/core';
import type { TenantScope } from '../journal/journal-store.js';
import { API_KEY_SCOPES, ROLES } from './access-store.js';
import type { ApiKeyScope, Role } from './access-store.js';
import { MAX_PASSWORD_LENGTH } from './password-policy.js';

/**
 * Defensive parsing of the bodies of the access endpoints: anything unexpected becomes a
 * `VALIDATION_FAILED` naming the field, never a stray TypeError.
 */

/** Logins: a letter or digit, then letters, digits, `.`, `_`, `@`, `-`; at most 64 characters. */
export const LOGIN_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MAX_TENANTS = 1000;
const MAX_NAME = 100;

function invalid(field: string, message: string): never {
  throw new ValidationError('VALIDATION_FAILED', `${field}: ${message}`, { field });
}

/** The body as a plain object. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) invalid('body', 'must be a JSON object');
  return body as Record<string, unknown>;
}

/** Refuses fields the endpoint does not know, so a typo is not silently ignored. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) if (!allowed.includes(key)) invalid(key, 'is not a known field');
}

export function parseLogin(value: unknown, field = 'login'): string {
  if (typeof value !== 'string' || !LOGIN_RE.test(value)) {
    invalid(field, 'must be 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit');
  }
  return value;
}

/** A password as sent (the policy is checked separately): a string of at most 1024 characters. */
export function parsePassword(value: unknown, field = 'password'): string {
  if (typeof value !== 'string' || value === '') invalid(field, 'must be a non-empty string');
  if (value.length > MAX_PASSWORD_LENGTH * 2) invalid(field, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
  return value;
}

/** Longest `roles` or `scopes` list accepted (each value counts once; a longer list is surely a mistake or an attack). */
const MAX_ROLE_VALUES = 10;

export function parseRoles(value: unknown, field = 'roles'): Role[] {
  if (!Array.isArray(value) || value.length > MAX_ROLE_VALUES) invalid(field, `must be an array of at most ${MAX_ROLE_VALUES} of ${ROLES.join(', ')}`);
  const roles = new Set<Role>();
  for (const role of value) {
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) invalid(field, `must hold only ${ROLES.join(', ')}`);
    roles.add(role as Role);
  }
  return [...roles];
}

export function parseScopes(value: unknown, field = 'scopes'): ApiKeyScope[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ROLE_VALUES) {
    invalid(field, `must be a non-empty array of at most ${MAX_ROLE_VALUES} of ${API_KEY_SCOPES.join(', ')}`);
  }
  const scopes = new Set<ApiKeyScope>();
  for (const scope of value) {
    if (typeof scope !== 'string' || !(API_KEY_SCOPES as readonly string[]).includes(scope)) {
      invalid(field, `must hold only ${API_KEY_SCOPES.join(', ')}`);
    }
    scopes.add(scope as ApiKeyScope);
  }
  return [...scopes];
}

/**
 * The tenants of a user or an API key (`default` = the default tenant, stored as null): ids that follow the tenant-id
 * rule, or ids stored before it (so their data can still be read), at most 1,000.
 */
export function parseTenants(value: unknown, tenantIds: TenantIds, field = 'tenants'): TenantScope {
  if (!Array.isArray(value) || value.length > MAX_TENANTS) invalid(field, `must be an array of at most ${MAX_TENANTS} tenant names`);
  const tenants = new Set<string | null>();
  for (const tenant of value) {
    if (typeof tenant !== 'string') invalid(field, `must hold tenant names ("${DEFAULT_TENANT_NAME}" for the default tenant)`);
    if (tenant !== DEFAULT_TENANT_NAME) tenantIds.checkName(tenant, field);
    tenants.add(tenant === DEFAULT_TENANT_NAME ? null : tenant);
  }
  return [...tenants];
}

/** Tenants as the API shows them: null → `default`. */
export function showTenants(tenants: TenantScope): string[] {
  return tenants.map((t) => t ?? DEFAULT_TENANT_NAME);
}

export function parseBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') invalid(field, 'must be true or false');
  return value;
}

/** An RFC 3339 time, or null; UTC milliseconds. */
export function parseOptionalTime(value: unknown, field: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') invalid(field, 'must be an RFC 3339 timestamp or null');
  const micros = parseTimestamp(value);
  if (micros === undefined) invalid(field, 'must be an RFC 3339 timestamp, e.g. 2027-01-01T00:00:00Z');
  return Math.floor(micros / 1000);
}

export function parseName(value: unknown, field = 'name'): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(value)) {
    invalid(field, `must be 1 to ${MAX_NAME} printable characters`);
  }
  return value.trim();
}

/** Millisecond time as RFC 3339, or null. */
export function showTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
