import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../test-support/registered-routes.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import type { API_DESCRIPTION } from './openapi.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('GET /api/v1/openapi.json', () => {
  it('documents every API route the server registers, and no route it does not', async () => {
    const served = (await t.server.http.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<typeof API_DESCRIPTION>();
    const documented = Object.entries(served.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const registered = registeredRoutes(t.server.http)
      .filter((r) => r.url.startsWith('/api/') || r.url.startsWith('/.well-known/') || r.url === '/healthz' || r.url === '/readyz' || r.url === '/metrics')
      .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual([...new Set(registered)].sort());
  });
});
