/**
 * The hostile-input run of issue #10's Done-when, as a user meets it: the built `tamga serve` in its own process,
 * hostile requests over every registered route (paths, queries, bodies, methods, credentials, raw protocol errors),
 * one at a time. Asserts 0 × 5xx, every error problem+json, every answer within the request timeout, and no request
 * raising the server's peak RSS by more than 100 MB (`/proc/<pid>/status` VmHWM, reset before each request through
 * `/proc/<pid>/clear_refs`). Prints the figures.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from '../test-support/built-server.js';
import type { BuiltServer } from '../test-support/built-server.js';
import { sendRaw } from '../test-support/raw-http.js';
import { registeredRoutes } from '../test-support/registered-routes.js';
import type { RegisteredRoute } from '../test-support/registered-routes.js';
import { startTestServer, TEST_API_KEY } from '../test-support/test-server.js';

const REQUEST_TIMEOUT_S = 20;
const MIB = 1024 * 1024;

interface Outcome {
  readonly what: string;
  readonly status: number;
  readonly problem: boolean;
  readonly ms: number;
  readonly rssPeakBytes: number;
}

const many = <T,>(n: number, value: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => value(i));

function pathValues(eventId: string): string[] {
  return [
    'acme',
    eventId,
    'default',
    'admin',
    '2001',
    'TAMGA',
    'tamga.',
    encodeURIComponent('аcme'), // Cyrillic а
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e%2f%2e%2e%2f',
    'a%00b',
    '%C0%AE%C0%AE',
    encodeURIComponent("' OR '1'='1"),
    encodeURIComponent('<script>alert(1)</script>'),
    'x'.repeat(5000),
  ];
}

const QUERIES = [
  `tenantId=${many(3000, String).join(',')}`,
  `event=${many(1001, String).join(',')}`,
  many(101, (i) => `not.userId=u${i}`).join('&'),
  'limit=99999999999999999999',
  'limit=5000',
  'cursor=%FF%FE%00',
  'cursor=WyJjYXRhbG9nIiwxZTk5XQ',
  `q=${'%25'.repeat(2000)}`,
  'from=0075-06-01T00:00:00Z&to=9999-12-31T23:59:59Z',
  'from=1970-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&interval=1',
  'seq=-1&treeSize=1e99&from=x&to=%00',
  'tenantId=TAMGA&not.tenantId=tamga.',
  'lang=__proto__&maxAge=99999&version=-1',
  'from=a&from=b&order=sideways',
];

/** Bodies for every route that takes one: malformed, hostile, huge. */
function hostileBodies(): { name: string; payload: string | Buffer; type: string }[] {
  const json = 'application/json';
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  return [
    { name: 'malformed JSON', payload: '{"event": 20', type: json },
    { name: 'JSON null', payload: 'null', type: json },
    { name: 'invalid UTF-8', payload: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), type: json },
    { name: 'prototype pollution', payload: '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}}}', type: json },
    { name: 'wrong types', payload: JSON.stringify({ login: 1, password: {}, roles: 'x', tenants: 7, name: [], scopes: {}, event: 'x', type: 1, reason: [], userId: 1 }), type: json },
    { name: 'nested a million deep (2 MB)', payload: deep(1_000_000), type: json },
    { name: 'nested 8 million deep (16 MiB)', payload: deep(8 * MIB - 10), type: json },
    { name: '5 million empty objects (16 MiB)', payload: `[${'{},'.repeat(Math.floor((16 * MIB) / 3) - 10)}{}]`, type: json },
    { name: 'half a million empty objects (1.5 MB)', payload: `[${'{},'.repeat(500_000)}{}]`, type: json },
    { name: 'a 15.9 MiB string field', payload: `{"event":2001,"text":"${'x'.repeat(16 * MIB - 100)}","login":"x","reason":"x"}`, type: json },
    { name: '17 MiB', payload: `{"text":"${'x'.repeat(17 * MIB)}"}`, type: json },
    { name: '10,001 events', payload: JSON.stringify(many(10_001, () => ({ event: 2001 }))), type: json },
    { name: '100,000 tenant names', payload: JSON.stringify({ name: 'k', scopes: ['read'], tenants: many(100_000, (i) => `t${i}`), roles: ['auditor'] }), type: json },
    { name: '40,000-key object', payload: JSON.stringify(Object.fromEntries(many(40_000, (i) => [`k${i}`, i]))), type: json },
    { name: 'YAML alias bomb', payload: laughs.join('\n'), type: 'application/yaml' },
    { name: 'NDJSON of 16 MiB bad lines', payload: '{"event":\n'.repeat(Math.floor((16 * MIB - 1000) / 11)), type: 'application/x-ndjson' },
    { name: 'text/plain', payload: 'event=2001', type: 'text/plain' },
    { name: 'SQL and script', payload: JSON.stringify({ login: "' OR 1=1 --", password: '<script>', tenantId: "'; DROP TABLE records; --", event: 2001, reason: '<img src=x onerror=alert(1)>', userId: "' OR ''='" }), type: json },
  ];
}

let server: BuiltServer;
let routes: RegisteredRoute[];
let eventId = '';
const outcomes: Outcome[] = [];

beforeAll(async () => {
  // The routes as the app registers them (an in-process instance of the same code), then the built server.
  const probe = await startTestServer();
  routes = registeredRoutes(probe.server.http);
  await probe.close();
  server = await startBuiltServer({
    TAMGA_REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_S),
    TAMGA_LOGIN_RATE_PER_IP: '100000',
    TAMGA_LOGIN_RATE_PER_ACCOUNT: '100000',
  });
  const seeded = await server.fetch('/api/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ event: 2001, tenantId: 'acme', userId: 'ivan' }, { event: 2004 }]),
  });
  expect(seeded.status).toBe(201);
  eventId = ((await seeded.json()) as { items: { id: string }[] }).items[0]!.id;
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const status = (pid: number): string => readFileSync(`/proc/${pid}/status`, 'utf8');
const kib = (text: string, field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;

/** Runs one request, measuring its time and the server's peak RSS above what it held before. */
async function measure(what: string, send: () => Promise<{ status: number; contentType: string; body: string }>): Promise<void> {
  const pid = server.process.pid!;
  writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
  const before = kib(status(pid), 'VmRSS');
  const started = performance.now();
  const answer = await send();
  const ms = performance.now() - started;
  const rssPeakBytes = kib(status(pid), 'VmHWM') - before;
  const problem = answer.contentType.startsWith('application/problem+json') && /"code":"[A-Z_]+"/.test(answer.body);
  outcomes.push({ what, status: answer.status, problem, ms, rssPeakBytes });
}

async function viaFetch(method: string, url: string, init: { body?: string | Buffer; type?: string; auth?: boolean } = {}): Promise<{ status: number; contentType: string; body: string }> {
  const controller = new AbortController();
  const headers: Record<string, string> = {};
  if (init.auth !== false) headers.authorization = `Bearer ${TEST_API_KEY}`;
  if (init.type !== undefined) headers['content-type'] = init.type;
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers,
    signal: controller.signal,
    ...(init.body !== undefined && { body: init.body }),
  });
  const contentType = response.headers.get('content-type') ?? '';
  // A live stream never ends: its headers are the answer.
  if (contentType.startsWith('text/event-stream')) {
    controller.abort();
    return { status: response.status, contentType, body: '' };
  }
  return { status: response.status, contentType, body: await response.text() };
}

async function viaRaw(method: string, url: string, body: { payload: string | Buffer; type: string }): Promise<{ status: number; contentType: string; body: string }> {
  const payload = typeof body.payload === 'string' ? Buffer.from(body.payload) : body.payload;
  const head = `${method} ${url} HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Type: ${body.type}\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
  const answer = await sendRaw(server.port, [Buffer.concat([Buffer.from(head), payload])], { waitMs: (REQUEST_TIMEOUT_S + 1) * 1000, untilAnswer: true });
  return { status: answer.status, contentType: answer.headers['content-type'] ?? '', body: answer.body };
}

const concrete = (url: string, value: string): string => url.replace(/:[A-Za-z]+/g, value);

describe('uploads refused before they are read, against the built server', () => {
  it('answers a 17 MiB upload with 413 or 415 that the client sees, every time (the body is read to its end first)', async () => {
    // Closed while the client still sent, the connection was reset and the answer lost, about one time in four.
    const payload = Buffer.alloc(17 * MIB, 0x20);
    const cases = [
      ['/api/v1/events', 'application/json', 413],
      ['/api/v1/events', 'application/x-www-form-urlencoded', 415],
      ['/api/v1/tenants/acme/catalog', 'application/x-ndjson', 415],
    ] as const;
    for (let i = 0; i < 8; i++) {
      for (const [url, type, expected] of cases) {
        const head = `${url.includes('catalog') ? 'PUT' : 'POST'} ${url} HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Type: ${type}\r\nContent-Length: ${payload.length}\r\n\r\n`;
        const answer = await sendRaw(server.port, [Buffer.concat([Buffer.from(head), payload])], { waitMs: 10_000, untilAnswer: true });
        expect(answer.status, `${url} ${type} #${i}`).toBe(expected);
        expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
  }, 120_000);
});

describe('hostile requests over every registered route, against the built server', () => {
  it('answers every one with no 5xx, every error as problem+json, in time, and within 100 MB of RSS', async () => {
    expect(routes.length).toBeGreaterThan(30);
    const withBody = (m: string) => ['POST', 'PUT', 'PATCH'].includes(m);
    for (const route of routes) {
      const base = concrete(route.url, route.url.includes(':id') ? eventId : route.url.includes(':code') ? '2001' : route.url.includes(':login') ? 'admin' : 'acme');
      const send = (url: string, body?: { payload: string | Buffer; type: string }, auth = true) =>
        // A body over the limit is answered 413 before it is read, and the connection closed: fetch then fails on
        // EPIPE without reading the answer, a raw socket reads it.
        body !== undefined && body.payload.length > MIB
          ? viaRaw(route.method, url, body)
          : viaFetch(route.method, url, { auth, ...(body !== undefined && { body: body.payload, type: body.type }) });
      const plain = withBody(route.method) ? { payload: '{}', type: 'application/json' } : undefined;
      if (route.url.includes('/:')) {
        for (const value of pathValues(eventId)) await measure(`${route.method} ${route.url} path=${value.slice(0, 40)}`, () => send(concrete(route.url, value), plain));
      }
      for (const query of QUERIES) await measure(`${route.method} ${route.url}?${query.slice(0, 60)}`, () => send(`${base}?${query}`, plain));
      if (withBody(route.method)) {
        for (const body of hostileBodies()) await measure(`${route.method} ${route.url} body=${body.name}`, () => send(base, body));
      }
      await measure(`${route.method} ${route.url} without credentials`, () => send(base, plain, false));
      const wrong = route.method === 'GET' ? 'DELETE' : 'GET';
      await measure(`${wrong} ${route.url} (wrong method)`, () => viaFetch(wrong, base));
      for (const [name, raw] of [
        ['20 KiB of headers', `${route.method} ${base} HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`],
        ['Content-Length with chunked', `${route.method} ${base} HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
        ['no Host', `${route.method} ${base} HTTP/1.1\r\nConnection: close\r\n\r\n`],
      ] as const) {
        await measure(`${route.method} ${route.url} raw ${name}`, async () => {
          const answer = await sendRaw(server.port, [raw], { waitMs: (REQUEST_TIMEOUT_S + 1) * 1000, untilAnswer: true });
          return { status: answer.status, contentType: answer.headers['content-type'] ?? '', body: answer.body };
        });
      }
    }

    const fiveHundreds = outcomes.filter((o) => o.status >= 500 || o.status === 0);
    const notProblems = outcomes.filter((o) => o.status >= 400 && !o.problem);
    const slowest = outcomes.reduce((a, b) => (b.ms > a.ms ? b : a));
    const greediest = outcomes.reduce((a, b) => (b.rssPeakBytes > a.rssPeakBytes ? b : a));
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    console.log(
      [
        `hostile requests: ${outcomes.length} over ${routes.length} routes`,
        `statuses: ${[...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`,
        `5xx or no answer: ${fiveHundreds.length}; errors not problem+json: ${notProblems.length}`,
        `slowest: ${slowest.ms.toFixed(0)} ms (${slowest.what})`,
        `largest RSS peak above the level before the request: ${(greediest.rssPeakBytes / MIB).toFixed(1)} MB (${greediest.what})`,
        `server RSS at the end: ${(server.rss() / MIB).toFixed(0)} MB`,
      ].join('\n'),
    );
    expect(fiveHundreds.map((o) => `${o.status} ${o.what}`)).toEqual([]);
    expect(notProblems.map((o) => `${o.status} ${o.what}`)).toEqual([]);
    expect(slowest.ms).toBeLessThan(REQUEST_TIMEOUT_S * 1000);
    expect(greediest.rssPeakBytes, greediest.what).toBeLessThan(100 * MIB);
  }, 600_000);
});
