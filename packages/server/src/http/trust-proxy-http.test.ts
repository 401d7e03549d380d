import { describe, expect, it } from 'vitest';
import { loadHttpConfig } from './http-config.js';
import { GOOD_PASSWORD, createUserAndSignIn, systemEvents } from '../test-support/access-helpers.js';
import { startTestServer } from '../test-support/test-server.js';

/** TAMGA_TRUST_PROXY over real HTTP on loopback: the forwarded client address and protocol count only from a trusted proxy. */
async function signInThroughProxy(trust: string | undefined): Promise<{ ips: unknown[]; cookie: string }> {
  const t = await startTestServer({ now: () => Date.now(), env: trust === undefined ? {} : { TAMGA_TRUST_PROXY: trust } });
  try {
    await createUserAndSignIn(t, { login: 'proxied', roles: ['auditor'] });
    const base = await t.server.http.listen({ host: '127.0.0.1', port: 0 });
    const headers = { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' };
    const failed = await fetch(`${base}/api/v1/session`, { method: 'POST', headers, body: JSON.stringify({ login: 'proxied', password: 'not the password!' }) });
    expect(failed.status).toBe(401);
    const ok = await fetch(`${base}/api/v1/session`, { method: 'POST', headers, body: JSON.stringify({ login: 'proxied', password: GOOD_PASSWORD }) });
    expect(ok.status).toBe(201);
    const events = await systemEvents(t);
    return { ips: events.map((e) => e.ip), cookie: ok.headers.get('set-cookie') ?? '' };
  } finally {
    await t.close();
  }
}

describe('TAMGA_TRUST_PROXY', () => {
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

  it('refuses a value that is not an address, a CIDR or a proxy-addr name', () => {
    expect(() => loadHttpConfig({ TAMGA_TRUST_PROXY: '10.0.0.0/8, uniquelocal' })).not.toThrow();
    expect(() => loadHttpConfig({ TAMGA_TRUST_PROXY: 'true' })).toThrow(/TAMGA_TRUST_PROXY/);
    expect(() => loadHttpConfig({ TAMGA_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TAMGA_TRUST_PROXY/);
  });
});
