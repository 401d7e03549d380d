import type Database from 'better-sqlite3';
import { StoreError } from '@tamga/core';
import type { AccessStore, ApiKeyRecord, ApiKeyScope, LoginAdmission, Role, SessionRecord, UserRecord } from '../../auth/access-store.js';
import type { TenantScope } from '../../journal/journal-store.js';

/**
 * SQLite schema of the access tables (the twin of `../postgres/postgres-access-store.ts`). Times are UTC
 * milliseconds; role, scope and tenant lists are JSON text. Secrets are hashes only.
 */
export const SQLITE_ACCESS_SCHEMA = `
CREATE TABLE IF NOT EXISTS access_users (
  login                 TEXT PRIMARY KEY,
  password_hash         TEXT NOT NULL,
  roles                 TEXT NOT NULL,
  tenants               TEXT NOT NULL,
  enabled               INTEGER NOT NULL,
  must_change_password  INTEGER NOT NULL,
  password_changed_at   INTEGER NOT NULL,
  expires_at            INTEGER,
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS access_api_keys (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  key_hash      TEXT NOT NULL UNIQUE,
  scopes        TEXT NOT NULL,
  tenants       TEXT,
  created_by    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER,
  last_used_at  INTEGER,
  revoked_at    INTEGER
);

CREATE TABLE IF NOT EXISTS access_sessions (
  id_hash       TEXT PRIMARY KEY,
  login         TEXT NOT NULL,
  operation_key TEXT NOT NULL,
  ip            TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS access_sessions_login ON access_sessions(login);

CREATE TABLE IF NOT EXISTS access_login_failures (
  login  TEXT NOT NULL,
  ip     TEXT NOT NULL,
  at     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS access_login_failures_login_at ON access_login_failures(login, at);
`;

interface UserRow {
  login: string;
  password_hash: string;
  roles: string;
  tenants: string;
  enabled: number;
  must_change_password: number;
  password_changed_at: number;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: string;
  scopes: string;
  tenants: string | null;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

interface SessionRow {
  id_hash: string;
  login: string;
  operation_key: string;
  ip: string;
  created_at: number;
  last_seen_at: number;
}

function toUser(row: UserRow): UserRecord {
  return {
    login: row.login,
    passwordHash: row.password_hash,
    roles: JSON.parse(row.roles) as Role[],
    tenants: JSON.parse(row.tenants) as TenantScope,
    enabled: row.enabled === 1,
    mustChangePassword: row.must_change_password === 1,
    passwordChangedAt: row.password_changed_at,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function userParams(u: UserRecord): unknown[] {
  return [
    u.passwordHash,
    JSON.stringify(u.roles),
    JSON.stringify(u.tenants),
    u.enabled ? 1 : 0,
    u.mustChangePassword ? 1 : 0,
    u.passwordChangedAt,
    u.expiresAt,
    u.createdAt,
    u.updatedAt,
    u.login,
  ];
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    keyHash: row.key_hash,
    scopes: JSON.parse(row.scopes) as ApiKeyScope[],
    tenants: row.tenants === null ? null : (JSON.parse(row.tenants) as TenantScope),
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

function toSession(row: SessionRow): SessionRecord {
  return {
    idHash: row.id_hash,
    login: row.login,
    operationKey: row.operation_key,
    ip: row.ip,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

function wrap(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: string }).code ?? '';
  const unavailable = code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_FULL' || code === 'SQLITE_IOERR';
  return new StoreError(unavailable ? 'STORE_UNAVAILABLE' : 'STORE_FAILED', `SQLite failed to ${what}`, {}, { cause: error });
}

/**
 * The access tables in the journal's SQLite file, on the journal store's connection
 * (`SqliteJournalStore.database`). better-sqlite3 is synchronous; each method resolves or rejects at once.
 */
export class SqliteAccessStore implements AccessStore {
  readonly #db: Database.Database;

  /** Creates the access tables when missing. */
  constructor(database: Database.Database) {
    this.#db = database;
    try {
      this.#db.exec(SQLITE_ACCESS_SCHEMA);
    } catch (error) {
      throw wrap(error, 'create the access tables');
    }
  }

  #run<T>(what: string, fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(wrap(error, what));
    }
  }

  getUser(login: string): Promise<UserRecord | undefined> {
    return this.#run('read a user', () => {
      const row = this.#db.prepare<[string], UserRow>('SELECT * FROM access_users WHERE login = ?').get(login);
      return row && toUser(row);
    });
  }

  listUsers(): Promise<UserRecord[]> {
    return this.#run('list users', () =>
      this.#db.prepare<[], UserRow>('SELECT * FROM access_users ORDER BY login').all().map(toUser),
    );
  }

  createUser(user: UserRecord): Promise<boolean> {
    return this.#run('create a user', () => {
      const result = this.#db
        .prepare(
          `INSERT INTO access_users (password_hash, roles, tenants, enabled, must_change_password, password_changed_at,
             expires_at, created_at, updated_at, login) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (login) DO NOTHING`,
        )
        .run(...userParams(user));
      return result.changes === 1;
    });
  }

  updateUser(user: UserRecord): Promise<boolean> {
    return this.#run('update a user', () => {
      const result = this.#db
        .prepare(
          `UPDATE access_users SET password_hash = ?, roles = ?, tenants = ?, enabled = ?, must_change_password = ?,
             password_changed_at = ?, expires_at = ?, created_at = ?, updated_at = ? WHERE login = ?`,
        )
        .run(...userParams(user));
      return result.changes === 1;
    });
  }

  deleteUser(login: string): Promise<boolean> {
    return this.#run('delete a user', () =>
      this.#db.transaction(() => {
        this.#db.prepare('DELETE FROM access_sessions WHERE login = ?').run(login);
        return this.#db.prepare('DELETE FROM access_users WHERE login = ?').run(login).changes === 1;
      })(),
    );
  }

  createApiKey(key: ApiKeyRecord): Promise<void> {
    return this.#run('create an API key', () => {
      this.#db
        .prepare(
          `INSERT INTO access_api_keys (id, name, key_hash, scopes, tenants, created_by, created_at, expires_at,
             last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          key.id,
          key.name,
          key.keyHash,
          JSON.stringify(key.scopes),
          key.tenants === null ? null : JSON.stringify(key.tenants),
          key.createdBy,
          key.createdAt,
          key.expiresAt,
          key.lastUsedAt,
          key.revokedAt,
        );
    });
  }

  getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#run('read an API key', () => {
      const row = this.#db.prepare<[string], ApiKeyRow>('SELECT * FROM access_api_keys WHERE id = ?').get(id);
      return row && toApiKey(row);
    });
  }

  getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    return this.#run('read an API key', () => {
      const row = this.#db.prepare<[string], ApiKeyRow>('SELECT * FROM access_api_keys WHERE key_hash = ?').get(keyHash);
      return row && toApiKey(row);
    });
  }

  listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.#run('list API keys', () =>
      this.#db.prepare<[], ApiKeyRow>('SELECT * FROM access_api_keys ORDER BY created_at DESC, id DESC').all().map(toApiKey),
    );
  }

  revokeApiKey(id: string, at: number): Promise<boolean> {
    return this.#run('revoke an API key', () =>
      this.#db.prepare('UPDATE access_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes === 1,
    );
  }

  touchApiKey(id: string, at: number): Promise<void> {
    return this.#run('update an API key', () => {
      this.#db.prepare('UPDATE access_api_keys SET last_used_at = ? WHERE id = ?').run(at, id);
    });
  }

  createSession(session: SessionRecord): Promise<void> {
    return this.#run('create a session', () => {
      this.#db
        .prepare('INSERT INTO access_sessions (id_hash, login, operation_key, ip, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(session.idHash, session.login, session.operationKey, session.ip, session.createdAt, session.lastSeenAt);
    });
  }

  getSession(idHash: string): Promise<SessionRecord | undefined> {
    return this.#run('read a session', () => {
      const row = this.#db.prepare<[string], SessionRow>('SELECT * FROM access_sessions WHERE id_hash = ?').get(idHash);
      return row && toSession(row);
    });
  }

  touchSession(idHash: string, at: number): Promise<void> {
    return this.#run('update a session', () => {
      this.#db.prepare('UPDATE access_sessions SET last_seen_at = ? WHERE id_hash = ?').run(at, idHash);
    });
  }

  deleteSession(idHash: string): Promise<boolean> {
    return this.#run('delete a session', () => this.#db.prepare('DELETE FROM access_sessions WHERE id_hash = ?').run(idHash).changes === 1);
  }

  deleteSessionsOf(login: string, keepIdHash?: string): Promise<number> {
    return this.#run('delete sessions', () =>
      keepIdHash === undefined
        ? this.#db.prepare('DELETE FROM access_sessions WHERE login = ?').run(login).changes
        : this.#db.prepare('DELETE FROM access_sessions WHERE login = ? AND id_hash <> ?').run(login, keepIdHash).changes,
    );
  }

  deleteExpiredSessions(idleBefore: number, createdBefore: number): Promise<number> {
    return this.#run('delete expired sessions', () =>
      this.#db.prepare('DELETE FROM access_sessions WHERE last_seen_at < ? OR created_at < ?').run(idleBefore, createdBefore).changes,
    );
  }

  admitLoginAttempt(login: string, ip: string, at: number, since: number, limit: number): Promise<LoginAdmission> {
    return this.#run('count a sign-in attempt', () =>
      // IMMEDIATE: the count and the insert are one step for every connection to the file (the CLI's included).
      this.#db
        .transaction((): LoginAdmission => {
          const row = this.#db
            .prepare<[string, number], { n: number; oldest: number | null }>(
              'SELECT count(*) AS n, min(at) AS oldest FROM access_login_failures WHERE login = ? AND at >= ?',
            )
            .get(login, since)!;
          if (row.n >= limit) return { admitted: false, count: row.n, oldest: row.oldest };
          this.#db.prepare('INSERT INTO access_login_failures (login, ip, at) VALUES (?, ?, ?)').run(login, ip, at);
          return { admitted: true, count: row.n + 1, oldest: row.oldest ?? at };
        })
        .immediate(),
    );
  }

  clearLoginFailures(login: string, before: number): Promise<void> {
    return this.#run('clear failed sign-ins', () => {
      this.#db.prepare('DELETE FROM access_login_failures WHERE login = ? OR at < ?').run(login, before);
    });
  }
}
