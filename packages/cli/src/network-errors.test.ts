/**
 * Network errors of the CLI (issue #10, item 11): `tamga export` against an unreachable URL printed a TypeError stack.
 * Every network error of any command is one line naming the URL and the cause, with exit 2, handled once in `main`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './index.js';

const work = mkdtempSync(join(tmpdir(), 'tamga-net-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

async function run(url: string): Promise<{ code: number; err: string }> {
  let err = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      err += chunk.toString();
      done();
    },
  });
  const code = await main(['export', '--url', url, '--api-key', 'tmg_x', '--out', join(work, `out-${++n}`)], sink);
  return { code, err };
}

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function expectOneLine(err: string, ...parts: string[]): void {
  expect(err.trimEnd().split('\n'), err).toHaveLength(1);
  for (const part of parts) expect(err).toContain(part);
  expect(err).toMatch(/\[SERVER_UNREACHABLE\]\n$/);
  expect(err).not.toMatch(/TypeError|\n\s+at /);
}

describe('tamga export against a server it cannot reach', () => {
  it('says the URL and "connection refused" in one line, and exits 2', async () => {
    const port = await closedPort();
    const { code, err } = await run(`http://127.0.0.1:${port}`);
    expect(code).toBe(2);
    expectOneLine(err, `tamga: cannot reach http://127.0.0.1:${port}/api/v1/logs/default/export:`, 'ECONNREFUSED');
  });

  it('says when the host name does not resolve', async () => {
    const { code, err } = await run('http://no-such-host.invalid');
    expect(code).toBe(2);
    expectOneLine(err, 'cannot reach http://no-such-host.invalid/api/v1/logs/default/export', 'ENOTFOUND');
  });

  it('says when the URL is not one, or its port is one fetch refuses', async () => {
    expectOneLine((await run('localhost-without-scheme')).err, 'localhost-without-scheme/api/v1/logs/default/export: it is not a valid URL');
    expectOneLine((await run('http://127.0.0.1:9')).err, 'http://127.0.0.1:9/', 'bad port');
  });

  it('says when the connection breaks off in the middle of the answer', async () => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"type":"manifest"');
      setTimeout(() => req.socket.destroy(), 50);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const { code, err } = await run(`http://127.0.0.1:${port}`);
      expect(code).toBe(2);
      expectOneLine(err, `tamga: the connection to http://127.0.0.1:${port}/api/v1/logs/default/export broke off:`);
    } finally {
      server.close();
    }
  });

  it('leaves the global fetch as it found it', async () => {
    const before = globalThis.fetch;
    await run(`http://127.0.0.1:${await closedPort()}`);
    expect(globalThis.fetch).toBe(before);
  });
});
