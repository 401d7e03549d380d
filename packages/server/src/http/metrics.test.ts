import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { MetricFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_API_KEY } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';
import { DEFAULT_UI_DIR } from './build-server.js';

/** `/metrics` scraped over real HTTP on loopback and parsed by a Prometheus text-format parser. */

let t: TestServer;
let base: string;
beforeAll(async () => {
  t = await startTestServer({ now: () => Date.now(), serverOptions: { uiDir: DEFAULT_UI_DIR } });
  base = await t.server.http.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await t.close();
});

let lastText = '';
async function scrape(headers: Record<string, string> = {}): Promise<MetricFamily[]> {
  const res = await fetch(`${base}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  lastText = await res.text();
  return parsePrometheusTextFormat(lastText);
}

/** The count of a labelled histogram series (the parser folds labelled histogram series together, so read the line). */
function histogramCount(name: string, labels: string): number {
  const line = lastText.split('\n').find((l) => l.startsWith(`${name}_count{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

function family(families: MetricFamily[], name: string): MetricFamily {
  const found = families.find((f) => f.name === name);
  expect(found, name).toBeDefined();
  return found!;
}

function value(families: MetricFamily[], name: string, labels: Record<string, string>): number {
  const m = family(families, name).metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m === undefined ? 0 : Number(m.value ?? m.count);
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('GET /metrics', () => {
  it('counts appends by tenant and outcome, latencies, log sizes and checkpoint lag, refusals and process metrics', async () => {
    expect((await post([{ event: 2001 }, { event: 2001, tenantId: 'metrics-a' }, { event: 2002, tenantId: 'metrics-a' }])).status).toBe(201);
    // A batch refused whole counts each of its events.
    expect((await post([{ event: 2001 }, { event: 987654 }, { event: 2001 }])).status).toBe(422);
    expect((await fetch(`${base}/api/v1/events?from=2026-01-01T00:00:00Z`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } })).status).toBe(200);
    await t.server.checkpointer.signPending();
    expect((await post([{ event: 2001, tenantId: 'metrics-a' }])).status).toBe(201);
    const m = await scrape();
    expect(value(m, 'tamga_append_events_total', { tenant: 'default', outcome: 'stored' })).toBe(1);
    expect(value(m, 'tamga_append_events_total', { tenant: 'metrics-a', outcome: 'stored' })).toBe(3);
    expect(value(m, 'tamga_append_events_total', { outcome: 'refused' })).toBe(3);
    expect(value(m, 'tamga_append_batches_total', { outcome: 'stored' })).toBe(2);
    expect(value(m, 'tamga_append_batches_total', { outcome: 'refused' })).toBe(1);
    expect(value(m, 'tamga_append_bytes_total', { outcome: 'stored' })).toBeGreaterThan(50);
    expect(family(m, 'tamga_append_duration_seconds').type).toBe('HISTOGRAM');
    expect(histogramCount('tamga_append_duration_seconds', 'outcome="stored"')).toBe(2);
    expect(histogramCount('tamga_append_duration_seconds', 'outcome="refused"')).toBe(1);
    expect(family(m, 'tamga_commit_duration_seconds').metrics[0]!.count).toBe('2');
    expect(histogramCount('tamga_query_duration_seconds', 'route="/api/v1/events"')).toBe(1);
    expect(value(m, 'tamga_log_size_records', { tenant: 'metrics-a' })).toBe(3);
    // 0 or 1: the checkpointer signs 20 ms after an append.
    expect(lastText).toMatch(/^tamga_checkpoint_lag_records\{tenant="metrics-a"\} [01]$/m);
    expect(value(m, 'tamga_checkpoint_lag_records', { tenant: 'metrics-a' })).toBeLessThanOrEqual(1);
    expect(value(m, 'tamga_http_problems_total', { status: '422', code: 'UNKNOWN_EVENT_CODE' })).toBe(1);
    for (const name of ['tamga_checkpoint_signing_failures_total', 'tamga_verification_failures_total', 'tamga_rate_limit_refusals_total', 'tamga_store_errors_total', 'tamga_store_up', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
      family(m, name);
    }
    expect(value(m, 'tamga_store_up', {})).toBe(1);
  });

  it('counts appends through the Event API (seed 004) and their commit time like batches', async () => {
    const commitsBefore = Number(family(await scrape(), 'tamga_commit_duration_seconds').metrics[0]!.count);
    const r = await fetch(`${base}/api/v1/event?tenantId=metrics-b`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'SEARCH', info: { query: 'x' } }),
    });
    expect(r.status, await r.text()).toBe(201);
    const m = await scrape();
    expect(Number(family(m, 'tamga_commit_duration_seconds').metrics[0]!.count)).toBe(commitsBefore + 1);
    expect(value(m, 'tamga_append_events_total', { tenant: 'metrics-b', outcome: 'stored' })).toBe(1);
    expect(value(m, 'tamga_append_batches_total', { outcome: 'stored' })).toBeGreaterThanOrEqual(3);
  });

  it('answers only this host without TAMGA_METRICS_TOKEN', async () => {
    const far = await t.server.http.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
    expect(far.statusCode).toBe(403);
    expect(far.headers['content-type']).toContain('application/problem+json');
  });

  it('is not the page: only an HTML navigation falls back to index.html, anything else 404s as a problem', async () => {
    const api = await fetch(`${base}/metricz`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    const page = await fetch(`${base}/some/page/path`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });
});

describe('GET /metrics with TAMGA_METRICS_TOKEN', () => {
  it('needs the token, from anywhere', async () => {
    const token = 'metrics-token-0123456789';
    const s = await startTestServer({ env: { TAMGA_METRICS_TOKEN: token } });
    try {
      expect((await s.server.http.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      expect((await s.server.http.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
      const ok = await s.server.http.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3', headers: { authorization: `Bearer ${token}` } });
      expect(ok.statusCode).toBe(200);
      expect(parsePrometheusTextFormat(ok.body).some((f) => f.name === 'tamga_append_events_total')).toBe(true);
    } finally {
      await s.close();
    }
  });
});
