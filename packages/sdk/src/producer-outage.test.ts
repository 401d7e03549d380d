/**
 * Issue #12's outage: Tamga dies (SIGKILL, mid-delivery) and stays down for 30 s while a producer keeps logging, up to
 * 50,000 events; then it is started again on the same port and data directory. Every event must be stored exactly
 * once, in the order logged. Tamga runs as the built `tamga serve` in a process of its own (`npm run build`).
 */
import { describe, expect, it } from 'vitest';
import { startLoopbackTamga, startTamgaProcess, TEST_API_KEY } from './test-support/loopback-tamga.js';
import { useTestScope } from './test-support/test-scope.js';
import { TamgaProducer } from './tamga-producer.js';

const scope = useTestScope();
const TOTAL = 50_000;
const OUTAGE_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a 30 s outage of Tamga while 50,000 events are logged', () => {
  it('stores all 50,000 exactly once, in order, once Tamga is back', async () => {
    const dataDir = scope.dir('tamga-outage-');
    const tamga = await startTamgaProcess({ dataDir });
    scope.defer(() => tamga.kill('SIGKILL'));
    const warnings: string[] = [];
    const producer = new TamgaProducer({ url: tamga.url, apiKey: TEST_API_KEY, retry: { maxDelayMs: 2000 }, warn: (m) => warnings.push(m) });
    scope.defer(() => producer.close({ timeoutMs: 1000 }));
    let n = 0;
    const log = (count: number): void => {
      for (let i = 0; i < count; i++, n++) producer.log({ event: 2001, userId: `user${n % 100}`, entityData: { n } });
    };

    // Up and busy: 10,000 events, and Tamga is killed while it is taking them.
    log(10_000);
    await sleep(150);
    await tamga.kill('SIGKILL');
    const down = Date.now();

    // Down for 30 s; the application keeps logging, 4,000 events every 3 s.
    while (Date.now() - down < OUTAGE_MS) {
      if (n < TOTAL) log(Math.min(4000, TOTAL - n));
      await sleep(3000);
    }
    expect(n).toBe(TOTAL);
    expect(producer.stats().unreachableSince).not.toBeNull();
    expect(producer.stats().dropped).toBe(0);

    await tamga.start();
    await producer.flush({ timeoutMs: 120_000 });
    const stats = producer.stats();
    expect(stats).toMatchObject({ logged: TOTAL, refused: 0, dropped: 0, waiting: 0 });
    // A batch committed just before the kill, whose answer was lost, comes back as duplicates: stored once.
    expect(stats.stored + stats.duplicates).toBeGreaterThanOrEqual(TOTAL);
    expect(warnings.filter((w) => w.startsWith('cannot deliver'))).toHaveLength(1);

    // Read what the journal holds from its files, with the server stopped.
    await tamga.kill('SIGTERM');
    const offline = await startLoopbackTamga({ dataDir });
    scope.defer(() => offline.stop());
    const records = await offline.records();
    expect(records.map((r) => (r.entityData as { n: number }).n)).toEqual([...Array(TOTAL).keys()]);
    expect(new Set(records.map((r) => r.id)).size).toBe(TOTAL);
  }, 240_000);
});
