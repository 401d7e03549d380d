import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessStore, ApiKeyRecord, SessionRecord, UserRecord } from '../auth/access-store.js';
import { randomSuffix } from '../test-support/fixtures.js';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    login: `user-${randomSuffix()}`,
    passwordHash: 'scrypt$15$8$1$c2FsdA$aGFzaA',
    roles: ['tenant-auditor'],
    tenants: ['acme', null],
    enabled: true,
    mustChangePassword: false,
    passwordChangedAt: T0,
    expiresAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function apiKey(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  const id = `0193${randomSuffix()}`;
  return {
    id,
    name: `key ${id}`,
    keyHash: `${randomSuffix()}${randomSuffix()}`.padEnd(64, '0'),
    scopes: ['ingest'],
    tenants: ['acme'],
    createdBy: 'admin',
    createdAt: T0,
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

function session(login: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idHash: `${randomSuffix()}${randomSuffix()}`.padEnd(64, 'f'),
    login,
    operationKey: `session-${randomSuffix()}`,
    ip: '10.0.0.24',
    createdAt: T0,
    lastSeenAt: T0,
    ...overrides,
  };
}

/**
 * The contract every {@link AccessStore} passes, run against real databases (no mocks). `open` gives a
 * store on a fresh journal database; `reopen` opens a second access store on the same database (or
 * undefined when the backend cannot).
 */
export function describeAccessStoreContract(
  name: string,
  open: () => Promise<{ store: AccessStore; reopen?: () => Promise<AccessStore>; close: () => Promise<void> }>,
): void {
  describe(`${name} (access store contract)`, () => {
    let store: AccessStore;
    let reopen: (() => Promise<AccessStore>) | undefined;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reopen, close } = await open());
    });
    afterAll(async () => {
      await close();
    });

    describe('users', () => {
      it('stores a user and reads every field back', async () => {
        const u = user({ expiresAt: T0 + 1000, mustChangePassword: true, roles: ['ingest', 'tenant-auditor'] });
        expect(await store.createUser(u)).toBe(true);
        expect(await store.getUser(u.login)).toEqual(u);
        expect(await store.getUser(`${u.login}-missing`)).toBeUndefined();
      });

      it('refuses a second user with the same login and keeps the first', async () => {
        const u = user();
        await store.createUser(u);
        expect(await store.createUser({ ...u, roles: ['administrator'] })).toBe(false);
        expect((await store.getUser(u.login))?.roles).toEqual(['tenant-auditor']);
      });

      it('updates a user and reports a missing one', async () => {
        const u = user();
        await store.createUser(u);
        const changed: UserRecord = { ...u, enabled: false, tenants: [], roles: ['auditor'], updatedAt: T0 + 5 };
        expect(await store.updateUser(changed)).toBe(true);
        expect(await store.getUser(u.login)).toEqual(changed);
        expect(await store.updateUser(user())).toBe(false);
      });

      it('lists users by login', async () => {
        const logins = (await store.listUsers()).map((u) => u.login);
        expect(logins).toEqual([...logins].sort());
        expect(logins.length).toBeGreaterThan(0);
      });

      it('deletes a user together with its sessions', async () => {
        const u = user();
        await store.createUser(u);
        const s = session(u.login);
        await store.createSession(s);
        expect(await store.deleteUser(u.login)).toBe(true);
        expect(await store.getUser(u.login)).toBeUndefined();
        expect(await store.getSession(s.idHash)).toBeUndefined();
        expect(await store.deleteUser(u.login)).toBe(false);
      });

      it('keeps login text exactly, including quotes and SQL', async () => {
        const u = user({ login: `o'brien"; DROP TABLE access_users; --` });
        expect(await store.createUser(u)).toBe(true);
        expect((await store.getUser(u.login))?.login).toBe(u.login);
      });
    });

    describe('API keys', () => {
      it('stores a key and finds it by id and by hash', async () => {
        const k = apiKey({ tenants: [null, 'acme'], expiresAt: T0 + 60_000, scopes: ['ingest', 'read'] });
        await store.createApiKey(k);
        expect(await store.getApiKey(k.id)).toEqual(k);
        expect(await store.getApiKeyByHash(k.keyHash)).toEqual(k);
        expect(await store.getApiKeyByHash('0'.repeat(64))).toBeUndefined();
      });

      it('keeps an all-tenants key (null tenants) apart from a no-tenants key', async () => {
        const all = apiKey({ tenants: null });
        const none = apiKey({ tenants: [] });
        await store.createApiKey(all);
        await store.createApiKey(none);
        expect((await store.getApiKey(all.id))?.tenants).toBeNull();
        expect((await store.getApiKey(none.id))?.tenants).toEqual([]);
      });

      it('refuses a second key with the same hash', async () => {
        const k = apiKey();
        await store.createApiKey(k);
        await expect(store.createApiKey({ ...k, id: `${k.id}-2` })).rejects.toMatchObject({ code: 'STORE_FAILED' });
      });

      it('revokes once, at once, and records last use', async () => {
        const k = apiKey();
        await store.createApiKey(k);
        await store.touchApiKey(k.id, T0 + 10);
        expect(await store.revokeApiKey(k.id, T0 + 20)).toBe(true);
        expect(await store.revokeApiKey(k.id, T0 + 30)).toBe(false);
        expect(await store.getApiKeyByHash(k.keyHash)).toMatchObject({ revokedAt: T0 + 20, lastUsedAt: T0 + 10 });
        expect(await store.revokeApiKey('missing', T0)).toBe(false);
      });

      it('lists keys newest first', async () => {
        const older = apiKey({ createdAt: T0 - 1000 });
        const newer = apiKey({ createdAt: T0 + 100_000 });
        await store.createApiKey(older);
        await store.createApiKey(newer);
        const ids = (await store.listApiKeys()).map((k) => k.id);
        expect(ids[0]).toBe(newer.id);
        expect(ids.indexOf(older.id)).toBeGreaterThan(0);
      });
    });

    describe('sessions', () => {
      it('stores, touches and deletes a session', async () => {
        const s = session('alice');
        await store.createSession(s);
        await store.touchSession(s.idHash, T0 + 60_000);
        expect(await store.getSession(s.idHash)).toEqual({ ...s, lastSeenAt: T0 + 60_000 });
        expect(await store.deleteSession(s.idHash)).toBe(true);
        expect(await store.deleteSession(s.idHash)).toBe(false);
        expect(await store.getSession(s.idHash)).toBeUndefined();
      });

      it("deletes a user's other sessions, keeping one", async () => {
        const login = `bob-${randomSuffix()}`;
        const keep = session(login);
        const other = session(login);
        await store.createSession(keep);
        await store.createSession(other);
        expect(await store.deleteSessionsOf(login, keep.idHash)).toBe(1);
        expect(await store.getSession(keep.idHash)).toBeDefined();
        expect(await store.deleteSessionsOf(login)).toBe(1);
        expect(await store.getSession(keep.idHash)).toBeUndefined();
      });

      it('deletes idle and too old sessions only', async () => {
        const login = `carol-${randomSuffix()}`;
        const idle = session(login, { lastSeenAt: T0 - 31 * 60_000 });
        const old = session(login, { createdAt: T0 - 13 * 3_600_000, lastSeenAt: T0 });
        const fresh = session(login);
        for (const s of [idle, old, fresh]) await store.createSession(s);
        await store.deleteExpiredSessions(T0 - 30 * 60_000, T0 - 12 * 3_600_000);
        expect(await store.getSession(idle.idHash)).toBeUndefined();
        expect(await store.getSession(old.idHash)).toBeUndefined();
        expect(await store.getSession(fresh.idHash)).toBeDefined();
      });
    });

    describe('failed sign-ins', () => {
      it('counts attempts in the window up to the limit, gives the oldest, and clears them', async () => {
        const login = `mallory-${randomSuffix()}`;
        const since = T0 - 15 * 60_000;
        expect(await store.admitLoginAttempt(login, '203.0.113.9', T0 - 20 * 60_000, T0 - 35 * 60_000, 5)).toEqual({ admitted: true, count: 1, oldest: T0 - 20 * 60_000 });
        expect(await store.admitLoginAttempt(login, '203.0.113.9', T0 - 10 * 60_000, since, 5)).toEqual({ admitted: true, count: 1, oldest: T0 - 10 * 60_000 });
        expect(await store.admitLoginAttempt(login, '203.0.113.9', T0 - 5 * 60_000, since, 2)).toEqual({ admitted: true, count: 2, oldest: T0 - 10 * 60_000 });
        expect(await store.admitLoginAttempt(login, '203.0.113.9', T0, since, 2)).toEqual({ admitted: false, count: 2, oldest: T0 - 10 * 60_000 });
        await store.admitLoginAttempt(`${login}-other`, '203.0.113.9', T0, since, 5);
        await store.clearLoginFailures(login, T0 - 60 * 60_000);
        expect(await store.admitLoginAttempt(login, '203.0.113.9', T0, since, 1)).toEqual({ admitted: true, count: 1, oldest: T0 });
        expect((await store.admitLoginAttempt(`${login}-other`, '203.0.113.9', T0, since, 5)).count).toBe(2);
      });

      it('admits exactly the limit of many parallel attempts, from two stores as from two nodes', async () => {
        const login = `parallel-${randomSuffix()}`;
        const other = (await reopen?.()) ?? store;
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? store : other).admitLoginAttempt(login, '203.0.113.9', T0 + i, T0 - 60_000, 5)),
        );
        expect(results.filter((r) => r.admitted)).toHaveLength(5);
        expect(results.filter((r) => r.admitted).map((r) => r.count).sort()).toEqual([1, 2, 3, 4, 5]);
        expect(results.filter((r) => !r.admitted).every((r) => r.count === 5)).toBe(true);
      });
    });

    describe('shared rate limits (stores that keep them: several nodes)', () => {
      it('takes tokens atomically across two stores, refills them with time, and says how long to wait', async (context) => {
        if (store.takeTokens === undefined) {
          context.skip(); // kept in memory by the single-node store
          return;
        }
        const key = `bucket-${randomSuffix()}`;
        const other = (await reopen?.()) ?? store;
        const waits = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? store : other).takeTokens!(key, 1, 10, 1, T0)));
        expect(waits.filter((w) => w === 0)).toHaveLength(10);
        expect(waits.filter((w) => w > 0).every((w) => w === 1)).toBe(true);
        // Two seconds later two tokens are back; a cost of 5 waits for three more.
        expect(await store.takeTokens(key, 5, 10, 1, T0 + 2_000)).toBe(3);
        expect(await other.takeTokens!(key, 2, 10, 1, T0 + 2_000)).toBe(0);
        expect(await store.takeTokens(key, 1, 10, 1, T0 + 2_000)).toBe(1);
        // A cost above the capacity takes the whole bucket once it is full.
        expect(await store.takeTokens(key, 50, 10, 1, T0 + 60_000)).toBe(0);
      });
    });

    it('creates its tables idempotently: a second store on the same database sees the same data', async () => {
      if (reopen === undefined) return;
      const u = user();
      await store.createUser(u);
      const again = await reopen();
      expect(await again.getUser(u.login)).toEqual(u);
    });
  });
}
