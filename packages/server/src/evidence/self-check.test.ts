import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

/** Checkpoints or logs a pass gets: as many as a busy spell or a journal of many tenants leaves it. */
const MANY = 200;

/**
 * Runs one self-check pass over a clean journal and asks `/healthz` once it has begun: the answer comes before the pass
 * ends, and the event loop turned at least `turns` times meanwhile (a setImmediate chain counts them).
 */
async function expectHealthAnsweredDuringPass(t: TestServer, turnsAtLeast: number): Promise<void> {
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
  const health = await t.request({ method: 'GET', url: '/healthz' });
  const answeredDuringPass = !passEnded;
  const findings = await pass;
  ticking = false;
  expect(findings).toEqual([]);
  expect(health.statusCode).toBe(200);
  expect(answeredDuringPass).toBe(true);
  expect(turns).toBeGreaterThanOrEqual(turnsAtLeast);
}

describe('CheckpointSelfCheck lets requests in', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('between the checkpoints of a log: /healthz answers while a pass checks hundreds of them', async () => {
    // No periodic pass: the test runs the one it measures.
    t = await startTestServer({ env: { TAMGA_SELF_CHECK_SECONDS: '0' } });
    for (let i = 0; i < MANY; i++) {
      const res = await t.request({ method: 'POST', url: '/api/v1/events', payload: { event: 2001, userId: `user${i}` } });
      expect(res.statusCode).toBe(201);
      await t.server.checkpointer.signPending();
    }
    const logId = (await t.server.journal.store.getLog(null))!.logId;
    const stored = await t.server.journal.store.listCheckpoints(logId, 0, Number.MAX_SAFE_INTEGER);
    expect(stored.length).toBeGreaterThanOrEqual(MANY);
    await expectHealthAnsweredDuringPass(t, stored.length);
  }, 60_000);

  it('between logs: /healthz answers while a pass checks hundreds of tenants with a checkpoint each', async () => {
    t = await startTestServer({ env: { TAMGA_SELF_CHECK_SECONDS: '0' } });
    const events = Array.from({ length: MANY }, (_, i) => ({ event: 2001, tenantId: `tenant-${i}`, userId: 'user1' }));
    const res = await t.request({ method: 'POST', url: '/api/v1/events', payload: events });
    expect(res.statusCode).toBe(201);
    await t.server.checkpointer.signPending();
    const logs = await t.server.journal.store.listLogs();
    expect(logs.length).toBeGreaterThanOrEqual(MANY);
    await expectHealthAnsweredDuringPass(t, logs.length);
  }, 60_000);
});
