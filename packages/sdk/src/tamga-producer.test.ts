/**
 * The producer against a real Tamga server on loopback: batching, order, refusals, rate limits with Retry-After,
 * fail-closed records with receipts, overflow policies, outages and the spool across producers.
 */
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../server/src/test-support/access-helpers.js';
import type { TestServer } from '../../server/src/test-support/test-server.js';
import { TEST_API_KEY } from './test-support/loopback-tamga.js';
import type { LoopbackTamga } from './test-support/loopback-tamga.js';
import { useTestScope } from './test-support/test-scope.js';
import { TamgaApiError } from './tamga-api-error.js';
import { TamgaProducer } from './tamga-producer.js';
import type { ProducerError, ProducerEvent, TamgaProducerConfig } from './tamga-producer.js';

const scope = useTestScope();
const tamga = scope.tamga;

/** A producer whose requests, errors and warnings the test sees. */
function producer(t: LoopbackTamga, config: Partial<TamgaProducerConfig> = {}) {
  const requests: { at: number; events: number; status?: number }[] = [];
  const errors: { error: ProducerError; events: readonly ProducerEvent[] }[] = [];
  const warnings: string[] = [];
  const p = new TamgaProducer({
    url: t.url,
    apiKey: TEST_API_KEY,
    retry: { initialDelayMs: 20, maxDelayMs: 200 },
    fetch: async (input, init) => {
      const entry: { at: number; events: number; status?: number } = { at: Date.now(), events: typeof init?.body === 'string' ? init.body.split('\n').length - 1 : 0 };
      if (init?.method === 'POST') requests.push(entry);
      const res = await fetch(input, init);
      entry.status = res.status;
      return res;
    },
    onError: (error, events) => errors.push({ error, events }),
    warn: (message) => warnings.push(message),
    ...config,
  });
  scope.defer(() => p.close({ timeoutMs: 1000 }));
  return { p, requests, errors, warnings };
}

const login = (n: number): ProducerEvent => ({ event: 2001, userId: `user${n}`, entityData: { n } });
const numbersOf = (records: { entityData: unknown }[]): number[] => records.map((r) => (r.entityData as { n: number }).n);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('TamgaProducer.log', () => {
  it('returns the id at once and stores every event once, in the order logged', async () => {
    const t = await tamga();
    const { p } = producer(t);
    const ids = Array.from({ length: 5000 }, (_, n) => p.log(login(n)));
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
    await p.flush();
    const records = await t.records();
    expect(records.map((r) => r.id)).toEqual(ids);
    expect(numbersOf(records)).toEqual([...Array(5000).keys()]);
    expect(p.stats()).toMatchObject({ logged: 5000, stored: 5000, duplicates: 0, refused: 0, dropped: 0, waiting: 0 });
  });

  it('asks for the count alone while nobody waits for an answer, and counts stored and duplicate events from it', async () => {
    const t = await tamga();
    const prefers: (string | undefined)[] = [];
    const answers: unknown[] = [];
    const fetchSeen: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'POST') {
        prefers.push(new Headers(init.headers).get('prefer') ?? undefined);
        answers.push(await res.clone().json());
      }
      return res;
    };
    const ids = ['0193a7e0-0000-7000-8000-0000000000b1', '0193a7e0-0000-7000-8000-0000000000b2'];
    // The same events sent again by another producer (a restart that resends its spool): duplicates.
    const event = (id: string): ProducerEvent => ({ ...login(1), id, createdAt: '2026-12-01T10:00:00.000Z' });
    const first = producer(t, { fetch: fetchSeen }).p;
    for (const id of ids) first.log(event(id));
    await first.flush();
    const again = producer(t, { fetch: fetchSeen }).p;
    for (const id of [...ids, '0193a7e0-0000-7000-8000-0000000000b3']) again.log(event(id));
    await again.flush();
    expect(prefers).toEqual(['return=minimal', 'return=minimal']);
    expect(answers).toEqual([{ count: 2, duplicates: 0 }, { count: 3, duplicates: 2 }]);
    expect([first.stats().stored, again.stats().stored, again.stats().duplicates]).toEqual([2, 1, 2]);
    // A caller waiting for its event's answer gets it: that batch is answered in full.
    const answer = await again.record(login(3));
    expect(answer).toMatchObject({ duplicate: false, seq: 3 });
    expect(prefers.at(-1)).toBeUndefined();
  });

  it('keeps the id an event gives, and stamps the configured tenant on events without one', async () => {
    const t = await tamga();
    const { p } = producer(t, { tenantId: 'billing' });
    const id = '0193a7e0-0000-7000-8000-0000000000aa';
    expect(p.log({ ...login(1), id })).toBe(id);
    p.log({ ...login(2), tenantId: null });
    await p.flush();
    expect((await t.records('billing')).map((r) => r.id)).toEqual([id]);
    expect(numbersOf(await t.records(null))).toEqual([2]);
  });

  it('batches by count: maxBatchSize events per request', async () => {
    const t = await tamga();
    const { p, requests } = producer(t, { maxBatchSize: 100, lingerMs: 10_000 });
    for (let n = 0; n < 1000; n++) p.log(login(n));
    await p.flush();
    expect(requests.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...requests.map((r) => r.events))).toBe(100);
    expect(requests.reduce((sum, r) => sum + r.events, 0)).toBe(1000);
  });

  it('batches by time: a lone event waits lingerMs for company, then goes', async () => {
    const t = await tamga();
    const { p, requests } = producer(t, { lingerMs: 300 });
    const start = Date.now();
    p.log(login(1));
    p.log(login(2));
    await sleep(150);
    expect(requests).toHaveLength(0);
    while (requests.length === 0 && Date.now() - start < 2000) await sleep(10);
    expect(requests).toEqual([expect.objectContaining({ events: 2 })]);
    expect(requests[0]!.at - start).toBeGreaterThanOrEqual(290);
  });

  it('reports an invalid event to onError naming the field, sends the others', async () => {
    const t = await tamga();
    const { p, errors } = producer(t);
    p.log(login(1));
    p.log({ event: 2001, ip: 'not an ip' });
    p.log({ event: 2001, colour: 'red' } as ProducerEvent);
    p.log(login(2));
    await p.flush();
    expect(errors.map((e) => [e.error.code, (e.error as { details?: { field?: string } }).details?.field])).toEqual([
      ['VALIDATION_FAILED', 'ip'],
      ['VALIDATION_FAILED', 'colour'],
    ]);
    expect(numbersOf(await t.records())).toEqual([1, 2]);
  });
});

describe('refusals (4xx)', () => {
  it('reports the events the server refuses to onError with its problem, stores the rest of the batch, and never resends them', async () => {
    const t = await tamga();
    const { p, errors, requests } = producer(t, { lingerMs: 10_000 });
    for (let n = 0; n < 10; n++) p.log(n === 3 || n === 7 ? { ...login(n), event: 99_999_999 } : login(n));
    await p.flush();
    expect(errors).toHaveLength(2);
    expect(errors.map((e) => e.error)).toEqual([
      expect.objectContaining({ status: 422, code: 'UNKNOWN_EVENT_CODE', retryable: false }),
      expect.objectContaining({ status: 422, code: 'UNKNOWN_EVENT_CODE', retryable: false }),
    ]);
    expect(errors.map((e) => e.events.map((ev) => (ev.entityData as { n: number }).n))).toEqual([[3], [7]]);
    expect(numbersOf(await t.records())).toEqual([0, 1, 2, 4, 5, 6, 8, 9]);
    // The refused batch, then the 8 others: no retry of the refused events.
    expect(requests.map((r) => [r.events, r.status])).toEqual([
      [10, 422],
      [8, 201],
    ]);
    await sleep(300);
    expect(requests).toHaveLength(2);
    expect(p.stats()).toMatchObject({ stored: 8, refused: 2, waiting: 0 });
  });

  it('keeps the events when the key itself is refused (401): reported, not dropped, retried', async () => {
    const t = await tamga();
    const { p, errors } = producer(t, { apiKey: 'tmg_wrong' });
    for (let n = 0; n < 5; n++) p.log(login(n));
    const flushing = p.flush();
    while (errors.length === 0) await sleep(10);
    expect(errors[0]!.error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(p.stats()).toMatchObject({ refused: 0, dropped: 0, waiting: 5 });
    const closed = await p.close({ timeoutMs: 100 });
    expect(closed).toMatchObject({ undelivered: 5, spooled: false });
    await expect(flushing).rejects.toMatchObject({ code: 'PRODUCER_CLOSED' });
  });
});

describe('rate limits and outages', () => {
  it('waits as long as Retry-After says when Tamga answers 429, then delivers everything', async () => {
    const t = await tamga({ env: { TAMGA_INGEST_RATE: '200', TAMGA_INGEST_BURST: '200' } });
    const { key } = await createApiKey({ request: t.request } as TestServer, { name: 'producer', scopes: ['ingest'] });
    const { p, requests } = producer(t, { apiKey: key, maxBatchSize: 200 });
    for (let n = 0; n < 400; n++) p.log(login(n));
    await p.flush();
    const limited = requests.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    // The bucket refills 200 a second: Retry-After 1.
    expect(requests[limited + 1]!.at - requests[limited]!.at).toBeGreaterThanOrEqual(990);
    expect(numbersOf(await t.records())).toEqual([...Array(400).keys()]);
  });

  it('holds events while Tamga is down, says so once, and delivers them once it is back', async () => {
    const t = await tamga();
    const { p, warnings } = producer(t);
    p.log(login(0));
    await p.flush();
    await t.stop();
    for (let n = 1; n < 300; n++) p.log(login(n));
    await sleep(500);
    expect(warnings.filter((w) => w.startsWith('cannot deliver'))).toHaveLength(1);
    expect(p.stats().unreachableSince).not.toBeNull();
    await t.start();
    await p.flush();
    expect(numbersOf(await t.records())).toEqual([...Array(300).keys()]);
    expect(warnings.at(-1)).toMatch(/answers again after \d+ s/);
  });
});

describe('TamgaProducer.record (fail-closed)', () => {
  it('resolves only once the event is committed, with its seq and signature', async () => {
    const t = await tamga();
    const { p } = producer(t, { lingerMs: 10_000 });
    p.log(login(0));
    const answer = await p.record({ eventName: 'UserRolesAssigned', userId: 'admin', entityData: { n: 1 } });
    expect(answer).toMatchObject({ seq: 1, duplicate: false, tenantId: null });
    const stored = await t.request({ method: 'GET', url: `/api/v1/events/${answer.id}` });
    expect(stored.json()).toMatchObject({ seq: 1, signature: answer.signature, validSignature: true });
  });

  it('fetches and verifies the receipt when asked', async () => {
    const t = await tamga();
    const { p } = producer(t);
    const answer = await p.record(login(1), { receipt: true });
    expect(answer.receipt).toMatchObject({ status: 'valid', seq: 0, treeSize: 1, origin: 'tamga/default', id: answer.id });
    expect(answer.receipt!.signedBy.length).toBeGreaterThan(0);
  });

  it('rejects with the server refusal, and at once for an invalid event', async () => {
    const t = await tamga();
    const { p } = producer(t);
    const refused = await p.record({ event: 99_999_999 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TamgaApiError);
    expect(refused).toMatchObject({ status: 422, code: 'UNKNOWN_EVENT_CODE' });
    await expect(p.record({ event: 2001, createdAt: 'yesterday' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'createdAt' } });
  });

  it('rejects with DELIVERY_TIMEOUT while Tamga is down; the event stays queued and is stored once it is back', async () => {
    const t = await tamga();
    const { p } = producer(t);
    await t.stop();
    await expect(p.record(login(5), { timeoutMs: 300 })).rejects.toMatchObject({ code: 'DELIVERY_TIMEOUT' });
    await t.start();
    await p.flush();
    expect(numbersOf(await t.records())).toEqual([5]);
  });
});

describe('when the buffer is full', () => {
  it('drop-oldest: keeps the newest, reports the loss once, and journals it as RegistrationFailed when Tamga is back', async () => {
    const t = await tamga();
    const { p, errors } = producer(t, { maxBufferedEvents: 100 });
    await t.stop();
    for (let n = 0; n < 250; n++) p.log(login(n));
    expect(errors.map((e) => e.error.code)).toEqual(['EVENTS_DROPPED']);
    expect(p.stats()).toMatchObject({ dropped: 150, waiting: 100 });
    await t.start();
    await p.flush();
    await p.flush();
    const records = await t.records();
    expect(numbersOf(records.slice(0, 100))).toEqual([...Array(100).keys()].map((i) => i + 150));
    expect(records[100]).toMatchObject({ event: 32007, eventName: 'RegistrationFailed', entityData: expect.objectContaining({ dropped: 150, buffer: 'memory' }) });
  });

  it('block: drops nothing; writable turns false, log() throws PRODUCER_BUFFER_FULL, ready() waits for room', async () => {
    const t = await tamga();
    const { p } = producer(t, { maxBufferedEvents: 100, overflow: 'block' });
    await t.stop();
    for (let n = 0; n < 100; n++) p.log(login(n));
    expect(p.writable).toBe(false);
    expect(() => p.log(login(100))).toThrow(expect.objectContaining({ code: 'PRODUCER_BUFFER_FULL' }));
    let ready = false;
    void p.ready().then(() => (ready = true));
    await sleep(200);
    expect(ready).toBe(false);
    await t.start();
    await p.ready();
    p.log(login(100));
    await p.flush();
    expect(numbersOf(await t.records())).toEqual([...Array(101).keys()]);
    expect(p.stats().dropped).toBe(0);
  });
});

describe('close', () => {
  it('delivers what waits before it resolves', async () => {
    const t = await tamga();
    const { p } = producer(t, { lingerMs: 10_000 });
    for (let n = 0; n < 50; n++) p.log(login(n));
    expect(await p.close()).toMatchObject({ stored: 50, undelivered: 0 });
    expect((await t.records()).length).toBe(50);
  });

  it('says loudly how many events are lost when Tamga stays down and there is no spool', async () => {
    const t = await tamga();
    const { p, warnings } = producer(t);
    await t.stop();
    for (let n = 0; n < 7; n++) p.log(login(n));
    expect(await p.close({ timeoutMs: 300 })).toMatchObject({ undelivered: 7, spooled: false });
    expect(warnings.at(-1)).toMatch(/WARNING: 7 events were NOT delivered .* LOST/);
    expect(() => p.log(login(8))).not.toThrow();
  });

  it('ends a flush() that waits for events it closes without, and refuses record() after it', async () => {
    const t = await tamga();
    const { p } = producer(t);
    await t.stop();
    p.log(login(0));
    const flushing = p.flush();
    await p.close({ timeoutMs: 100, quiet: true });
    await expect(flushing).rejects.toMatchObject({ code: 'PRODUCER_CLOSED' });
    await expect(p.record(login(1))).rejects.toMatchObject({ code: 'PRODUCER_CLOSED' });
  });
});

describe('spool', () => {
  it('keeps what one producer could not deliver for the next producer on the directory, which delivers it once, first', async () => {
    const t = await tamga();
    const dir = { path: scope.dir('tamga-spool-') };
    const first = producer(t, { spool: dir.path });
    await t.stop();
    for (let n = 0; n < 500; n++) first.p.log(login(n));
    expect(await first.p.close({ timeoutMs: 200 })).toMatchObject({ undelivered: 500, spooled: true });
    await t.start();
    const second = producer(t, { spool: dir.path });
    expect(second.warnings[0]).toMatch(/500 undelivered events found in the spool/);
    for (let n = 500; n < 600; n++) second.p.log(login(n));
    await second.p.flush();
    expect(numbersOf(await t.records())).toEqual([...Array(600).keys()]);
    expect(second.p.stats()).toMatchObject({ recovered: 500, stored: 600 });
  });

  it('resolves sync() once the events are on disk, before Tamga has them', async () => {
    const t = await tamga();
    const dir = { path: scope.dir('tamga-spool-') };
    const { p } = producer(t, { spool: dir.path, lingerMs: 10_000 });
    await t.stop();
    for (let n = 0; n < 20; n++) p.log(login(n));
    await p.sync();
    expect(p.stats()).toMatchObject({ waiting: 20, stored: 0 });
  });
});
