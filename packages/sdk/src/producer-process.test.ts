/**
 * Producers in processes of their own, killed or ended as they are in production: kill -9 with a spool (while Tamga
 * is down, and while it delivers), process.exit without a spool, a script that ends without close(), `tamga send`
 * killed mid-input, and the pino transport in pino's worker thread. The children run the built packages
 * (`npm run build`; CI builds them at `npm install`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTamgaProcess, TAMGA_BIN, TEST_API_KEY } from './test-support/loopback-tamga.js';
import type { LoopbackTamga } from './test-support/loopback-tamga.js';
import { useTestScope } from './test-support/test-scope.js';
import { TamgaClient } from './tamga-client.js';
import { TamgaProducer } from './tamga-producer.js';

const CHILD = fileURLToPath(new URL('./test-support/producer-child.js', import.meta.url));
const BUILT = [new URL('../dist/index.js', import.meta.url), new URL('../dist/pino.js', import.meta.url), new URL('../../cli/dist/commands/send.js', import.meta.url)];

beforeAll(() => {
  const missing = BUILT.filter((u) => !existsSync(u)).map((u) => fileURLToPath(u));
  if (missing.length > 0) throw new Error(`These tests run the built packages; run "npm run build" first (missing: ${missing.join(', ')})`);
});

const scope = useTestScope();
const tamga = (): Promise<LoopbackTamga> => scope.tamga();
const spoolDir = (): string => scope.dir('tamga-spool-');

function start(args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, args, { env: { ...process.env, TAMGA_API_KEY: TEST_API_KEY }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  scope.defer(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, stderr: () => stderr };
}

/** Runs the crash child until it has synced at least `atLeast` events (and `extraMs` more), then kills it with SIGKILL. */
async function killAfterSynced(url: string, spool: string, atLeast: number, extraMs = 0): Promise<number> {
  const { child } = start([CHILD, 'crash', url, spool]);
  let synced = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    synced = Number(line.split(' ')[1]);
    if (synced >= atLeast) break;
  }
  await new Promise((resolve) => setTimeout(resolve, extraMs));
  child.kill('SIGKILL');
  await once(child, 'exit');
  return synced;
}

/** Delivers what a spool holds with a fresh producer, as the next start of the application would. */
async function deliverSpool(t: LoopbackTamga, spool: string): Promise<ReturnType<TamgaProducer['stats']>> {
  const producer = new TamgaProducer({ url: t.url, apiKey: TEST_API_KEY, spool, warn: () => undefined });
  await producer.flush({ timeoutMs: 60_000 });
  const stats = producer.stats();
  await producer.close();
  return stats;
}

/** Events in a spool's segment files (each event line holds one `"entityData"`), read without opening the spool. */
function spooledEvents(dir: string): number {
  let count = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.seg'))) {
    const bytes = readFileSync(join(dir, name));
    for (let i = bytes.indexOf('"entityData"'); i >= 0; i = bytes.indexOf('"entityData"', i + 1)) count++;
  }
  return count;
}

/** Waits until `done()` holds; fails after `ms`. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const numbers = (records: { entityData: unknown }[]): number[] => records.map((r) => (r.entityData as { n: number }).n);

describe('a producer killed with kill -9, with a spool', () => {
  it('while Tamga is down: the next start delivers everything it had spooled, once, in order', async () => {
    const t = await tamga();
    const spool = spoolDir();
    await t.stop();
    const synced = await killAfterSynced(t.url, spool, 10_000, 50);
    await t.start();
    const stats = await deliverSpool(t, spool);
    const stored = numbers(await t.records());
    // Every synced event and whatever else reached the spool before the kill: a prefix of what was logged.
    expect(stored.length).toBeGreaterThanOrEqual(synced);
    expect(stored).toEqual([...Array(stored.length).keys()]);
    expect(stats.recovered).toBe(stored.length);
  }, 120_000);

  it('while it delivers: the next start sends the rest, and nothing is stored twice', async () => {
    const t = await tamga();
    const spool = spoolDir();
    const synced = await killAfterSynced(t.url, spool, 15_000, 300);
    const before = (await t.records()).length;
    expect(before).toBeGreaterThan(0);
    await deliverSpool(t, spool);
    const stored = numbers(await t.records());
    expect(stored.length).toBeGreaterThanOrEqual(synced);
    expect(stored).toEqual([...Array(stored.length).keys()]);
  }, 120_000);
});

describe('a producer process without a spool', () => {
  it('warns loudly on stderr when it exits with events that never reached Tamga', async () => {
    const t = await tamga();
    await t.stop();
    const { child, stderr } = start([CHILD, 'exit', t.url, '25']);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(stderr()).toMatch(/WARNING: 25 events logged through the Tamga SDK were NOT delivered and are LOST/);
  });

  it('delivers what it logged when the script ends without calling close()', async () => {
    const t = await tamga();
    const { child, stderr } = start([CHILD, 'end', t.url, '500']);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(stderr()).toBe('');
    expect(numbers(await t.records())).toEqual([...Array(500).keys()]);
  });
});

describe('tamga send --spool, killed with kill -9', () => {
  it('leaves what it read in the spool, and "tamga send --spool DIR < /dev/null" delivers it', async () => {
    const t = await tamga();
    const spool = spoolDir();
    await t.stop();
    const { child } = start([TAMGA_BIN, 'send', '--url', t.url, '--api-key', TEST_API_KEY, '--spool', spool]);
    child.stdin!.on('error', () => undefined);
    const lines = Array.from({ length: 10_000 }, (_, n) => JSON.stringify({ event: 2001, entityData: { n } })).join('\n');
    child.stdin!.write(`${lines}\n`);
    // The input stays open (a pipe still being written): the command is killed while it waits for more, once all it
    // read is in its spool.
    await until(() => spooledEvents(spool) === 10_000, 30_000);
    child.kill('SIGKILL');
    await once(child, 'exit');
    await t.start();
    const again = start([TAMGA_BIN, 'send', '--url', t.url, '--api-key', TEST_API_KEY, '--spool', spool]);
    again.child.stdin!.end();
    let out = '';
    again.child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(again.child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(out).toBe('Read 0 events (and 10000 left in the spool by an earlier run): 10000 stored, 0 already stored, 0 refused\n');
    expect(numbers(await t.records())).toEqual([...Array(10_000).keys()]);
  }, 60_000);
});

describe('@tamga/sdk/pino in pino\'s worker thread', () => {
  it('sends the chosen lines, and delivers them when the logger is closed', async () => {
    // pino ends its worker with a synchronous wait: Tamga must not share this thread.
    const t = await startTamgaProcess({ dataDir: scope.dir('tamga-pino-') });
    scope.defer(() => t.kill('SIGTERM'));
    // pino resolves `target` in this process, which Vitest runs with `--conditions source` (the TypeScript sources); an
    // application resolves '@tamga/sdk/pino' through the package's exports to the built entry, which is given here.
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, { default: string }> };
    expect(manifest.exports['./pino']!.default).toBe('./dist/pino.js');
    const target = fileURLToPath(new URL('../dist/pino.js', import.meta.url));
    const transport = pino.transport({ target, options: { url: t.url, apiKey: TEST_API_KEY }, worker: { execArgv: [] } });
    const logger = pino(transport);
    for (let n = 0; n < 100; n++) logger.info({ tamga: { event: 2001, userId: `user${n}` }, n }, 'signed in');
    logger.info('not an event');
    transport.end();
    await once(transport, 'close');
    const client = new TamgaClient({ url: t.url, apiKey: TEST_API_KEY });
    const records = [];
    for await (const record of client.query({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000), tenantId: null, order: 'asc' })) records.push(record);
    expect(records.map((r) => (r.entityData as { n: number }).n)).toEqual([...Array(100).keys()]);
    expect(records[0]).toMatchObject({ userId: 'user0', text: 'signed in', event: 2001 });
  });
});
