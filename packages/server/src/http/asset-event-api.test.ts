import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { createApiKey, createUserAndSignIn, systemEvents } from '../test-support/access-helpers.js';
import { startTestServer, TEST_NOW_MS } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

/** Seed 004's event types as the asset-server catalogue holds them, with the attributes each carries. */
interface CatalogEntry {
  readonly code: number;
  readonly name: string;
  readonly pollable: boolean;
  readonly attributes?: readonly { readonly name: string; readonly type?: string; readonly value?: string }[];
}
const CATALOG = JSON.parse(readFileSync(new URL('../../../../catalogs/asset-server.json', import.meta.url), 'utf8')) as { entries: CatalogEntry[] };
const OBJECT_ATTRIBUTES = new Set(['schema', 'objecttype', 'object_id', 'object_version', '_session', '_user']);

type AssetEvent = { event: Record<string, unknown>; _session?: Record<string, unknown>; _user?: Record<string, unknown> };

/** An event of type `entry` with every attribute the seed gives it; `n` varies the values. */
function sampleEvent(entry: CatalogEntry, n: number): AssetEvent {
  const names = new Set((entry.attributes ?? []).map((a) => a.name));
  const event: Record<string, unknown> = { type: entry.name, timestamp: new Date(Date.UTC(2026, 10, 22, 9, 0, n)).toISOString().replace('Z', '000Z'), pollable: entry.pollable };
  if (names.has('schema')) event.schema = entry.attributes!.find((a) => a.name === 'schema')!.value?.toUpperCase() ?? 'USER';
  if (names.has('objecttype')) event.objecttype = entry.attributes!.find((a) => a.name === 'objecttype')!.value ?? 'pictures';
  if (names.has('object_id')) event.object_id = 100 + n;
  if (names.has('object_version')) event.object_version = n % 4;
  if (event.schema === 'USER') event.global_object_id = `${100 + n}@8367e587-f999-4e72-b69d-b5742eb4d5f4`;
  if (entry.name !== 'OBJECT_INDEX') event.ipv4_address = `10.4.0.${n % 250}`;
  const info: Record<string, unknown> = {};
  for (const a of entry.attributes ?? []) {
    if (OBJECT_ATTRIBUTES.has(a.name) || a.name === 'info') continue;
    const [head, sub] = a.name.split('.');
    const value = a.type === 'integer' ? n : a.type === 'array of strings' ? ['a@example.org', 'b@example.org'] : `${a.name} ${n}`;
    if (sub === undefined) info[head!] = value;
    else info[head!] = { ...(info[head!] as object), [sub]: value };
  }
  if (names.has('info')) info.search = { query: 'n' + n };
  if (Object.keys(info).length > 0) event.info = info;
  const out: AssetEvent = { event };
  if (names.has('_session')) out._session = { token: `s-${n}`, created: '2026-11-22T08:00:00.000000Z', expired: '2026-11-22T20:00:00.000000Z' };
  if (names.has('_user')) out._user = { _basetype: 'user', user: { _id: n % 3, _generated_displayname: `user ${n % 3}` } };
  return out;
}

let ts: TestServer;
const clock = { now: TEST_NOW_MS };
const posted: AssetEvent[] = [];
const withoutEvidence = (e: Record<string, unknown>) => {
  const { _tamga, ...rest } = e;
  return rest;
};
const get = (url: string) => ts.request({ method: 'GET', url });
const json = <T = Record<string, unknown>[]>(r: LightMyRequestResponse): T => r.json<T>();

beforeAll(async () => {
  ts = await startTestServer({ now: () => clock.now });
  for (const [i, entry] of CATALOG.entries.entries()) {
    const event = sampleEvent(entry, i);
    const r = await ts.request({ method: 'POST', url: '/api/v1/event?tenantId=assets', payload: event });
    expect(r.statusCode, r.body).toBe(201);
    posted.push(event);
  }
});
afterAll(async () => {
  await ts.close();
});

describe('the Event API (seed 004)', () => {
  describe('POST and GET /api/v1/event', () => {
    it('stores every type of the catalogue, and reads each back as the same JSON with its _id', async () => {
      expect(posted.length).toBe(34);
      for (const [i, event] of posted.entries()) {
        const r = await get(`/api/v1/event/${i + 1}?tenantId=assets`);
        expect(r.statusCode).toBe(200);
        expect(withoutEvidence(r.json()), event.event.type as string).toEqual({ ...event, event: { _id: i + 1, ...event.event } });
      }
    });

    it('answers a post with the stored event and its evidence, which checks out', async () => {
      const r = await ts.request({ method: 'POST', url: '/api/event?tenantId=assets2', payload: { type: 'SEARCH', info: { query: 'x' } } });
      expect(r.statusCode).toBe(201);
      const body = r.json<{ event: { _id: number; pollable: boolean }; _tamga: { seq: number; validSignature: boolean; receipt: string } }>();
      expect(body.event).toMatchObject({ _id: 1, pollable: false, timestamp: new Date(TEST_NOW_MS).toISOString().replace('Z', '000Z') });
      expect(body._tamga).toMatchObject({ seq: 0, validSignature: true });
      expect((await ts.request({ method: 'GET', url: body._tamga.receipt })).statusCode).toBeLessThan(500);
    });

    it('stores an IPv4-mapped ipv4_address as the IPv4 address, found by either spelling', async () => {
      const r = await ts.request({ method: 'POST', url: '/api/event?tenantId=assets-ip', payload: { type: 'SEARCH', ipv4_address: '::ffff:10.7.0.1', info: { query: 'x' } } });
      expect(r.statusCode).toBe(201);
      expect(r.json().event).toMatchObject({ ipv4_address: '10.7.0.1' });
      const found = await get(`/api/v1/events?tenantId=assets-ip&ip=${encodeURIComponent('::FFFF:10.7.0.1')}&from=1970-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`);
      expect(found.json().items.map((e: { ip: string }) => e.ip)).toEqual(['10.7.0.1']);
    });

    it('reads events appended through the native API by name the same way', async () => {
      const r = await ts.request({ method: 'POST', url: '/api/v1/events', payload: { eventName: 'LOGIN_FAILED', tenantId: 'native', entityData: { login: 'eve', reason: 'bad password' }, ip: '10.9.9.9' } });
      expect(r.statusCode).toBe(201);
      const event = await get('/api/v1/event/1?tenantId=native');
      expect(event.json().event).toMatchObject({ _id: 1, type: 'LOGIN_FAILED', pollable: false, ipv4_address: '10.9.9.9', info: { login: 'eve' } });
    });

    it('names the attribute of a refused event, and stores nothing', async () => {
      const before = json(await get('/api/v1/event/list?tenantId=assets&limit=1'))[0];
      for (const [payload, field, code] of [
        [{ event: { type: 'NO_SUCH_TYPE' } }, 'event.type', 'UNKNOWN_EVENT_NAME'],
        [{ event: { type: 'USER_LOGIN', ipv4_address: 'not an ip' } }, 'event.ipv4_address', 'VALIDATION_FAILED'],
        [{ event: { type: 'USER_LOGIN', timestamp: 'yesterday' } }, 'event.timestamp', 'VALIDATION_FAILED'],
        [{ event: { type: 'USER_LOGIN', object_id: -3 } }, 'event.object_id', 'VALIDATION_FAILED'],
        [{ event: { type: 'USER_LOGIN', _id: 4 } }, 'event._id', 'VALIDATION_FAILED'],
        [{ event: { type: 'USER_LOGIN', colour: 'red' } }, 'event.colour', 'VALIDATION_FAILED'],
        [[{ type: 'USER_LOGIN' }], 'body', 'VALIDATION_FAILED'],
      ] as const) {
        const r = await ts.request({ method: 'POST', url: '/api/v1/event?tenantId=assets', payload: payload as object });
        expect(r.statusCode, r.body).toBeGreaterThanOrEqual(400);
        expect(r.headers['content-type']).toContain('application/problem+json');
        expect(r.json()).toMatchObject({ code, field });
      }
      expect(json(await get('/api/v1/event/list?tenantId=assets&limit=1'))[0]).toEqual(before);
    });

    it('refuses DELETE with a problem that points at retention', async () => {
      for (const url of ['/api/v1/event', '/api/event', '/api/v1/event/3']) {
        const r = await ts.request({ method: 'DELETE', url });
        expect(r.statusCode).toBe(405);
        expect(r.headers.allow).toBeDefined();
        expect(r.json()).toMatchObject({ code: 'EVENTS_APPEND_ONLY' });
        expect(r.json<{ detail: string }>().detail).toMatch(/retention/);
      }
      expect((await get('/api/v1/event/3?tenantId=assets')).statusCode).toBe(200);
    });
  });

  describe('poll', () => {
    const pollableIds = () => posted.flatMap((e, i) => (e.event.pollable === true ? [i + 1] : []));

    it('returns from 0 exactly the pollable events, in _id order, in the short format', async () => {
      const r = await get('/api/v1/event/poll/0?tenantId=assets&limit=0');
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-tamga-max-event-id']).toBe('34');
      const items = json<{ event: Record<string, unknown>; _tamga: unknown }[]>(r);
      expect(items.map((e) => e.event._id)).toEqual(pollableIds());
      expect(items.map((e) => e.event.type)).toEqual(['API_PROGRESS', 'USER_LOGIN', 'USER_LOGOUT', 'OBJECT_UPDATE', 'OBJECT_DELETE', 'SCHEMA_COMMIT']);
      for (const e of items) {
        for (const omitted of ['timestamp', 'ipv4_address', 'pollable', 'info']) expect(e.event).not.toHaveProperty(omitted);
        expect(e).not.toHaveProperty('_session');
        expect(e._tamga).toMatchObject({ validSignature: true });
      }
      const update = items.find((e) => e.event.type === 'OBJECT_UPDATE')!;
      expect(update.event).toEqual({ _id: update.event._id, type: 'OBJECT_UPDATE', schema: 'USER', objecttype: 'pictures', object_id: expect.any(Number), object_version: expect.any(Number), global_object_id: expect.any(String) });
    });

    it('applies limit as documented: default 25, 0 means 1000, above 1000 is capped, negative or fractional is refused', async () => {
      await ts.request({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: 1100 }, () => ({ eventName: 'OBJECT_UPDATE', tenantId: 'many' })) });
      const count = async (qs: string) => json(await get(`/api/v1/event/poll/0?tenantId=many${qs}`)).length;
      expect(await count('')).toBe(25);
      expect(await count('&limit=0')).toBe(1000);
      expect(await count('&limit=5000')).toBe(1000);
      expect(await count('&limit=7')).toBe(7);
      for (const bad of ['-1', '1.5', 'x', '1e3']) {
        const r = await get(`/api/v1/event/poll/0?tenantId=many&limit=${bad}`);
        expect(r.statusCode).toBe(400);
        expect(r.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'limit' });
      }
      const after = json<{ event: { _id: number } }[]>(await get('/api/v1/event/poll/1090?tenantId=many'));
      expect(after.map((e) => e.event._id)).toEqual(Array.from({ length: 10 }, (_, i) => 1091 + i));
    });

    it('answers empty, not an error, beyond the newest id; refuses an id that is no integer', async () => {
      const r = await get('/api/v1/event/poll/999999?tenantId=assets');
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual([]);
      expect(r.headers['x-tamga-max-event-id']).toBe('34');
      for (const bad of ['-1', 'abc', '1.5']) expect((await get(`/api/v1/event/poll/${bad}?tenantId=assets`)).json()).toMatchObject({ field: 'last_max_id' });
      expect(json(await get('/api/v1/event/poll/0?tenantId=no-such-tenant'))).toEqual([]);
    });

    it('starts a poll without an id at the newest event now for a key, and at the session start for a session', async () => {
      const keyPoll = await get('/api/v1/event/poll?tenantId=assets');
      expect(keyPoll.json()).toEqual([]);
      expect(keyPoll.headers['x-tamga-max-event-id']).toBe('34');
      clock.now += 1000;
      const session = await createUserAndSignIn(ts, { login: 'poller', roles: ['auditor'] });
      clock.now += 1000;
      await ts.request({ method: 'POST', url: '/api/v1/event?tenantId=assets', payload: { type: 'USER_LOGIN', object_id: 9 } });
      const sessionPoll = await session.request({ method: 'GET', url: '/api/v1/event/poll?tenantId=assets' });
      expect(json<{ event: { _id: number } }[]>(sessionPoll).map((e) => e.event._id)).toEqual([35]);
      posted.push({ event: { type: 'USER_LOGIN', pollable: true } });
    });

    it('long-polls: answers within 100 ms of an append, woken by the append itself', async () => {
      const started = performance.now();
      const polling = get('/api/v1/event/poll/35?tenantId=assets&timeout=10');
      await new Promise((r) => setTimeout(r, 300));
      expect(performance.now() - started).toBeGreaterThan(250);
      const appended = await ts.request({ method: 'POST', url: '/api/v1/events', payload: { eventName: 'OBJECT_DELETE', tenantId: 'assets' } });
      const committedAt = performance.now();
      const r = await polling;
      const latency = performance.now() - committedAt;
      expect(appended.statusCode).toBe(201);
      expect(json<{ event: { _id: number } }[]>(r).map((e) => e.event._id)).toEqual([36]);
      expect(latency).toBeLessThan(100);
    });

    it('long-polls past appends that hold no pollable event, and ends empty at its timeout', async () => {
      const started = performance.now();
      const polling = get('/api/v1/event/poll/36?tenantId=assets&timeout=1');
      await ts.request({ method: 'POST', url: '/api/v1/events', payload: { eventName: 'LOGIN_FAILED', tenantId: 'assets' } });
      const r = await polling;
      expect(r.json()).toEqual([]);
      expect(performance.now() - started).toBeGreaterThan(900);
      expect(r.headers['x-tamga-max-event-id']).toBe('37');
      for (const bad of ['61', '-1', 'soon']) expect((await get(`/api/v1/event/poll/0?timeout=${bad}`)).json()).toMatchObject({ field: 'timeout' });
    });
  });

  describe('list', () => {
    const ids = (r: LightMyRequestResponse) => json<{ event: { _id: number } }[]>(r).map((e) => e.event._id);

    it('lists newest first by default, pages with offset and limit, and carries the newest id', async () => {
      const r = await get('/api/v1/event/list?tenantId=assets&limit=3');
      expect(ids(r)).toEqual([37, 36, 35]);
      expect(r.headers['x-tamga-max-event-id']).toBe('37');
      expect(ids(await get('/api/v1/event/list?tenantId=assets&limit=3&offset=3'))).toEqual([34, 33, 32]);
      expect(ids(await get('/api/v1/event/list?tenantId=assets&limit=2&offset=3&sort=_id.ASC'))).toEqual([4, 5]);
      expect(ids(await get('/api/v1/event/list?tenantId=assets&offset=500'))).toEqual([]);
    });

    it('filters by pollable, type, base_type, user_id and inclusive dates', async () => {
      const where = (test: (e: AssetEvent) => boolean) => posted.flatMap((e, i) => (test(e) ? [i + 1] : []));
      // 36 is an OBJECT_DELETE and 37 a LOGIN_FAILED, appended through the native API above.
      expect(ids(await get('/api/v1/event/list?tenantId=assets&pollable=true&sort=_id'))).toEqual([...where((e) => e.event.pollable === true), 36]);
      const types = ['LOGIN_FAILED', 'SERVER_START'];
      expect(ids(await get(`/api/v1/event/list?tenantId=assets&type=${types.join(',')}&sort=_id`))).toEqual([...where((e) => types.includes(e.event.type as string)), 37]);
      expect(ids(await get('/api/v1/event/list?tenantId=assets&base_type=user&sort=_id'))).toEqual(where((e) => e.event.schema === 'BASE' && e.event.objecttype === 'user'));
      expect(ids(await get('/api/v1/event/list?tenantId=assets&user_id=2&sort=_id'))).toEqual(where((e) => (e._user?.user as { _id?: number } | undefined)?._id === 2));
      const from = posted[4]!.event.timestamp as string;
      const to = posted[6]!.event.timestamp as string;
      expect(ids(await get(`/api/v1/event/list?tenantId=assets&date_from=${from}&date_to=${to}&sort=_id`))).toEqual([5, 6, 7]);
    });

    it('sorts by a comma list of field[.ASC|.DESC], ascending without a direction', async () => {
      const byType = json<{ event: { type: string; _id: number } }[]>(await get('/api/v1/event/list?tenantId=assets&sort=type,_id.DESC&limit=4'));
      expect(byType.map((e) => [e.event.type, e.event._id])).toEqual([
        ['API_CALL', 1],
        ['API_PROGRESS', 2],
        ['ASSET_DOWNLOAD', 3],
        ['ASSET_EXPORT_DOWNLOAD', 4],
      ]);
      const byVersion = json<{ event: { object_version?: number } }[]>(await get('/api/v1/event/list?tenantId=assets&sort=object_version.DESC,_id&limit=40'));
      const versions = byVersion.map((e) => e.event.object_version);
      const present = versions.filter((v) => v !== undefined);
      expect(present).toEqual([...present].sort((a, b) => b! - a!));
      expect(versions.slice(present.length).every((v) => v === undefined)).toBe(true);
      for (const key of ['object_id', 'schema', 'timestamp', 'user_generated_displayname']) {
        expect((await get(`/api/v1/event/list?tenantId=assets&sort=${key}.DESC`)).statusCode).toBe(200);
      }
    });

    it('exports CSV with every option, exploded info columns, and formulas neutralized', async () => {
      await ts.request({ method: 'POST', url: '/api/v1/event?tenantId=csv', payload: { type: 'EMAIL_SENT', info: { subject: '=HYPERLINK("http://evil")', recipients: ['a@x', 'b@x'], type: 'welcome;"x"' } } });
      const plain = await get('/api/v1/event/list?tenantId=csv&format=csv');
      expect(plain.headers['content-type']).toContain('text/csv');
      const [header, row] = plain.body.trim().split('\r\n');
      expect(header!.split(',').slice(0, 3)).toEqual(['_id', 'type', 'timestamp']);
      expect(header!.endsWith(',info')).toBe(true);
      expect(row!.startsWith('1,EMAIL_SENT,')).toBe(true);
      const exploded = await get('/api/v1/event/list?tenantId=csv&format=csv&csv_explode=true&csv_delimiter=;&csv_use_bom=1');
      expect(exploded.body.startsWith('\ufeff')).toBe(true);
      const lines = exploded.body.slice(1).trim().split('\r\n');
      expect(lines[0]!.split(';').slice(-4)).toEqual(['info.subject', 'info.recipients.0', 'info.recipients.1', 'info.type']);
      // A cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection).
      expect(lines[1]).toContain(`'=HYPERLINK(""http://evil"")`);
      expect(lines[1]).toContain(`"welcome;""x"""`);
      const concat = await get('/api/v1/event/list?tenantId=csv&format=csv&csv_explode=1&csv_explode_array_concat=1&csv_quote=%27&csv_escape=%5C&csv_max_length=8');
      const [concatHeader, concatRow] = concat.body.split('\r\n');
      expect(concatHeader!.endsWith(',info.subject,info.recipients,info.type')).toBe(true);
      // Cells are cut at csv_max_length, then neutralized, then quoted with csv_quote and escaped with csv_escape.
      expect(concatRow!.endsWith(`,'\\'=HYPERLI','a@x\nb@x',welcome;`)).toBe(true);
      expect(concatRow!.startsWith('1,EMAIL_SE,2026-11-,')).toBe(true);
      for (const [option, value] of [['csv_delimiter', ';;'], ['csv_quote', 'ab'], ['csv_escape', '%5C%5C'], ['csv_use_bom', 'maybe'], ['csv_max_length', '-1']]) {
        const r = await get(`/api/v1/event/list?tenantId=csv&format=csv&${option}=${value}`);
        expect(r.statusCode, option).toBe(400);
        expect(r.json()).toMatchObject({ field: option });
      }
    });

    it('refuses bad parameters with a 400 naming each', async () => {
      for (const [qs, field] of [
        ['limit=0', 'limit'],
        ['limit=1001', 'limit'],
        ['offset=-1', 'offset'],
        ['sort=colour', 'sort'],
        ['sort=_id.SIDEWAYS', 'sort'],
        ['type=NO_SUCH', 'type'],
        ['date_from=yesterday', 'date_from'],
        ['date_to=2026-13-01T00:00:00Z', 'date_to'],
        ['pollable=perhaps', 'pollable'],
        ['format=xml', 'format'],
        ['tenantId=../x', 'tenantId'],
      ]) {
        const r = await get(`/api/v1/event/list?${qs}`);
        expect(r.statusCode, qs).toBe(400);
        expect(r.json(), qs).toMatchObject({ code: 'VALIDATION_FAILED', field });
      }
      for (const bad of ['0', '-1', 'abc', '2.5']) expect((await get(`/api/v1/event/${bad}`)).json()).toMatchObject({ field: 'id' });
      expect((await get('/api/v1/event/999?tenantId=assets')).json()).toMatchObject({ code: 'EVENT_NOT_FOUND' });
    });
  });

  describe('paths and credentials', () => {
    it('answers at the seed’s own paths the same as under /api/v1', async () => {
      for (const path of ['/event/poll/0?tenantId=assets', '/event/list?tenantId=assets&limit=5', '/event/7?tenantId=assets']) {
        const [v1, own] = await Promise.all([get(`/api/v1${path}`), get(`/api${path}`)]);
        expect(own.statusCode).toBe(200);
        expect(own.body).toBe(v1.body);
      }
    });

    it('takes ?token= (an API key or a session id), takes the tenant from a one-tenant key, and journals no token', async () => {
      const key = await createApiKey(ts, { name: 'assets reader', scopes: ['read'], tenants: ['assets'] });
      const viaToken = await ts.server.http.inject({ method: 'GET', url: `/api/event/poll/0?token=${key.key}&limit=0` });
      expect(viaToken.statusCode).toBe(200);
      expect(json(viaToken).length).toBe(posted.filter((e) => e.event.pollable === true).length + 1);
      const session = await createUserAndSignIn(ts, { login: 'token-user', roles: ['auditor'] });
      const sessionId = session.cookie.split('=')[1]!;
      expect((await ts.server.http.inject({ method: 'GET', url: `/api/v1/event/1?tenantId=assets&token=${sessionId}` })).statusCode).toBe(200);
      for (const url of ['/api/event/poll/0?token=tmg_wrong', '/api/event/list', '/api/v1/event/1']) {
        const r = await ts.server.http.inject({ method: 'GET', url });
        expect(r.statusCode, url).toBe(401);
      }
      const reads = (await systemEvents(ts)).filter((r) => r.event === 32012);
      expect(reads.length).toBeGreaterThan(0);
      expect(JSON.stringify(reads)).not.toContain(key.key);
      expect(JSON.stringify(reads)).not.toContain(sessionId);
    });

    it('keeps a tenant-scoped key to its tenant', async () => {
      const key = await createApiKey(ts, { name: 'other', scopes: ['read', 'ingest'], tenants: ['other'] });
      const send = (url: string) => ts.server.http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key.key}` } });
      expect((await send('/api/v1/event/poll/0?tenantId=assets')).json()).toEqual([]);
      expect((await send('/api/v1/event/list?tenantId=assets')).json()).toEqual([]);
      expect((await send('/api/v1/event/1?tenantId=assets')).statusCode).toBe(404);
      const write = await ts.server.http.inject({ method: 'POST', url: '/api/v1/event?tenantId=assets', headers: { authorization: `Bearer ${key.key}` }, payload: { type: 'SEARCH' } });
      expect(write.statusCode).toBe(403);
    });
  });

  it('shows a pollable flag changed behind the journal’s back as a broken signature', async () => {
    const db = (ts.server.journal.store as SqliteJournalStore).database;
    db.exec('DROP TRIGGER records_append_only_except_erasure'); // what an insider with the database file does
    db.prepare("UPDATE records SET pollable = 0 WHERE tenant_id = 'assets' AND seq = 1").run();
    expect(json<{ event: { _id: number } }[]>(await get('/api/v1/event/poll/0?tenantId=assets')).map((e) => e.event._id)).not.toContain(2);
    const r = await get('/api/v1/event/2?tenantId=assets');
    expect(r.json()).toMatchObject({ event: { pollable: false }, _tamga: { validSignature: false, integrity: 'tampered' } });
  });
});
