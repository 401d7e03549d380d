import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/tamga-config.js';
import { createTamgaServer } from '../tamga-server.js';
import type { TamgaServer } from '../tamga-server.js';
import { systemEvents } from '../test-support/access-helpers.js';
import { tempDir } from '../test-support/fixtures.js';
import { appendEvents } from '../test-support/forward-helpers.js';
import { HttpReceiver, waitFor } from '../test-support/http-receiver.js';
import type { ReceivedRequest } from '../test-support/http-receiver.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../test-support/postgres.js';
import { TEST_API_KEY } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { FORWARD_EVENTS } from './forward-events.js';

/**
 * Forwarding across the life of a server: a restart resumes from the stored cursors, `TAMGA_FORWARD_FILE` is applied
 * at every start, and on several nodes sharing PostgreSQL exactly one delivers a destination and another takes it
 * over when that one stops.
 */
const SECRET = 'a webhook secret of some length';
const FAST = { settleMs: 200, flushMs: 50, backoffMs: 50, maxBackoffMs: 300, sweepMs: 100 };
const dirs: { remove: () => void }[] = [];
const receivers: HttpReceiver[] = [];
const servers: TamgaServer[] = [];

afterAll(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  for (const r of receivers) await r.stop();
  for (const d of dirs) d.remove();
});

async function receiver(): Promise<HttpReceiver> {
  const r = await new HttpReceiver().start();
  receivers.push(r);
  return r;
}

/** A server on `dataDir` with the environment `env`, driven by inject() with the administrator key. */
async function open(dataDir: string, env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({ TAMGA_DATA_DIR: dataDir, TAMGA_ADMIN_API_KEY: TEST_API_KEY, TAMGA_NODE_ID: 'test-node', ...env });
  const server = await createTamgaServer(config, { checkpointDelayMs: 20, passwordHashParams: { log2N: 10, r: 8, p: 1 }, forwarding: FAST });
  servers.push(server);
  return {
    server,
    dataDir,
    request: (o) => server.http.inject({ ...o, headers: { authorization: `Bearer ${TEST_API_KEY}`, ...o.headers } }),
    close: () => server.close(),
  };
}

const append = appendEvents;

const idsOf = (requests: readonly ReceivedRequest[]) => requests.flatMap((r) => JSON.parse(r.body.toString()).records.map((x: { id: string }) => x.id) as string[]);

describe('a restart', () => {
  it('resumes from the stored cursor: what waited is delivered by the next start, and nothing twice', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const hook = await receiver();
    hook.answer = () => 503;
    const first = await open(dir.path);
    const created = await first.request({ method: 'POST', url: '/api/v1/forwarding/destinations', payload: { name: 'resume', format: 'webhook', url: hook.url, secret: SECRET, filter: 'tenantId=default' } });
    expect(created.statusCode).toBe(201);
    const delivered = await append(first, Array.from({ length: 5 }, () => ({ event: 2001 })));
    hook.answer = () => 200;
    await waitFor(() => idsOf(hook.accepted).length === 5, 'the first five');
    hook.answer = () => 503;
    const waiting = await append(first, Array.from({ length: 20 }, (_, i) => ({ event: 2004, text: `waits ${i}` })));
    await waitFor(() => hook.requests.length > 2, 'a refused attempt');
    await first.close();

    hook.answer = () => 200;
    const second = await open(dir.path);
    await waitFor(() => idsOf(hook.accepted).length === 25, 'the twenty that waited');
    expect(idsOf(hook.accepted)).toEqual([...delivered, ...waiting]);
    await second.close();

    // A third start finds the cursor at the end: nothing is sent again.
    const third = await open(dir.path);
    const more = await append(third, [{ event: 2001, text: 'after the restarts' }]);
    await waitFor(() => idsOf(hook.accepted).length === 26, 'the new record');
    expect(idsOf(hook.accepted)).toEqual([...delivered, ...waiting, ...more]);
    await third.close();
  });
});

describe('TAMGA_FORWARD_FILE', () => {
  it('creates, changes and deletes the destinations it names at each start; they cannot be changed over the API', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const hook = await receiver();
    const file = join(dir.path, 'forwarding.yaml');
    writeFileSync(join(dir.path, 'hook.secret'), `${SECRET}\n`);
    const write = (filter: string, destinations = true) =>
      writeFileSync(
        file,
        destinations
          ? `destinations:\n  - name: from-file\n    format: webhook\n    url: \${HOOK_URL}\n    secretFile: hook.secret\n    filter: "${filter}"\n`
          : 'destinations: []\n',
      );
    write('classifiedEvent=3');
    const env = { TAMGA_FORWARD_FILE: file, HOOK_URL: `${hook.url}/file` };
    // loadConfig reads TAMGA_FORWARD_FILE; ${HOOK_URL} comes from the process environment.
    process.env.HOOK_URL = env.HOOK_URL;

    let ts = await open(dir.path, env);
    const [d] = (await ts.request({ method: 'GET', url: '/api/v1/forwarding/destinations' })).json<{ items: { id: string; origin: string; url: string; version: number }[] }>().items;
    expect(d).toMatchObject({ origin: 'file', url: `${hook.url}/file`, version: 1 });
    const ids = await append(ts, [{ event: 2004 }, { event: 9000, classifiedEvent: 1 }]);
    await waitFor(() => idsOf(hook.accepted).length === 1, 'the incident');
    expect(idsOf(hook.accepted)).toEqual([ids[0]]);
    const patch = await ts.request({ method: 'PATCH', url: `/api/v1/forwarding/destinations/${d!.id}`, payload: { enabled: false } });
    expect(patch.statusCode).toBe(409);
    expect(patch.json()).toMatchObject({ code: 'DESTINATION_MANAGED_BY_FILE' });
    expect((await ts.request({ method: 'DELETE', url: `/api/v1/forwarding/destinations/${d!.id}` })).statusCode).toBe(409);
    await ts.close();

    // The same file again changes nothing; a changed filter is one journalled change (the same secret is no change).
    ts = await open(dir.path, env);
    expect((await ts.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${d!.id}` })).json()).toMatchObject({ version: 1 });
    await ts.close();
    write('classifiedEvent=2,3');
    ts = await open(dir.path, env);
    expect((await ts.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${d!.id}` })).json()).toMatchObject({ version: 2, filter: 'classifiedEvent=2,3' });
    const changes = await systemEvents(ts, [FORWARD_EVENTS.DestinationChanged]);
    expect(changes.map((e) => [(e.entityData as { change: string }).change, (e.entityData as { changed?: string[] }).changed ?? null, e.userId])).toEqual([
      ['created', null, 'TAMGA_FORWARD_FILE'],
      ['updated', ['filter'], 'TAMGA_FORWARD_FILE'],
    ]);
    await ts.close();

    write('', false);
    ts = await open(dir.path, env);
    expect((await ts.request({ method: 'GET', url: '/api/v1/forwarding/destinations' })).json()).toEqual({ items: [] });
    await ts.close();
    delete process.env.HOOK_URL;
  });

  it('stops the start when an entry is invalid, naming the entry and the field', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir.path, 'forwarding.json');
    writeFileSync(file, JSON.stringify({ destinations: [{ name: 'ok', format: 'syslog', url: 'tcp://127.0.0.1:9' }, { name: 'bad', format: 'cef', url: 'tcp://127.0.0.1:9', filter: 'usrId=alice' }] }));
    await expect(open(dir.path, { TAMGA_FORWARD_FILE: file })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('destinations[1].filter.usrId') });
    writeFileSync(file, JSON.stringify({ destinations: [{ name: 'x', format: 'webhook', url: 'http://127.0.0.1:9/', secret: '${NOT_SET_ANYWHERE}' }] }));
    await expect(open(dir.path, { TAMGA_FORWARD_FILE: file })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('NOT_SET_ANYWHERE') });
  });
});

const url = await findTestDatabase();
if (url === undefined) {
  reportMissingPostgres('forwarding on several PostgreSQL nodes');
} else {
  describe('several nodes on PostgreSQL', () => {
    it('deliver each destination from exactly one node, and another takes over from its cursor when it stops', async () => {
      const schema = testSchemaName('tamga_test_fwd_nodes');
      const keys = tempDir();
      dirs.push(keys);
      const hook = await receiver();
      const node = async (id: string) => {
        const dir = tempDir();
        dirs.push(dir);
        return open(dir.path, { TAMGA_DATABASE_URL: url, TAMGA_DATABASE_SCHEMA: schema, TAMGA_NODE_ID: id, TAMGA_KEYS_DIR: keys.path });
      };
      const a = await node('node-a');
      const b = await node('node-b');
      try {
        const created = await a.request({ method: 'POST', url: '/api/v1/forwarding/destinations', payload: { name: 'shared', format: 'webhook', url: hook.url, secret: SECRET, filter: 'tenantId=nodes' } });
        expect(created.statusCode, created.body).toBe(201);
        const id = created.json<{ id: string }>().id;
        // Node b learns of the destination by polling the revision.
        await waitFor(async () => (await b.server.forwarding!.forwarder.describe(id)) !== undefined, 'node b to see the destination');
        const ids: string[] = [];
        for (let i = 0; i < 10; i++) ids.push(...(await append(i % 2 === 0 ? a : b, [{ event: 2001, tenantId: 'nodes', text: `from ${i % 2 === 0 ? 'a' : 'b'} ${i}` }])));
        await waitFor(() => idsOf(hook.accepted).length === 10, 'the ten records');
        expect(idsOf(hook.accepted)).toEqual(ids);
        const senders = new Set(hook.accepted.map((r) => r.headers['x-tamga-node']));
        expect(senders.size).toBe(1);
        const leader = senders.has('node-a') ? a : b;
        const other = leader === a ? b : a;
        // Counts are saved within a second: the other node reads them from the database.
        const statusOn = async (n: TestServer) => (await n.request({ method: 'GET', url: `/api/v1/forwarding/destinations/${id}` })).json();
        await waitFor(async () => (await statusOn(other)).status.delivered === 10, 'the counts saved');
        expect((await statusOn(other)).status).toMatchObject({ state: 'standby', deliveredBy: [...senders][0] });
        expect((await statusOn(leader)).status).toMatchObject({ state: 'idle', deliveredBy: 'this node' });

        await leader.close();
        const more = await append(other, Array.from({ length: 5 }, (_, i) => ({ event: 2001, tenantId: 'nodes', text: `after the takeover ${i}` })));
        await waitFor(() => idsOf(hook.accepted).length === 15, 'the takeover', 20_000);
        expect(idsOf(hook.accepted)).toEqual([...ids, ...more]);
        expect(hook.accepted.slice(-1)[0]!.headers['x-tamga-node']).toBe(other === a ? 'node-a' : 'node-b');
      } finally {
        await a.close().catch(() => undefined);
        await b.close().catch(() => undefined);
        const pg = await import('pg');
        const client = new pg.default.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    }, 60_000);
  });
}
