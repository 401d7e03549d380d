import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JournalStore, TenantScope } from '../journal/journal-store.js';

/** Who is calling and what they may do. */
export interface Principal {
  /** Display name, e.g. `bootstrap-admin`. */
  readonly name: string;
  readonly canRead: boolean;
  readonly canIngest: boolean;
  readonly isAdmin: boolean;
  /** Tenants the principal may touch (`null` = default tenant); undefined = every tenant. */
  readonly tenants?: TenantScope;
  /** Tenants it may append to, when they differ from `tenants` (an auditor with the ingest role). */
  readonly writeTenants?: TenantScope;
  /** How it signed in: the bootstrap key, an API key, or a password session. */
  readonly kind?: 'bootstrap' | 'api-key' | 'session';
  /** Stable id for limits and journalling: `bootstrap`, `key:<id>` or `user:<login>`. */
  readonly id?: string;
  /** The `userId` of the events it causes (the login for users, `key:<name>` for API keys). */
  readonly userId?: string;
  /** The operation key of its session: every event of one session shares it. */
  readonly operationKey?: string;
  /** A session opened with a one-time password: only a password change is allowed. */
  readonly mustChangePassword?: boolean;
  /** SHA-256 of the session id (sessions only). */
  readonly sessionIdHash?: string;
  /** When the session began, UTC milliseconds (sessions only): where the Event API's poll without an id starts. */
  readonly sessionStartedAt?: number;
  /** The session's CSRF token (sessions only). */
  readonly csrfToken?: string;
}

/** Resolves a bearer token to a principal. */
export interface Authenticator {
  authenticate(token: string): Promise<Principal | undefined>;
}

/** Prefix of every API key Tamga issues, so leaked keys are easy to find with secret scanners. */
export const API_KEY_PREFIX = 'tmg_';

const SETTING = 'bootstrap-api-key-sha256';

/** SHA-256 of an API key, hex. Keys are 256-bit random, so a fast hash is enough (no password stretching). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random API key: `tmg_` + 43 base64url characters (256 bits). */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Makes sure a bootstrap administrator key exists. With `envKey` (from `TAMGA_ADMIN_API_KEY`) its hash
 * is stored; otherwise, on first start, a key is generated, its hash stored, and the key returned once
 * so it can be printed. Only the hash is ever written.
 */
export async function ensureBootstrapKey(store: JournalStore, envKey?: string): Promise<{ created?: string }> {
  if (envKey !== undefined && envKey !== '') {
    await store.putSetting(SETTING, hashApiKey(envKey));
    return {};
  }
  if ((await store.getSetting(SETTING)) !== undefined) return {};
  const key = generateApiKey();
  await store.putSetting(SETTING, hashApiKey(key));
  return { created: key };
}

/** Accepts the bootstrap administrator key (full rights, every tenant). */
export class BootstrapKeyAuthenticator implements Authenticator {
  readonly #store: JournalStore;

  constructor(store: JournalStore) {
    this.#store = store;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const stored = await this.#store.getSetting(SETTING);
    if (stored === undefined) return undefined;
    const a = Buffer.from(hashApiKey(token), 'hex');
    const b = Buffer.from(stored, 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    return {
      name: 'bootstrap-admin',
      canRead: true,
      canIngest: true,
      isAdmin: true,
      kind: 'bootstrap',
      id: 'bootstrap',
      userId: 'bootstrap-admin',
    };
  }
}
