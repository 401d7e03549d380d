/**
 * `tamga pull-events` as an operator meets it, through the compiled command (`npm run build` first): 10,000 events of
 * every type from a STAND-IN of the asset server (test-support/asset-server-stand-in.ts, written from the Event API's
 * documentation: the original is not installable here), the puller killed with SIGKILL twice midway and started
 * again, then the tenant's log exported and verified offline.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_API_KEY } from '../../../server/src/test-support/test-server.js';
import type { TestServer } from '../../../server/src/test-support/test-server.js';
import { exportBundle } from '../commands/export.js';
import { verify } from '../commands/verify.js';
import { AssetServerStandIn } from '../test-support/asset-server-stand-in.js';

const BIN = new URL('../../bin/tamga.js', import.meta.url).pathname;
const EVENTS = 10_000;
const work = mkdtempSync(join(tmpdir(), 'tamga-pull-e2e-'));
const statePath = join(work, 'assets.state');
let ts: TestServer;
let tamgaUrl = '';
const source = new AssetServerStandIn();
let sourceUrl = '';

beforeAll(async () => {
  ts = await startTestServer({ now: Date.now });
  tamgaUrl = await ts.server.http.listen({ port: 0, host: '127.0.0.1' });
  sourceUrl = await source.start();
  source.add(EVENTS);
});
afterAll(async () => {
  await source.stop();
  await ts.close();
  rmSync(work, { recursive: true, force: true });
});

function startPuller(): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(
    process.execPath,
    [BIN, 'pull-events', '--source-url', sourceUrl, '--source-token', source.token, '--url', tamgaUrl, '--api-key', TEST_API_KEY, '--tenant', 'assets', '--state', statePath],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

const lastIdInState = (): number => (existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as { lastId: number }).lastId : 0);

/** Waits until the state file says the puller went past the source's `index`-th event, then kills it with SIGKILL. */
async function killPast(index: number): Promise<number> {
  const run = startPuller();
  const target = source.all()[index]!.event._id as number;
  for (;;) {
    if (lastIdInState() > target) break;
    const done = await Promise.race([run.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10))]);
    if (done) throw new Error(`the puller ended before it was killed: ${run.stderr()}`);
  }
  run.child.kill('SIGKILL');
  expect(await run.exited).toBeNull();
  return lastIdInState();
}

describe('tamga pull-events, killed twice midway', () => {
  it('copies 10,000 events of every type, each exactly once, into a log that verifies offline', async () => {
    if (!existsSync(new URL('../../dist/commands/pull-events.js', import.meta.url))) throw new Error('Build the CLI first: npm run build');
    const firstKill = await killPast(2_500);
    const secondKill = await killPast(6_000);
    expect(secondKill).toBeGreaterThan(firstKill);
    const last = startPuller();
    expect(await last.exited, last.stderr()).toBe(0);
    expect(last.stderr()).toMatch(/events copied; the source's newest is _id \d+/);

    const copied: number[] = [];
    const types = new Set<string>();
    for (let offset = 0; ; offset += 1000) {
      const page = (await ts.request({ method: 'GET', url: `/api/v1/event/list?tenantId=assets&sort=_id&limit=1000&offset=${offset}` })).json<
        { event: { type: string }; _tamga: { source: { eventId: number }; validSignature: boolean } }[]
      >();
      for (const e of page) {
        copied.push(e._tamga.source.eventId);
        types.add(e.event.type);
        expect(e._tamga.validSignature).toBe(true);
      }
      if (page.length < 1000) break;
    }
    expect(copied.length).toBe(EVENTS);
    expect(copied).toEqual(source.all().map((e) => e.event._id));
    expect(types.size).toBe(34);

    // Offline: the tenant's log as an evidence bundle, checked with no server.
    for (let i = 0; i < 300 && (await ts.request({ method: 'GET', url: '/api/v1/logs/assets/checkpoint' })).body.split('\n')[1] !== String(EVENTS); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const out = { text: '', write: (s: string) => ((out.text += s), true) };
    const bundle = join(work, 'bundle');
    expect(await exportBundle(['--url', tamgaUrl, '--api-key', TEST_API_KEY, '--tenant', 'assets', '--out', bundle], out as unknown as NodeJS.WritableStream)).toBe(0);
    const report = { text: '', write: (s: string) => ((report.text += s), true) };
    expect(await verify([bundle, '--json'], report as unknown as NodeJS.WritableStream)).toBe(0);
    expect(JSON.parse(report.text)).toMatchObject({ status: 'valid', checked: EVENTS });
  }, 600_000);
});
