import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createUserAndSignIn } from '../test-support/access-helpers.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

/**
 * The generated OpenAPI document (decisions/0037) is a valid OpenAPI 3.1 document, and real answers of real requests
 * — successes and errors of every route family — are what it says: the status is documented for the operation, the
 * media type too, and a JSON body validates against the documented schema.
 */

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: Json };

let t: TestServer;
let doc: Doc;
let ajv: Ajv2020;
const checked = new Set<string>();

beforeAll(async () => {
  t = await startTestServer();
  doc = (await t.server.http.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<Doc>();
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(doc as unknown as Json, 'openapi.json');
});
afterAll(async () => {
  await t.close();
});

/** The documented path template matching a concrete path. */
function templateOf(path: string): string | undefined {
  const matching = Object.keys(doc.paths).filter((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
  // A literal segment wins over a parameter (`/events/export` over `/events/{id}`), as in the router.
  return matching.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
}

const pointer = (s: string): string => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'));

/** Checks one answer against the document; returns it for further assertions. */
function conforms(method: string, url: string, res: LightMyRequestResponse): LightMyRequestResponse {
  const path = url.split('?')[0]!;
  const template = templateOf(path);
  expect(template, `${method} ${path} is documented`).toBeDefined();
  const op = doc.paths[template!]![method.toLowerCase()];
  expect(op, `${method} ${template} is documented`).toBeDefined();
  const status = String(res.statusCode);
  expect(Object.keys(op!.responses), `${method} ${template} documents ${status}: ${res.body.slice(0, 300)}`).toContain(status);
  const mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
  const content = op!.responses[status]!.content;
  if (res.body !== '') {
    expect(Object.keys(content ?? {}), `${method} ${template} ${status} documents ${mediaType}`).toContain(mediaType);
  }
  if (mediaType === 'application/json' || mediaType === 'application/problem+json') {
    const ref = `openapi.json#/paths/${pointer(template!)}/${method.toLowerCase()}/responses/${status}/content/${pointer(mediaType)}/schema`;
    const validate = ajv.getSchema(ref)!;
    expect(validate, ref).toBeDefined();
    const valid = validate(res.json());
    expect(valid, `${method} ${template} ${status}: ${JSON.stringify(validate.errors)} in ${res.body.slice(0, 500)}`).toBe(true);
  }
  if (mediaType === 'application/problem+json') expect(res.json<Json>().instance).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  checked.add(`${method} ${template} ${status}`);
  return res;
}

/** Sends a request (as the administrator unless headers say otherwise) and checks its answer. */
async function call(options: InjectOptions & { method: string; url: string }): Promise<LightMyRequestResponse> {
  return conforms(options.method, options.url, await t.request(options));
}

describe('the generated OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Json);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('gives every operation a unique operationId, and every /api operation 400, 429 and (unless public) 401 and 403', () => {
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z0-9]+$/);
        expect(ids.has(op.operationId!), op.operationId).toBe(false);
        ids.add(op.operationId!);
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '429']));
        const isPublic = path === '/api/v1/openapi.json' || (path === '/api/v1/session' && method === 'post');
        if (path.startsWith('/api/') && !isPublic) expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
  });
});

describe('unknown query parameters', () => {
  it('answer 400 VALIDATION_FAILED naming the parameter (a typo must not widen a query)', async () => {
    for (const url of ['/api/v1/events?evnt=2001', '/api/v1/events/stats?evnt=1', '/api/v1/events?not.evnt=1', '/api/v1/events/export?formt=csv', '/api/v1/catalog?lng=en']) {
      const res = await call({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      const name = url.split('?')[1]!.split('=')[0]!;
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: name });
      expect(res.json<{ detail: string }>().detail).toContain('unknown query parameter');
    }
  });

  it('answer 400 on every documented GET route, derived from its declared parameters', async () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (ops.get === undefined || path.includes('stream')) continue;
      const url = `${path.replace(/\{[^}]+\}/g, 'x')}?zzz=1`;
      const res = await t.request({ method: 'GET', url });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.json(), url).toMatchObject({ code: 'VALIDATION_FAILED', field: 'zzz' });
    }
  });

  it('documented parameters, the not.* ones included, are accepted', async () => {
    const res = await call({ method: 'GET', url: '/api/v1/events?event=2001&not.event=2002&not.userId=u&not.ip=10.0.0.1&not.tenantId=t1&order=asc&limit=5' });
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe('real answers match the document', () => {
  it('events: append, duplicate, query, stats, one record, receipt, erase refusal, errors', async () => {
    const first = await call({ method: 'POST', url: '/api/v1/events', payload: [{ event: 2001, userId: 'u1', ip: '10.0.0.1', text: 'hello' }, { event: 2002 }] });
    expect(first.statusCode).toBe(201);
    const id = first.json<{ items: { id: string }[] }>().items[0]!.id;
    expect((await call({ method: 'POST', url: '/api/v1/events', payload: { id, event: 2001, userId: 'u2' } })).statusCode).toBe(409);
    expect((await call({ method: 'POST', url: '/api/v1/events', payload: { id: first.json<{ items: { id: string }[] }>().items[1]!.id, event: 2002 } })).statusCode).toBe(200);
    const minimal = await call({ method: 'POST', url: '/api/v1/events', payload: [{ id, event: 2001, userId: 'u1', ip: '10.0.0.1', text: 'hello' }, { event: 2004 }], headers: { prefer: 'return=minimal' } });
    expect([minimal.statusCode, minimal.json()]).toEqual([201, { count: 2, duplicates: 1 }]);
    expect((await call({ method: 'POST', url: '/api/v1/events', payload: '{"event":', headers: { 'content-type': 'application/json' } })).statusCode).toBe(400);
    expect((await call({ method: 'POST', url: '/api/v1/events', payload: 'x', headers: { 'content-type': 'text/plain' } })).statusCode).toBe(415);
    expect((await call({ method: 'POST', url: '/api/v1/events', payload: { event: 'x' } })).statusCode).toBe(400);
    expect((await call({ method: 'POST', url: '/api/v1/events', payload: { event: 987654 } })).statusCode).toBe(422);
    expect((await call({ method: 'GET', url: '/api/v1/events?from=2026-11-22T00:00:00Z' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/events?from=yesterday' })).statusCode).toBe(400);
    expect((await call({ method: 'GET', url: '/api/v1/events/stats' })).statusCode).toBe(200);
    const one = await call({ method: 'GET', url: `/api/v1/events/${id}` });
    expect(one.statusCode).toBe(200);
    // Response schemas document, never strip: fields they do not list still reach the clients.
    expect(Object.keys(one.json<Json>())).toEqual(expect.arrayContaining(['canonical', 'leafHash', 'validSignature', 'integrity']));
    expect((await call({ method: 'GET', url: '/api/v1/events/018f0000-0000-7000-8000-000000000000' })).statusCode).toBe(404);
    expect((await call({ method: 'GET', url: '/api/v1/events', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    const receipt = await call({ method: 'GET', url: `/api/v1/events/${id}/receipt` });
    expect([200, 409]).toContain(receipt.statusCode);
    expect((await call({ method: 'GET', url: '/api/v1/events/export?format=ndjson' })).statusCode).toBe(200);
  });

  it('logs: checkpoint, proofs, verify, export', async () => {
    await call({ method: 'POST', url: '/api/v1/events', payload: { event: 2001 } });
    await new Promise((r) => setTimeout(r, 100));
    expect((await call({ method: 'GET', url: '/api/v1/logs/default/checkpoint' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/logs/nosuch/checkpoint' })).statusCode).toBe(404);
    expect((await call({ method: 'GET', url: '/api/v1/logs/default/proofs/inclusion?seq=0&treeSize=1' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/logs/default/proofs/inclusion?seq=0' })).statusCode).toBe(400);
    expect((await call({ method: 'GET', url: '/api/v1/logs/default/proofs/consistency?from=1&to=1' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/logs/default/verify' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/logs/verify?from=2026-11-22T00:00:00Z' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/.well-known/tamga-keys' })).statusCode).toBe(200);
  });

  it('service, catalogue and tenant settings', async () => {
    for (const url of ['/healthz', '/readyz', '/api/v1/openapi.json', '/api/v1/catalog', '/api/v1/catalog/2001', '/api/v1/tenants/default/settings']) {
      expect((await call({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    expect((await call({ method: 'GET', url: '/api/v1/catalog/99999999' })).statusCode).toBe(404);
    expect((await call({ method: 'GET', url: '/api/v1/tenants/default/catalog' })).statusCode).toBe(404);
  });

  it('access: session, users, API keys, with their refusals', async () => {
    const session = await createUserAndSignIn(t, { login: 'conform-admin', roles: ['administrator'] });
    const sessionCall = async (options: InjectOptions & { method: string; url: string }) => conforms(options.method, options.url, await session.request(options));
    expect((await sessionCall({ method: 'GET', url: '/api/v1/session' })).statusCode).toBe(200);
    expect((await sessionCall({ method: 'POST', url: '/api/v1/users', headers: { 'x-csrf-token': 'wrong' }, payload: { login: 'x1', password: 'correct horse battery staple', roles: ['auditor'] } })).statusCode).toBe(403);
    expect(conforms('POST', '/api/v1/session', await t.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login: 'conform-admin', password: 'wrong password!!' } })).statusCode).toBe(401);
    expect((await call({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/users/conform-admin' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/users/nobody' })).statusCode).toBe(404);
    expect((await call({ method: 'POST', url: '/api/v1/users', payload: { login: 'conform-admin', password: 'correct horse battery staple', roles: ['auditor'] } })).statusCode).toBe(409);
    expect((await call({ method: 'PATCH', url: '/api/v1/users/conform-admin', payload: { enabled: true } })).statusCode).toBe(200);
    const key = await createApiKey(t, { name: 'conform', scopes: ['read'] });
    expect((await call({ method: 'GET', url: '/api/v1/api-keys' })).statusCode).toBe(200);
    const readOnly = conforms('POST', '/api/v1/events', await t.request({ method: 'POST', url: '/api/v1/events', headers: { authorization: `Bearer ${key.key}` }, payload: { event: 2001 } }));
    expect(readOnly.statusCode).toBe(403);
    expect((await call({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}` })).statusCode).toBe(204);
    expect((await sessionCall({ method: 'DELETE', url: '/api/v1/session' })).statusCode).toBe(204);
  });

  it('the Event API (seed 004) at /api/v1 and /api', async () => {
    for (const prefix of ['/api/v1', '/api']) {
      const posted = await call({ method: 'POST', url: `${prefix}/event`, payload: { event: { type: 'OBJECT_UPDATE', objecttype: 'Pump', object_id: 7 }, _user: { _basetype: 'user', user: { _id: 1 } } } });
      expect([200, 201], posted.body).toContain(posted.statusCode);
      expect((await call({ method: 'GET', url: `${prefix}/event/list` })).statusCode).toBe(200);
      expect((await call({ method: 'GET', url: `${prefix}/event/poll` })).statusCode).toBe(200);
      expect((await call({ method: 'DELETE', url: `${prefix}/event` })).statusCode).toBe(405);
    }
  });

  it('forwarding destinations', async () => {
    const created = await call({ method: 'POST', url: '/api/v1/forwarding/destinations', payload: { name: 'conform', format: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'a secret of sixteen+ chars' } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    expect((await call({ method: 'GET', url: '/api/v1/forwarding/destinations' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: `/api/v1/forwarding/destinations/${id}` })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: `/api/v1/forwarding/destinations/${id}/dead-letters` })).statusCode).toBe(200);
    expect((await call({ method: 'DELETE', url: `/api/v1/forwarding/destinations/${id}` })).statusCode).toBe(204);
    expect((await call({ method: 'GET', url: `/api/v1/forwarding/destinations/${id}` })).statusCode).toBe(404);
  });

  it('checked many operations and statuses', () => {
    expect(checked.size).toBeGreaterThan(45);
  });
});
