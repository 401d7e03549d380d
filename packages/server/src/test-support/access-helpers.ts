import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { SYSTEM_TENANT_ID } from '@tamga/core';
import type { CheckedRecord } from '../journal/journal-store.js';
import type { TestServer } from './test-server.js';

/** A password that meets the policy, for tests. */
export const GOOD_PASSWORD = 'correct horse battery staple';

/** A signed-in browser: its session cookie and CSRF token. */
export interface TestSession {
  readonly cookie: string;
  readonly csrfToken: string;
  readonly body: Record<string, unknown>;
  /** Sends a request with the cookie (and the CSRF header unless `headers['x-csrf-token']` is given). */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
}

/** Signs in over the API; throws unless it succeeds. */
export async function signIn(ts: TestServer, login: string, password: string, ip = '10.0.0.24'): Promise<TestSession> {
  const response = await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login, password }, remoteAddress: ip });
  if (response.statusCode !== 201) throw new Error(`sign-in of ${login} failed: ${response.statusCode} ${response.body}`);
  const setCookie = String(response.headers['set-cookie']);
  const cookie = setCookie.split(';')[0]!;
  const body = response.json<Record<string, unknown>>();
  const csrfToken = String(body.csrfToken);
  return {
    cookie,
    csrfToken,
    body,
    request: (options) =>
      ts.server.http.inject({
        remoteAddress: ip,
        ...options,
        headers: { cookie, 'x-csrf-token': csrfToken, ...options.headers },
      }),
  };
}

/** Creates a user with the bootstrap key (no password change required) and signs it in. */
export async function createUserAndSignIn(
  ts: TestServer,
  user: { login: string; roles: string[]; tenants?: string[] },
  ip?: string,
): Promise<TestSession> {
  const created = await ts.request({
    method: 'POST',
    url: '/api/v1/users',
    payload: { ...user, password: GOOD_PASSWORD, mustChangePassword: false },
  });
  if (created.statusCode !== 201) throw new Error(`creating ${user.login} failed: ${created.statusCode} ${created.body}`);
  return signIn(ts, user.login, GOOD_PASSWORD, ip);
}

/** Creates an API key with the bootstrap key; returns its id and the key. */
export async function createApiKey(
  ts: TestServer,
  key: { name: string; scopes: string[]; tenants?: string[] | null; expiresAt?: string | null },
): Promise<{ id: string; key: string }> {
  const response = await ts.request({ method: 'POST', url: '/api/v1/api-keys', payload: key });
  if (response.statusCode !== 201) throw new Error(`creating key ${key.name} failed: ${response.statusCode} ${response.body}`);
  return response.json<{ id: string; key: string }>();
}

/** Tamga's own events (system tenant), oldest first, read from the journal directly (no JournalRead). */
export async function systemEvents(ts: TestServer, events?: number[]): Promise<CheckedRecord[]> {
  const { items } = await ts.server.journal.query(
    { tenants: [SYSTEM_TENANT_ID], order: 'asc', ...(events !== undefined && { events }) },
    10_000,
  );
  return items;
}
