// Forwarding figures for `npm run bench` (step 8): delivery rate per format to receivers on loopback, and ingest
// with destinations delivering beside it against ingest alone. The receivers run in the benchmark's process and
// only count what they get: octet-counted syslog frames over TCP and TLS, and records in HTTP bodies.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

const SIG_KID = Buffer.from('"sigKid":');

/** Counts RFC 6587 octet-counted frames on a stream socket. */
function countFrames(socket, counter) {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    for (;;) {
      const space = pending.indexOf(0x20, at);
      if (space < 0) break;
      const length = Number(pending.toString('latin1', at, space));
      if (space + 1 + length > pending.length) break;
      counter.count++;
      at = space + 1 + length;
    }
    pending = pending.subarray(at);
  });
  socket.on('error', () => undefined);
}

/** A CA and a certificate for 127.0.0.1 made with openssl, or undefined when openssl is missing. */
function makeCertificate(dir) {
  try {
    mkdirSync(dir, { recursive: true });
    const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=bench CA']);
    run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
    run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext']);
    const read = (name) => readFileSync(join(dir, name), 'utf8');
    return { ca: read('ca.pem'), cert: read('server.pem'), key: read('server.key') };
  } catch {
    return undefined;
  }
}

/** Starts the receivers; each has `count`, reset between measurements. */
async function startReceivers(workDir) {
  const tcp = { count: 0 };
  const tls = { count: 0 };
  const http = { count: 0 };
  const tcpServer = createTcpServer((socket) => countFrames(socket, tcp));
  tcpServer.listen(0, '127.0.0.1');
  await once(tcpServer, 'listening');
  const certificate = makeCertificate(join(workDir, 'forward-tls'));
  let tlsServer;
  if (certificate !== undefined) {
    tlsServer = createTlsServer({ cert: certificate.cert, key: certificate.key }, (socket) => countFrames(socket, tls));
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
  }
  const httpServer = createHttpServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if ((req.headers['content-type'] ?? '').startsWith('application/x-ndjson')) {
        for (const byte of body) if (byte === 0x0a) http.count++;
      } else {
        // One "sigKid" per record: counted without parsing, so the receiver takes little from the load generator.
        for (let at = body.indexOf(SIG_KID); at >= 0; at = body.indexOf(SIG_KID, at + 1)) http.count++;
      }
      res.end();
    });
  });
  httpServer.keepAliveTimeout = 60_000;
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  return {
    tcp,
    tls,
    http,
    ca: certificate?.ca,
    tcpUrl: `tcp://127.0.0.1:${tcpServer.address().port}`,
    tlsUrl: tlsServer === undefined ? undefined : `tls://127.0.0.1:${tlsServer.address().port}`,
    httpUrl: `http://127.0.0.1:${httpServer.address().port}`,
    close() {
      tcpServer.close();
      tlsServer?.close();
      httpServer.closeAllConnections();
      httpServer.close();
    },
  };
}

async function waitForCount(counter, total, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (counter.count < total) {
    if (Date.now() > deadline) throw new Error(`only ${counter.count} of ${total} records arrived within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Measures forwarding against a running server at `url` (administrator key `key`):
 * - per format (syslog over TCP, CEF over TLS, OCSF and webhook over HTTP): `events` records of tenant `fwd`,
 *   appended first, delivered from the beginning by a new destination; events/s from its creation to the last record
 *   counted at the receiver;
 * - ingest of `ingestEvents` with two destinations (syslog over TCP and webhook) delivering the same records as they
 *   come, against the same ingest with none (before and after), and how long after the last append the last record
 *   arrived.
 * Beside each rate, the server's CPU time per event (`cpu()` reads the server process's total and its main thread's,
 * µs): it holds when other work shares the machine, where rates do not. Forwarding runs on a thread of its own, so
 * the main thread's CPU per appended event says what it costs ingest.
 */
export async function measureForwarding({ url, key, workDir, events, ingestEvents, ingest, cpu, report, fmt }) {
  const api = async (method, path, body) => {
    const headers = { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) };
    const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  const receivers = await startReceivers(workDir);
  try {
    await ingest(url, events, 'fwd');
    const formats = [
      ['syslog (RFC 5424) over TCP', { format: 'syslog', url: receivers.tcpUrl }, receivers.tcp],
      ...(receivers.tlsUrl === undefined ? [] : [['CEF over TLS', { format: 'cef', url: receivers.tlsUrl, tls: { ca: receivers.ca } }, receivers.tls]]),
      ['OCSF (NDJSON over HTTP)', { format: 'ocsf', url: `${receivers.httpUrl}/ocsf` }, receivers.http],
      ['webhook (signed JSON over HTTP)', { format: 'webhook', url: `${receivers.httpUrl}/hook`, secret: 'bench webhook secret' }, receivers.http],
    ];
    report(`forwarding, ${fmt(events)} stored records delivered from the beginning to a receiver on loopback (default batch of 500):`);
    for (const [name, settings, counter] of formats) {
      counter.count = 0;
      const c0 = (await cpu()).cpu;
      const t0 = performance.now();
      const d = await api('POST', '/api/v1/forwarding/destinations', { name, filter: 'tenantId=fwd', start: 'beginning', ...settings });
      await waitForCount(counter, events, 600_000);
      const seconds = (performance.now() - t0) / 1000;
      const cpuPerEvent = ((await cpu()).cpu - c0) / events;
      await api('DELETE', `/api/v1/forwarding/destinations/${d.id}`);
      report(`  ${name.padEnd(34)} ${fmt(events / seconds).padStart(9)} events/s   server CPU ${cpuPerEvent.toFixed(1)} µs per event`);
    }
    if (receivers.tlsUrl === undefined) report('  CEF over TLS: not measured (openssl not found)');

    // Ingest alone, with two destinations delivering as records come, and alone again.
    const perEvent = (a, b, key) => (a[key] === undefined ? NaN : (b[key] - a[key]) / ingestEvents);
    const timedIngest = async (tenant) => {
      const c0 = await cpu();
      const seconds = await ingest(url, ingestEvents, tenant);
      const c1 = await cpu();
      return { rate: ingestEvents / seconds, seconds, cpuPerEvent: perEvent(c0, c1, 'cpu'), mainPerEvent: perEvent(c0, c1, 'main') };
    };
    const alone1 = await timedIngest('alone1');
    receivers.tcp.count = 0;
    receivers.http.count = 0;
    const live = [
      await api('POST', '/api/v1/forwarding/destinations', { name: 'live syslog', format: 'syslog', url: receivers.tcpUrl, filter: 'tenantId=live' }),
      await api('POST', '/api/v1/forwarding/destinations', { name: 'live webhook', format: 'webhook', url: `${receivers.httpUrl}/hook`, secret: 'bench webhook secret', filter: 'tenantId=live' }),
    ];
    const c0 = await cpu();
    const withSeconds = await ingest(url, ingestEvents, 'live');
    const ingestEnd = performance.now();
    const withMain = perEvent(c0, await cpu(), 'main');
    await waitForCount(receivers.tcp, ingestEvents, 600_000);
    await waitForCount(receivers.http, ingestEvents, 600_000);
    const drained = (performance.now() - ingestEnd) / 1000;
    const withCpu = perEvent(c0, await cpu(), 'cpu');
    for (const d of live) await api('DELETE', `/api/v1/forwarding/destinations/${d.id}`);
    const alone2 = await timedIngest('alone2');
    const alone = (alone1.rate + alone2.rate) / 2;
    const aloneCpu = (alone1.cpuPerEvent + alone2.cpuPerEvent) / 2;
    const aloneMain = (alone1.mainPerEvent + alone2.mainPerEvent) / 2;
    const withRate = ingestEvents / withSeconds;
    report(
      `ingest of ${fmt(ingestEvents)} events, alone: ${fmt(alone1.rate)} / ${fmt(alone2.rate)} events/s (before / after); server CPU ` +
        `${aloneCpu.toFixed(1)} µs per event, ${aloneMain.toFixed(1)} µs of it on the main thread`,
    );
    report(
      `  with 2 destinations delivering them (RFC 5424 over TCP + webhook): ${fmt(withRate)} events/s, ratio ${(withRate / alone).toFixed(2)}; ` +
        `main thread ${withMain.toFixed(1)} µs per event while appending; server CPU ${withCpu.toFixed(1)} µs per event, ingest and both ` +
        `deliveries; the last record reached both receivers ${drained.toFixed(1)} s after the last append`,
    );
  } finally {
    receivers.close();
  }
}
