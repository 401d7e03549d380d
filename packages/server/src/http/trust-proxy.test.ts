/**
 * Behind a load balancer (issue #14, docs/operations.md): with `TAMGA_TRUST_PROXY` naming it, the client's address
 * is taken from `X-Forwarded-For` — journalled as `ip`, counted by the sign-in limits — and its protocol from
 * `X-Forwarded-Proto` (the session cookie is `Secure` when TLS ends at the proxy); from anyone else the headers are
 * ignored, as anyone can send them. Journalled addresses are in canonical text (issue #11): an IPv4 client seen
 * through a dual-stack socket (`::ffff:a.b.c.d`) is journalled as IPv4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHttpConfig } from './http-config.js';
import { GOOD_PASSWORD, createUserAndSignIn, systemEvents } from '../test-support/access-helpers.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

describe('TAMGA_TRUST_PROXY', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ env: { TAMGA_TRUST_PROXY: '10.1.0.0/16, loopback' } });
  });
  afterAll(async () => {
    await ts.close();
  });

  const failedSignIn = (from: string, forwardedFor: string) =>
    ts.server.http.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { login: `nobody-${from}`, password: 'not the password' },
      remoteAddress: from,
      headers: { 'x-forwarded-for': forwardedFor },
    });

  it('takes the address a trusted proxy forwards, and ignores the header from anyone else', async () => {
    expect((await failedSignIn('10.1.2.3', '198.51.100.20')).statusCode).toBe(401);
    expect((await failedSignIn('192.0.2.9', '198.51.100.21')).statusCode).toBe(401);
    const journalled = (await systemEvents(ts, [2002])).map((e) => [e.entityData, e.ip]);
    expect(journalled).toContainEqual(['nobody-10.1.2.3, tenantId=', '198.51.100.20']);
    expect(journalled).toContainEqual(['nobody-192.0.2.9, tenantId=', '192.0.2.9']);
  });

  it('journals an IPv4-mapped client address, from the socket or forwarded, as IPv4 and IPv6 compressed', async () => {
    expect((await failedSignIn('::ffff:192.0.2.10', '198.51.100.22')).statusCode).toBe(401);
    expect((await failedSignIn('::ffff:10.1.2.4', '::FFFF:198.51.100.23')).statusCode).toBe(401);
    expect((await failedSignIn('10.1.2.5', '2001:0DB8:0:0::7')).statusCode).toBe(401);
    const journalled = (await systemEvents(ts, [2002])).map((e) => [e.entityData, e.ip]);
    expect(journalled).toContainEqual(['nobody-::ffff:192.0.2.10, tenantId=', '192.0.2.10']);
    expect(journalled).toContainEqual(['nobody-::ffff:10.1.2.4, tenantId=', '198.51.100.23']);
    expect(journalled).toContainEqual(['nobody-10.1.2.5, tenantId=', '2001:db8::7']);
  });

  it('refuses an entry that is no address, range or range name, naming the variable', () => {
    expect(loadHttpConfig({ TAMGA_TRUST_PROXY: '10.0.0.1, 10.2.0.0/16, ::1' }).trustProxy).toEqual([
      '10.0.0.1',
      '10.2.0.0/16',
      '::1',
    ]);
    expect(() => loadHttpConfig({ TAMGA_TRUST_PROXY: '10.0.0.0/8, uniquelocal' })).not.toThrow();
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.1/8/8', 'everyone', 'true']) {
      expect(() => loadHttpConfig({ TAMGA_TRUST_PROXY: bad })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', details: { field: 'TAMGA_TRUST_PROXY' } }),
      );
    }
  });
});

describe('TAMGA_TRUST_PROXY over real HTTP on loopback', () => {
  /** Signs in through a "proxy" on loopback that forwards a client address and https. */
  async function signInThroughProxy(trust: string | undefined): Promise<{ ips: unknown[]; cookie: string }> {
    const t = await startTestServer({
      now: () => Date.now(),
      env: trust === undefined ? {} : { TAMGA_TRUST_PROXY: trust },
    });
    try {
      await createUserAndSignIn(t, { login: 'proxied', roles: ['auditor'] });
      const base = await t.server.http.listen({ host: '127.0.0.1', port: 0 });
      const headers = {
        'content-type': 'application/json',
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-proto': 'https',
      };
      const failed = await fetch(`${base}/api/v1/session`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ login: 'proxied', password: 'not the password!' }),
      });
      expect(failed.status).toBe(401);
      const ok = await fetch(`${base}/api/v1/session`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ login: 'proxied', password: GOOD_PASSWORD }),
      });
      expect(ok.status).toBe(201);
      const events = await systemEvents(t);
      return { ips: events.map((e) => e.ip), cookie: ok.headers.get('set-cookie') ?? '' };
    } finally {
      await t.close();
    }
  }

  it('trusted loopback proxy: the journal records the client address and the cookie is Secure', async () => {
    const { ips, cookie } = await signInThroughProxy('127.0.0.1,::1');
    expect(ips).toContain('203.0.113.7');
    expect(cookie).toMatch(/;\s*Secure/i);
  });

  it('not set: X-Forwarded-For and -Proto from the same client are ignored', async () => {
    const { ips, cookie } = await signInThroughProxy(undefined);
    expect(ips).not.toContain('203.0.113.7');
    expect(ips).toContain('127.0.0.1');
    expect(cookie).not.toMatch(/;\s*Secure/i);
  });
});
