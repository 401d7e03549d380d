/**
 * Retention as an auditor meets it through the CLI (issue #14): a checkpoint saved from an export before a purge,
 * then an export after it, which starts at the earliest record kept, verifies offline against that checkpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_API_KEY, TEST_NOW_MS } from '../../../server/src/test-support/test-server.js';
import type { TestServer } from '../../../server/src/test-support/test-server.js';
import { exportBundle } from '../commands/export.js';
import { verify } from '../commands/verify.js';

function sink(): NodeJS.WritableStream & { text: string } {
  const s = {
    text: '',
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as NodeJS.WritableStream & { text: string };
}

const work = mkdtempSync(join(tmpdir(), 'tamga-retention-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { TAMGA_RETENTION_INTERVAL_MINUTES: '0' } });
});
afterAll(async () => t.close());

const fetchImpl = (async (url: string, init?: RequestInit) => {
  const u = new URL(url);
  const r = await t.server.http.inject({ method: 'GET', url: u.pathname + u.search, headers: init?.headers as Record<string, string> });
  return new Response(r.rawPayload, { status: r.statusCode, headers: r.headers as Record<string, string> });
}) as typeof fetch;

async function append(count: number, daysAgo: number): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({
    event: 2001,
    tenantId: 'acme',
    userId: `user${i}`,
    createdAt: new Date(TEST_NOW_MS - daysAgo * 86_400_000 + i * 1000).toISOString(),
    entityData: { n: i },
  }));
  const res = await t.request({ method: 'POST', url: '/api/v1/events', payload: events });
  expect(res.statusCode).toBe(201);
}

async function settle(size: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await t.request({ method: 'GET', url: '/api/v1/logs/acme/checkpoint' });
    if (res.statusCode === 200 && Number(res.body.split('\n')[1]) >= size) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no checkpoint');
}

async function exportTo(name: string): Promise<string> {
  const dir = join(work, name);
  expect(await exportBundle(['--url', 'http://tamga.test', '--api-key', TEST_API_KEY, '--tenant', 'acme', '--out', dir], sink(), fetchImpl)).toBe(0);
  return dir;
}

describe('tamga verify after a retention purge', () => {
  it('verifies an export starting at the cut against a checkpoint saved before the purge', async () => {
    for (const [n, days] of [[97, 200], [180, 120], [23, 10], [40, 1]] as const) {
      await append(n, days);
      await settle(0);
    }
    await settle(340);
    const saved = join(work, 'before.note');
    const before = sink();
    expect(await verify([await exportTo('before'), '--save-checkpoint', saved], before)).toBe(0);

    let res = await t.request({ method: 'PUT', url: '/api/v1/tenants/acme/retention', payload: { keepDays: { '1': 90, '2': 90, '3': 90, '4': 90 } } });
    expect(res.statusCode, res.body).toBe(200);
    res = await t.request({ method: 'POST', url: '/api/v1/tenants/acme/retention/purge' });
    expect(res.json()).toMatchObject({ purge: { from: 0, to: 277, stoppedBy: 'retention' } });

    const after = await exportTo('after');
    const out = sink();
    const code = await verify([after, '--trusted-checkpoint', saved, '--json'], out);
    const report = JSON.parse(out.text) as { status: string; range: { from: number; to: number }; checked: number };
    expect(code, out.text).toBe(0);
    expect(report).toMatchObject({ status: 'valid', range: { from: 277, to: 340 }, checked: 63 });
    // As a person reads it.
    const human = sink();
    expect(await verify([after, '--trusted-checkpoint', saved], human)).toBe(0);
    expect(human.text).toMatch(/valid/i);
  });
});
