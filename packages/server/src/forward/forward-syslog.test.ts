import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/fixtures.js';
import { appendEvents, createDestination as createDestinationAs } from '../test-support/forward-helpers.js';
import { waitFor } from '../test-support/http-receiver.js';
import { hasRsyslog, reportMissingRsyslog, Rsyslog } from '../test-support/rsyslog.js';
import { parseCef, parseRfc5424 } from '../test-support/syslog-grammar.js';
import { hasOpenssl, makeTestCertificates } from '../test-support/test-certificates.js';
import type { TestCertificates } from '../test-support/test-certificates.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

/**
 * Forwarding to Debian's rsyslogd, started by this suite with its own configuration on free loopback ports: RFC 5424
 * over TCP (octet counting), CEF over TLS with a CA generated here, and RFC 5424 over UDP. rsyslog writes every
 * message exactly as received; the suite parses each one with a strict RFC 5424 grammar (and the CEF rules), and
 * stops and starts rsyslog in the middle of a stream to check that nothing is lost or reordered.
 */
const TRICKY = 'quote " backslash \\ bracket ] pipe | equals = new\nline Юникод 🔐';
const FAST = { settleMs: 500, flushMs: 50, backoffMs: 50, maxBackoffMs: 300, sweepMs: 100 };

if (!hasRsyslog() || !hasOpenssl()) {
  reportMissingRsyslog('the rsyslog forwarding suite');
} else {
  const dir = tempDir('tamga-rsyslog-');
  let certs: TestCertificates;
  let rsyslog: Rsyslog;
  let ts: TestServer;

  beforeAll(async () => {
    certs = makeTestCertificates(dir.path);
    rsyslog = await new Rsyslog(dir.path, { caFile: certs.caFile, certFile: certs.serverCertFile, keyFile: certs.serverKeyFile }).start();
    ts = await startTestServer({ now: Date.now, serverOptions: { forwarding: FAST } });
  });
  afterAll(async () => {
    await ts?.close();
    await rsyslog?.stop();
    dir.remove();
  });

  const createDestination = (body: Record<string, unknown>) => createDestinationAs(ts, body);
  const append = (events: Record<string, unknown>[]) => appendEvents(ts, events);

  /** `waitFor`, whose timeout also says what rsyslog wrote and what Tamga says of each destination. */
  async function waitForRsyslog(condition: () => boolean, what: string, timeoutMs?: number): Promise<void> {
    try {
      await waitFor(condition, what, timeoutMs);
    } catch (error) {
      const listed = (await ts.request({ method: 'GET', url: '/api/v1/forwarding/destinations' })).json<{ items: { name: string; status: unknown }[] }>();
      const statuses = listed.items.map((d) => `${d.name} ${JSON.stringify(d.status)}`).join('; ');
      throw new Error(`${(error as Error).message}\n${rsyslog.describe()}\nTamga's destinations: ${statuses}`);
    }
  }

  /** The structured data of the RFC 5424 messages of one tenant received on `input`, each parsed by the grammar. */
  function syslogOf(input: 'tcp' | 'tls' | 'udp', tenant: string): Record<string, string>[] {
    return rsyslog
      .received(input)
      .map((m) => parseRfc5424(m.bytes))
      .filter((m) => m.structuredData.length > 0)
      .map((m): Record<string, string> => ({ ...Object.fromEntries(m.structuredData[0]!.params), msg: m.msg ?? '', pri: String(m.pri) }))
      .filter((p) => p.tenantId === tenant);
  }

  /** The extensions of the CEF messages of one tenant received on `input`. */
  function cefOf(input: 'tcp' | 'tls' | 'udp', tenant: string): Record<string, string>[] {
    return rsyslog
      .received(input)
      .map((m) => parseRfc5424(m.bytes, { utf8Msg: false }))
      .filter((m) => m.msg?.startsWith('CEF:') === true)
      .map((m): Record<string, string> => {
        const cef = parseCef(m.msg!);
        return { ...Object.fromEntries(cef.extension), name: cef.name, signatureId: cef.signatureId, severity: cef.severity };
      })
      .filter((e) => e.cs1 === tenant);
  }

  /** Record ids in the order of their first arrival, and how many arrived again. */
  function firstArrivals(ids: readonly string[]): { order: string[]; repeats: number } {
    const seen = new Set<string>();
    for (const id of ids) seen.add(id);
    return { order: [...seen], repeats: ids.length - seen.size };
  }

  describe('forwarding to rsyslog', () => {
    it('sends RFC 5424 with structured data over TCP: every message follows the grammar and carries the record', async () => {
      await createDestination({ name: 'rsyslog-tcp', format: 'syslog', url: `tcp://127.0.0.1:${rsyslog.ports.tcp}`, filter: 'tenantId=rfc' });
      const ids = await append([
        { event: 2004, tenantId: 'rfc', userId: 'mallory "x"', ip: '10.0.0.9', text: TRICKY, entityData: { note: TRICKY }, outcome: 'failure' },
        { event: 2001, tenantId: 'rfc', userId: 'alice', entityData: { blob: 'й'.repeat(20_000) } },
        ...Array.from({ length: 40 }, (_, i) => ({ event: 9001, tenantId: 'rfc', text: `change ${i}` })),
      ]);
      await waitForRsyslog(() => syslogOf('tcp', 'rfc').length >= ids.length, 'every message at rsyslog');
      const received = syslogOf('tcp', 'rfc');
      expect(received.map((p) => p.id)).toEqual(ids);
      expect(received.map((p) => Number(p.seq))).toEqual(ids.map((_, i) => i));
      expect(received[0]).toMatchObject({ event: '2004', eventName: 'LoginUserUnauthorized', userId: 'mallory "x"', ip: '10.0.0.9', outcome: 'failure', log: 'tamga/rfc', integrity: 'valid' });
      expect(received[0]!.msg).toBe(`LoginUserUnauthorized: ${TRICKY}`);
      expect(JSON.parse(received[0]!.entityData!)).toEqual({ note: TRICKY });
      // The 20,000-character entityData was shortened to the 8 KiB default, and says so.
      expect(received[1]).toMatchObject({ truncated: 'true', id: ids[1] });
    });

    it('sends CEF over TLS to a server whose certificate the given CA signed, and the CEF escapes round-trip', async () => {
      await createDestination({ name: 'rsyslog-tls', format: 'cef', url: `tls://127.0.0.1:${rsyslog.ports.tls}`, filter: 'tenantId=cef', tls: { ca: certs.caPem } });
      const ids = await append([
        { event: 2004, tenantId: 'cef', userId: TRICKY, ip: '10.0.0.9', text: TRICKY, entityData: { note: TRICKY } },
        { event: 2003, tenantId: 'cef', userId: 'alice', ip: '2001:db8::5' },
      ]);
      await waitForRsyslog(() => cefOf('tls', 'cef').length >= 2, 'both CEF messages at rsyslog');
      const [first, second] = cefOf('tls', 'cef');
      expect(first).toMatchObject({ signatureId: '2004', name: 'LoginUserUnauthorized', externalId: ids[0], suser: TRICKY, msg: TRICKY, src: '10.0.0.9', cs1: 'cef', cn1: '0' });
      expect(JSON.parse(first!.cs3!)).toEqual({ note: TRICKY });
      expect(second).toMatchObject({ externalId: ids[1], c6a2: '2001:db8::5', suser: 'alice' });
    });

    it('sends RFC 5424 over UDP, one message per datagram', async () => {
      await createDestination({ name: 'rsyslog-udp', format: 'syslog', url: `udp://127.0.0.1:${rsyslog.ports.udp}`, filter: 'tenantId=udp', facility: 4 });
      const ids = await append(Array.from({ length: 20 }, (_, i) => ({ event: 2003, tenantId: 'udp', text: `datagram ${i} ${TRICKY}` })));
      await waitForRsyslog(() => syslogOf('udp', 'udp').length >= 20, 'every datagram');
      const received = syslogOf('udp', 'udp');
      expect(received.map((p) => p.id)).toEqual(ids);
      // facility 4 (auth) × 8 + syslog severity 3 (error: LoginUserLocked is High, OCSF 4).
      expect(received[0]!.pri).toBe(String(4 * 8 + 3));
    });

    it('refuses a TLS server its CA did not sign: the error says so, the test endpoint answers 502', async () => {
      const d = await createDestination({ name: 'wrong-ca', format: 'cef', url: `tls://127.0.0.1:${rsyslog.ports.tls}`, filter: 'tenantId=wrongca', tls: { ca: certs.otherCaPem } });
      await append([{ event: 2001, tenantId: 'wrongca' }]);
      await waitFor(async () => (await ts.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${d.id}` })).json().status.lastError !== null, 'the TLS error');
      const shown = (await ts.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${d.id}` })).json();
      expect(shown.status.lastError.message).toMatch(/certificate/i);
      expect(shown.status.lag.records).toBe(1);
      const test = await ts.request({ method: 'POST', url: `/api/v1/forwarding/destinations/${d.id}/test` });
      expect(test.statusCode).toBe(502);
      expect(test.json<{ detail: string }>().detail).toMatch(/certificate/i);
      expect(cefOf('tls', 'wrongca')).toEqual([]);
    });

    it('loses nothing and reorders nothing when rsyslog stops and starts again in the middle of a stream', async () => {
      await createDestination({ name: 'restart-tcp', format: 'syslog', url: `tcp://127.0.0.1:${rsyslog.ports.tcp}`, filter: 'tenantId=restart' });
      await createDestination({ name: 'restart-tls', format: 'cef', url: `tls://127.0.0.1:${rsyslog.ports.tls}`, filter: 'tenantId=restart', tls: { ca: certs.caPem } });
      const ids: string[] = [];
      let appending = true;
      const producer = (async () => {
        for (let i = 0; appending; i++) {
          ids.push(...(await append(Array.from({ length: 20 }, (_, j) => ({ event: 2001, tenantId: 'restart', text: `stream ${i}.${j}` })))));
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      await new Promise((r) => setTimeout(r, 1_000));
      await rsyslog.stop();
      await new Promise((r) => setTimeout(r, 1_500));
      await rsyslog.start();
      await new Promise((r) => setTimeout(r, 1_000));
      appending = false;
      await producer;
      expect(ids.length).toBeGreaterThan(500);
      await waitForRsyslog(() => new Set(syslogOf('tcp', 'restart').map((p) => p.id)).size === ids.length, 'every record over TCP', 30_000);
      await waitForRsyslog(() => new Set(cefOf('tls', 'restart').map((e) => e.externalId)).size === ids.length, 'every record over TLS', 30_000);
      const tcp = firstArrivals(syslogOf('tcp', 'restart').map((p) => p.id!));
      const tls = firstArrivals(cefOf('tls', 'restart').map((e) => e.externalId!));
      expect(tcp.order).toEqual(ids);
      expect(tls.order).toEqual(ids);
      console.log(`rsyslog restart: ${ids.length} records; sent again after the loss: ${tcp.repeats} over TCP, ${tls.repeats} over TLS`);
    }, 60_000);
  });
}
