/**
 * One request cannot make the server build an unbounded answer (issue #10, item 3): `GET /api/v1/catalog` for 3,000
 * tenants answered 569 MB. Lists in queries and bodies have ceilings, refused with 400 naming the parameter; the
 * catalogue is paged; the erasure answer lists a bounded number of records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVIDENCE_EVENTS } from '../evidence/evidence-service.js';
import { systemEvents } from '../test-support/access-helpers.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const get = (url: string) => t.request({ method: 'GET', url });
const many = <T,>(n: number, value: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => value(i));

function expectRefused(r: { statusCode: number; json: () => unknown; headers: Record<string, unknown> }, field: string, what: string): void {
  expect(r.statusCode, what).toBe(400);
  expect(String(r.headers['content-type']), what).toContain('application/problem+json');
  expect(r.json(), what).toMatchObject({ code: 'VALIDATION_FAILED', field });
}

describe('GET /api/v1/catalog', () => {
  it('refuses the 3,000-tenant request that answered 569 MB, naming tenantId', async () => {
    const r = await get(`/api/v1/catalog?tenantId=${many(3000, String).join(',')}`);
    expectRefused(r, 'tenantId', '3,000 tenants');
    expect(r.json<{ detail: string }>().detail).toBe('tenantId: at most 20 values (got 3000)');
    expect(r.body.length).toBeLessThan(1000);
  });

  it('pages the entries of 20 tenants: at most 1,000 a page, every entry once over the pages', async () => {
    const url = `/api/v1/catalog?tenantId=${many(20, (i) => `t${i}`).join(',')}`;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await get(cursor === null ? url : `${url}&cursor=${cursor}`);
      expect(r.statusCode).toBe(200);
      expect(r.body.length, 'bytes of one page').toBeLessThan(1_500_000);
      const page = r.json<{ items: { code: number }[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(1000);
      seen.push(...page.items.map((i) => String(i.code)));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    const perTenant = (await get('/api/v1/catalog?tenantId=t0&limit=5000')).json<{ items: unknown[] }>().items.length;
    expect(seen).toHaveLength(20 * perTenant);
    expect(pages).toBe(Math.ceil((20 * perTenant) / 1000));
  });

  it('refuses a page over 5,000, a forged cursor, and filter lists over 100 values', async () => {
    expectRefused(await get('/api/v1/catalog?limit=5001'), 'limit', 'limit');
    expect((await get('/api/v1/catalog?cursor=bm90LWEtY3Vyc29y')).json()).toMatchObject({ code: 'INVALID_CURSOR', field: 'cursor' });
    for (const name of ['catalog', 'domain', 'status', 'classifiedEvent']) {
      expectRefused(await get(`/api/v1/catalog?${name}=${many(101, () => '1').join(',')}`), name, name);
    }
    expectRefused(await get(`/api/v1/catalog/2001?tenantId=${many(21, (i) => `t${i}`).join(',')}`), 'tenantId', 'one entry');
  });
});

describe('query lists of the events, stats and stream routes', () => {
  const cases: [string, string][] = [
    ['event', `event=${many(1001, (i) => String(i)).join(',')}`],
    ['not.event', many(1001, (i) => `not.event=${i}`).join('&')],
    ['classifiedEvent', `classifiedEvent=${many(101, () => '1').join(',')}`],
    ['tenantId', `tenantId=${many(101, (i) => `t${i}`).join(',')}`],
    ['not.tenantId', `not.tenantId=${many(101, (i) => `t${i}`).join(',')}`],
    ['not.userId', many(101, (i) => `not.userId=u${i}`).join('&')],
    ['not.ip', many(101, (i) => `not.ip=10.0.0.${i}`).join('&')],
    ['not.operationKey', many(101, (i) => `not.operationKey=o${i}`).join('&')],
    ['not.nodeId', many(101, (i) => `not.nodeId=n${i}`).join('&')],
    ['q', `q=${'x'.repeat(1025)}`],
    ['userId', `userId=${'u'.repeat(1025)}`],
    ['not.userId', `not.userId=${'u'.repeat(1025)}`],
  ];

  it('refuses each list beyond its ceiling with 400 naming the parameter', async () => {
    for (const route of ['/api/v1/events', '/api/v1/events/stats', '/api/v1/events/stream']) {
      for (const [field, query] of cases) expectRefused(await get(`${route}?${query}`), field, `${route} ${field}`);
    }
  });

  it('takes lists up to the ceiling', async () => {
    expect((await get(`/api/v1/events?event=${many(1000, (i) => String(i)).join(',')}`)).statusCode).toBe(200);
    expect((await get(`/api/v1/events/stats?${many(100, (i) => `not.userId=u${i}`).join('&')}`)).statusCode).toBe(200);
  });
});

describe('lists in bodies', () => {
  it('refuses roles, scopes, tenants and builtinCatalogs beyond their ceilings, naming the field', async () => {
    const user = { login: 'bounded', password: 'long enough password', mustChangePassword: false };
    expectRefused(await t.request({ method: 'POST', url: '/api/v1/users', payload: { ...user, roles: many(11, () => 'auditor') } }), 'roles', 'roles');
    expectRefused(await t.request({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'k', scopes: many(11, () => 'read') } }), 'scopes', 'scopes');
    expectRefused(
      await t.request({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'k', scopes: ['read'], tenants: many(1001, (i) => `t${i}`) } }),
      'tenants',
      'tenants',
    );
    expectRefused(
      await t.request({ method: 'PUT', url: '/api/v1/tenants/acme/settings', payload: { builtinCatalogs: many(101, () => 'ai-server') } }),
      'builtinCatalogs',
      'builtinCatalogs',
    );
  });

  it('answers an erasure of 1,200 records with their count and the first 1,000', async () => {
    for (let i = 0; i < 3; i++) {
      const batch = many(400, () => ({ event: 2001, userId: 'prolific', tenantId: 'acme', entityData: 'x' }));
      expect((await t.request({ method: 'POST', url: '/api/v1/events', payload: batch })).statusCode).toBe(201);
    }
    const r = await t.request({ method: 'POST', url: '/api/v1/erasures', payload: { userId: 'prolific', reason: 'GDPR art. 17' } });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json<{ erased: number; records: unknown[]; recordsListed: number }>();
    expect(body).toMatchObject({ erased: 1200, recordsListed: 1000 });
    expect(body.records).toHaveLength(1000);
    // The erasure is journalled: its event lists as many records as fit (a thousand did not, and it went unjournalled).
    const [journalled] = await systemEvents(t, [EVIDENCE_EVENTS.PayloadErased]);
    expect(journalled?.entityData).toMatchObject({ subject: 'prolific', count: 1200 });
    expect((journalled?.entityData as { records: unknown[] }).records).toHaveLength(400);
  });
});
