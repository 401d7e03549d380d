import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKey, createUserAndSignIn, GOOD_PASSWORD, signIn, systemEvents } from '../test-support/access-helpers.js';
import { startTestServer, TEST_NOW_MS } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

const MINUTE = 60_000;
let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

/** A test server with a clock the test moves. */
async function start(env: Record<string, string> = {}): Promise<{ ts: TestServer; clock: { now: number } }> {
  const clock = { now: TEST_NOW_MS };
  ts = await startTestServer({ now: () => clock.now, env });
  return { ts, clock };
}

const event = (over: Record<string, unknown> = {}) => ({ event: 2001, entityData: 'logs, tenantId=', ip: '10.0.0.24', ...over });

describe('first start', () => {
  it('creates admin with a one-time password that must be changed before anything else', async () => {
    const { ts } = await start();
    const password = ts.server.createdAdminPassword;
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const created = await systemEvents(ts, [9000]);
    expect(created).toHaveLength(1);
    expect(created[0]!.entityData).toMatchObject({ login: 'admin', roles: ['administrator'] });

    const admin = await signIn(ts, 'admin', password!);
    expect(admin.body).toMatchObject({ login: 'admin', mustChangePassword: true, isAdmin: true, kind: 'session' });
    const blocked = await admin.request({ method: 'GET', url: '/api/v1/events' });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toMatchObject({ code: 'PASSWORD_CHANGE_REQUIRED' });
    expect((await admin.request({ method: 'GET', url: '/api/v1/session' })).statusCode).toBe(200);

    const change = (newPassword: string, headers = {}) =>
      admin.request({ method: 'PUT', url: '/api/v1/session/password', payload: { currentPassword: password, newPassword }, headers });
    expect((await change('short')).json()).toMatchObject({ code: 'PASSWORD_TOO_WEAK', field: 'newPassword' });
    expect((await change('Admin')).json()).toMatchObject({ code: 'PASSWORD_TOO_WEAK' });
    expect((await change(GOOD_PASSWORD, { 'x-csrf-token': 'forged' })).json()).toMatchObject({ code: 'CSRF_TOKEN_INVALID' });
    const changed = await change(GOOD_PASSWORD);
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ mustChangePassword: false });
    expect((await admin.request({ method: 'GET', url: '/api/v1/events' })).statusCode).toBe(200);
    expect(await systemEvents(ts, [9004])).toHaveLength(1);
    // The one-time password is gone.
    const again = await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'admin', password } });
    expect(again.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('takes the password from TAMGA_ADMIN_PASSWORD and prints none', async () => {
    const { ts } = await start({ TAMGA_ADMIN_PASSWORD: 'from the environment 1' });
    expect(ts.server.createdAdminPassword).toBeUndefined();
    const admin = await signIn(ts, 'admin', 'from the environment 1');
    expect(admin.body.mustChangePassword).toBe(true);
  });

  it('refuses to start with a TAMGA_ADMIN_PASSWORD that breaks the policy', async () => {
    await expect(startTestServer({ env: { TAMGA_ADMIN_PASSWORD: 'short' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('sessions', () => {
  it('sets an HttpOnly, SameSite=Strict cookie scoped to the API, Secure only over TLS', async () => {
    const { ts } = await start();
    await createUserAndSignIn(ts, { login: 'alice', roles: ['auditor'] });
    const response = await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'alice', password: GOOD_PASSWORD } });
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^tamga_session=[A-Za-z0-9_-]{43}; Path=\/api\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(cookie).not.toContain('Secure');
    const body = response.json<{ csrfToken: string }>();
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('journals Login with userId null and the login in entityData, and a whole session under one operation key', async () => {
    const { ts } = await start();
    const alice = await createUserAndSignIn(ts, { login: 'alice', roles: ['auditor'] }, '10.1.2.3');
    expect((await alice.request({ method: 'GET', url: '/api/v1/events' })).statusCode).toBe(200);
    const out = await alice.request({ method: 'DELETE', url: '/api/v1/session' });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    const [login] = await systemEvents(ts, [2001]);
    expect(login).toMatchObject({ userId: null, entityData: 'alice, tenantId=', ip: '10.1.2.3', tenantId: 'tamga', eventName: 'Login' });
    expect(login!.operationKey).toMatch(/^[0-9a-f-]{36}$/);
    const session = (await systemEvents(ts)).filter((r) => r.operationKey === login!.operationKey).map((r) => [r.eventName, r.userId]);
    expect(session).toEqual([
      ['Login', null],
      ['JournalRead', 'alice'],
      ['LogOut', 'alice'],
    ]);
    // Signed out on the server: the old cookie no longer works.
    expect((await alice.request({ method: 'GET', url: '/api/v1/events' })).json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('ends a session after 30 idle minutes and after 12 hours in any case', async () => {
    const { ts, clock } = await start();
    const alice = await createUserAndSignIn(ts, { login: 'alice', roles: ['auditor'] });
    clock.now += 29 * MINUTE;
    expect((await alice.request({ method: 'GET', url: '/api/v1/session' })).statusCode).toBe(200);
    clock.now += 31 * MINUTE;
    expect((await alice.request({ method: 'GET', url: '/api/v1/session' })).statusCode).toBe(401);

    const bob = await createUserAndSignIn(ts, { login: 'bob', roles: ['auditor'] });
    for (let i = 0; i < 25; i++) {
      clock.now += 29 * MINUTE;
      const r = await bob.request({ method: 'GET', url: '/api/v1/session' });
      if (clock.now - TEST_NOW_MS - 60 * MINUTE < 12 * 60 * MINUTE) expect(r.statusCode).toBe(200);
    }
    expect((await bob.request({ method: 'GET', url: '/api/v1/session' })).statusCode).toBe(401);
  });

  it('needs the CSRF header for state-changing requests with the cookie, but not with a bearer key', async () => {
    const { ts } = await start();
    const admin = await createUserAndSignIn(ts, { login: 'root2', roles: ['administrator'] });
    const post = (headers: Record<string, string>) =>
      ts!.server.http.inject({ method: 'POST', url: '/api/v1/events', payload: event(), headers: { cookie: admin.cookie, ...headers } });
    expect((await post({})).json()).toMatchObject({ code: 'CSRF_TOKEN_INVALID', status: 403 });
    expect((await post({ 'x-csrf-token': admin.csrfToken.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) })).json()).toMatchObject({ code: 'CSRF_TOKEN_INVALID' });
    expect((await post({ 'x-csrf-token': admin.csrfToken })).statusCode).toBe(201);
    expect((await ts.request({ method: 'POST', url: '/api/v1/events', payload: event() })).statusCode).toBe(201);
  });

  it('refuses forged and malformed session cookies', async () => {
    const { ts } = await start();
    for (const cookie of ['tamga_session=' + 'A'.repeat(43), 'tamga_session=', 'tamga_session=../../etc/passwd', 'x=1; tamga_session="; DROP TABLE']) {
      const r = await ts.server.http.inject({ method: 'GET', url: '/api/v1/events', headers: { cookie } });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });
});

describe('failed sign-ins', () => {
  it('journals three LoginUserUnauthorized with the IP, then LoginUserLocked after the limit, and unlocks after the window', async () => {
    const { ts, clock } = await start({ TAMGA_LOGIN_LOCKOUT_ATTEMPTS: '3' });
    await createUserAndSignIn(ts, { login: 'alice', roles: ['auditor'] });
    const attempt = (password: string) =>
      ts!.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'alice', password }, remoteAddress: '203.0.113.9' });
    for (let i = 0; i < 3; i++) {
      const r = await attempt('wrong password!');
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    const locked = await attempt(GOOD_PASSWORD);
    expect(locked.statusCode).toBe(401);
    expect(locked.json()).toMatchObject({ code: 'ACCOUNT_LOCKED' });
    expect(Number(locked.headers['retry-after'])).toBe(15 * 60);

    const failures = await systemEvents(ts, [2004]);
    expect(failures).toHaveLength(3);
    for (const f of failures) {
      expect(f).toMatchObject({ eventName: 'LoginUserUnauthorized', ip: '203.0.113.9', userId: null, entityData: 'alice, tenantId=' });
    }
    const [lock] = await systemEvents(ts, [2003]);
    expect(lock).toMatchObject({ eventName: 'LoginUserLocked', ip: '203.0.113.9', entityData: 'alice, tenantId=' });

    clock.now += 16 * MINUTE;
    expect((await attempt(GOOD_PASSWORD)).statusCode).toBe(201);
  });

  it('journals LoginUserNotExist for an unknown login and answers exactly like a wrong password', async () => {
    const { ts } = await start();
    const r = await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'nobody', password: 'whatever it is' }, remoteAddress: '198.51.100.7' });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ code: 'UNAUTHENTICATED', detail: 'The login or the password is wrong' });
    expect(await systemEvents(ts, [2002])).toMatchObject([{ ip: '198.51.100.7', entityData: 'nobody, tenantId=' }]);
  });

  it('refuses a disabled account (LoginUserLocked) and an expired one (LoginUserExpired)', async () => {
    const { ts, clock } = await start();
    await createUserAndSignIn(ts, { login: 'alice', roles: ['auditor'] });
    await ts.request({ method: 'PATCH', url: '/api/v1/users/alice', payload: { enabled: false } });
    const disabled = await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'alice', password: GOOD_PASSWORD } });
    expect(disabled.json()).toMatchObject({ code: 'ACCOUNT_LOCKED' });
    expect(await systemEvents(ts, [2003])).toHaveLength(1);

    await ts.request({ method: 'PATCH', url: '/api/v1/users/alice', payload: { enabled: true, expiresAt: new Date(clock.now + MINUTE).toISOString() } });
    clock.now += 2 * MINUTE;
    const expired = await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'alice', password: GOOD_PASSWORD } });
    expect(expired.json()).toMatchObject({ code: 'PASSWORD_EXPIRED', status: 401 });
    expect(await systemEvents(ts, [2008])).toHaveLength(1);
  });

  it('refuses a password older than TAMGA_PASSWORD_MAX_AGE_DAYS', async () => {
    const { ts, clock } = await start({ TAMGA_PASSWORD_MAX_AGE_DAYS: '90' });
    await createUserAndSignIn(ts, { login: 'alice', roles: ['auditor'] });
    clock.now += 91 * 24 * 60 * MINUTE;
    const r = await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'alice', password: GOOD_PASSWORD } });
    expect(r.json()).toMatchObject({ code: 'PASSWORD_EXPIRED' });
  });

  it('rate-limits sign-in attempts per IP with 429 and Retry-After', async () => {
    const { ts } = await start({ TAMGA_LOGIN_RATE_PER_IP: '3' });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: `u${i}`, password: 'x' }, remoteAddress: '192.0.2.1' });
      codes.push(r.statusCode);
      if (r.statusCode === 429) {
        expect(r.json()).toMatchObject({ code: 'RATE_LIMITED' });
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(codes).toEqual([401, 401, 401, 429]);
    // Another address is not affected.
    const other = await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'u9', password: 'x' }, remoteAddress: '192.0.2.2' });
    expect(other.statusCode).toBe(401);
  });
});

describe('API keys', () => {
  it('shows a key once, stores only its SHA-256 (the SQLite files never hold it), and lists no secret', async () => {
    const { ts } = await start();
    const { id, key } = await createApiKey(ts, { name: 'producer', scopes: ['ingest'], tenants: ['acme'] });
    expect(key).toMatch(/^tmg_[A-Za-z0-9_-]{43}$/);
    expect((await ts.server.http.inject({ method: 'POST', url: '/api/v1/events', payload: event({ tenantId: 'acme' }), headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(201);
    const list = await ts.request({ method: 'GET', url: '/api/v1/api-keys' });
    expect(list.body).not.toContain(key);
    expect(list.json<{ items: unknown[] }>().items).toMatchObject([{ id, name: 'producer', scopes: ['ingest'], tenants: ['acme'], active: true }]);
    await ts.server.checkpointer.stop();
    for (const file of readdirSync(ts.dataDir).filter((f) => f.startsWith('tamga.sqlite'))) {
      const bytes = readFileSync(join(ts.dataDir, file));
      expect(bytes.includes(Buffer.from(key)), file).toBe(false);
      expect(bytes.includes(Buffer.from(key.slice(4))), file).toBe(false);
    }
    expect(await systemEvents(ts, [32009])).toMatchObject([{ entityData: { id, name: 'producer' }, userId: 'bootstrap-admin' }]);
  });

  it('an ingest key cannot read anything, and a read key cannot append', async () => {
    const { ts } = await start();
    const ingest = await createApiKey(ts, { name: 'in', scopes: ['ingest'] });
    const read = await createApiKey(ts, { name: 'out', scopes: ['read'] });
    const [stored] = (await ts.request({ method: 'POST', url: '/api/v1/events', payload: event() })).json<{ items: { id: string }[] }>().items;
    await ts.server.checkpointer.stop();
    for (const url of ['/api/v1/events', '/api/v1/events/stats', `/api/v1/events/${stored!.id}`, '/api/v1/logs/default/checkpoint', '/api/v1/logs/default/proofs/inclusion?seq=0&treeSize=1']) {
      const r = await ts.server.http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ingest.key}` } });
      expect(r.statusCode, url).toBe(403);
    }
    const r = await ts.server.http.inject({ method: 'POST', url: '/api/v1/events', payload: event(), headers: { authorization: `Bearer ${read.key}` } });
    expect(r.statusCode).toBe(403);
  });

  it('revocation takes effect at once; an expired key stops working; last use is recorded at most once a minute', async () => {
    const { ts, clock } = await start();
    const k = await createApiKey(ts, { name: 'r', scopes: ['read'], expiresAt: new Date(clock.now + 10 * MINUTE).toISOString() });
    const get = () => ts!.server.http.inject({ method: 'GET', url: '/api/v1/events/stats', headers: { authorization: `Bearer ${k.key}` } });
    expect((await get()).statusCode).toBe(200);
    const used = (await ts.server.access.store.getApiKey(k.id))!.lastUsedAt;
    expect(used).toBe(clock.now);
    clock.now += 30_000;
    await get();
    expect((await ts.server.access.store.getApiKey(k.id))!.lastUsedAt).toBe(used);
    clock.now += 11 * MINUTE;
    expect((await get()).statusCode).toBe(401);

    const k2 = await createApiKey(ts, { name: 'r2', scopes: ['read'] });
    const get2 = () => ts!.server.http.inject({ method: 'GET', url: '/api/v1/events/stats', headers: { authorization: `Bearer ${k2.key}` } });
    expect((await get2()).statusCode).toBe(200);
    expect((await ts.request({ method: 'DELETE', url: `/api/v1/api-keys/${k2.id}` })).statusCode).toBe(204);
    expect((await get2()).statusCode).toBe(401);
    expect((await ts.request({ method: 'DELETE', url: `/api/v1/api-keys/${k2.id}` })).json()).toMatchObject({ code: 'API_KEY_NOT_FOUND' });
    expect(await systemEvents(ts, [32010])).toHaveLength(1);
  });

  it('rate-limits ingest per key with 429 RATE_LIMITED and Retry-After', async () => {
    const { ts, clock } = await start({ TAMGA_INGEST_RATE: '1', TAMGA_INGEST_BURST: '3' });
    const k = await createApiKey(ts, { name: 'fast', scopes: ['ingest'] });
    const post = (payload: unknown) =>
      ts!.server.http.inject({ method: 'POST', url: '/api/v1/events', payload: payload as object, headers: { authorization: `Bearer ${k.key}` } });
    expect((await post([event(), event()])).statusCode).toBe(201);
    const limited = await post([event(), event()]);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.headers['retry-after']).toBe('1');
    clock.now += 1000;
    expect((await post([event(), event()])).statusCode).toBe(201);
    // The bootstrap key (automation) is not limited.
    for (let i = 0; i < 3; i++) expect((await ts.request({ method: 'POST', url: '/api/v1/events', payload: [event(), event()] })).statusCode).toBe(201);
  });

  it('only administrators manage keys', async () => {
    const { ts } = await start();
    const auditor = await createUserAndSignIn(ts, { login: 'aud', roles: ['auditor'] });
    expect((await auditor.request({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'x', scopes: ['read'] } })).statusCode).toBe(403);
    expect((await auditor.request({ method: 'GET', url: '/api/v1/api-keys' })).statusCode).toBe(403);
  });
});

describe('users API', () => {
  it('creates, lists, changes and removes users, journalling each change with its own code', async () => {
    const { ts } = await start();
    const create = await ts.request({
      method: 'POST',
      url: '/api/v1/users',
      payload: { login: 'carol', password: GOOD_PASSWORD, roles: ['tenant-auditor'], tenants: ['acme', 'default'] },
    });
    expect(create.statusCode).toBe(201);
    expect(create.json()).toMatchObject({ login: 'carol', roles: ['tenant-auditor'], tenants: ['acme', 'default'], enabled: true, mustChangePassword: true });
    expect(create.body).not.toContain('scrypt');
    expect((await ts.request({ method: 'POST', url: '/api/v1/users', payload: { login: 'carol', password: GOOD_PASSWORD, roles: [] } })).json()).toMatchObject({
      code: 'USER_EXISTS',
      status: 409,
    });
    const list = await ts.request({ method: 'GET', url: '/api/v1/users' });
    expect(list.json<{ items: { login: string }[] }>().items.map((u) => u.login)).toEqual(['admin', 'carol']);

    const patch = (payload: object) => ts!.request({ method: 'PATCH', url: '/api/v1/users/carol', payload });
    expect((await patch({ roles: ['auditor'] })).statusCode).toBe(200);
    expect((await patch({ tenants: ['globex'] })).statusCode).toBe(200);
    expect((await patch({ password: 'another long password' })).json()).toMatchObject({ mustChangePassword: true });
    expect((await patch({ enabled: false })).json()).toMatchObject({ enabled: false });
    expect((await patch({ enabled: true })).statusCode).toBe(200);
    expect((await patch({ expiresAt: '2030-01-01T00:00:00Z' })).json()).toMatchObject({ expiresAt: '2030-01-01T00:00:00.000Z' });
    expect((await ts.request({ method: 'DELETE', url: '/api/v1/users/carol' })).statusCode).toBe(204);
    expect((await ts.request({ method: 'DELETE', url: '/api/v1/users/carol' })).json()).toMatchObject({ code: 'USER_NOT_FOUND' });

    const codes = (await systemEvents(ts)).map((r) => r.event).filter((c) => c >= 8000 && c < 9100);
    expect(codes).toEqual([9000, 9000, 9003, 8004, 9004, 9006, 9005, 9001, 9002]);
  });

  it('validates bodies and refuses a weak password', async () => {
    const { ts } = await start();
    const post = (payload: object) => ts!.request({ method: 'POST', url: '/api/v1/users', payload });
    expect((await post({ login: 'x y', password: GOOD_PASSWORD, roles: [] })).json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'login' });
    expect((await post({ login: 'dave', password: GOOD_PASSWORD, roles: ['root'] })).json()).toMatchObject({ field: 'roles' });
    expect((await post({ login: 'dave', password: GOOD_PASSWORD, roles: ['tenant-auditor'] })).json()).toMatchObject({ field: 'tenants' });
    expect((await post({ login: 'dave', password: 'too short', roles: [] })).json()).toMatchObject({ code: 'PASSWORD_TOO_WEAK' });
    expect((await post({ login: 'dave-the-user', password: 'DAVE-THE-USER', roles: [] })).json()).toMatchObject({ code: 'PASSWORD_TOO_WEAK' });
    expect((await post({ login: 'dave', password: GOOD_PASSWORD, roles: [], isAdmin: true })).json()).toMatchObject({ field: 'isAdmin' });
  });

  it('keeps at least one enabled administrator', async () => {
    const { ts } = await start();
    expect((await ts.request({ method: 'PATCH', url: '/api/v1/users/admin', payload: { enabled: false } })).json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await ts.request({ method: 'DELETE', url: '/api/v1/users/admin' })).json()).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a role change applies to open sessions at once; disabling a user ends its sessions', async () => {
    const { ts } = await start();
    const dave = await createUserAndSignIn(ts, { login: 'dave', roles: ['auditor'] });
    expect((await dave.request({ method: 'GET', url: '/api/v1/events' })).statusCode).toBe(200);
    await ts.request({ method: 'PATCH', url: '/api/v1/users/dave', payload: { roles: ['ingest'], tenants: ['acme'] } });
    expect((await dave.request({ method: 'GET', url: '/api/v1/events' })).statusCode).toBe(403);
    await ts.request({ method: 'PATCH', url: '/api/v1/users/dave', payload: { enabled: false } });
    expect((await dave.request({ method: 'GET', url: '/api/v1/session' })).statusCode).toBe(401);
  });
});

describe('reading the journal is journalled', () => {
  it('journals at most one JournalRead per principal a minute, with its user, IP and operation key', async () => {
    const { ts, clock } = await start();
    const alice = await createUserAndSignIn(ts, { login: 'alice', roles: ['auditor'] }, '10.9.8.7');
    for (let i = 0; i < 3; i++) expect((await alice.request({ method: 'GET', url: '/api/v1/events?limit=5' })).statusCode).toBe(200);
    await alice.request({ method: 'GET', url: '/api/v1/events/stats' });
    let reads = await systemEvents(ts, [32012]);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ userId: 'alice', ip: '10.9.8.7', operationKey: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(reads[0]!.entityData).toMatchObject({ path: '/api/v1/events', query: 'limit=5' });
    clock.now += MINUTE;
    await alice.request({ method: 'GET', url: '/api/v1/events/stats' });
    await ts.request({ method: 'GET', url: '/api/v1/events' });
    reads = await systemEvents(ts, [32012]);
    expect(reads.map((r) => r.userId)).toEqual(['alice', 'alice', 'bootstrap-admin']);
  });

  it('does not journal refused reads', async () => {
    const { ts } = await start();
    await ts.server.http.inject({ method: 'GET', url: '/api/v1/events', headers: { authorization: 'Bearer tmg_nope' } });
    await ts.request({ method: 'GET', url: '/api/v1/events?from=yesterday' });
    expect(await systemEvents(ts, [32012])).toHaveLength(0);
  });
});

describe('security headers', () => {
  it('are on every answer: API, errors, unknown paths', async () => {
    const { ts } = await start();
    for (const r of [
      await ts.request({ method: 'GET', url: '/api/v1/events' }),
      await ts.server.http.inject({ method: 'GET', url: '/api/v1/events' }),
      await ts.server.http.inject({ method: 'GET', url: '/healthz' }),
      await ts.server.http.inject({ method: 'GET', url: '/api/v2/nothing' }),
    ]) {
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
    }
  });
});
