import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

/** Checkpoints the log gets before the pass: one per append, as a busy spell leaves them (one per ~200 ms). */
const CHECKPOINTS = 200;

describe('CheckpointSelfCheck over many checkpoints', () => {
  let t: TestServer;
  let logId: number;

  beforeAll(async () => {
    // No periodic pass: the test runs the one it measures.
    t = await startTestServer({ env: { TAMGA_SELF_CHECK_SECONDS: '0' } });
    for (let i = 0; i < CHECKPOINTS; i++) {
      const res = await t.request({ method: 'POST', url: '/api/v1/events', payload: { event: 2001, userId: `user${i}` } });
      expect(res.statusCode).toBe(201);
      await t.server.checkpointer.signPending();
    }
    logId = (await t.server.journal.store.getLog(null))!.logId;
  }, 60_000);
  afterAll(() => t.close());

  it('lets requests in between checkpoints: /healthz answers while a pass checks hundreds of them', async () => {
    const stored = await t.server.journal.store.listCheckpoints(logId, 0, Number.MAX_SAFE_INTEGER);
    expect(stored.length).toBeGreaterThanOrEqual(CHECKPOINTS);
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      if (!ticking) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    let passEnded = false;
    const pass = t.server.evidence.selfCheck.runOnce().finally(() => (passEnded = true));
    // Sent once the pass has begun: it is answered before the pass ends, not after it.
    const health = await t.request({ method: 'GET', url: '/healthz' });
    const answeredDuringPass = !passEnded;
    const findings = await pass;
    ticking = false;
    expect(findings).toEqual([]);
    expect(health.statusCode).toBe(200);
    expect(answeredDuringPass).toBe(true);
    // The event loop turned at least once per checkpoint checked.
    expect(turns).toBeGreaterThanOrEqual(stored.length - 1);
  });
});
