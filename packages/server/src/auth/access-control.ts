import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TamgaError, uuidv7 } from '@tamga/core';
import type { TenantIds } from '@tamga/core';
import type { Journal } from '../journal/journal.js';
import type { TenantScope } from '../journal/journal-store.js';
import { API_KEY_PREFIX, generateApiKey, hashApiKey } from './api-key-auth.js';
import type { Authenticator, Principal } from './api-key-auth.js';
import { DEFAULT_ACCESS_CONFIG } from './access-config.js';
import type { AccessConfig } from './access-config.js';
import type { AccessStore, ApiKeyRecord, ApiKeyScope, Role, SessionRecord, UserRecord } from './access-store.js';
import { DEFAULT_PASSWORD_HASH_PARAMS, dummyPasswordHash, hashPassword, verifyPassword } from './password-hashing.js';
import type { PasswordHashParams } from './password-hashing.js';
import { checkPasswordPolicy } from './password-policy.js';
import { openRateLimiter } from './rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';

/** Event codes Tamga journals about access (catalogs/ai-server.json and catalogs/tamga.json). */
export const ACCESS_EVENTS = Object.freeze({
  Login: 2001,
  LoginUserNotExist: 2002,
  LoginUserLocked: 2003,
  LoginUserUnauthorized: 2004,
  LogOut: 2007,
  LoginUserExpired: 2008,
  RoleAssignPermissions: 8004,
  UserCreated: 9000,
  UserUpdated: 9001,
  UserRemoved: 9002,
  UserRolesAssigned: 9003,
  UserPasswordChanged: 9004,
  UserEnabled: 9005,
  UserDisabled: 9006,
  ApiKeyCreated: 32009,
  ApiKeyRevoked: 32010,
  JournalRead: 32012,
} as const);

/** Where a request came from, for the journal. */
export interface RequestOrigin {
  /** `request.ip`. */
  readonly ip: string;
}

/** Options of {@link AccessControl}. */
export interface AccessControlConfig {
  readonly store: AccessStore;
  readonly journal: Journal;
  /** Accepts the bootstrap administrator key (`TAMGA_ADMIN_API_KEY` or the one printed at first start). */
  readonly bootstrap: Authenticator;
  readonly config?: AccessConfig;
  /** Clock in UTC milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** scrypt parameters of new password hashes. Default {@link DEFAULT_PASSWORD_HASH_PARAMS}. */
  readonly passwordHashParams?: PasswordHashParams;
  /** Whether reads of the journal are journalled (JournalRead). Default true. */
  readonly journalReads?: boolean;
}

/** A user as the API shows it: the stored record without its password hash. */
export type UserView = Omit<UserRecord, 'passwordHash'>;

/** A new user. */
export interface NewUser {
  readonly login: string;
  readonly password: string;
  readonly roles: readonly Role[];
  readonly tenants?: TenantScope;
  readonly enabled?: boolean;
  /** Default true: a password set by an administrator is one-time. */
  readonly mustChangePassword?: boolean;
  readonly expiresAt?: number | null;
}

/** Changes to a user; absent fields stay. */
export interface UserChanges {
  readonly password?: string;
  readonly roles?: readonly Role[];
  readonly tenants?: TenantScope;
  readonly enabled?: boolean;
  readonly mustChangePassword?: boolean;
  readonly expiresAt?: number | null;
}

/** A new API key. */
export interface NewApiKey {
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** null = every tenant. */
  readonly tenants: TenantScope | null;
  readonly expiresAt: number | null;
}

/** A session just opened: the cookie value is `sessionId`, shown to nobody else. */
export interface OpenedSession {
  readonly sessionId: string;
  readonly principal: Principal;
  readonly user: UserView;
  readonly expiresAt: number;
}

/** Minimum time between two `lastUsedAt` / `lastSeenAt` writes of one key or session. */
const TOUCH_INTERVAL_MS = 60_000;
/** At most one JournalRead per principal in this time. */
const JOURNAL_READ_INTERVAL_MS = 60_000;
const CSRF_LABEL = 'tamga csrf v1';
const MAX_BEARER_LENGTH = 512;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function view(user: UserRecord): UserView {
  const { passwordHash: _hash, ...rest } = user;
  return rest;
}

function sameTenants(a: TenantScope, b: TenantScope): boolean {
  return a.length === b.length && a.every((t) => b.includes(t));
}

/**
 * Users, roles, API keys and sessions, and the journalling of everything they do (DESIGN.md §6).
 * Every sign-in attempt, user change and key change is journalled in the system tenant with the
 * ai-server codes (2001–2008, 9000–9006, 8004) or Tamga's own (32009, 32010, 32012), carrying the
 * caller's `ip`, `userId` and the session's `operationKey`.
 */
export class AccessControl implements Authenticator {
  readonly store: AccessStore;
  readonly config: AccessConfig;
  readonly #journal: Journal;
  readonly #bootstrap: Authenticator;
  readonly #now: () => number;
  readonly #hashParams: PasswordHashParams;
  readonly #journalReads: boolean;
  readonly #ipAttempts: RateLimiter;
  readonly #accountAttempts: RateLimiter;
  readonly #ingest: RateLimiter;
  /** One JournalRead per principal a minute: a bucket of one token refilled once a minute. */
  readonly #journalReadLimit: RateLimiter;
  readonly #changeListeners = new Set<(where: 'here' | 'elsewhere') => void>();
  #dummyHash: Promise<string> | undefined;

  constructor(options: AccessControlConfig) {
    this.store = options.store;
    this.config = options.config ?? DEFAULT_ACCESS_CONFIG;
    this.#journal = options.journal;
    this.#bootstrap = options.bootstrap;
    this.#now = options.now ?? Date.now;
    this.#hashParams = options.passwordHashParams ?? DEFAULT_PASSWORD_HASH_PARAMS;
    this.#journalReads = options.journalReads ?? true;
    const c = this.config;
    // In the database on PostgreSQL: limits hold for the cluster, not once per node (decisions/0034).
    this.#ipAttempts = openRateLimiter(this.store, 'login-ip', c.loginRatePerIp, c.loginRatePerIp / 60);
    this.#accountAttempts = openRateLimiter(this.store, 'login-account', c.loginRatePerAccount, c.loginRatePerAccount / 60);
    this.#ingest = openRateLimiter(this.store, 'ingest', c.ingestBurst, c.ingestRate, 10_000);
    this.#journalReadLimit = openRateLimiter(this.store, 'journal-read', 1, 1000 / JOURNAL_READ_INTERVAL_MS, 10_000);
  }

  /** The tenant-id rule of the journal, for the tenants of users and API keys ({@link parseTenants}). */
  get tenantIds(): TenantIds {
    return this.#journal.tenantIds;
  }

  /**
   * Registers a listener told when who may do what changed: a user changed, disabled or removed, a session ended for
   * it, an API key revoked — by this node (`here`, after the change committed) or by another (`elsewhere`, on its
   * signal). Open live streams check their credentials again. Returns the function that removes it; listeners must
   * not throw.
   */
  onChanged(listener: (where: 'here' | 'elsewhere') => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Another node changed users or keys (its signal arrived). */
  changedElsewhere(): void {
    for (const listener of this.#changeListeners) listener('elsewhere');
  }

  #changedHere(): void {
    for (const listener of this.#changeListeners) listener('here');
  }

  // ---- first start ---------------------------------------------------------------------------------

  /**
   * On first start (no user at all) creates `admin` with the administrator role and a one-time password:
   * `TAMGA_ADMIN_PASSWORD`, else a generated one, returned once so `tamga serve` can print it. The
   * password must be changed at first sign-in either way.
   */
  async ensureAdministrator(): Promise<{ createdPassword?: string }> {
    if ((await this.store.listUsers()).length > 0) return {};
    const fromEnv = this.config.adminPassword;
    if (fromEnv !== undefined) {
      try {
        checkPasswordPolicy(fromEnv, 'admin', 'TAMGA_ADMIN_PASSWORD');
      } catch (error) {
        throw new TamgaError('CONFIG_INVALID', (error as Error).message, { field: 'TAMGA_ADMIN_PASSWORD' });
      }
    }
    const password = fromEnv ?? randomBytes(15).toString('base64url');
    const now = this.#now();
    const user: UserRecord = {
      login: 'admin',
      passwordHash: await hashPassword(password, this.#hashParams),
      roles: ['administrator'],
      tenants: [],
      enabled: true,
      mustChangePassword: true,
      passwordChangedAt: now,
      expiresAt: null,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.store.createUser(user))) return {};
    await this.#journalEvent(ACCESS_EVENTS.UserCreated, { userId: null, ip: null, operationKey: null }, {
      entityData: { login: 'admin', roles: ['administrator'], tenants: [], enabled: true },
      text: 'First start: administrator created with a one-time password',
    });
    return fromEnv === undefined ? { createdPassword: password } : {};
  }

  // ---- authentication ------------------------------------------------------------------------------

  /** Resolves a bearer token: the bootstrap administrator key, else an API key (not revoked, not expired). */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (token.length > MAX_BEARER_LENGTH) return undefined;
    const bootstrap = await this.#bootstrap.authenticate(token);
    if (bootstrap !== undefined) return bootstrap;
    if (!token.startsWith(API_KEY_PREFIX)) return undefined;
    const key = await this.store.getApiKeyByHash(hashApiKey(token));
    const now = this.#now();
    if (key === undefined || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= now)) return undefined;
    if (key.lastUsedAt === null || now - key.lastUsedAt >= TOUCH_INTERVAL_MS) await this.store.touchApiKey(key.id, now);
    const tenants = key.tenants ?? undefined;
    return {
      name: `key:${key.name}`,
      canRead: key.scopes.includes('read'),
      canIngest: key.scopes.includes('ingest'),
      isAdmin: false,
      ...(tenants !== undefined && { tenants, writeTenants: tenants }),
      kind: 'api-key',
      id: `key:${key.id}`,
      userId: `key:${key.name}`,
    };
  }

  /** Resolves a session cookie value; ends (deletes) a session that is idle, too old, or whose user is gone or disabled. */
  async authenticateSession(sessionId: string): Promise<Principal | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return undefined;
    const idHash = sha256(sessionId);
    const session = await this.store.getSession(idHash);
    if (session === undefined) return undefined;
    const now = this.#now();
    const user = await this.store.getUser(session.login);
    if (this.#isSessionOver(session, now) || user === undefined || !user.enabled || (user.expiresAt !== null && user.expiresAt <= now)) {
      await this.store.deleteSession(idHash);
      return undefined;
    }
    if (now - session.lastSeenAt >= TOUCH_INTERVAL_MS) await this.store.touchSession(idHash, now);
    return this.#userPrincipal(user, session, this.csrfTokenFor(sessionId));
  }

  /** The CSRF token of a session: HMAC of a fixed label under the session id, so it needs no storage. */
  csrfTokenFor(sessionId: string): string {
    return createHmac('sha256', sessionId).update(CSRF_LABEL).digest('base64url');
  }

  /** Whether `header` is the CSRF token of the principal's session (constant time). */
  isCsrfTokenValid(principal: Principal, header: string | undefined): boolean {
    if (principal.csrfToken === undefined || header === undefined) return false;
    const a = Buffer.from(principal.csrfToken);
    const b = Buffer.from(header);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  #isSessionOver(session: SessionRecord, now: number): boolean {
    return (
      now - session.lastSeenAt >= this.config.sessionIdleMinutes * 60_000 || now - session.createdAt >= this.config.sessionMaxHours * 3_600_000
    );
  }

  #userPrincipal(user: UserRecord, session: SessionRecord, csrfToken: string): Principal {
    const roles = new Set(user.roles);
    const isAdmin = roles.has('administrator');
    const readsAll = isAdmin || roles.has('auditor');
    const canRead = readsAll || roles.has('tenant-auditor');
    const canIngest = isAdmin || roles.has('ingest');
    const readScope: TenantScope | undefined = readsAll ? undefined : roles.has('tenant-auditor') ? user.tenants : [];
    const writeScope: TenantScope | undefined = isAdmin ? undefined : user.tenants;
    const tenants = canRead ? readScope : writeScope;
    return {
      name: user.login,
      canRead,
      canIngest,
      isAdmin,
      ...(tenants !== undefined && { tenants }),
      ...(writeScope !== undefined && { writeTenants: writeScope }),
      kind: 'session',
      id: `user:${user.login}`,
      userId: user.login,
      operationKey: session.operationKey,
      mustChangePassword: user.mustChangePassword,
      sessionIdHash: session.idHash,
      sessionStartedAt: session.createdAt,
      csrfToken,
    };
  }

  // ---- sessions ------------------------------------------------------------------------------------

  /**
   * Signs in with a login and password. Refuses (and journals) an unknown login (2002), a wrong password
   * (2004), a locked or disabled account (2003) and an expired one (2008); journals a success as Login
   * (2001: `userId` null, the login in `entityData`, as seed 002) with the new session's operation key.
   * Attempts beyond the per-IP and per-login rates are refused with `RATE_LIMITED` and not journalled.
   */
  async signIn(login: string, password: string, origin: RequestOrigin): Promise<OpenedSession> {
    const now = this.#now();
    const [byIp, byAccount] = await Promise.all([this.#ipAttempts.take(`ip:${origin.ip}`, 1, now), this.#accountAttempts.take(`login:${login}`, 1, now)]);
    const wait = Math.max(byIp, byAccount);
    if (wait > 0) throw new TamgaError('RATE_LIMITED', 'Too many sign-in attempts; retry later', { retryAfter: wait });
    const attempt = { userId: null, ip: origin.ip, operationKey: null };
    const entityData = `${login}, tenantId=`;
    const windowMs = this.config.lockoutMinutes * 60_000;

    // The attempt counts as a failure before the password is checked (scrypt takes ~180 ms): counted after the
    // check, parallel attempts all read the count from before any of them failed, and ten got checked instead of five.
    const admission = await this.store.admitLoginAttempt(login, origin.ip, now, now - windowMs, this.config.lockoutAttempts);
    if (!admission.admitted) {
      await this.#journalEvent(ACCESS_EVENTS.LoginUserLocked, attempt, {
        entityData,
        text: `Sign-in refused: ${admission.count} failed sign-ins within ${this.config.lockoutMinutes} minutes`,
      });
      throw this.#locked(admission.oldest, now);
    }

    const user = await this.store.getUser(login);
    if (user === undefined) {
      // Same work as a real check, so the answer time does not tell whether the login exists.
      await verifyPassword(password, await this.#dummy());
      await this.#journalEvent(ACCESS_EVENTS.LoginUserNotExist, attempt, { entityData, text: 'Sign-in with a login that does not exist' });
      throw new TamgaError('UNAUTHENTICATED', 'The login or the password is wrong');
    }
    if (!(await verifyPassword(password, user.passwordHash))) {
      await this.#journalEvent(ACCESS_EVENTS.LoginUserUnauthorized, attempt, { entityData, text: 'Wrong password' });
      throw new TamgaError('UNAUTHENTICATED', 'The login or the password is wrong');
    }
    // The password is right: the attempt was no failure, and neither were the ones before it.
    await this.store.clearLoginFailures(login, now - windowMs);
    if (!user.enabled) {
      await this.#journalEvent(ACCESS_EVENTS.LoginUserLocked, attempt, { entityData, text: 'Sign-in refused: the account is disabled' });
      throw new TamgaError('ACCOUNT_LOCKED', 'The account is disabled');
    }
    const maxAgeMs = this.config.passwordMaxAgeDays * 86_400_000;
    const accountExpired = user.expiresAt !== null && user.expiresAt <= now;
    const passwordExpired = maxAgeMs > 0 && !user.mustChangePassword && now - user.passwordChangedAt >= maxAgeMs;
    if (accountExpired || passwordExpired) {
      await this.#journalEvent(ACCESS_EVENTS.LoginUserExpired, attempt, {
        entityData,
        text: accountExpired ? 'Sign-in refused: the account has expired' : 'Sign-in refused: the password has expired',
      });
      throw new TamgaError('PASSWORD_EXPIRED', accountExpired ? 'The account has expired' : 'The password has expired; ask an administrator to reset it');
    }

    await this.store.deleteExpiredSessions(now - this.config.sessionIdleMinutes * 60_000, now - this.config.sessionMaxHours * 3_600_000);
    const sessionId = randomBytes(32).toString('base64url');
    const session: SessionRecord = {
      idHash: sha256(sessionId),
      login,
      operationKey: uuidv7(now),
      ip: origin.ip,
      createdAt: now,
      lastSeenAt: now,
    };
    await this.store.createSession(session);
    await this.#journalEvent(ACCESS_EVENTS.Login, { ...attempt, operationKey: session.operationKey }, { entityData });
    return {
      sessionId,
      principal: this.#userPrincipal(user, session, this.csrfTokenFor(sessionId)),
      user: view(user),
      expiresAt: now + this.config.sessionMaxHours * 3_600_000,
    };
  }

  /** Ends the principal's session on the server and journals LogOut (2007). */
  async signOut(principal: Principal, origin: RequestOrigin): Promise<void> {
    if (principal.sessionIdHash === undefined) return;
    if (await this.store.deleteSession(principal.sessionIdHash)) {
      this.#changedHere();
      await this.#journalEvent(ACCESS_EVENTS.LogOut, this.#actor(principal, origin), { entityData: `${principal.name}, tenantId=` });
    }
  }

  /**
   * Changes the signed-in user's own password. A wrong current password counts as a failed sign-in
   * (journalled 2004, towards the lock-out), counted before the check; a locked account gets ACCOUNT_LOCKED. Ends the
   * user's other sessions.
   */
  async changeOwnPassword(principal: Principal, currentPassword: string, newPassword: string, origin: RequestOrigin): Promise<UserView> {
    if (principal.kind !== 'session' || principal.userId === undefined) {
      throw new TamgaError('FORBIDDEN', 'Only a user signed in with a password can change it');
    }
    const user = await this.#user(principal.userId);
    const now = this.#now();
    const windowMs = this.config.lockoutMinutes * 60_000;
    // Counted before the check, like a sign-in: a stolen session cannot try current passwords in parallel.
    const admission = await this.store.admitLoginAttempt(user.login, origin.ip, now, now - windowMs, this.config.lockoutAttempts);
    if (!admission.admitted) throw this.#locked(admission.oldest, now);
    if (!(await verifyPassword(currentPassword, user.passwordHash))) {
      await this.#journalEvent(ACCESS_EVENTS.LoginUserUnauthorized, this.#actor(principal, origin), {
        entityData: `${user.login}, tenantId=`,
        text: 'Wrong current password on a password change',
      });
      throw new TamgaError('FORBIDDEN', 'currentPassword: is wrong', { field: 'currentPassword' });
    }
    await this.store.clearLoginFailures(user.login, now - windowMs);
    checkPasswordPolicy(newPassword, user.login, 'newPassword');
    if (await verifyPassword(newPassword, user.passwordHash)) {
      throw new TamgaError('PASSWORD_TOO_WEAK', 'newPassword: must differ from the current password', { field: 'newPassword' });
    }
    const changed: UserRecord = {
      ...user,
      passwordHash: await hashPassword(newPassword, this.#hashParams),
      mustChangePassword: false,
      passwordChangedAt: now,
      updatedAt: now,
    };
    await this.store.updateUser(changed);
    await this.store.deleteSessionsOf(user.login, principal.sessionIdHash);
    this.#changedHere();
    await this.#journalEvent(ACCESS_EVENTS.UserPasswordChanged, this.#actor(principal, origin), {
      entityData: { login: user.login },
      text: 'The user changed their own password',
    });
    return view(changed);
  }

  // ---- users ---------------------------------------------------------------------------------------

  async listUsers(): Promise<UserView[]> {
    return (await this.store.listUsers()).map(view);
  }

  async getUser(login: string): Promise<UserView> {
    return view(await this.#user(login));
  }

  async #user(login: string): Promise<UserRecord> {
    const user = await this.store.getUser(login);
    if (user === undefined) throw new TamgaError('USER_NOT_FOUND', `No user "${login}"`, { field: 'login' });
    return user;
  }

  /** Creates a user (administrators); journals UserCreated (9000). */
  async createUser(actor: Principal, input: NewUser, origin: RequestOrigin): Promise<UserView> {
    checkPasswordPolicy(input.password, input.login);
    const tenants = input.tenants ?? [];
    this.#checkTenantsForRoles(input.roles, tenants);
    const now = this.#now();
    const user: UserRecord = {
      login: input.login,
      passwordHash: await hashPassword(input.password, this.#hashParams),
      roles: input.roles,
      tenants,
      enabled: input.enabled ?? true,
      mustChangePassword: input.mustChangePassword ?? true,
      passwordChangedAt: now,
      expiresAt: input.expiresAt ?? null,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.store.createUser(user))) throw new TamgaError('USER_EXISTS', `A user "${input.login}" already exists`, { field: 'login' });
    await this.#journalEvent(ACCESS_EVENTS.UserCreated, this.#actor(actor, origin), {
      entityData: { login: user.login, roles: user.roles, tenants: user.tenants, enabled: user.enabled },
    });
    return view(user);
  }

  /**
   * Changes a user (administrators). Journals each kind of change with its own code: roles
   * (UserRolesAssigned 9003), tenants of the scoped roles (RoleAssignPermissions 8004), password
   * (UserPasswordChanged 9004), enabled (UserEnabled 9005 / UserDisabled 9006), the rest (UserUpdated
   * 9001). A password reset or a disable ends the user's sessions.
   */
  async updateUser(actor: Principal, login: string, changes: UserChanges, origin: RequestOrigin): Promise<UserView> {
    const user = await this.#user(login);
    const now = this.#now();
    const roles = changes.roles ?? user.roles;
    const tenants = changes.tenants ?? user.tenants;
    this.#checkTenantsForRoles(roles, tenants);
    const enabled = changes.enabled ?? user.enabled;
    if (user.roles.includes('administrator') && (!roles.includes('administrator') || !enabled)) await this.#keepAnAdministrator(login);
    let passwordHash = user.passwordHash;
    if (changes.password !== undefined) {
      checkPasswordPolicy(changes.password, login);
      passwordHash = await hashPassword(changes.password, this.#hashParams);
    }
    const changed: UserRecord = {
      ...user,
      passwordHash,
      roles,
      tenants,
      enabled,
      mustChangePassword: changes.mustChangePassword ?? (changes.password !== undefined ? true : user.mustChangePassword),
      passwordChangedAt: changes.password !== undefined ? now : user.passwordChangedAt,
      expiresAt: changes.expiresAt === undefined ? user.expiresAt : changes.expiresAt,
      updatedAt: now,
    };
    if (!(await this.store.updateUser(changed))) throw new TamgaError('USER_NOT_FOUND', `No user "${login}"`, { field: 'login' });
    if (changes.password !== undefined || !enabled) await this.store.deleteSessionsOf(login);
    this.#changedHere();
    if (changes.password !== undefined) await this.store.clearLoginFailures(login, now - this.config.lockoutMinutes * 60_000);

    const who = this.#actor(actor, origin);
    const rolesChanged = !sameTenants(roles as (string | null)[], user.roles as (string | null)[]);
    if (rolesChanged) {
      await this.#journalEvent(ACCESS_EVENTS.UserRolesAssigned, who, { entityData: { login, roles, previousRoles: user.roles } });
    }
    if (!sameTenants(tenants, user.tenants)) {
      await this.#journalEvent(ACCESS_EVENTS.RoleAssignPermissions, who, {
        entityData: { login, roles, tenants, previousTenants: user.tenants },
        text: 'Tenants of the user\'s roles changed',
      });
    }
    if (changes.password !== undefined) {
      await this.#journalEvent(ACCESS_EVENTS.UserPasswordChanged, who, { entityData: { login }, text: 'Password reset by an administrator' });
    }
    if (enabled !== user.enabled) {
      await this.#journalEvent(enabled ? ACCESS_EVENTS.UserEnabled : ACCESS_EVENTS.UserDisabled, who, { entityData: { login } });
    }
    const otherChanged = changed.expiresAt !== user.expiresAt || (changes.mustChangePassword !== undefined && changes.mustChangePassword !== user.mustChangePassword);
    if (otherChanged) {
      await this.#journalEvent(ACCESS_EVENTS.UserUpdated, who, {
        entityData: { login, expiresAt: changed.expiresAt === null ? null : new Date(changed.expiresAt).toISOString(), mustChangePassword: changed.mustChangePassword },
      });
    }
    return view(changed);
  }

  /** Deletes a user and its sessions (administrators); journals UserRemoved (9002). */
  async removeUser(actor: Principal, login: string, origin: RequestOrigin): Promise<void> {
    const user = await this.#user(login);
    if (user.roles.includes('administrator') && user.enabled) await this.#keepAnAdministrator(login);
    if (!(await this.store.deleteUser(login))) throw new TamgaError('USER_NOT_FOUND', `No user "${login}"`, { field: 'login' });
    this.#changedHere();
    await this.#journalEvent(ACCESS_EVENTS.UserRemoved, this.#actor(actor, origin), { entityData: { login, roles: user.roles } });
  }

  /** Refuses to remove, disable or demote the last enabled administrator (the bootstrap key is for automation, not people). */
  async #keepAnAdministrator(login: string): Promise<void> {
    const others = (await this.store.listUsers()).filter((u) => u.login !== login && u.enabled && u.roles.includes('administrator'));
    if (others.length === 0) {
      throw new TamgaError('FORBIDDEN', `"${login}" is the last enabled administrator`, { field: 'login' });
    }
  }

  #checkTenantsForRoles(roles: readonly Role[], tenants: TenantScope): void {
    const scoped = roles.includes('tenant-auditor') || (roles.includes('ingest') && !roles.includes('administrator'));
    if (scoped && tenants.length === 0) {
      throw new TamgaError('VALIDATION_FAILED', 'tenants: the tenant-auditor and ingest roles need at least one tenant', { field: 'tenants' });
    }
  }

  // ---- API keys ------------------------------------------------------------------------------------

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys();
  }

  /** Creates an API key (administrators); the key is returned once and stored only as SHA-256. Journals ApiKeyCreated (32009). */
  async createApiKey(actor: Principal, input: NewApiKey, origin: RequestOrigin): Promise<{ key: string; record: ApiKeyRecord }> {
    const now = this.#now();
    if (input.expiresAt !== null && input.expiresAt <= now) {
      throw new TamgaError('VALIDATION_FAILED', 'expiresAt: must be in the future', { field: 'expiresAt' });
    }
    const key = generateApiKey();
    const record: ApiKeyRecord = {
      id: uuidv7(now),
      name: input.name,
      keyHash: hashApiKey(key),
      scopes: input.scopes,
      tenants: input.tenants,
      createdBy: actor.userId ?? actor.name,
      createdAt: now,
      expiresAt: input.expiresAt,
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.store.createApiKey(record);
    await this.#journalEvent(ACCESS_EVENTS.ApiKeyCreated, this.#actor(actor, origin), {
      entityData: { id: record.id, name: record.name, scopes: record.scopes, tenants: record.tenants, expiresAt: input.expiresAt === null ? null : new Date(input.expiresAt).toISOString() },
    });
    return { key, record };
  }

  /** Revokes an API key at once (administrators); journals ApiKeyRevoked (32010). */
  async revokeApiKey(actor: Principal, id: string, origin: RequestOrigin): Promise<void> {
    const key = await this.store.getApiKey(id);
    if (key === undefined || key.revokedAt !== null) throw new TamgaError('API_KEY_NOT_FOUND', `No active API key ${id}`, { field: 'id' });
    if (!(await this.store.revokeApiKey(id, this.#now()))) throw new TamgaError('API_KEY_NOT_FOUND', `No active API key ${id}`, { field: 'id' });
    this.#changedHere();
    await this.#journalEvent(ACCESS_EVENTS.ApiKeyRevoked, this.#actor(actor, origin), { entityData: { id, name: key.name } });
  }

  // ---- limits and journalling ----------------------------------------------------------------------

  /**
   * Takes `events` tokens from the principal's ingest bucket; returns the seconds to wait when the rate
   * is exceeded, else 0. The bootstrap administrator key is not limited (automation, benchmarks).
   */
  takeIngest(principal: Principal, events: number): Promise<number> {
    if (principal.kind === 'bootstrap' || principal.id === undefined) return Promise.resolve(0);
    return this.#ingest.take(principal.id, events, this.#now());
  }

  /**
   * Journals a read of the journal (JournalRead 32012), at most once a minute per principal. Called after
   * the read was answered.
   */
  async noteJournalRead(principal: Principal, origin: RequestOrigin, read: { path: string; query: string }): Promise<void> {
    if (!this.#journalReads) return;
    const key = principal.id ?? principal.name;
    if ((await this.#journalReadLimit.take(key, 1, this.#now())) > 0) return;
    await this.#journalEvent(ACCESS_EVENTS.JournalRead, this.#actor(principal, origin), {
      entityData: { path: read.path, query: read.query.slice(0, 2000) },
      text: 'At most one JournalRead per principal a minute',
    });
  }

  #actor(principal: Principal, origin: RequestOrigin): { userId: string | null; ip: string | null; operationKey: string | null } {
    return { userId: principal.userId ?? principal.name, ip: origin.ip, operationKey: principal.operationKey ?? null };
  }

  async #journalEvent(
    event: number,
    who: { userId: string | null; ip: string | null; operationKey: string | null },
    fields: { entityData?: unknown; text?: string },
  ): Promise<void> {
    await this.#journal.appendSystem({
      event,
      userId: who.userId,
      ip: who.ip !== null && who.ip !== '' ? who.ip : null,
      operationKey: who.operationKey,
      ...(fields.entityData !== undefined && { entityData: fields.entityData }),
      ...(fields.text !== undefined && { text: fields.text }),
    });
  }

  /** `ACCOUNT_LOCKED` with the seconds until the oldest failure leaves the lock-out window. */
  #locked(oldest: number | null, now: number): TamgaError {
    const retryAfter = Math.max(1, Math.ceil(((oldest ?? now) + this.config.lockoutMinutes * 60_000 - now) / 1000));
    return new TamgaError('ACCOUNT_LOCKED', 'The account is locked after too many failed sign-ins; retry later', { retryAfter });
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= dummyPasswordHash(this.#hashParams);
    return this.#dummyHash;
  }
}
