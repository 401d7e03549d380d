import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_TENANT_ID } from '@tamga/core';
import { systemEvents } from '../test-support/access-helpers.js';
import { appendEvents, createDestination as createDestinationAs } from '../test-support/forward-helpers.js';
import { HttpReceiver, waitFor } from '../test-support/http-receiver.js';
import type { ReceivedRequest } from '../test-support/http-receiver.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { FORWARD_EVENTS } from './forward-events.js';
import { verifyBodySignature } from './webhook-signature.js';

/**
 * Forwarding over HTTP against real receivers on loopback: webhooks (signed JSON batches) and OCSF (NDJSON), with
 * filters, dead letters, outages, a hanging receiver, alarms and the test endpoint. The server runs on the real
 * clock with short waits, so outages of a second stand for outages of an hour.
 */
const SECRET = 'a webhook secret of some length';
const FAST = { settleMs: 200, flushMs: 50, backoffMs: 50, maxBackoffMs: 400, alarmMs: 1_000, sweepMs: 100 };

let ts: TestServer;
const receivers: HttpReceiver[] = [];

async function receiver(): Promise<HttpReceiver> {
  const r = await new HttpReceiver().start();
  receivers.push(r);
  return r;
}

beforeAll(async () => {
  ts = await startTestServer({ now: Date.now, serverOptions: { forwarding: FAST } });
});
afterEach(async () => {
  // Each test deletes what it made, so the next one starts clean.
  for (const d of (await ts.request({ method: 'GET', url: '/api/v1/forwarding/destinations' })).json<{ items: { id: string }[] }>().items) {
    await ts.request({ method: 'DELETE', url: `/api/v1/forwarding/destinations/${d.id}` });
  }
});
afterAll(async () => {
  await ts.close();
  for (const r of receivers) await r.stop();
});

const createDestination = (body: Record<string, unknown>) => createDestinationAs(ts, body);
const append = (events: Record<string, unknown>[]) => appendEvents(ts, events);

async function status(id: string): Promise<Record<string, unknown> & { status: Record<string, unknown> & { lag: { records: number } } }> {
  return (await ts.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${id}` })).json();
}

const webhookIds = (requests: readonly ReceivedRequest[]) =>
  requests.flatMap((r) => JSON.parse(r.body.toString()).records.map((x: { id: string }) => x.id) as string[]);
const ocsfIds = (requests: readonly ReceivedRequest[]) =>
  requests.flatMap((r) => r.body.toString().trim().split('\n').map((line) => (JSON.parse(line) as { metadata: { uid: string } }).metadata.uid));

describe('webhook destinations', () => {
  it('deliver every matching record once, in order, in signed JSON batches, and show their counts and lag', async () => {
    const hook = await receiver();
    const d = await createDestination({ name: 'hook', format: 'webhook', url: `${hook.url}/tamga`, secret: SECRET, filter: 'tenantId=acme', batchSize: 7 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(...(await append(Array.from({ length: 10 }, (_, j) => ({ event: 2001, tenantId: 'acme', text: `batch ${i} #${j}` })))));
    await append([{ event: 2001, tenantId: 'globex', text: 'not for this destination' }]);
    await waitFor(() => webhookIds(hook.accepted).length >= 50, '50 records at the webhook');
    expect(webhookIds(hook.accepted)).toEqual(ids);
    for (const request of hook.accepted) {
      expect(request.url).toBe('/tamga');
      expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(request.headers['x-tamga-destination']).toBe(d.id);
      expect(verifyBodySignature(request.headers['x-tamga-signature'] as string, request.body, SECRET, Math.floor(Date.now() / 1000))).toBe(true);
      const body = JSON.parse(request.body.toString());
      expect(body.destination).toEqual({ id: d.id, name: 'hook' });
      expect(body.records.length).toBeLessThanOrEqual(7);
      expect(body.records[0]).toMatchObject({ event: 2001, eventName: 'Login', tenantId: 'acme', validSignature: true, integrity: 'valid', log: 'tamga/acme' });
    }
    await waitFor(async () => (await status(d.id)).status.delivered === 50, 'the count saved');
    const shown = await status(d.id);
    expect(shown.status).toMatchObject({ state: 'idle', delivered: 50, deadLettered: 0, lastError: null, lag: { records: 0, seconds: 0 } });
    expect(JSON.stringify(shown)).not.toContain(SECRET);
    expect(shown).toMatchObject({ hasSecret: true, hasToken: false });
  });

  it('read each record from the store once, whether the filter takes every record or passes most over', async () => {
    const store = ts.server.journal.store;
    const readRecordsBySeq = store.readRecordsBySeq.bind(store);
    let read = 0;
    let calls = 0;
    Object.defineProperty(store, 'readRecordsBySeq', {
      configurable: true,
      value: async (logId: number, from: number, to: number) => {
        const rows = await readRecordsBySeq(logId, from, to);
        // A destination's status reads the one record at its cursor (its lag): not a delivery's read.
        if (to - from > 1) {
          read += rows.length;
          calls++;
        }
        return rows;
      },
    });
    try {
      // 1,200 records of a tenant of their own, one in ten sign-in failures (2004), delivered in batches of 500.
      const events = Array.from({ length: 1200 }, (_, i) => ({ event: i % 10 === 0 ? 2004 : 2001, tenantId: 'once', text: `record ${i}` }));
      const all = await receiver();
      const failures = await receiver();
      const ids = await append(events);
      read = 0;
      await createDestination({ name: 'all', format: 'webhook', url: all.url, secret: SECRET, filter: 'tenantId=once', batchSize: 500, start: 'beginning' });
      await createDestination({ name: 'failures', format: 'webhook', url: failures.url, secret: SECRET, filter: 'tenantId=once&event=2004', batchSize: 500, start: 'beginning' });
      await waitFor(() => webhookIds(all.accepted).length >= 1200 && webhookIds(failures.accepted).length >= 120, 'both destinations caught up');
      expect(webhookIds(all.accepted)).toEqual(ids);
      expect(webhookIds(failures.accepted)).toEqual(ids.filter((_, i) => i % 10 === 0));
      // Each destination reads each of the tenant's records once (records of other tenants' logs are passed over unread),
      // in one read per batch of 500 (three) and, for the one in ten, two reads: its first shows how much it must read.
      expect(read).toBe(2 * 1200);
      expect(calls).toBe(3 + 2);
    } finally {
      Object.defineProperty(store, 'readRecordsBySeq', { configurable: true, value: readRecordsBySeq });
    }
  });

  it('start at the end of the logs by default, or at the beginning when asked', async () => {
    const before = await append([{ event: 2001, tenantId: 'early', text: 'before the destinations' }]);
    const hookNow = await receiver();
    const hookAll = await receiver();
    await createDestination({ name: 'now', format: 'webhook', url: hookNow.url, secret: SECRET, filter: 'tenantId=early' });
    await createDestination({ name: 'all', format: 'webhook', url: hookAll.url, secret: SECRET, filter: 'tenantId=early', start: 'beginning' });
    const after = await append([{ event: 2001, tenantId: 'early', text: 'after' }]);
    await waitFor(() => webhookIds(hookAll.accepted).length === 2 && webhookIds(hookNow.accepted).length === 1, 'both destinations');
    expect(webhookIds(hookAll.accepted)).toEqual([...before, ...after]);
    expect(webhookIds(hookNow.accepted)).toEqual(after);
  });

  it('dead-letter the records a receiver refuses alone, deliver the others in order, and journal it', async () => {
    const hook = await receiver();
    hook.answer = (r) => (r.body.toString().includes('poison') ? { status: 422, body: 'field "poison" is not allowed' } : 200);
    const d = await createDestination({ name: 'strict', format: 'webhook', url: hook.url, secret: SECRET, filter: 'tenantId=strict' });
    const ids = await append(Array.from({ length: 12 }, (_, i) => ({ event: 2001, tenantId: 'strict', text: i === 3 || i === 8 ? 'poison' : `fine ${i}` })));
    await waitFor(() => webhookIds(hook.accepted).length === 10, 'the ten good records');
    expect(webhookIds(hook.accepted)).toEqual(ids.filter((_, i) => i !== 3 && i !== 8));
    await waitFor(async () => (await status(d.id)).status.deadLettered === 2, 'two dead letters counted');
    const letters = (await ts.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${d.id}/dead-letters?limit=1` })).json<{ items: { recordId: string; reason: string }[]; next: number }>();
    expect(letters.items.map((l) => l.recordId)).toEqual([ids[3]]);
    expect(letters.items[0]!.reason).toContain('422');
    const rest = (await ts.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${d.id}/dead-letters?after=${letters.next}` })).json<{ items: { recordId: string }[]; next: null }>();
    expect(rest).toMatchObject({ items: [{ recordId: ids[8] }], next: null });
    const [event] = await systemEvents(ts, [FORWARD_EVENTS.DeadLettered]);
    expect(event).toMatchObject({ classifiedEvent: 2, outcome: 'failure', tenantId: SYSTEM_TENANT_ID });
    expect((event!.entityData as { records: { id: string }[] }).records.map((r) => r.id)).toEqual([ids[3], ids[8]]);
  });

  it('keep records at the cursor while the receiver is down, alarm after the threshold, and catch up once it is back', async () => {
    const hook = await receiver();
    let down = true;
    hook.answer = () => (down ? { status: 503, body: 'maintenance', headers: { 'retry-after': '0' } } : 200);
    const d = await createDestination({ name: 'flaky', format: 'webhook', url: hook.url, secret: SECRET, filter: 'tenantId=flaky' });
    const ids = await append(Array.from({ length: 30 }, (_, i) => ({ event: 2004, tenantId: 'flaky', text: `during the outage ${i}` })));
    await waitFor(async () => (await status(d.id)).status.state === 'retrying', 'retrying');
    const failing = await status(d.id);
    expect(failing.status).toMatchObject({ delivered: 0, lag: { records: 30 } });
    expect((failing.status.lastError as { message: string }).message).toContain('503');
    await waitFor(async () => (await systemEvents(ts, [FORWARD_EVENTS.DestinationDown])).length === 1, 'the down alarm', 10_000);
    down = false;
    ids.push(...(await append([{ event: 2004, tenantId: 'flaky', text: 'after the outage' }])));
    await waitFor(() => webhookIds(hook.accepted).length === 31, 'everything after the outage');
    expect(webhookIds(hook.accepted)).toEqual(ids);
    await waitFor(async () => (await systemEvents(ts, [FORWARD_EVENTS.DestinationRecovered])).length === 1, 'the recovery');
    await waitFor(async () => (await status(d.id)).status.lastError === null, 'the error cleared');
    expect((await status(d.id)).status).toMatchObject({ delivered: 31, downSince: null });
    expect((await status(d.id)).status.failures).toBeGreaterThan(0);
  });

  it('time out a receiver that hangs, without holding up another destination or ingest', async () => {
    const stuck = await receiver();
    stuck.answer = () => 'hang';
    const healthy = await receiver();
    const hung = await createDestination({ name: 'hangs', format: 'webhook', url: stuck.url, secret: SECRET, filter: 'tenantId=hang', timeoutSeconds: 1 });
    await createDestination({ name: 'healthy', format: 'webhook', url: healthy.url, secret: SECRET, filter: 'tenantId=hang' });
    const ids: string[] = [];
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      ids.push(...(await append([{ event: 2001, tenantId: 'hang', text: `while one receiver hangs ${i}` }])));
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor(() => webhookIds(healthy.accepted).length === 10, 'the healthy receiver');
    expect(webhookIds(healthy.accepted)).toEqual(ids);
    expect(Math.max(...latencies)).toBeLessThan(500);
    await waitFor(async () => ((await status(hung.id)).status.lastError as { message: string } | null)?.message.includes('no answer within 1000 ms') === true, 'the time-out');
    expect((await ts.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('OCSF destinations', () => {
  it('deliver OCSF events as NDJSON with the bearer token and the catalogue mapping', async () => {
    const lake = await receiver();
    lake.answer = (r) => (r.headers.authorization === 'Bearer lake-token' ? 200 : 401);
    await createDestination({ name: 'lake', format: 'ocsf', url: `${lake.url}/ocsf`, token: 'lake-token', filter: 'tenantId=ocsf&classifiedEvent=3', headers: { 'X-Source': 'tamga' } });
    const ids = await append([
      { event: 2004, tenantId: 'ocsf', userId: 'mallory', ip: '10.1.2.3', outcome: 'failure' },
      { event: 9000, tenantId: 'ocsf', classifiedEvent: 1 },
      { event: 2003, tenantId: 'ocsf', userId: 'alice' },
    ]);
    await waitFor(() => ocsfIds(lake.accepted).length === 2, 'two incidents');
    expect(ocsfIds(lake.accepted)).toEqual([ids[0], ids[2]]);
    const request = lake.accepted[0]!;
    expect(request.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(request.headers['x-source']).toBe('tamga');
    expect(request.headers['x-tamga-signature']).toBeUndefined();
    const first = JSON.parse(request.body.toString().split('\n')[0]!);
    expect(first).toMatchObject({ class_uid: 3002, activity_id: 1, type_uid: 300201, status_id: 2, user: { name: 'mallory' }, src_endpoint: { ip: '10.1.2.3' }, metadata: { tenant_uid: 'ocsf', event_code: '2004' } });
  });
});

describe('POST /api/v1/forwarding/destinations/{id}/test', () => {
  it('journals a test event and sends it at once; an unreachable receiver is a 502 saying why', async () => {
    const hook = await receiver();
    const d = await createDestination({ name: 'tested', format: 'webhook', url: hook.url, secret: SECRET, filter: 'tenantId=nobody', enabled: false });
    const ok = await ts.request({ method: 'POST', url: `/api/v1/forwarding/destinations/${d.id}/test` });
    expect(ok.statusCode, ok.body).toBe(200);
    const answer = ok.json<{ delivered: boolean; eventId: string }>();
    expect(answer.delivered).toBe(true);
    expect(webhookIds(hook.accepted)).toEqual([answer.eventId]);
    const [event] = await systemEvents(ts, [FORWARD_EVENTS.Test]);
    expect(event).toMatchObject({ id: answer.eventId, eventName: 'ForwardingTest' });

    await hook.stop();
    const down = await ts.request({ method: 'POST', url: `/api/v1/forwarding/destinations/${d.id}/test` });
    expect(down.statusCode).toBe(502);
    expect(down.json()).toMatchObject({ code: 'DESTINATION_UNREACHABLE' });
    expect(down.json<{ detail: string }>().detail).toMatch(/ECONNREFUSED/);
  });
});

describe('changes of destinations', () => {
  it('are journalled with the fields that changed, never with a secret, and apply at once', async () => {
    const first = await receiver();
    const second = await receiver();
    const d = await createDestination({ name: 'moving', format: 'webhook', url: first.url, secret: SECRET, filter: 'tenantId=moving' });
    await append([{ event: 2001, tenantId: 'moving' }]);
    await waitFor(() => first.accepted.length === 1, 'the first receiver');
    const patched = await ts.request({ method: 'PATCH', url: `/api/v1/forwarding/destinations/${d.id}`, payload: { url: second.url, secret: 'another secret, sixteen+' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ version: 2, url: `${second.url}/` });
    await append([{ event: 2001, tenantId: 'moving' }]);
    await waitFor(() => second.accepted.length === 1, 'the second receiver');
    expect(verifyBodySignature(second.accepted[0]!.headers['x-tamga-signature'] as string, second.accepted[0]!.body, 'another secret, sixteen+', Math.floor(Date.now() / 1000))).toBe(true);
    const events = await systemEvents(ts, [FORWARD_EVENTS.DestinationChanged]);
    const mine = events.filter((e) => (e.entityData as { destination: { id: string } }).destination.id === d.id);
    expect(mine.map((e) => (e.entityData as { change: string }).change)).toEqual(['created', 'updated']);
    expect((mine[1]!.entityData as { changed: string[] }).changed.sort()).toEqual(['secret', 'url']);
    expect(mine[1]).toMatchObject({ userId: 'bootstrap-admin', outcome: 'success' });
    expect(JSON.stringify(mine)).not.toContain('sixteen+');
    expect(JSON.stringify(mine)).not.toContain(SECRET);
    const deleted = await ts.request({ method: 'DELETE', url: `/api/v1/forwarding/destinations/${d.id}` });
    expect(deleted.statusCode).toBe(204);
    expect((await ts.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${d.id}` })).json()).toMatchObject({ code: 'DESTINATION_NOT_FOUND' });
  });
});
