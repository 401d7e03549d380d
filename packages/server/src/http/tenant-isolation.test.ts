import type { HTTPMethods, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createUserAndSignIn } from '../test-support/access-helpers.js';
import type { TestSession } from '../test-support/access-helpers.js';
import { registeredRoutes } from '../test-support/registered-routes.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

/**
 * Every endpoint, tried across tenants by principals scoped to tenant `acme`: a tenant-auditor session,
 * a tenant-scoped read+ingest key and an ingest-only key. Data of `globex`, of the default tenant and of
 * the system tenant carry a marker that must never appear in their answers. A route registered without a
 * case here fails the suite: add its cross-tenant case.
 */
const MARK = 'FOREIGN-SECRET-51f0';
type Who = 'auditor' | 'key' | 'ingest';
type Send = (options: InjectOptions) => Promise<LightMyRequestResponse>;
interface Case {
  readonly url: string;
  readonly payload?: unknown;
  /** Principals this case is not sent for. */
  readonly skip?: readonly Who[];
  check?(who: Who, response: LightMyRequestResponse): void;
}

let ts: TestServer;
let auditor: TestSession;
const send: Partial<Record<Who, Send>> = {};
let acmeId = '';
let globexId = '';
let defaultId = '';
let destinationId = '';

beforeAll(async () => {
  ts = await startTestServer();
  const post = async (tenantId: string | null, foreign: boolean): Promise<string> => {
    const response = await ts.request({
      method: 'POST',
      url: '/api/v1/events',
      payload: { event: 2001, tenantId, entityData: foreign ? { secret: MARK } : 'acme data', text: foreign ? MARK : null, userId: foreign ? MARK : 'acme-user' },
    });
    expect(response.statusCode).toBe(201);
    return response.json<{ items: { id: string }[] }>().items[0]!.id;
  };
  acmeId = await post('acme', false);
  await post('acme', false);
  globexId = await post('globex', true);
  defaultId = await post(null, true);
  // Tamga's own events (the system tenant) are foreign too: a sign-in with the marker as login.
  await ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: MARK, password: 'x' } });
  for (let i = 0; i < 200; i++) {
    const logs = await ts.server.journal.store.listLogs();
    const signed = await Promise.all(logs.map(async (l) => (await ts.server.journal.store.latestCheckpoint(l.logId))?.size === l.size));
    if (signed.every(Boolean)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  // A forwarding destination of another tenant's records (disabled: nothing is sent).
  const destination = await ts.request({
    method: 'POST',
    url: '/api/v1/forwarding/destinations',
    payload: { name: `${MARK} siem`, format: 'webhook', url: 'http://127.0.0.1:9/hook', secret: `${MARK} secret`, filter: 'tenantId=globex', enabled: false },
  });
  expect(destination.statusCode).toBe(201);
  destinationId = destination.json<{ id: string }>().id;
  auditor = await createUserAndSignIn(ts, { login: 'acme-auditor', roles: ['tenant-auditor'], tenants: ['acme'] });
  send.auditor = auditor.request;
  const key = await createApiKey(ts, { name: 'acme-rw', scopes: ['read', 'ingest'], tenants: ['acme'] });
  const ingest = await createApiKey(ts, { name: 'acme-in', scopes: ['ingest'], tenants: ['acme'] });
  send.key = (o) => ts.server.http.inject({ ...o, headers: { authorization: `Bearer ${key.key}`, ...o.headers } });
  send.ingest = (o) => ts.server.http.inject({ ...o, headers: { authorization: `Bearer ${ingest.key}`, ...o.headers } });
});
afterAll(async () => {
  await ts.close();
});

const readers: readonly Who[] = ['auditor', 'key'];
const status = (expected: Partial<Record<Who, number>>) => (who: Who, r: LightMyRequestResponse) => {
  if (expected[who] !== undefined) expect(r.statusCode, `${who}: ${r.body}`).toBe(expected[who]);
};
const refusedToAll = status({ auditor: 403, key: 403, ingest: 403 });
const itemsOf = (r: LightMyRequestResponse) => r.json<{ items: { tenantId: string | null }[] }>().items;

const CASES: Record<string, readonly Case[]> = {
  'GET /api/v1/events': [
    {
      url: '/api/v1/events',
      check(who, r) {
        if (who === 'ingest') return expect(r.statusCode).toBe(403);
        expect(r.statusCode).toBe(200);
        expect(new Set(itemsOf(r).map((i) => i.tenantId))).toEqual(new Set(['acme']));
      },
    },
    ...['globex', 'default', 'tamga', 'globex,acme'].map((t) => ({
      url: `/api/v1/events?tenantId=${t}`,
      check(who: Who, r: LightMyRequestResponse) {
        if (who === 'ingest') return expect(r.statusCode).toBe(403);
        expect(itemsOf(r).every((i) => i.tenantId === 'acme')).toBe(true);
      },
    })),
    { url: `/api/v1/events?q=${MARK}`, check: (who, r) => who !== 'ingest' && expect(itemsOf(r)).toEqual([]) },
    { url: `/api/v1/events?userId=${MARK}`, check: (who, r) => who !== 'ingest' && expect(itemsOf(r)).toEqual([]) },
  ],
  // A granted stream never ends, so inject() cannot read it: readers' cross-tenant cases are in stream-api.test.ts.
  'GET /api/v1/events/stream': [{ url: '/api/v1/events/stream?tenantId=globex', skip: readers, check: refusedToAll }],
  'GET /api/v1/users/suggest': [
    {
      url: `/api/v1/users/suggest?prefix=${MARK.slice(0, 3)}`,
      check: (who, r) => (who === 'ingest' ? expect(r.statusCode).toBe(403) : expect(r.json().items).toEqual([])),
    },
    { url: '/api/v1/users/suggest?prefix=acme', check: (who, r) => who !== 'ingest' && expect(r.json().items).toEqual(['acme-user']) },
  ],
  'GET /api/v1/events/stats': [
    { url: '/api/v1/events/stats', check: (who, r) => (who === 'ingest' ? expect(r.statusCode).toBe(403) : expect(r.json().count).toBe(2)) },
    { url: '/api/v1/events/stats?tenantId=globex', check: (who, r) => who !== 'ingest' && expect(r.json().count).toBe(0) },
    { url: '/api/v1/events/stats?tenantId=tamga', check: (who, r) => who !== 'ingest' && expect(r.json().count).toBe(0) },
  ],
  'GET /api/v1/events/:id': [
    { url: '/api/v1/events/{globex}', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/events/{default}', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/events/{acme}', check: status({ auditor: 200, key: 200, ingest: 403 }) },
  ],
  'POST /api/v1/events': ['globex', null, 'tamga'].map((tenantId) => ({
    url: '/api/v1/events',
    payload: { event: 2001, tenantId, entityData: 'cross-tenant write' },
    check: refusedToAll,
  })),
  'GET /api/v1/logs/:tenant/checkpoint': [
    { url: '/api/v1/logs/globex/checkpoint', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/logs/default/checkpoint', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/logs/tamga/checkpoint', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/logs/acme/checkpoint', check: status({ auditor: 200, key: 200, ingest: 403 }) },
  ],
  'GET /api/v1/logs/:tenant/proofs/inclusion': [
    { url: '/api/v1/logs/globex/proofs/inclusion?seq=0&treeSize=1', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/logs/acme/proofs/inclusion?seq=0&treeSize=2', check: status({ auditor: 200, key: 200, ingest: 403 }) },
  ],
  'GET /api/v1/logs/:tenant/proofs/consistency': [
    { url: '/api/v1/logs/globex/proofs/consistency?from=0&to=1', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/logs/default/proofs/consistency?from=0&to=1', check: status({ auditor: 404, key: 404, ingest: 403 }) },
  ],
  // The evidence routes (export, verify, receipts, erasure, key rotation).
  'GET /api/v1/logs/:tenant/export': [
    { url: '/api/v1/logs/globex/export', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/logs/tamga/export', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/logs/acme/export', check: status({ auditor: 200, key: 200, ingest: 403 }) },
  ],
  'GET /api/v1/logs/:tenant/verify': [
    { url: '/api/v1/logs/globex/verify', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/logs/default/verify', check: status({ auditor: 404, key: 404, ingest: 403 }) },
  ],
  // Only the caller's own tenant's log is verified and named, whatever the filter asks for.
  'GET /api/v1/logs/verify': Object.entries({ '': ['acme'], '&tenantId=globex,acme': ['acme'], '&tenantId=tamga': [], '&not.tenantId=acme': [] }).map(
    ([filter, expected]) => ({
      url: `/api/v1/logs/verify?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z${filter}`,
      check(who: Who, r: LightMyRequestResponse) {
        if (who === 'ingest') return expect(r.statusCode).toBe(403);
        expect(r.json<{ logs: { tenant: string }[] }>().logs.map((l) => l.tenant)).toEqual(expected);
      },
    }),
  ),
  'GET /api/v1/events/export': ['', '?tenantId=globex', '?format=csv&tenantId=tamga,default,acme', `?q=${MARK}&format=csv`].map((query) => ({
    url: `/api/v1/events/export${query}`,
    check(who: Who, r: LightMyRequestResponse) {
      if (who === 'ingest') return expect(r.statusCode).toBe(403);
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain('globex');
      if (query === '') expect(r.body.trimEnd().split('\n').map((l) => (JSON.parse(l) as { tenantId: string }).tenantId)).toEqual(['acme', 'acme']);
    },
  })),
  'GET /api/v1/events/:id/receipt': [
    { url: '/api/v1/events/{globex}/receipt', check: status({ auditor: 404, key: 404, ingest: 403 }) },
    { url: '/api/v1/events/{default}/receipt', check: status({ auditor: 404, key: 404, ingest: 403 }) },
  ],
  'POST /api/v1/events/:id/erase': [{ url: '/api/v1/events/{globex}/erase', payload: { reason: 'cross-tenant' }, check: refusedToAll }],
  'POST /api/v1/erasures': [{ url: '/api/v1/erasures', payload: { userId: MARK, reason: 'cross-tenant' }, check: refusedToAll }],
  'POST /api/v1/keys/rotate': [{ url: '/api/v1/keys/rotate', payload: { type: 'hmac' }, check: refusedToAll }],
  'POST /api/v1/session': [{ url: '/api/v1/session', payload: { login: 'acme-auditor', password: 'wrong password' }, check: status({ auditor: 401, key: 401, ingest: 401 }) }],
  'GET /api/v1/session': [{ url: '/api/v1/session', check: status({ auditor: 200, key: 200, ingest: 200 }) }],
  // Signing the auditor out here would end the suite's session; the last test does it.
  'DELETE /api/v1/session': [{ url: '/api/v1/session', skip: ['auditor'], check: status({ key: 204, ingest: 204 }) }],
  'PUT /api/v1/session/password': [
    { url: '/api/v1/session/password', payload: { currentPassword: 'not it', newPassword: 'a new long password' }, check: refusedToAll },
  ],
  'GET /api/v1/users': [{ url: '/api/v1/users', check: refusedToAll }],
  'POST /api/v1/users': [{ url: '/api/v1/users', payload: { login: 'x', password: 'long enough password', roles: ['administrator'] }, check: refusedToAll }],
  'GET /api/v1/users/:login': [{ url: '/api/v1/users/admin', check: refusedToAll }],
  'PATCH /api/v1/users/:login': [{ url: '/api/v1/users/acme-auditor', payload: { roles: ['auditor'] }, check: refusedToAll }],
  'DELETE /api/v1/users/:login': [{ url: '/api/v1/users/admin', check: refusedToAll }],
  'GET /api/v1/api-keys': [{ url: '/api/v1/api-keys', check: refusedToAll }],
  'POST /api/v1/api-keys': [{ url: '/api/v1/api-keys', payload: { name: 'x', scopes: ['read'] }, check: refusedToAll }],
  'DELETE /api/v1/api-keys/:id': [{ url: '/api/v1/api-keys/0193a000-0000-7000-8000-000000000000', check: refusedToAll }],
  'GET /api/v1/catalog': [{ url: '/api/v1/catalog?tenantId=globex' }, { url: '/api/v1/catalog' }],
  'GET /api/v1/catalog/:code': [{ url: '/api/v1/catalog/2001?tenantId=globex' }],
  'GET /api/v1/tenants/:tenant/catalog': [
    { url: '/api/v1/tenants/globex/catalog', check: (_who, r) => expect(r.statusCode).toBeGreaterThanOrEqual(403) },
  ],
  'PUT /api/v1/tenants/:tenant/catalog': [{ url: '/api/v1/tenants/globex/catalog', payload: { catalog: 'x' }, check: refusedToAll }],
  'GET /api/v1/tenants/:tenant/settings': [
    { url: '/api/v1/tenants/globex/settings', check: (_who, r) => expect(r.statusCode).toBeGreaterThanOrEqual(403) },
  ],
  'PUT /api/v1/tenants/:tenant/settings': [{ url: '/api/v1/tenants/globex/settings', payload: { openCodes: true }, check: refusedToAll }],
  // Forwarding is for administrators only: every scoped principal is refused, and nothing of a destination shows.
  'GET /api/v1/forwarding/destinations': [{ url: '/api/v1/forwarding/destinations', check: refusedToAll }],
  'POST /api/v1/forwarding/destinations': [
    { url: '/api/v1/forwarding/destinations', payload: { name: 'acme siem', format: 'syslog', url: 'tcp://127.0.0.1:9', filter: 'tenantId=acme' }, check: refusedToAll },
  ],
  'GET /api/v1/forwarding/destinations/:id': [{ url: '/api/v1/forwarding/destinations/{destination}', check: refusedToAll }],
  'PATCH /api/v1/forwarding/destinations/:id': [{ url: '/api/v1/forwarding/destinations/{destination}', payload: { filter: 'tenantId=acme' }, check: refusedToAll }],
  'DELETE /api/v1/forwarding/destinations/:id': [{ url: '/api/v1/forwarding/destinations/{destination}', check: refusedToAll }],
  'POST /api/v1/forwarding/destinations/:id/test': [{ url: '/api/v1/forwarding/destinations/{destination}/test', check: refusedToAll }],
  'GET /api/v1/forwarding/destinations/:id/dead-letters': [{ url: '/api/v1/forwarding/destinations/{destination}/dead-letters', check: refusedToAll }],
  // Seed 004's Event API, at /api/v1 and at the seed's own /api: a foreign tenant looks like one without events.
  ...Object.fromEntries(
    ['/api/v1', '/api'].flatMap((p) => {
      const readsNothing = (url: string): Case => ({
        url,
        check: (who, r) => (who === 'ingest' ? expect(r.statusCode).toBe(403) : expect(r.json()).toEqual([])),
      });
      const eventsOf = (r: LightMyRequestResponse) => r.json<{ _tamga: { tenantId: string | null } }[]>().map((e) => e._tamga.tenantId);
      return [
        [`GET ${p}/event/poll`, ['globex', 'default', 'tamga'].map((t) => readsNothing(`${p}/event/poll?tenantId=${t}`))],
        [
          `GET ${p}/event/poll/:last_max_id`,
          [
            ...['globex', 'default', 'tamga'].map((t) => readsNothing(`${p}/event/poll/0?tenantId=${t}&limit=0`)),
            { url: `${p}/event/poll/0`, check: (who: Who, r: LightMyRequestResponse) => who !== 'ingest' && expect(eventsOf(r)).toEqual(['acme', 'acme']) },
          ],
        ],
        [
          `GET ${p}/event/list`,
          [
            ...['globex', 'default', 'tamga'].map((t) => readsNothing(`${p}/event/list?tenantId=${t}`)),
            {
              url: `${p}/event/list?tenantId=globex&format=csv`,
              check: (who: Who, r: LightMyRequestResponse) => who !== 'ingest' && expect(r.body.trim().split('\r\n')).toHaveLength(1),
            },
            { url: `${p}/event/list`, check: (who: Who, r: LightMyRequestResponse) => who !== 'ingest' && expect(eventsOf(r)).toEqual(['acme', 'acme']) },
            { url: `${p}/event/list?user_id=${MARK}`, check: (who: Who, r: LightMyRequestResponse) => who !== 'ingest' && expect(r.json()).toEqual([]) },
          ],
        ],
        [
          `GET ${p}/event/:id`,
          [
            ...['globex', 'default', 'tamga'].map((t) => ({ url: `${p}/event/1?tenantId=${t}`, check: status({ auditor: 404, key: 404, ingest: 403 }) })),
            { url: `${p}/event/1`, check: status({ auditor: 200, key: 200, ingest: 403 }) },
          ],
        ],
        [`POST ${p}/event`, ['globex', 'default', 'tamga'].map((t) => ({ url: `${p}/event?tenantId=${t}`, payload: { type: 'SEARCH' }, check: refusedToAll }))],
        [`DELETE ${p}/event`, [{ url: `${p}/event?tenantId=globex`, check: status({ auditor: 405, key: 405, ingest: 405 }) }]],
        [`DELETE ${p}/event/:id`, [{ url: `${p}/event/1?tenantId=globex`, check: status({ auditor: 405, key: 405, ingest: 405 }) }]],
      ] as [string, Case[]][];
    }),
  ),
  'GET /api/v1/openapi.json': [{ url: '/api/v1/openapi.json' }],
  'GET /healthz': [{ url: '/healthz' }],
  'GET /readyz': [{ url: '/readyz' }],
  'GET /.well-known/tamga-keys': [{ url: '/.well-known/tamga-keys' }],
};

/** Static files of the journal page: public, no tenant data. */
const isPageFile = (method: string, url: string) => method === 'GET' && !url.startsWith('/api/') && !url.startsWith('/.well-known/') && !['/healthz', '/readyz'].includes(url);

describe('tenant isolation on every endpoint', () => {
  it('has a cross-tenant case for every registered route', () => {
    const missing = registeredRoutes(ts.server.http)
      .filter((r) => !isPageFile(r.method, r.url))
      .map((r) => `${r.method} ${r.url}`)
      .filter((route) => CASES[route] === undefined);
    expect(missing, 'routes without a cross-tenant case in tenant-isolation.test.ts').toEqual([]);
  });

  for (const [route, cases] of Object.entries(CASES)) {
    const method = route.split(' ')[0]!;
    for (const who of ['auditor', 'key', 'ingest'] as const) {
      it(`${route} as ${who === 'auditor' ? 'a tenant-auditor session' : who === 'key' ? 'a tenant-scoped read+ingest key' : 'an ingest-only key'}`, async () => {
        for (const c of cases) {
          if (c.skip?.includes(who)) continue;
          const url = c.url.replace('{globex}', globexId).replace('{acme}', acmeId).replace('{default}', defaultId).replace('{destination}', destinationId);
          const r = await send[who]!({ method: method as HTTPMethods, url, ...(c.payload !== undefined && { payload: c.payload as object }) });
          expect(r.statusCode, `${url}: ${r.body}`).toBeLessThan(500);
          expect(r.body, url).not.toContain(MARK);
          expect(r.body, url).not.toContain('"tenantId":"globex"');
          expect(r.body, url).not.toContain('"tenantId":"tamga"');
          if (r.statusCode >= 400) expect(r.headers['content-type']).toContain('application/problem+json');
          c.check?.(who, r);
        }
      });
    }
  }

  it('lets readers see their own tenant', async () => {
    for (const who of readers) {
      const r = await send[who]!({ method: 'GET', url: '/api/v1/events' });
      expect(itemsOf(r).length, who).toBe(2);
    }
  });

  it('leaves the forwarding destination as the administrator made it', async () => {
    const r = await ts.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${destinationId}` });
    expect(r.json()).toMatchObject({ filter: 'tenantId=globex', enabled: false, version: 1 });
  });

  it('signs the tenant auditor out, and the session is gone', async () => {
    expect((await auditor.request({ method: 'DELETE', url: '/api/v1/session' })).statusCode).toBe(204);
    expect((await auditor.request({ method: 'GET', url: '/api/v1/events' })).statusCode).toBe(401);
  });
});
