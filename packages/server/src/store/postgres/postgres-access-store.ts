import type pg from 'pg';
import type { AccessStore, ApiKeyRecord, ApiKeyScope, LoginAdmission, Role, SessionRecord, UserRecord } from '../../auth/access-store.js';
import type { TenantScope } from '../../journal/journal-store.js';
import { inPostgresTransaction, wrapPostgresError } from './postgres-errors.js';
import { SCHEMA_LOCK_CLASS } from './postgres-schema.js';

/** Advisory lock key (first half) held while a sign-in attempt is counted: 'TMGL'. */
const LOGIN_LOCK_CLASS = 0x544d474c;

/**
 * PostgreSQL schema of the access tables, the twin of `../sqlite/sqlite-access-store.ts`. Idempotent; run
 * under the journal's schema advisory lock so several nodes may start at once. Unqualified names resolve
 * through the pool's `search_path` (the journal store's schema).
 */
export const POSTGRES_ACCESS_SCHEMA = `
CREATE TABLE IF NOT EXISTS access_users (
  login                 TEXT PRIMARY KEY,
  password_hash         TEXT NOT NULL,
  roles                 TEXT NOT NULL,
  tenants               TEXT NOT NULL,
  enabled               BOOLEAN NOT NULL,
  must_change_password  BOOLEAN NOT NULL,
  password_changed_at   BIGINT NOT NULL,
  expires_at            BIGINT,
  created_at            BIGINT NOT NULL,
  updated_at            BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS access_api_keys (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  key_hash      TEXT NOT NULL UNIQUE,
  scopes        TEXT NOT NULL,
  tenants       TEXT,
  created_by    TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  expires_at    BIGINT,
  last_used_at  BIGINT,
  revoked_at    BIGINT
);

CREATE TABLE IF NOT EXISTS access_sessions (
  id_hash       TEXT PRIMARY KEY,
  login         TEXT NOT NULL,
  operation_key TEXT NOT NULL,
  ip            TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  last_seen_at  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_sessions_login ON access_sessions(login);

CREATE TABLE IF NOT EXISTS access_login_failures (
  login  TEXT NOT NULL,
  ip     TEXT NOT NULL,
  at     BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_login_failures_login_at ON access_login_failures(login, at);

-- UNLOGGED: a take commits without waiting for a WAL flush (~4 ms here, per request); after a crash or on a
-- promoted standby the buckets are empty, i.e. full: a limit forgets, a journal never does.
CREATE UNLOGGED TABLE IF NOT EXISTS access_rate_buckets (
  key     TEXT PRIMARY KEY,
  tokens  DOUBLE PRECISION NOT NULL,
  at      BIGINT NOT NULL,
  taken   BOOLEAN NOT NULL
);
`;

/**
 * Takes tokens from a bucket in one statement: refills it for the time since its last use, subtracts the cost when
 * enough is there, and says whether it did. The row lock of the upsert serializes the nodes. $1 key, $2 capacity,
 * $3 cost, $4 now (ms), $5 refill per second.
 */
const TAKE_TOKENS = `
INSERT INTO access_rate_buckets AS b (key, tokens, at, taken) VALUES ($1, $2::float8 - $3::float8, $4::bigint, true)
ON CONFLICT (key) DO UPDATE SET
  tokens = least($2::float8, b.tokens + greatest(0, $4::bigint - b.at)::float8 / 1000 * $5::float8)
         - CASE WHEN least($2::float8, b.tokens + greatest(0, $4::bigint - b.at)::float8 / 1000 * $5::float8) >= $3::float8 THEN $3::float8 ELSE 0 END,
  at = greatest(b.at, $4::bigint),
  taken = least($2::float8, b.tokens + greatest(0, $4::bigint - b.at)::float8 / 1000 * $5::float8) >= $3::float8
RETURNING tokens, taken`;

/** Buckets idle this long are full again (every limit refills within minutes) and are deleted. */
const IDLE_BUCKET_MS = 3_600_000;
/** How often a node deletes idle buckets. */
const BUCKET_SWEEP_MS = 600_000;

interface UserRow {
  login: string;
  password_hash: string;
  roles: string;
  tenants: string;
  enabled: boolean;
  must_change_password: boolean;
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
    enabled: row.enabled,
    mustChangePassword: row.must_change_password,
    passwordChangedAt: row.password_changed_at,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function userParams(u: UserRecord): unknown[] {
  return [
    u.login,
    u.passwordHash,
    JSON.stringify(u.roles),
    JSON.stringify(u.tenants),
    u.enabled,
    u.mustChangePassword,
    u.passwordChangedAt,
    u.expiresAt,
    u.createdAt,
    u.updatedAt,
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

/**
 * The access tables in the journal's PostgreSQL schema, on the journal store's pool
 * (`PostgresJournalStore.pool`, whose `search_path` is the schema).
 */
export class PostgresAccessStore implements AccessStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  #lastBucketSweep = 0;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#schema = schema;
  }

  /** Creates the access tables in `schema` when missing (under the schema advisory lock), then the store. */
  static async open(pool: pg.Pool, schema: string): Promise<PostgresAccessStore> {
    try {
      await inPostgresTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SCHEMA_LOCK_CLASS, schema]);
        await client.query(POSTGRES_ACCESS_SCHEMA);
      });
    } catch (error) {
      throw wrapPostgresError(error, 'create the access tables');
    }
    return new PostgresAccessStore(pool, schema);
  }

  async #query<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (error) {
      throw wrapPostgresError(error, what);
    }
  }

  async getUser(login: string): Promise<UserRecord | undefined> {
    const { rows } = await this.#query<UserRow>('read a user', 'SELECT * FROM access_users WHERE login = $1', [login]);
    return rows[0] && toUser(rows[0]);
  }

  async listUsers(): Promise<UserRecord[]> {
    const { rows } = await this.#query<UserRow>('list users', 'SELECT * FROM access_users ORDER BY login COLLATE "C"');
    return rows.map(toUser);
  }

  async createUser(user: UserRecord): Promise<boolean> {
    const result = await this.#query(
      'create a user',
      `INSERT INTO access_users (login, password_hash, roles, tenants, enabled, must_change_password, password_changed_at,
         expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (login) DO NOTHING`,
      userParams(user),
    );
    return result.rowCount === 1;
  }

  async updateUser(user: UserRecord): Promise<boolean> {
    const result = await this.#query(
      'update a user',
      `UPDATE access_users SET password_hash = $2, roles = $3, tenants = $4, enabled = $5, must_change_password = $6,
         password_changed_at = $7, expires_at = $8, created_at = $9, updated_at = $10 WHERE login = $1`,
      userParams(user),
    );
    return result.rowCount === 1;
  }

  async deleteUser(login: string): Promise<boolean> {
    // One statement, so the session rows and the user go together.
    const result = await this.#query<{ n: number }>(
      'delete a user',
      `WITH s AS (DELETE FROM access_sessions WHERE login = $1), u AS (DELETE FROM access_users WHERE login = $1 RETURNING 1)
       SELECT count(*)::int AS n FROM u`,
      [login],
    );
    return result.rows[0]?.n === 1;
  }

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    await this.#query(
      'create an API key',
      `INSERT INTO access_api_keys (id, name, key_hash, scopes, tenants, created_by, created_at, expires_at, last_used_at,
         revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
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
      ],
    );
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.#query<ApiKeyRow>('read an API key', 'SELECT * FROM access_api_keys WHERE id = $1', [id]);
    return rows[0] && toApiKey(rows[0]);
  }

  async getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.#query<ApiKeyRow>('read an API key', 'SELECT * FROM access_api_keys WHERE key_hash = $1', [keyHash]);
    return rows[0] && toApiKey(rows[0]);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.#query<ApiKeyRow>('list API keys', 'SELECT * FROM access_api_keys ORDER BY created_at DESC, id DESC');
    return rows.map(toApiKey);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    const result = await this.#query(
      'revoke an API key',
      'UPDATE access_api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL',
      [id, at],
    );
    return result.rowCount === 1;
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    await this.#query('update an API key', 'UPDATE access_api_keys SET last_used_at = $2 WHERE id = $1', [id, at]);
  }

  async createSession(session: SessionRecord): Promise<void> {
    await this.#query(
      'create a session',
      'INSERT INTO access_sessions (id_hash, login, operation_key, ip, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [session.idHash, session.login, session.operationKey, session.ip, session.createdAt, session.lastSeenAt],
    );
  }

  async getSession(idHash: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#query<SessionRow>('read a session', 'SELECT * FROM access_sessions WHERE id_hash = $1', [idHash]);
    return rows[0] && toSession(rows[0]);
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    await this.#query('update a session', 'UPDATE access_sessions SET last_seen_at = $2 WHERE id_hash = $1', [idHash, at]);
  }

  async deleteSession(idHash: string): Promise<boolean> {
    const result = await this.#query('delete a session', 'DELETE FROM access_sessions WHERE id_hash = $1', [idHash]);
    return result.rowCount === 1;
  }

  async deleteSessionsOf(login: string, keepIdHash?: string): Promise<number> {
    const result =
      keepIdHash === undefined
        ? await this.#query('delete sessions', 'DELETE FROM access_sessions WHERE login = $1', [login])
        : await this.#query('delete sessions', 'DELETE FROM access_sessions WHERE login = $1 AND id_hash <> $2', [login, keepIdHash]);
    return result.rowCount ?? 0;
  }

  async deleteExpiredSessions(idleBefore: number, createdBefore: number): Promise<number> {
    const result = await this.#query(
      'delete expired sessions',
      'DELETE FROM access_sessions WHERE last_seen_at < $1 OR created_at < $2',
      [idleBefore, createdBefore],
    );
    return result.rowCount ?? 0;
  }

  async admitLoginAttempt(login: string, ip: string, at: number, since: number, limit: number): Promise<LoginAdmission> {
    try {
      return await inPostgresTransaction(this.#pool, async (client) => {
        // One attempt of a login at a time, on every node: the count and the insert must not interleave.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOGIN_LOCK_CLASS, `${this.#schema}/${login}`]);
        const { rows } = await client.query<{ n: number; oldest: number | null }>(
          'SELECT count(*)::int AS n, min(at) AS oldest FROM access_login_failures WHERE login = $1 AND at >= $2',
          [login, since],
        );
        const n = rows[0]?.n ?? 0;
        const oldest = rows[0]?.oldest ?? null;
        if (n >= limit) return { admitted: false, count: n, oldest };
        await client.query('INSERT INTO access_login_failures (login, ip, at) VALUES ($1, $2, $3)', [login, ip, at]);
        return { admitted: true, count: n + 1, oldest: oldest ?? at };
      });
    } catch (error) {
      throw wrapPostgresError(error, 'count a sign-in attempt');
    }
  }

  async takeTokens(key: string, cost: number, capacity: number, ratePerSecond: number, now: number): Promise<number> {
    const need = Math.min(Math.max(cost, 0), capacity);
    const { rows } = await this.#query<{ tokens: number; taken: boolean }>('apply a rate limit', TAKE_TOKENS, [key, capacity, need, now, ratePerSecond]);
    if (now - this.#lastBucketSweep >= BUCKET_SWEEP_MS) {
      this.#lastBucketSweep = now;
      // Housekeeping off the request's path; a failure is retried at the next sweep.
      this.#pool.query('DELETE FROM access_rate_buckets WHERE at < $1', [now - IDLE_BUCKET_MS]).catch(() => undefined);
    }
    const row = rows[0]!;
    return row.taken ? 0 : Math.max(1, Math.ceil((need - row.tokens) / ratePerSecond));
  }

  async clearLoginFailures(login: string, before: number): Promise<void> {
    await this.#query('clear failed sign-ins', 'DELETE FROM access_login_failures WHERE login = $1 OR at < $2', [login, before]);
  }
}
