/**
 * Behind a load balancer (issue #14, docs/operations.md): with `TAMGA_TRUST_PROXY` naming it, the client's address
 * is taken from `X-Forwarded-For` — journalled as `ip`, counted by the sign-in limits; from anyone else the header
 * is ignored, as anyone can send it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHttpConfig } from './http-config.js';
import { systemEvents } from '../test-support/access-helpers.js';
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

  it('refuses an entry that is no address, range or range name, naming the variable', () => {
    expect(loadHttpConfig({ TAMGA_TRUST_PROXY: '10.0.0.1, 10.2.0.0/16, ::1' }).trustProxy).toEqual(['10.0.0.1', '10.2.0.0/16', '::1']);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.1/8/8', 'everyone']) {
      expect(() => loadHttpConfig({ TAMGA_TRUST_PROXY: bad })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: { field: 'TAMGA_TRUST_PROXY' } }));
    }
  });
});
