import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_API_KEY } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { DEFAULT_UI_DIR } from './build-server.js';

/** One real HTTP request; the body as the bytes on the wire (not decompressed). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const decode = (r: { headers: IncomingHttpHeaders; body: Buffer }): Buffer =>
  r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.body) : r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body;

describe('the journal page is served compressed and cached', () => {
  let t: TestServer;
  let url = '';
  const script = existsSync(join(DEFAULT_UI_DIR, 'assets')) ? readdirSync(join(DEFAULT_UI_DIR, 'assets')).find((f) => f.endsWith('.js')) : undefined;

  beforeAll(async () => {
    // The built page (npm run build, done by npm install/ci): this suite checks what a browser gets from it.
    expect(existsSync(join(DEFAULT_UI_DIR, 'index.html')), `${DEFAULT_UI_DIR} is not built: run npm run build`).toBe(true);
    t = await startTestServer();
    url = await t.server.http.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => t.close());

  it('sends hashed assets precompressed (br, else gzip, else as they are) and immutable for a year', async () => {
    const original = readFileSync(join(DEFAULT_UI_DIR, 'assets', script!));
    for (const [accept, encoding] of [['gzip, deflate, br', 'br'], ['gzip', 'gzip'], ['', undefined]] as const) {
      const r = await get(`${url}/assets/${script}`, accept === '' ? {} : { 'accept-encoding': accept });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBe(encoding);
      expect(r.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(r.headers.vary).toMatch(/accept-encoding/i);
      expect(decode(r).equals(original)).toBe(true);
      if (encoding !== undefined) expect(r.body.length).toBeLessThan(original.length / 2);
    }
  });

  it('sends index.html (also for page paths) compressed, revalidated on each load, 304 when unchanged', async () => {
    const original = readFileSync(join(DEFAULT_UI_DIR, 'index.html'));
    for (const path of ['/', '/record/0193']) {
      const r = await get(`${url}${path}`, { accept: 'text/html,application/xhtml+xml', 'accept-encoding': 'br, gzip' });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBe('br');
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(decode(r).equals(original)).toBe(true);
    }
    const first = await get(`${url}/`, { 'accept-encoding': 'gzip' });
    expect(first.headers.etag).toBeDefined();
    const again = await get(`${url}/`, { 'accept-encoding': 'gzip', 'if-none-match': first.headers.etag! });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('sends the catalogue the page loads with an ETag (304 on If-None-Match), compressed, private', async () => {
    const auth = { authorization: `Bearer ${TEST_API_KEY}` };
    const first = await get(`${url}/api/v1/catalog`, { ...auth, 'accept-encoding': 'gzip, br', 'accept-language': 'ru' });
    expect(first.status).toBe(200);
    expect(first.headers['content-encoding']).toBe('br');
    expect(first.headers['cache-control']).toBe('private, no-cache');
    expect(first.headers.vary).toBe('Accept-Language, Authorization, Cookie, Accept-Encoding');
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const json = JSON.parse(decode(first).toString('utf8')) as { items: unknown[] };
    expect(json.items.length).toBeGreaterThan(100);
    expect(first.body.length).toBeLessThan(decode(first).length / 4);

    const unchanged = await get(`${url}/api/v1/catalog`, { ...auth, 'accept-encoding': 'gzip, br', 'accept-language': 'ru', 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body.length).toBe(0);
    expect(unchanged.headers.etag).toBe(etag);

    // Another language is another body (another ETag); a gzip-only client gets gzip of the same JSON.
    const english = await get(`${url}/api/v1/catalog`, { ...auth, 'accept-language': 'en', 'if-none-match': etag });
    expect(english.status).toBe(200);
    expect(english.headers.etag).not.toBe(etag);
    const gzip = await get(`${url}/api/v1/catalog`, { ...auth, 'accept-encoding': 'gzip', 'accept-language': 'ru' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers.etag).toBe(etag);
    expect(decode(gzip).equals(decode(first))).toBe(true);

    // No credentials, no catalogue (and no 304 that would confirm an ETag).
    expect((await get(`${url}/api/v1/catalog`, { 'if-none-match': etag })).status).toBe(401);
  });
});
