import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeRecordSignature,
  hashLeaf,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  verifyConsistency,
  verifyInclusion,
} from '@tamga/core';
import type { SqliteJournalStore } from '../store/sqlite/sqlite-journal-store.js';
import { SQLITE_SCHEMA } from '../store/sqlite/sqlite-schema.js';
import { startTestServer, TEST_API_KEY } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

const SEED_002_FIELDS = [
  'id',
  'event',
  'entityData',
  'userId',
  'apiCreatedAt',
  'createdAt',
  'signature',
  'text',
  'ip',
  'tenantId',
  'nodeId',
  'operationKey',
  'classifiedEvent',
  'validSignature',
  'eventName',
  'index',
];

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  t.request({ method: 'POST', url: '/api/v1/events', payload: payload as string, headers });
const get = (url: string) => t.request({ method: 'GET', url });
const total = async (): Promise<number> => t.server.journal.store.countRecords({});

async function waitForCheckpoint(tenant: string, size: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const res = await get(`/api/v1/logs/${tenant}/checkpoint`);
    if (res.statusCode === 200 && parseCheckpoint(res.body.slice(0, res.body.indexOf('\n\n') + 1)).size >= size) return res.body;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no checkpoint');
}

describe('POST /api/v1/events then GET /api/v1/events/{id}', () => {
  it('stores the seed 002 example and reads it back with every seed field and a valid signature', async () => {
    const res = await post({ event: 2001, entityData: 'logs, tenantId=', ip: '10.0.0.24', createdAt: '2024-08-31T23:35:58.29378' });
    expect(res.statusCode).toBe(201);
    const [ack] = res.json().items;
    expect(ack).toMatchObject({ seq: 0, sigKid: expect.stringMatching(/^hmac-/), duplicate: false });
    expect(ack.signature).toMatch(/^[0-9a-f]{64}$/);

    const record = (await get(`/api/v1/events/${ack.id}`)).json();
    expect(Object.keys(record).slice(0, SEED_002_FIELDS.length)).toEqual(SEED_002_FIELDS);
    expect(record).toMatchObject({
      id: ack.id,
      event: 2001,
      eventName: 'Login',
      entityData: 'logs, tenantId=',
      userId: null,
      createdAt: '2024-08-31T23:35:58.293780Z',
      apiCreatedAt: '2026-11-22T10:17:00.000000Z',
      signature: ack.signature,
      text: null,
      ip: '10.0.0.24',
      tenantId: null,
      nodeId: 'test-node',
      operationKey: null,
      classifiedEvent: 3,
      validSignature: true,
      index: 1,
      seq: 0,
      integrity: 'valid',
    });
  });

  it('signs the canonical bytes with the HMAC key named by sigKid', async () => {
    const [ack] = (await post({ event: 2001, userId: 'alice' })).json().items;
    const record = (await get(`/api/v1/events/${ack.id}`)).json();
    const canonical = Buffer.from(record.canonical, 'base64');
    const secret = t.server.journal.keys.hmacSecret(record.sigKid)!;
    expect(computeRecordSignature(secret, canonical)).toBe(record.signature);
    expect(JSON.parse(canonical.toString('utf8'))).toMatchObject({ seq: record.seq, sigKid: record.sigKid, userId: 'alice' });
  });

  it('reads validSignature: false after the row is edited directly in the database', async () => {
    const [ack] = (await post({ event: 2001, userId: 'alice', text: 'original' })).json().items;
    const db = (t.server.journal.store as SqliteJournalStore).database;
    db.exec('DROP TRIGGER records_append_only_except_erasure'); // what an insider with the database file does
    try {
      db.prepare('UPDATE records SET user_id = ? WHERE id = ?').run('mallory', ack.id);
      const edited = (await get(`/api/v1/events/${ack.id}`)).json();
      expect(edited).toMatchObject({ userId: 'mallory', validSignature: false, integrity: 'tampered' });

      const [ack2] = (await post({ event: 2001, text: 'payload' })).json().items;
      db.prepare('UPDATE records SET text = ? WHERE id = ?').run('changed payload', ack2.id);
      expect((await get(`/api/v1/events/${ack2.id}`)).json()).toMatchObject({ validSignature: false, integrity: 'tampered' });
    } finally {
      db.exec(SQLITE_SCHEMA); // puts the trigger back
    }
  });

  it('accepts a JSON array and NDJSON, answering per event in order', async () => {
    const arr = await post([{ event: 2001, userId: 'a' }, { event: 2002, userId: 'b' }]);
    expect(arr.statusCode).toBe(201);
    expect(arr.json().items).toHaveLength(2);
    const ndjson = await post(`${JSON.stringify({ event: 2001 })}\n\n${JSON.stringify({ event: 2007 })}\n`, {
      'content-type': 'application/x-ndjson',
    });
    expect(ndjson.statusCode).toBe(201);
    const items = ndjson.json().items;
    expect(items[1].seq).toBe(items[0].seq + 1);
  });

  it('answers `Prefer: return=minimal` with the count and the duplicates only, every event stored', async () => {
    const lines = ['minimal-1', 'minimal-2', 'minimal-3'].map((userId) => JSON.stringify({ event: 2001, userId })).join('\n');
    const before = await total();
    const first = await post(`${lines}\n`, { 'content-type': 'application/x-ndjson', prefer: 'respond-async, return=minimal; x=1' });
    expect([first.statusCode, first.json(), first.headers['preference-applied']]).toEqual([201, { count: 3, duplicates: 0 }, 'return=minimal']);
    expect(await total()).toBe(before + 3);
    const [stored] = (await get('/api/v1/events?userId=minimal-2')).json().items;
    const again = await post([{ id: stored.id, event: 2001, userId: 'minimal-2' }, { event: 2004 }], { prefer: 'return=minimal' });
    expect([again.statusCode, again.json()]).toEqual([201, { count: 2, duplicates: 1 }]);
    // Without the preference, or with another one, the answer has an item per event.
    const full = await post([{ event: 2001 }], { prefer: 'return=representation' });
    expect([full.json().items.length, full.headers['preference-applied']]).toEqual([1, undefined]);
  });

  it('lets other work in between slices of a large batch\'s checks, and stores the batch whole and in order', async () => {
    const store = t.server.journal.store;
    const append = store.append.bind(store);
    const order: string[] = [];
    store.append = (records, sealer) => (order.push('store'), append(records, sealer));
    try {
      const events = Array.from({ length: 1000 }, (_, i) => ({ event: 2001, userId: 'slices', text: `slice ${i}` }));
      const appended = t.server.journal.append(events);
      // A request arriving meanwhile (here: the next turn of the event loop) runs before the checks end.
      setImmediate(() => order.push('other'));
      const results = await appended;
      expect(order).toEqual(['other', 'store']);
      expect(results.map((r) => r.seq)).toEqual(results.map((_, i) => results[0]!.seq + i));
      expect(await t.server.journal.store.countRecords({ userId: 'slices' })).toBe(1000);
    } finally {
      store.append = append;
    }
  });

  it('is idempotent on id: the same id stores once and answers with the stored result', async () => {
    const id = '01937d4e-8f2a-7c3b-9d4e-5f6a7b8c9d0e';
    const first = await post({ id, event: 2001 });
    const before = await total();
    const again = await post({ id, event: 2001 });
    expect(again.statusCode).toBe(200);
    expect(again.json().items[0]).toMatchObject({ id, seq: first.json().items[0].seq, signature: first.json().items[0].signature, duplicate: true });
    expect(await total()).toBe(before);
  });

  it('resolves eventName alone to its code', async () => {
    const [ack] = (await post({ eventName: 'LogOut' })).json().items;
    expect((await get(`/api/v1/events/${ack.id}`)).json()).toMatchObject({ event: 2007, eventName: 'LogOut' });
  });
});

describe('the createdAt window', () => {
  it('takes 1970 up to a day ahead of the server clock, and says the window when refusing', async () => {
    expect((await post({ event: 2001, createdAt: '1970-01-01T00:00:00Z' })).statusCode).toBe(201);
    expect((await post({ event: 2001, createdAt: '2026-11-23T10:17:00Z' })).statusCode).toBe(201);
    const refused = await post({ event: 2001, tenantId: 'archive', createdAt: '0075-06-01T12:00:00Z' });
    expect(refused.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'createdAt',
      earliest: '1970-01-01T00:00:00.000000Z',
      latest: '2026-11-23T10:17:00.000000Z',
    });
    expect(refused.json().detail).toBe(
      '[0].createdAt: 0075-06-01T12:00:00.000000Z is before 1970-01-01T00:00:00.000000Z; tenant archive does not take back-dated imports (its setting backdatedImports)',
    );
  });

  it('takes times back to 1700 for a tenant that allows back-dated imports, and they read back as sent', async () => {
    const settings = await t.request({ method: 'PUT', url: '/api/v1/tenants/archive/settings', payload: { backdatedImports: true } });
    expect(settings.json()).toMatchObject({ tenantId: 'archive', backdatedImports: true, openCodes: false });
    const res = await post([
      { event: 2001, tenantId: 'archive', createdAt: '1899-07-04T08:30:00.000001Z' },
      { event: 2001, tenantId: 'archive', createdAt: '1700-01-01T00:00:00Z' },
    ]);
    expect(res.statusCode).toBe(201);
    const read = await get('/api/v1/events?tenantId=archive&from=1700-01-01T00:00:00Z&to=1970-01-01T00:00:00Z&order=asc');
    expect(read.json().items.map((r: { createdAt: string; integrity: string }) => [r.createdAt, r.integrity])).toEqual([
      ['1700-01-01T00:00:00.000000Z', 'valid'],
      ['1899-07-04T08:30:00.000001Z', 'valid'],
    ]);
    const page = await get('/api/v1/events?tenantId=archive&from=1700-01-01T00:00:00Z&to=1970-01-01T00:00:00Z&limit=1');
    const next = await get(`/api/v1/events?tenantId=archive&from=1700-01-01T00:00:00Z&to=1970-01-01T00:00:00Z&limit=1&cursor=${page.json().nextCursor}`);
    expect(next.json().items[0].createdAt).toBe('1700-01-01T00:00:00.000000Z');
    // Year 75 and the future stay refused, and other tenants keep the 1970 floor.
    expect((await post({ event: 2001, tenantId: 'archive', createdAt: '0075-06-01T12:00:00Z' })).json().field).toBe('createdAt');
    expect((await post({ event: 2001, tenantId: 'archive', createdAt: '2027-01-01T00:00:00Z' })).json().field).toBe('createdAt');
    expect((await post({ event: 2001, tenantId: 'other', createdAt: '1899-07-04T08:30:00Z' })).statusCode).toBe(400);
  });
});

describe('bad input', () => {
  const cases: [string, unknown, number, string, string | undefined][] = [
    ['malformed JSON', '{"event": 20', 400, 'MALFORMED_JSON', 'body'],
    ['missing event', { userId: 'a' }, 400, 'VALIDATION_FAILED', 'event'],
    ['wrong type of event', { event: '2001' }, 400, 'VALIDATION_FAILED', 'event'],
    ['unknown code', { event: 99999 }, 422, 'UNKNOWN_EVENT_CODE', 'event'],
    ['unknown name', { eventName: 'NoSuchEvent' }, 422, 'UNKNOWN_EVENT_NAME', 'eventName'],
    ['name not matching the code', { event: 2001, eventName: 'LogOut' }, 422, 'EVENT_NAME_MISMATCH', 'eventName'],
    ['invalid IP', { event: 2001, ip: '10.0.0.300' }, 400, 'VALIDATION_FAILED', 'ip'],
    ['invalid date', { event: 2001, createdAt: '2024-02-30T10:00:00Z' }, 400, 'VALIDATION_FAILED', 'createdAt'],
    ['year 0075 (once signed as 1975)', { event: 2001, createdAt: '0075-06-01T12:00:00Z' }, 400, 'VALIDATION_FAILED', 'createdAt'],
    ['createdAt before 1970', { event: 2001, createdAt: '1969-12-31T23:59:59Z' }, 400, 'VALIDATION_FAILED', 'createdAt'],
    ['createdAt over a day ahead of the clock', { event: 2001, createdAt: '2026-11-23T10:17:00.001Z' }, 400, 'VALIDATION_FAILED', 'createdAt'],
    ['class outside 1-4', { event: 2001, classifiedEvent: 5 }, 400, 'VALIDATION_FAILED', 'classifiedEvent'],
    ['correction without correctsEventId', { event: 2001, classifiedEvent: 4 }, 400, 'VALIDATION_FAILED', 'correctsEventId'],
    ['server-set field', { event: 2001, signature: 'ab' }, 400, 'VALIDATION_FAILED', 'signature'],
    ['unknown field', { event: 2001, colour: 'red' }, 400, 'VALIDATION_FAILED', 'colour'],
    ['oversize field', { event: 2001, text: 'x'.repeat(70_000) }, 400, 'VALIDATION_FAILED', 'text'],
    ['not an object', 42, 400, 'VALIDATION_FAILED', ''],
    ['empty batch', [], 400, 'VALIDATION_FAILED', 'body'],
    ["the system tenant's log", { event: 2001, tenantId: 'tamga' }, 403, 'FORBIDDEN', 'tenantId'],
  ];
  for (const [name, body, status, code, field] of cases) {
    it(`answers ${status} ${code} naming the field for ${name}, storing nothing`, async () => {
      const before = await total();
      const res = await post(typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json' });
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = res.json();
      expect(problem).toMatchObject({ status, code });
      if (field !== undefined) expect(problem.field).toBe(field);
      expect(problem.detail).not.toMatch(/at .*\.ts:\d+/); // no stack trace
      expect(await total()).toBe(before);
    });
  }

  it('names the batch index and stores nothing of a batch with one bad event', async () => {
    const before = await total();
    const res = await post([{ event: 2001 }, { event: 2001 }, { event: 2001, ip: 'nope' }, { event: 99999 }]);
    expect(res.statusCode).toBe(400);
    const problem = res.json();
    expect(problem).toMatchObject({ code: 'VALIDATION_FAILED', field: 'ip', index: 2 });
    expect(problem.errors).toEqual([
      expect.objectContaining({ index: 2, field: 'ip' }),
      expect.objectContaining({ index: 3, field: 'event', code: 'UNKNOWN_EVENT_CODE' }),
    ]);
    expect(await total()).toBe(before);
  });

  it('names the line of malformed NDJSON', async () => {
    const res = await post('{"event":2001}\n{"event":\n', { 'content-type': 'application/x-ndjson' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'MALFORMED_JSON', line: 2 });
    // Blank lines count: the fourth line is the bad one.
    const later = await post('{"event":2001}\r\n\r\n  \n{"event":2001,}', { 'content-type': 'application/x-ndjson' });
    expect(later.json()).toMatchObject({ code: 'MALFORMED_JSON', line: 4 });
  });

  it('reads NDJSON with CRLF line ends, blank lines and no final newline, storing every text exactly as sent', async () => {
    const texts = ['plain ASCII', 'Ошибка входа: неверный пароль', 'emoji 🔐 and ünïcödé', '  spaces kept inside  '];
    const body = texts.map((text, i) => JSON.stringify({ event: 2001, userId: `crlf-${i}`, text })).join('\r\n\r\n');
    const res = await post(`\r\n${body}`, { 'content-type': 'application/x-ndjson' });
    expect(res.statusCode).toBe(201);
    const items = res.json().items as { id: string }[];
    expect(items).toHaveLength(texts.length);
    for (const [i, { id }] of items.entries()) {
      const stored = await get(`/api/v1/events/${id}`);
      expect(stored.json()).toMatchObject({ userId: `crlf-${i}`, text: texts[i], validSignature: true });
    }
  });

  it('lists records whose texts hold line breaks, U+2028 and non-Latin letters exactly as sent, in valid JSON', async () => {
    const texts = ['two\nlines', 'cr\r\nlf', 'Ошибка входа:\u2028разделитель\u2029абзац', 'tab\tand "quotes" \\ 🔐', '{"items":[1]}\n,'];
    const entityData = { note: 'a\nb', nested: { list: ['x\ny', 'Привет'] } };
    const res = await post(texts.map((text) => ({ event: 2001, userId: 'line-breaks', text, entityData })));
    expect(res.statusCode).toBe(201);
    const page = await get('/api/v1/events?userId=line-breaks&order=asc&limit=3');
    expect(page.statusCode).toBe(200);
    const first = page.json() as { items: { text: string; entityData: unknown; validSignature: boolean }[]; nextCursor: string };
    const rest = (await get(`/api/v1/events?userId=line-breaks&order=asc&limit=3&cursor=${encodeURIComponent(first.nextCursor)}`)).json() as typeof first;
    const items = [...first.items, ...rest.items];
    expect(items.map((r) => [r.text, r.entityData, r.validSignature])).toEqual(texts.map((text) => [text, entityData, true]));
    expect(rest.nextCursor).toBeNull();
  });

  it('refuses too many events in a batch and oversize bodies', async () => {
    const many = Array.from({ length: 10_001 }, () => ({ event: 2001 }));
    const res = await post(many);
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('BATCH_TOO_LARGE');
    const one = JSON.stringify({ event: 2001, text: 'x'.repeat(60_000) });
    const huge = await post(`[${Array.from({ length: 300 }, () => one).join(',')}]`, {
      'content-type': 'application/json',
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('BODY_TOO_LARGE');
  });

  it('refuses a body that is not UTF-8, and unstorable strings, with 4xx', async () => {
    const before = await total();
    const bytes = Buffer.concat([Buffer.from('{"event":2001,"text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await post(bytes, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'MALFORMED_JSON', field: 'body' });
    const nd = await post(bytes, { 'content-type': 'application/x-ndjson' });
    expect(nd.json()).toMatchObject({ code: 'MALFORMED_JSON', field: 'body' });
    const lone = await post('{"event":2001,"userId":"a\\ud800"}', { 'content-type': 'application/json' });
    expect(lone.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'userId' });
    const deep = await post(`{"event":2001,"entityData":${'['.repeat(5000)}${']'.repeat(5000)}}`, { 'content-type': 'application/json' });
    expect(deep.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'entityData' });
    expect(await total()).toBe(before);
  });

  it('refuses other media types', async () => {
    const res = await post('event=2001', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('authentication', () => {
  it('answers 401 problem+json without a key or with a wrong one', async () => {
    for (const authorization of ['', 'Bearer tmg_wrong', 'Basic abc']) {
      const res = await t.server.http.inject({ method: 'GET', url: '/api/v1/events', headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('UNAUTHENTICATED');
    }
    const ok = await t.server.http.inject({ method: 'GET', url: '/api/v1/events', headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    expect(ok.statusCode).toBe(200);
  });

  it('keeps health, readiness, keys and the OpenAPI document public', async () => {
    for (const url of ['/healthz', '/readyz', '/.well-known/tamga-keys', '/api/v1/openapi.json']) {
      const res = await t.server.http.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
  });
});

describe('GET /api/v1/events', () => {
  const H = '2026-11-22T10';
  beforeAll(async () => {
    const events = [
      { event: 2001, createdAt: `${H}:01:00Z`, userId: 'ivan', operationKey: 'op-7', tenantId: 'acme', text: 'inference started' },
      { event: 2004, createdAt: `${H}:02:00Z`, userId: 'ivan', tenantId: 'acme', ip: '192.168.1.5' },
      { event: 2001, createdAt: `${H}:03:00Z`, userId: 'olga', operationKey: 'op-7', tenantId: 'acme', entityData: { stage: 'warmup' } },
      { event: 2007, createdAt: `${H}:04:00Z`, userId: 'olga', tenantId: 'acme', classifiedEvent: 2 },
      { event: 2001, createdAt: '2026-11-22T09:59:59.999Z', userId: 'ivan', operationKey: 'op-7', tenantId: 'acme' },
      { event: 2001, createdAt: `${H}:05:00Z`, userId: 'ivan', tenantId: 'globex' },
    ];
    expect((await post(events)).statusCode).toBe(201);
  });
  const list = async (qs: string) => {
    const res = await get(`/api/v1/events?${qs}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Record<string, unknown>[]; nextCursor: string | null };
  };

  it('defaults to the current clock hour, newest first, with index from 1', async () => {
    const { items } = await list('tenantId=acme');
    expect(items.map((r) => r.createdAt)).toEqual([
      `${H}:04:00.000000Z`,
      `${H}:03:00.000000Z`,
      `${H}:02:00.000000Z`,
      `${H}:01:00.000000Z`,
    ]);
    expect(items.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    expect(items.every((r) => r.validSignature === true)).toBe(true);
  });

  it('filters by every supported field', async () => {
    const count = async (qs: string) => (await list(`tenantId=acme&${qs}`)).items.length;
    expect(await count('event=2001')).toBe(2);
    expect(await count('event=2001&event=2004')).toBe(3);
    expect(await count('event=2001,2007')).toBe(3);
    expect(await count('classifiedEvent=2')).toBe(1);
    expect(await count('userId=olga')).toBe(2);
    expect(await count('ip=192.168.1.5')).toBe(1);
    expect(await count('q=inference')).toBe(1);
    expect(await count('q=warmup')).toBe(1); // a value of entityData
    expect(await count('q=stage')).toBe(0); // not its keys
    expect(await count('nodeId=test-node')).toBe(4);
    expect(await count('from=2026-11-22T09:00:00Z&to=2026-11-22T10:02:00Z')).toBe(2);
    expect((await list('tenantId=globex')).items).toHaveLength(1);
    expect((await list('tenantId=acme&tenantId=globex')).items).toHaveLength(5);
  });

  it('leaves out excluded values with not.<field>, in the list and in the stats', async () => {
    const count = async (qs: string) => (await list(`tenantId=acme&${qs}`)).items.length;
    expect(await count('not.userId=ivan')).toBe(2);
    expect(await count('not.userId=ivan&not.userId=olga')).toBe(0);
    expect(await count('not.event=2001,2004')).toBe(1);
    expect(await count('not.classifiedEvent=2')).toBe(3);
    expect(await count('not.ip=192.168.1.5')).toBe(3); // records without an IP stay
    expect(await count('not.operationKey=op-7')).toBe(2);
    expect(await count('userId=ivan&not.event=2004')).toBe(1);
    expect((await list('tenantId=acme&tenantId=globex&not.tenantId=acme')).items.map((r) => r.tenantId)).toEqual(['globex']);
    const stats = await get('/api/v1/events/stats?tenantId=acme&not.userId=olga&from=2026-11-22T10:00:00Z&to=2026-11-22T10:10:00Z');
    expect(stats.json().count).toBe(2);
  });

  it('shows a whole operation when operationKey is given without a range', async () => {
    const { items } = await list('operationKey=op-7&order=asc');
    expect(items.map((r) => r.userId)).toEqual(['ivan', 'ivan', 'olga']);
  });

  it('pages with nextCursor, continuing index', async () => {
    const first = await list('tenantId=acme&limit=3');
    expect(first.items).toHaveLength(3);
    const second = await list(`tenantId=acme&limit=3&cursor=${first.nextCursor}`);
    expect(second.items.map((r) => r.index)).toEqual([4]);
    expect(second.nextCursor).toBeNull();
  });

  it('refuses bad filters with the field named', async () => {
    for (const [qs, field] of [
      ['from=yesterday', 'from'],
      ['event=abc', 'event'],
      ['classifiedEvent=9', 'classifiedEvent'],
      ['not.event=login', 'not.event'],
      ['not.classifiedEvent=0', 'not.classifiedEvent'],
      ['limit=0', 'limit'],
      ['cursor=garbage', 'cursor'],
      ['from=2026-11-22T11:00:00Z&to=2026-11-22T10:00:00Z', 'to'],
    ]) {
      const res = await get(`/api/v1/events?${qs}`);
      expect(res.statusCode, qs).toBe(400);
      expect(res.json().field, qs).toBe(field);
    }
  });

  it('counts and builds a histogram over the same filters', async () => {
    const res = await get('/api/v1/events/stats?tenantId=acme&from=2026-11-22T10:00:00Z&to=2026-11-22T10:10:00Z&interval=60');
    expect(res.statusCode).toBe(200);
    const stats = res.json();
    expect(stats.count).toBe(4);
    expect(stats.bucketSeconds).toBe(60);
    expect(stats.histogram).toHaveLength(10);
    expect(stats.histogram.slice(0, 5).map((b: { count: number }) => b.count)).toEqual([0, 1, 1, 1, 1]);
  });

  it('starts minute buckets at the minute of an unaligned from, counting only from `from` on', async () => {
    const res = await get('/api/v1/events/stats?tenantId=acme&from=2026-11-22T10:01:30Z&to=2026-11-22T10:04:10Z&interval=60');
    const stats = res.json() as { count: number; histogram: { start: string; count: number }[] };
    expect(stats.count).toBe(3);
    expect(stats.histogram).toEqual([
      { start: '2026-11-22T10:01:00.000Z', count: 0 },
      { start: '2026-11-22T10:02:00.000Z', count: 1 },
      { start: '2026-11-22T10:03:00.000Z', count: 1 },
      { start: '2026-11-22T10:04:00.000Z', count: 1 },
    ]);
    // The same buckets for a filter the per-minute counts cannot answer (the records themselves are counted).
    const counted = await get('/api/v1/events/stats?tenantId=acme&from=2026-11-22T10:01:30Z&to=2026-11-22T10:04:10Z&interval=60&not.userId=nobody');
    expect(counted.json()).toMatchObject({ count: 3, histogram: stats.histogram });
  });

  it('answers 404 problem for a missing record', async () => {
    const res = await get('/api/v1/events/01937d4e-8f2a-7c3b-9d4e-000000000000');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('EVENT_NOT_FOUND');
  });
});

describe('checkpoints and proofs', () => {
  it('signs a checkpoint that verifies with the published key, and proves inclusion of a record against it', async () => {
    const [ack] = (await post({ event: 2001, tenantId: 'proofs' })).json().items;
    await post([{ event: 2001, tenantId: 'proofs' }, { event: 2002, tenantId: 'proofs' }]);
    const note = await waitForCheckpoint('proofs', 3);
    const keys = (await get('/.well-known/tamga-keys')).json();
    const verifier = parseVerifierKey(keys.checkpointKeys[0].verifierKey);
    const opened = openNote(note, [verifier]);
    const checkpoint = parseCheckpoint(opened.text);
    expect(checkpoint.origin).toBe('tamga/proofs');
    expect(checkpoint.size).toBe(3);

    const record = (await get(`/api/v1/events/${ack.id}`)).json();
    const leaf = hashLeaf(Buffer.from(record.canonical, 'base64'));
    const proof = (await get(`/api/v1/logs/proofs/proofs/inclusion?seq=${record.seq}&treeSize=3`)).json();
    expect(() =>
      verifyInclusion(leaf, record.seq, 3, proof.hashes.map((h: string) => Buffer.from(h, 'base64')), checkpoint.rootHash),
    ).not.toThrow();
    expect(() =>
      verifyInclusion(leaf, record.seq + 1, 3, proof.hashes.map((h: string) => Buffer.from(h, 'base64')), checkpoint.rootHash),
    ).toThrow();
  });

  it('proves that a later checkpoint extends an earlier one', async () => {
    const first = parseCheckpoint((await waitForCheckpoint('proofs', 3)).split('\n\n')[0] + '\n');
    await post(Array.from({ length: 5 }, () => ({ event: 2001, tenantId: 'proofs' })));
    const second = parseCheckpoint((await waitForCheckpoint('proofs', 8)).split('\n\n')[0] + '\n');
    const proof = (await get(`/api/v1/logs/proofs/proofs/consistency?from=${first.size}&to=${second.size}`)).json();
    expect(() =>
      verifyConsistency(first.size, second.size, proof.hashes.map((h: string) => Buffer.from(h, 'base64')), first.rootHash, second.rootHash),
    ).not.toThrow();
  });

  it('answers problems for proofs outside the log and unknown tenants', async () => {
    expect((await get('/api/v1/logs/proofs/proofs/inclusion?seq=100&treeSize=3')).json().code).toBe('TREE_SIZE_OUT_OF_RANGE');
    expect((await get('/api/v1/logs/proofs/proofs/inclusion?seq=0&treeSize=999')).json().code).toBe('TREE_SIZE_OUT_OF_RANGE');
    expect((await get('/api/v1/logs/proofs/proofs/inclusion?seq=x&treeSize=3')).json().field).toBe('seq');
    expect((await get('/api/v1/logs/nobody/checkpoint')).statusCode).toBe(404);
    expect((await get('/api/v1/logs/..%2F..%2Fetc/checkpoint')).json()).toMatchObject({ status: 400, field: 'tenant' });
  });
});
