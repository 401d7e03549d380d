import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../server/src/test-support/test-server.js';
import type { TestServer } from '../../server/src/test-support/test-server.js';
import { TEST_API_KEY } from '../../server/src/test-support/test-server.js';
import { TamgaApiError } from './tamga-api-error.js';
import { TamgaClient } from './tamga-client.js';
import type { RetryInfo } from './tamga-client.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A Tamga server listening on loopback (on `port`, or a free one). */
async function listeningServer(port = 0): Promise<{ t: TestServer; url: string }> {
  const t = await startTestServer();
  cleanups.push(() => t.close());
  const url = await t.server.http.listen({ host: '127.0.0.1', port });
  return { t, url };
}

/** A port nothing listens on (taken and released at once). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** `fetch` that counts the requests it sends. */
function countingFetch(): { fetch: typeof fetch; count: () => number } {
  let n = 0;
  return {
    fetch: (input, init) => {
      n++;
      return fetch(input, init);
    },
    count: () => n,
  };
}

describe('TamgaClient.append', () => {
  it('resolves with the committed seq and signature of each event, and gives events without an id one', async () => {
    const { t, url } = await listeningServer();
    const client = new TamgaClient({ url, apiKey: TEST_API_KEY });
    const answers = await client.append([
      { event: 2001, entityData: 'logs, tenantId=', ip: '10.0.0.24' },
      { eventName: 'LogOut', userId: 'logs' },
    ]);
    expect(answers.map((a) => [a.seq, a.duplicate])).toEqual([
      [0, false],
      [1, false],
    ]);
    const stored = await t.request({ method: 'GET', url: `/api/v1/events/${answers[1]!.id}` });
    expect(stored.json()).toMatchObject({ eventName: 'LogOut', userId: 'logs', signature: answers[1]!.signature, validSignature: true });
  });

  it('stores an event once when the same batch is sent again (the ids are the idempotency keys)', async () => {
    const { url } = await listeningServer();
    const client = new TamgaClient({ url, apiKey: TEST_API_KEY });
    const batch = [{ id: '0193a7e0-0000-7000-8000-000000000001', event: 2001 }];
    const [first] = await client.append(batch);
    const [again] = await client.append(batch);
    expect(again).toEqual({ ...first, duplicate: true });
  });

  it('throws the server problem at once on a refusal (4xx), without retrying', async () => {
    const { url } = await listeningServer();
    const counting = countingFetch();
    const client = new TamgaClient({ url, apiKey: TEST_API_KEY, fetch: counting.fetch });
    const error = await client.append([{ event: 2001 }, { event: 99_999_999 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TamgaApiError);
    expect(error).toMatchObject({ status: 422, code: 'UNKNOWN_EVENT_CODE', retryable: false, problem: { field: 'event', index: 1 } });
    expect(counting.count()).toBe(1);
  });

  it('keeps retrying while Tamga is down and delivers once it is up', async () => {
    const port = await freePort();
    const retries: RetryInfo[] = [];
    const client = new TamgaClient({
      url: `http://127.0.0.1:${port}`,
      apiKey: TEST_API_KEY,
      retry: { maxAttempts: Infinity, initialDelayMs: 50, maxDelayMs: 200 },
      onRetry: (info) => retries.push(info),
    });
    const appending = client.append([{ event: 2001, entityData: 'logs, tenantId=' }]);
    await new Promise((resolve) => setTimeout(resolve, 800));
    const { t } = await listeningServer(port);
    const [answer] = await appending;
    expect(answer).toMatchObject({ seq: 0, duplicate: false });
    expect(retries.length).toBeGreaterThan(1);
    expect(retries[0]!.error).toMatchObject({ status: 0, code: 'NETWORK', retryable: true });
    expect(retries[0]!.error.message).toContain(`127.0.0.1:${port}`);
    const stored = (await t.request({ method: 'GET', url: '/api/v1/events?event=2001' })).json() as { items: unknown[] };
    expect(stored.items).toHaveLength(1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const port = await freePort();
    const client = new TamgaClient({ url: `http://127.0.0.1:${port}`, retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 } });
    await expect(client.append([{ event: 2001 }])).rejects.toMatchObject({ code: 'NETWORK' });
  });

  it('stops waiting when the caller aborts', async () => {
    const port = await freePort();
    const client = new TamgaClient({ url: `http://127.0.0.1:${port}`, retry: { maxAttempts: Infinity, initialDelayMs: 10_000, maxDelayMs: 10_000 } });
    const controller = new AbortController();
    const appending = client.append([{ event: 2001 }], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 100);
    await expect(appending).rejects.toThrow('shutting down');
  });
});

describe('TamgaClient retries', () => {
  /** A loopback HTTP server answering each request with the next of `answers` (status, headers), then 200. */
  async function scriptedServer(answers: { status: number; headers?: Record<string, string>; delayMs?: number }[]): Promise<{ url: string; times: number[] }> {
    const times: number[] = [];
    const server = createServer((req, res) => {
      times.push(Date.now());
      const next = answers.shift() ?? { status: 200 };
      setTimeout(() => {
        res.writeHead(next.status, { 'content-type': next.status === 200 ? 'application/json' : 'application/problem+json', ...next.headers });
        res.end(next.status === 200 ? '{"items":[]}' : JSON.stringify({ status: next.status, code: next.status === 429 ? 'RATE_LIMITED' : 'STORE_UNAVAILABLE' }));
      }, next.delayMs ?? 0);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.unref();
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, times };
  }

  it('waits at least as long as Retry-After says before the next attempt', async () => {
    const { url, times } = await scriptedServer([{ status: 429, headers: { 'retry-after': '1' } }]);
    const client = new TamgaClient({ url, retry: { initialDelayMs: 1, maxDelayMs: 1 } });
    await client.append([{ event: 2001 }]);
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990);
  });

  it('retries a 503 and an answer that does not come within timeoutMs', async () => {
    const { url, times } = await scriptedServer([{ status: 503 }, { status: 200, delayMs: 1000 }]);
    const retries: RetryInfo[] = [];
    const client = new TamgaClient({ url, timeoutMs: 200, retry: { initialDelayMs: 1, maxDelayMs: 1 }, onRetry: (info) => retries.push(info) });
    await client.append([{ event: 2001 }]);
    expect(times).toHaveLength(3);
    expect(retries.map((r) => r.error.code)).toEqual(['STORE_UNAVAILABLE', 'TIMEOUT']);
  });
});
