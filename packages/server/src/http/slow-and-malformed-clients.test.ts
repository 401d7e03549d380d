/**
 * The HTTP server against slow and malformed clients, over raw sockets on a real listening server (issue #10,
 * items 8 and 9): every error answer is problem+json, including those Node's parser gives before Fastify sees the
 * request; a trickled body and slow headers are cut off; 200 slow connections from one address do not stay open;
 * the live stream and a long export keep going past the request timeout.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRawAnswer, sendRaw } from '../test-support/raw-http.js';
import type { RawAnswer } from '../test-support/raw-http.js';
import { startTestServer, TEST_API_KEY } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

const HEADERS_TIMEOUT_S = 1;
const REQUEST_TIMEOUT_S = 3;
const PER_IP = 20;

let t: TestServer;
let port = 0;
beforeAll(async () => {
  t = await startTestServer({
    now: Date.now,
    env: {
      TAMGA_HEADERS_TIMEOUT_SECONDS: String(HEADERS_TIMEOUT_S),
      TAMGA_REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_S),
      TAMGA_MAX_CONNECTIONS_PER_IP: String(PER_IP),
    },
  });
  const address = await t.server.http.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(address).port);
});
afterAll(async () => {
  await t.close();
});

const auth = `Authorization: Bearer ${TEST_API_KEY}\r\n`;

/** Waits until the server has seen the connections a test dropped close, so the next test starts under the limit. */
async function settled(): Promise<void> {
  const open = (): Promise<number> => new Promise((resolve) => t.server.http.server.getConnections((_, n) => resolve(n)));
  await expect.poll(open, { timeout: 5000 }).toBeLessThan(5);
}

function expectProblem(answer: RawAnswer, status: number, code: string, what: string): void {
  expect(answer.status, `${what}: ${answer.body}`).toBe(status);
  expect(answer.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  expect(answer.headers['x-content-type-options'], what).toBe('nosniff');
  const problem = JSON.parse(answer.body) as { code: string; status: number; type: string };
  expect(problem, what).toMatchObject({ code, status, type: `urn:tamga:error:${code}` });
}

describe('protocol errors are problem+json, answered before any route', () => {
  const cases: [string, string, number, string][] = [
    ['431: 20 KiB of headers', `GET /api/v1/events HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['Content-Length not a number', 'POST /api/v1/events HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['two Content-Lengths', 'POST /api/v1/events HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400, 'MALFORMED_REQUEST'],
    ['Content-Length with chunked (smuggling)', 'POST /api/v1/events HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['bad chunk size', `POST /api/v1/events HTTP/1.1\r\nHost: a\r\n${auth}Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n`, 400, 'MALFORMED_REQUEST'],
    ['header injection: bare CR', 'GET /api/v1/events HTTP/1.1\r\nHost: a\r\nX-A: b\rX-Injected: c\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['header injection: NUL', 'GET /api/v1/events HTTP/1.1\r\nHost: a\r\nX-A: b\u0000c\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['space in a header name', 'GET /api/v1/events HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['obsolete line folding', 'GET /api/v1/events HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['unknown method', 'FOO /api/v1/events HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['TLS to the plain port', '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003garbage\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['HTTP/9.9', 'GET /api/v1/events HTTP/9.9\r\nHost: a\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['no Host', `GET /api/v1/events HTTP/1.1\r\n${auth}\r\n`, 400, 'MALFORMED_REQUEST'],
    ['unknown route', `GET /api/v1/nothing HTTP/1.1\r\nHost: a\r\n${auth}Connection: close\r\n\r\n`, 404, 'NOT_FOUND'],
    ['wrong method', `DELETE /api/v1/events HTTP/1.1\r\nHost: a\r\n${auth}Connection: close\r\n\r\n`, 405, 'METHOD_NOT_ALLOWED'],
    ['WebDAV method', `PROPFIND /api/v1/events HTTP/1.1\r\nHost: a\r\n${auth}Connection: close\r\n\r\n`, 405, 'METHOD_NOT_ALLOWED'],
  ];
  for (const [what, raw, status, code] of cases) {
    it(`answers ${what} with ${status} ${code}`, async () => {
      const answer = await sendRaw(port, [Buffer.from(raw, 'latin1')], { waitMs: 2000 });
      expectProblem(answer, status, code, what);
      expect(answer.headers.connection, what).toBe('close');
    });
  }

  it('names the Host header, lists the methods a path answers, and takes HTTP/1.0 without Host', async () => {
    const noHost = await sendRaw(port, [`GET /healthz HTTP/1.1\r\n\r\n`]);
    expect(JSON.parse(noHost.body)).toMatchObject({ field: 'host' });
    const wrong = await sendRaw(port, [`PUT /api/v1/events/0193a000-0000-7000-8000-000000000000 HTTP/1.1\r\nHost: a\r\n${auth}Connection: close\r\n\r\n`]);
    expect(wrong.headers.allow).toBe('GET, HEAD');
    const old = await sendRaw(port, ['GET /healthz HTTP/1.0\r\n\r\n']);
    expect(old.status).toBe(200);
  });
});

describe('timeouts', () => {
  it('cuts off headers trickled a line a second with 408 problem+json', async () => {
    const lines = ['POST /api/v1/events HTTP/1.1\r\n', ...Array.from({ length: 10 }, (_, i) => `X-Slow-${i}: x\r\n`)];
    const answer = await sendRaw(port, lines, { gapMs: 400, waitMs: 10_000 });
    expectProblem(answer, 408, 'REQUEST_TIMEOUT', 'slow headers');
    expect(answer.closed).toBe(true);
    expect(answer.ms).toBeLessThan((REQUEST_TIMEOUT_S + 2) * 1000);
  });

  it('cuts off a body trickled a byte every 5 s with 408 problem+json, storing nothing', async () => {
    const before = await t.server.journal.store.countRecords({});
    const body = '{"event":2001}';
    const head = `POST /api/v1/events HTTP/1.1\r\nHost: a\r\n${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const answer = await sendRaw(port, [head, ...body.split('')], { gapMs: 5000, waitMs: 15_000 });
    expectProblem(answer, 408, 'REQUEST_TIMEOUT', 'trickled body');
    expect(answer.closed).toBe(true);
    expect(answer.ms).toBeLessThan((REQUEST_TIMEOUT_S + 2) * 1000);
    expect(await t.server.journal.store.countRecords({})).toBe(before);
  });

  it('does not keep 200 slow connections from one address open, and still serves another address', async () => {
    const sockets: Socket[] = [];
    const closedAt: number[] = [];
    const start = Date.now();
    for (let i = 0; i < 200; i++) {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      // Read what comes (the 408 answer, the end of the connection), so the close is seen.
      socket.resume();
      socket.on('close', () => closedAt.push(Date.now() - start));
      socket.on('connect', () => socket.write('GET /api/v1/events HTTP/1.1\r\nHost: a\r\n'));
      sockets.push(socket);
    }
    // Connections beyond the limit are gone within about a second; the others at the headers timeout.
    await new Promise((r) => setTimeout(r, 1800));
    expect(closedAt.length, 'closed after 1.8 s').toBeGreaterThanOrEqual(200 - PER_IP);
    const other = await sendRaw(port, [`GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`], { localAddress: '127.0.0.2' });
    expect(other.status).toBe(200);
    await expect.poll(() => closedAt.length, { timeout: (REQUEST_TIMEOUT_S + 3) * 1000 }).toBe(200);
    expect(Math.max(...closedAt)).toBeLessThan((REQUEST_TIMEOUT_S + 2) * 1000);
    for (const s of sockets) s.destroy();
    await settled();
  });

  it('answers a request on a connection beyond the limit with 429 problem+json and closes it', async () => {
    const held: Socket[] = [];
    for (let i = 0; i < PER_IP; i++) {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      held.push(socket);
    }
    await Promise.all(held.map((s) => new Promise((r) => (s.readyState === 'open' ? r(null) : s.once('connect', r)))));
    const answer = await sendRaw(port, [`GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n`]);
    expectProblem(answer, 429, 'RATE_LIMITED', 'over the limit');
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.closed).toBe(true);
    for (const s of held) s.destroy();
    await settled();
  });

  it('keeps a live stream going past the request timeout', async () => {
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/events/stream?userId=streamer`, { headers: { authorization: `Bearer ${TEST_API_KEY}` }, signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await new Promise((r) => setTimeout(r, (REQUEST_TIMEOUT_S + 1.5) * 1000));
    expect((await t.request({ method: 'POST', url: '/api/v1/events', payload: { event: 2001, userId: 'streamer' } })).statusCode).toBe(201);
    let text = '';
    while (!text.includes('"userId":"streamer"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('"userId":"streamer"');
    controller.abort();
  });

  it('keeps an export going past the request timeout while the client reads slowly', async () => {
    for (let i = 0; i < 10; i++) {
      const batch = Array.from({ length: 1000 }, (_, j) => ({ event: 2001, tenantId: 'slow', userId: `u${i}-${j}`, entityData: 'x'.repeat(200) }));
      expect((await t.request({ method: 'POST', url: '/api/v1/events', payload: batch })).statusCode).toBe(201);
    }
    // An export ends at the newest signed checkpoint: wait for the one that covers all 10,000 (the note's second line
    // is its tree size); on a busy machine the first one may cover only the first batches.
    const signedSize = async (): Promise<string | undefined> => (await t.request({ method: 'GET', url: '/api/v1/logs/slow/checkpoint' })).body.split('\n')[1];
    await expect.poll(signedSize, { timeout: 10_000 }).toBe('10000');
    const started = Date.now();
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/logs/slow/export`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    const reader = response.body!.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      // At least 14 reads of a 3 MB answer, 300 ms apart: longer than the request timeout.
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(Date.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_S * 1000);
    const lines = text.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toEqual({ type: 'end', records: 10_000 });
  }, 60_000);
});

describe('raw answers', () => {
  it('parses what it reads', () => {
    expect(parseRawAnswer('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokextra')).toEqual({ status: 200, headers: { 'content-length': '2' }, body: 'ok' });
  });
});
