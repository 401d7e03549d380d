import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../test-support/access-helpers.js';
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
