import type { TenantScope } from '../journal/journal-store.js';

/**
 * The access store port: users, API keys, sessions and failed sign-ins. A port of its own, next to the
 * journal's `JournalStore`, sharing that store's connection (`../store/<backend>/<backend>-access-store.ts`);
 * both implementations pass one contract suite (`../store/access-store.contract.ts`).
 *
 * Guarantees every implementation MUST give:
 * - Its tables are created idempotently on open; opening twice is harmless.
 * - No secret is stored in the clear: passwords only as scrypt hashes, API keys and session ids only as
 *   SHA-256 hex. The store never sees a raw secret.
 * - `getApiKeyByHash` and `getSession` read the database on every call (no cache), so a revoked key or a
 *   deleted session stops working at once, on every node.
 * - Deleting a user deletes its sessions in the same transaction.
 * - Driver errors leave the store only as `StoreError`.
 *
 * Times are UTC milliseconds.
 */
export interface AccessStore {
  getUser(login: string): Promise<UserRecord | undefined>;
  /** Every user, by login. */
  listUsers(): Promise<UserRecord[]>;
  /** Stores a new user; false when the login is taken. */
  createUser(user: UserRecord): Promise<boolean>;
  /** Replaces a user's fields (by login); false when there is no such user. */
  updateUser(user: UserRecord): Promise<boolean>;
  /** Deletes a user and its sessions; false when there is no such user. */
  deleteUser(login: string): Promise<boolean>;

  /** Stores a new API key. */
  createApiKey(key: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** The key whose SHA-256 is `keyHash`, revoked or not. */
  getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Every API key, newest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked at `at`; false when there is no such key or it was already revoked. */
  revokeApiKey(id: string, at: number): Promise<boolean>;
  /** Records that a key was used at `at`. */
  touchApiKey(id: string, at: number): Promise<void>;

  createSession(session: SessionRecord): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  /** Records activity on a session at `at` (idle timeout). */
  touchSession(idHash: string, at: number): Promise<void>;
  /** Deletes one session; false when there was none. */
  deleteSession(idHash: string): Promise<boolean>;
  /** Deletes every session of a user except `keepIdHash`; returns how many. */
  deleteSessionsOf(login: string, keepIdHash?: string): Promise<number>;
  /** Deletes sessions last seen before `idleBefore` or created before `createdBefore`; returns how many. */
  deleteExpiredSessions(idleBefore: number, createdBefore: number): Promise<number>;

  /**
   * Counts a sign-in attempt of `login` (which may not exist) from `ip` as a failure before its password is checked, unless `limit`
   * failures at or after `since` are counted already (then nothing is added). MUST be atomic across concurrent
   * attempts and nodes: of n parallel attempts on a login with c failures, exactly `max(0, limit - c)` are admitted.
   * A sign-in that then succeeds clears the failures ({@link AccessStore.clearLoginFailures}).
   * @returns whether the attempt was counted, and the failures at or after `since` (this one included) with the
   *   oldest one's time.
   */
  admitLoginAttempt(login: string, ip: string, at: number, since: number, limit: number): Promise<LoginAdmission>;
  /** Forgets the failed sign-ins of `login` (after a successful one), and any older than `before`. */
  clearLoginFailures(login: string, before: number): Promise<void>;
  /**
   * For a store several nodes share: takes `cost` tokens (at most `capacity`) from the token bucket `key` (up to
   * `capacity` tokens, refilled `ratePerSecond` a second) at `now`, atomically across nodes, so a limit holds for the
   * cluster rather than per node. Returns 0 when taken, else the whole seconds until the same cost would pass (nothing
   * is taken then). Absent: the limits are kept in memory (one node).
   */
  takeTokens?(key: string, cost: number, capacity: number, ratePerSecond: number, now: number): Promise<number>;
}

/** The answer of {@link AccessStore.admitLoginAttempt}. */
export interface LoginAdmission {
  /** False when `limit` failures were counted already: the account is locked and the password is not checked. */
  readonly admitted: boolean;
  /** Failures in the window, the admitted attempt included. */
  readonly count: number;
  /** Time of the oldest failure in the window (the lock ends a window after it). */
  readonly oldest: number | null;
}

/** The roles of a user. */
export const ROLES = ['administrator', 'auditor', 'tenant-auditor', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

/** What an API key may do. */
export const API_KEY_SCOPES = ['ingest', 'read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** A user account as stored. */
export interface UserRecord {
  readonly login: string;
  /** `scrypt$N$r$p$salt$hash`, see `password-hashing.ts`. */
  readonly passwordHash: string;
  readonly roles: readonly Role[];
  /** Tenants of the `tenant-auditor` and `ingest` roles (`null` = default tenant). */
  readonly tenants: TenantScope;
  readonly enabled: boolean;
  /** Set by a one-time password (first start, reset): only a password change is allowed. */
  readonly mustChangePassword: boolean;
  readonly passwordChangedAt: number;
  /** The account expires at this time; null = never. */
  readonly expiresAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An API key as stored: never the key itself. */
export interface ApiKeyRecord {
  /** UUIDv7. */
  readonly id: string;
  readonly name: string;
  /** SHA-256 of the key, hex. */
  readonly keyHash: string;
  readonly scopes: readonly ApiKeyScope[];
  /** Tenants the key may touch; null = every tenant. */
  readonly tenants: TenantScope | null;
  /** Who created it (principal name). */
  readonly createdBy: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

/** A sign-in session as stored: the id only as its SHA-256. */
export interface SessionRecord {
  /** SHA-256 of the session id, hex. */
  readonly idHash: string;
  readonly login: string;
  /** The operation key stamped on every event of this session (sign-in to sign-out). */
  readonly operationKey: string;
  readonly ip: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}
