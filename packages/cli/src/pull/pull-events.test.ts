/**
 * `tamga pull-events` against a STAND-IN of the asset server (test-support/asset-server-stand-in.ts, written from the
 * Event API's documentation: the original is not installable here) and a real Tamga server on loopback.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { startTestServer, TEST_API_KEY } from '../../../server/src/test-support/test-server.js';
import type { TestServer } from '../../../server/src/test-support/test-server.js';
import { pullEvents, PULL_EXIT } from '../commands/pull-events.js';
import { AssetServerStandIn } from '../test-support/asset-server-stand-in.js';
import type { StandInEvent } from '../test-support/asset-server-stand-in.js';

const work = mkdtempSync(join(tmpdir(), 'tamga-pull-'));
let ts: TestServer;
let tamgaUrl = '';
let source: AssetServerStandIn;
let sourceUrl = '';
let tenantN = 0;
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => {
  ts = await startTestServer({ now: Date.now });
  tamgaUrl = await ts.server.http.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => ts.close());
afterEach(async () => source?.stop());

async function newSource(): Promise<void> {
  source = new AssetServerStandIn();
  sourceUrl = await source.start();
}

/** Runs the command in this process; its stderr is returned with the exit code. */
async function pull(tenant: string, extra: string[] = []): Promise<{ code: number; err: string }> {
  let err = '';
  const sink = { write: (chunk: string) => ((err += chunk), true) } as unknown as NodeJS.WritableStream;
  const args = ['--source-url', sourceUrl, '--source-token', source.token, '--url', tamgaUrl, '--api-key', TEST_API_KEY, '--tenant', tenant, '--state', join(work, `${tenant}.state`), ...extra];
  return { code: await pullEvents(args, sink), err };
}

/** Every event of a tenant through Tamga's Event API, oldest first. */
async function copiedEvents(tenant: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let offset = 0; ; offset += 1000) {
    const r = await ts.request({ method: 'GET', url: `/api/v1/event/list?tenantId=${tenant}&sort=_id&limit=1000&offset=${offset}` });
    const page = r.json<Record<string, unknown>[]>();
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

/** A copied event as the source answered it: Tamga's `_id` replaced by the source's, the evidence left out. */
function asSource(copied: Record<string, unknown>): StandInEvent {
  const { _tamga, event, ...rest } = copied as { _tamga: { source: { eventId: number } }; event: Record<string, unknown> };
  return { event: { ...event, _id: _tamga.source.eventId }, ...rest };
}

/** Times as Tamga writes them (UTC, microseconds): the stand-in writes them with an offset. */
function normalizeTimes(e: StandInEvent): StandInEvent {
  const iso = (t: unknown) => new Date(String(t)).toISOString().replace('Z', '000Z');
  return {
    ...e,
    event: { ...e.event, timestamp: iso(e.event.timestamp) },
    ...(e._session !== undefined && { _session: { ...e._session, created: iso(e._session.created), expired: iso(e._session.expired) } }),
  };
}

const tenant = () => `pulled${++tenantN}`;

describe('tamga pull-events', () => {
  it('copies every type, the non-pollable ones included, with every attribute, and stores each once across runs', async () => {
    await newSource();
    const t = tenant();
    source.add(500);
    const first = await pull(t);
    expect(first.code, first.err).toBe(PULL_EXIT.ok);
    source.add(120);
    expect((await pull(t)).code).toBe(PULL_EXIT.ok);
    const again = await pull(t);
    expect(again.err).toContain('0 events copied');
    const copied = await copiedEvents(t);
    expect(copied.map(asSource)).toEqual(source.all().map(normalizeTimes));
    const types = new Set(copied.map((e) => (e.event as { type: string }).type));
    expect(types.size).toBe(34);
    expect(types).toContain('LOGIN_FAILED');
    expect(copied.every((e) => (e._tamga as { validSignature: boolean }).validSignature)).toBe(true);
    // Poll could never have done it: it skips every non-pollable type.
    expect(source.served.poll).toBe(0);
  });

  it('retries a source that fails or drops connections, and says so', async () => {
    await newSource();
    const t = tenant();
    source.add(50);
    source.failNext = 3;
    source.dropNext = 2;
    const run = await pull(t);
    expect(run.code, run.err).toBe(PULL_EXIT.ok);
    expect(run.err).toMatch(/the source: GET \/api\/v1\/event\/list failed \(.*503.*\); retrying in/);
    expect(run.err).toMatch(/retrying in .* \(attempt 2\)/);
    expect(run.err).not.toContain(source.token);
    expect((await copiedEvents(t)).length).toBe(50);
  });

  it('refuses a wrong session token at once, naming the answer', async () => {
    await newSource();
    let err = '';
    const sink = { write: (chunk: string) => ((err += chunk), true) } as unknown as NodeJS.WritableStream;
    const code = await pullEvents(['--source-url', sourceUrl, '--source-token', 'wrong', '--url', tamgaUrl, '--api-key', TEST_API_KEY, '--tenant', tenant(), '--state', join(work, 'wrong.state')], sink);
    expect(code).toBe(PULL_EXIT.failed);
    expect(err).toContain('401');
  });

  it('copies across the source deleting old events, also between two pages of one scan', async () => {
    await newSource();
    const t = tenant();
    source.add(1500);
    expect((await pull(t)).code).toBe(PULL_EXIT.ok);
    source.deleteOldest(700);
    const fresh = source.add(2600);
    // Between two pages, the source deletes events of the page already read: the next page's offsets shift by as
    // many, and reading on would skip events. (Deleting the oldest, as the clean-up does, shifts nothing newest first.)
    let deleted = false;
    source.beforeList = (offset) => {
      if (offset > 0 && !deleted) {
        deleted = true;
        for (const id of fresh.slice(-10)) source.delete(id);
      }
    };
    const run = await pull(t);
    expect(run.code, run.err).toBe(PULL_EXIT.ok);
    expect(run.err).toContain('offsets shifted');
    const ids = (await copiedEvents(t)).map((e) => asSource(e).event._id as number);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(1500 + 2600 - 10);
  });

  it('keeps its place across a changed source URL only when told it is the same instance', async () => {
    await newSource();
    const t = tenant();
    source.add(5);
    expect((await pull(t)).code).toBe(PULL_EXIT.ok);
    const state = JSON.parse(readFileSync(join(work, `${t}.state`), 'utf8')) as { instance: string };
    const moved = sourceUrl.replace('127.0.0.1', 'localhost');
    const args = (more: string[]) => ['--source-url', moved, '--source-token', source.token, '--url', tamgaUrl, '--api-key', TEST_API_KEY, '--tenant', t, '--state', join(work, `${t}.state`), ...more];
    await expect(pullEvents(args([]), { write: () => true } as unknown as NodeJS.WritableStream)).rejects.toThrow(/another --state/);
    expect(await pullEvents(args(['--source-instance', state.instance]), { write: () => true } as unknown as NodeJS.WritableStream)).toBe(PULL_EXIT.ok);
    expect((await copiedEvents(t)).length).toBe(5);
  });

  it('reports loudly when the source’s ids go backwards (a restored backup), and copies its new events too', async (ctx: TestContext) => {
    // Finding where the source was restored to needs Tamga to answer an id given again with other content as a 409
    // conflict (not a duplicate): that lands with the store hardening (issue 10).
    const probeId = '0193a000-0000-7000-8000-00000000c0de';
    await ts.request({ method: 'POST', url: '/api/v1/events', payload: { id: probeId, eventName: 'SEARCH', tenantId: 'probe', entityData: 'a' } });
    const probe = await ts.request({ method: 'POST', url: '/api/v1/events', payload: { id: probeId, eventName: 'SEARCH', tenantId: 'probe', entityData: 'b' } });
    if (probe.statusCode !== 409) {
      console.warn('SKIPPED: Tamga still answers a reused id with other content as a duplicate; this test needs the 409 conflict of the store hardening');
      ctx.skip();
    }
    await newSource();
    const t = tenant();
    source.add(100);
    expect((await pull(t)).code).toBe(PULL_EXIT.ok);
    const before = source.all().map((e) => e.event._id as number);
    const restoredTo = before[79]!;
    source.restoreTo(restoredTo);
    const reused = source.add(12, ' after the restore');
    const run = await pull(t);
    expect(run.code, run.err).toBe(PULL_EXIT.idsWentBackwards);
    expect(run.err).toContain('WARNING');
    expect(run.err).toContain(`after _id ${restoredTo}`);
    expect(run.err).toContain(`_id ${before.at(-1)}`);
    const copied = await copiedEvents(t);
    expect(copied.length).toBe(100 + 12);
    // The new events are stored, under the ids they have at the source now, with their new content. Those the walk
    // for the restore point met (ids Tamga never held) are stored as it meets them, newest first (decision 0022).
    const last12 = copied.slice(-12).map(asSource);
    expect(last12.map((e) => e.event._id as number).sort((a, b) => a - b)).toEqual(reused);
    expect(JSON.stringify(last12)).toContain('after the restore');
    // And the next run goes on quietly.
    source.add(3);
    expect((await pull(t)).code).toBe(PULL_EXIT.ok);
    expect((await copiedEvents(t)).length).toBe(115);
  });
});
