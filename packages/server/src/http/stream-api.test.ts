import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPLAY_RECORDS } from './routes/stream-routes.js';
import { createApiKey } from '../test-support/access-helpers.js';
import { openSse } from '../test-support/sse-collector.js';
import type { SseCollector } from '../test-support/sse-collector.js';
import { startTestServer, TEST_API_KEY } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

let t: TestServer;
let base = '';
beforeAll(async () => {
  t = await startTestServer();
  base = await t.server.http.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await t.close();
});

/** Opens the stream and collects the records it sends until `count` arrived or `ms` passed. */
async function collect(key: string, query: string, count: number, ms = 3000): Promise<{ received: Record<string, unknown>[]; ready: Promise<void> }> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/v1/events/stream?${query}`, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const received: Record<string, unknown>[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const timer = setTimeout(() => controller.abort(), ms);
  const done = (async () => {
    try {
      while (received.length < count) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data !== undefined) received.push(JSON.parse(data.slice(6)) as Record<string, unknown>);
        }
      }
    } catch {
      // aborted: the time is up
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  })();
  return { received, ready: done };
}

const post = (events: unknown[]) => t.request({ method: 'POST', url: '/api/v1/events', payload: events as object });

describe('GET /api/v1/events/stream', () => {
  it('sends new records matching the filter as they are committed, checked like any read', async () => {
    const stream = await collect(TEST_API_KEY, 'event=2001&userId=ivan', 2);
    await new Promise((r) => setTimeout(r, 50)); // the subscription is registered once the headers went out
    await post([
      { event: 2001, userId: 'ivan', text: 'first' },
      { event: 2004, userId: 'ivan' },
      { event: 2001, userId: 'olga' },
    ]);
    await post([{ event: 2001, userId: 'ivan', text: 'second' }]);
    await stream.ready;
    expect(stream.received.map((r) => r.text)).toEqual(['first', 'second']);
    expect(stream.received.every((r) => r.validSignature === true && r.eventName === 'Login')).toBe(true);
  });

  it('never sends another tenant’s records to a tenant-scoped key', async () => {
    const key = await createApiKey(t, { name: 'acme-reader', scopes: ['read'], tenants: ['acme'] });
    const stream = await collect(key.key, '', 2, 1500);
    await new Promise((r) => setTimeout(r, 50));
    await post([
      { event: 2001, tenantId: 'globex', text: 'foreign' },
      { event: 2001, tenantId: 'acme', text: 'own' },
      { event: 2001, text: 'default tenant' },
    ]);
    await stream.ready;
    expect(stream.received.map((r) => r.text)).toEqual(['own']);
    const asked = await collect(key.key, 'tenantId=globex', 1, 800);
    await post([{ event: 2001, tenantId: 'globex', text: 'foreign again' }]);
    await asked.ready;
    expect(asked.received).toEqual([]);
  });

  it('answers hostile queries with a problem or a stream, never a 500', async () => {
    for (const query of ['classifiedEvent=9', 'event=1;DROP', "userId=' OR 1=1 --", 'q=%3Cscript%3E', 'tenantId=..%2F..%2Fetc', 'from=a&from=b']) {
      const controller = new AbortController();
      const response = await fetch(`${base}/api/v1/events/stream?${query}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` }, signal: controller.signal });
      expect(response.status, query).toBeLessThan(500);
      if (response.status >= 400) expect(response.headers.get('content-type'), query).toMatch(/problem\+json/);
      controller.abort();
    }
  });

  it('refuses a key without the read scope', async () => {
    const key = await createApiKey(t, { name: 'producer', scopes: ['ingest'], tenants: ['acme'] });
    const response = await fetch(`${base}/api/v1/events/stream`, { headers: { authorization: `Bearer ${key.key}` } });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('holds at most 16 streams per key at once: the 17th gets 429, and one more fits once one closes', async () => {
    const key = await createApiKey(t, { name: 'many tabs', scopes: ['read'] });
    const open = (): Promise<{ response: Response; controller: AbortController }> => {
      const controller = new AbortController();
      return fetch(`${base}/api/v1/events/stream`, { headers: { authorization: `Bearer ${key.key}` }, signal: controller.signal }).then((response) => ({ response, controller }));
    };
    const streams = await Promise.all(Array.from({ length: 16 }, open));
    expect(streams.map((s) => s.response.status)).toEqual(Array(16).fill(200));
    const refused = await open();
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await refused.response.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.response.headers.get('retry-after')).toBe('5');
    streams[0]!.controller.abort();
    await expect.poll(async () => {
      const next = await open();
      next.controller.abort();
      return next.response.status;
    }).toBe(200);
    for (const s of streams) s.controller.abort();
  });
});

describe('GET /api/v1/events/stream resumes from Last-Event-ID', () => {
  const url = (query: string): string => `${base}/api/v1/events/stream?${query}`;
  const closeAndSettle = async (stream: SseCollector): Promise<void> => {
    stream.close();
    await stream.ended;
    await new Promise((r) => setTimeout(r, 50)); // the server sees the socket close
  };

  it('sends, after a drop, exactly the records two tenants appended meanwhile, once, in each log’s order, then the live ones', async () => {
    const first = await openSse(url('userId=resumer'), TEST_API_KEY);
    await new Promise((r) => setTimeout(r, 50));
    await post([{ event: 2001, userId: 'resumer', tenantId: 'resume-a', text: 'before' }]);
    await first.waitFor(1);
    const cursor = first.lastId();
    expect(cursor).not.toBe('');
    await closeAndSettle(first);
    // While disconnected: 6 matching records in two tenants' logs, interleaved, and some that do not match.
    for (let i = 0; i < 3; i++) {
      await post([
        { event: 2001, userId: 'resumer', tenantId: 'resume-a', text: `a${i}` },
        { event: 2001, userId: 'someone else', tenantId: 'resume-a', text: 'not matching' },
        { event: 2001, userId: 'resumer', tenantId: 'resume-b', text: `b${i}` },
      ]);
    }
    const second = await openSse(url('userId=resumer'), TEST_API_KEY, cursor);
    await second.waitFor(6);
    await post([{ event: 2001, userId: 'resumer', tenantId: 'resume-b', text: 'live' }]);
    await second.waitFor(7);
    await new Promise((r) => setTimeout(r, 200)); // nothing more comes
    const texts = second.records.map((r) => r.text as string);
    expect(texts.slice(0, 6).sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
    expect(texts.filter((t) => t.startsWith('a'))).toEqual(['a0', 'a1', 'a2']);
    expect(texts.filter((t) => t.startsWith('b'))).toEqual(['b0', 'b1', 'b2']);
    expect(texts).toHaveLength(7);
    expect(texts[6]).toBe('live');
    expect(second.named).toEqual([]);
    // Resuming from the newest id again: nothing is sent twice.
    const cursor2 = second.lastId();
    await closeAndSettle(second);
    const third = await openSse(url('userId=resumer'), TEST_API_KEY, cursor2);
    await new Promise((r) => setTimeout(r, 300));
    expect(third.records).toEqual([]);
    third.close();
  });

  it('resumes from the id a stream starts with, before its first record', async () => {
    const first = await openSse(url('userId=early-drop'), TEST_API_KEY);
    await expect.poll(() => first.lastId()).not.toBe('');
    const cursor = first.lastId();
    await closeAndSettle(first);
    await post([{ event: 2001, userId: 'early-drop', tenantId: 'resume-c', text: 'in a log created while away' }]);
    const second = await openSse(url('userId=early-drop'), TEST_API_KEY, cursor);
    await second.waitFor(1);
    expect(second.records.map((r) => r.text)).toEqual(['in a log created while away']);
    second.close();
  });

  it('ignores the positions of logs the caller cannot see', async () => {
    const admin = await openSse(url('userId=scoped-resume'), TEST_API_KEY);
    await expect.poll(() => admin.lastId()).not.toBe('');
    const cursor = admin.lastId();
    await closeAndSettle(admin);
    await post([
      { event: 2001, userId: 'scoped-resume', tenantId: 'resume-a', text: 'own' },
      { event: 2001, userId: 'scoped-resume', tenantId: 'resume-b', text: 'foreign' },
    ]);
    const key = await createApiKey(t, { name: 'resume-a reader', scopes: ['read'], tenants: ['resume-a'] });
    const scoped = await openSse(url('userId=scoped-resume'), key.key, cursor);
    await scoped.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(scoped.records.map((r) => r.text)).toEqual(['own']);
    scoped.close();
  });

  it('refuses a malformed Last-Event-ID with a problem naming it; a record id (an older stream’s) asks to reload', async () => {
    for (const bad of ['not a cursor!', Buffer.from('2;1:5').toString('base64url'), Buffer.from('1;1:x').toString('base64url')]) {
      const response = await fetch(url(''), { headers: { authorization: `Bearer ${TEST_API_KEY}`, 'last-event-id': bad } });
      expect(response.status, bad).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'Last-Event-ID' });
    }
    const old = await openSse(url(''), TEST_API_KEY, '0193a0e4-7c2d-7b4e-9a11-000000000601');
    await expect.poll(() => old.named.map((n) => n.event)).toEqual(['reload']);
    expect(old.lastId()).not.toBe('');
    old.close();
  });

  it(`asks to reload instead of catching up on more than ${MAX_REPLAY_RECORDS} records`, async () => {
    const first = await openSse(url('tenantId=resume-bulk'), TEST_API_KEY);
    await expect.poll(() => first.lastId()).not.toBe('');
    const cursor = first.lastId();
    await closeAndSettle(first);
    for (let i = 0; i <= MAX_REPLAY_RECORDS; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, MAX_REPLAY_RECORDS + 1 - i) }, () => ({ event: 2001, tenantId: 'resume-bulk' }));
      expect((await post(batch)).statusCode).toBe(201);
    }
    const second = await openSse(url('tenantId=resume-bulk'), TEST_API_KEY, cursor);
    await expect.poll(() => second.named.map((n) => n.event)).toEqual(['reload']);
    expect(second.named[0]!.data.reason).toMatch(/reload the view/);
    // It goes on live from the logs' heads.
    await post([{ event: 2001, tenantId: 'resume-bulk', text: 'after the reload' }]);
    await second.waitFor(1);
    expect(second.records.map((r) => r.text)).toEqual(['after the reload']);
    second.close();
  }, 30_000);
});
