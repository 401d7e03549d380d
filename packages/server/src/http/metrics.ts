import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TamgaError } from '@tamga/core';
import type { JournalStore } from '../journal/journal-store.js';

/** Routes that append events (the journal's own API and the Event API's). */
const APPEND_ROUTES = new Set(['/api/v1/events', '/api/v1/event', '/api/event']);
/** Routes that read records (latency of `tamga_query_duration_seconds`). */
const QUERY_ROUTES = new Set(['/api/v1/events', '/api/v1/events/stats', '/api/v1/events/:id', '/api/v1/event/list', '/api/event/list']);
const VERIFY_ROUTES = new Set(['/api/v1/logs/:tenant/verify', '/api/v1/logs/verify']);

const tenantLabel = (tenantId: unknown): string => (typeof tenantId === 'string' ? tenantId : 'default');

/**
 * Prometheus metrics of one server (decisions/0038): a registry of its own (several servers may live in one process,
 * as in tests), filled by Fastify hooks and read from the store at each scrape.
 */
export class TamgaMetrics {
  readonly registry = new Registry();
  readonly appendedEvents = new Counter({ name: 'tamga_append_events_total', help: 'Events in append requests, by tenant and outcome (stored, duplicate, refused)', labelNames: ['tenant', 'outcome'], registers: [this.registry] });
  readonly appendBatches = new Counter({ name: 'tamga_append_batches_total', help: 'Append requests, by outcome (stored, duplicate, refused)', labelNames: ['outcome'], registers: [this.registry] });
  readonly appendBytes = new Counter({ name: 'tamga_append_bytes_total', help: 'Bytes of append request bodies, by outcome', labelNames: ['outcome'], registers: [this.registry] });
  readonly appendDuration = new Histogram({ name: 'tamga_append_duration_seconds', help: 'Append requests, received to answered (acknowledged after commit)', labelNames: ['outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  readonly commitDuration = new Histogram({ name: 'tamga_commit_duration_seconds', help: 'Time the journal took to validate, sign and commit one append batch', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry] });
  readonly queryDuration = new Histogram({ name: 'tamga_query_duration_seconds', help: 'Record reads (query, stats, one record, Event API list), by route', labelNames: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  readonly signingFailures = new Counter({ name: 'tamga_checkpoint_signing_failures_total', help: 'Checkpoint signing passes that failed', registers: [this.registry] });
  readonly verificationFailures = new Counter({ name: 'tamga_verification_failures_total', help: 'Log verifications (API) that did not find the log valid, by status', labelNames: ['status'], registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'tamga_rate_limit_refusals_total', help: 'Requests refused by a rate or abuse limit, by code', labelNames: ['code'], registers: [this.registry] });
  readonly storeErrors = new Counter({ name: 'tamga_store_errors_total', help: 'Requests failed by the store, by code', labelNames: ['code'], registers: [this.registry] });
  readonly problems = new Counter({ name: 'tamga_http_problems_total', help: 'Problem answers, by status and code', labelNames: ['status', 'code'], registers: [this.registry] });

  constructor(store: JournalStore) {
    collectDefaultMetrics({ register: this.registry });
    this.#store = store;
  }

  readonly #store: JournalStore;
  readonly #logSize = new Gauge({ name: 'tamga_log_size_records', help: 'Records in each tenant log', labelNames: ['tenant'], registers: [this.registry] });
  readonly #lag = new Gauge({ name: 'tamga_checkpoint_lag_records', help: 'Records of each log no signed checkpoint covers yet', labelNames: ['tenant'], registers: [this.registry] });
  readonly #lagSeconds = new Gauge({ name: 'tamga_checkpoint_age_seconds', help: 'Age of the latest signed checkpoint of each log that has records beyond it (0 when covered)', labelNames: ['tenant'], registers: [this.registry] });
  readonly #storeUp = new Gauge({ name: 'tamga_store_up', help: '1 when the store answered the last scrape, else 0', registers: [this.registry] });

  /** Reads log sizes and checkpoint lag from the store (before each scrape; prom-client collects gauges in parallel). */
  async refresh(): Promise<void> {
    try {
      const logs = await this.#store.listLogs();
      const rows = await Promise.all(logs.map(async (log) => ({ log, latest: await this.#store.latestCheckpoint(log.logId) })));
      this.#logSize.reset();
      this.#lag.reset();
      this.#lagSeconds.reset();
      for (const { log, latest } of rows) {
        const tenant = tenantLabel(log.tenantId);
        const covered = latest?.size ?? 0;
        this.#logSize.set({ tenant }, log.size);
        this.#lag.set({ tenant }, Math.max(0, log.size - covered));
        this.#lagSeconds.set({ tenant }, log.size > covered && latest !== undefined ? Math.max(0, Date.now() / 1000 - latest.createdAt / 1e6) : 0);
      }
      this.#storeUp.set(1);
    } catch {
      this.#storeUp.set(0);
    }
  }

  /** Fastify hooks that count appends, reads, refusals and store errors. */
  install(app: FastifyInstance): void {
    app.addHook('onSend', async (request, reply, payload) => {
      const route = request.routeOptions.url ?? '';
      const status = reply.statusCode;
      const type = String(reply.getHeader('content-type') ?? '');
      if (type.startsWith('application/problem+json') && typeof payload === 'string') this.#countProblem(status, payload);
      if (request.method === 'POST' && APPEND_ROUTES.has(route)) this.#countAppend(request, status);
      if (request.method === 'GET' && VERIFY_ROUTES.has(route) && status === 200 && typeof payload === 'string') {
        const verdict = safeJson(payload) as { status?: unknown; valid?: unknown } | undefined;
        const statusText = typeof verdict?.status === 'string' ? verdict.status : verdict?.valid === false ? 'invalid' : 'valid';
        if (statusText !== 'valid') this.verificationFailures.inc({ status: statusText });
      }
      return payload;
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? '';
      const seconds = reply.elapsedTime / 1000;
      if (request.method === 'POST' && APPEND_ROUTES.has(route)) this.appendDuration.observe({ outcome: outcomeOf(reply.statusCode) }, seconds);
      else if (request.method === 'GET' && QUERY_ROUTES.has(route)) this.queryDuration.observe({ route }, seconds);
    });
  }

  #countProblem(status: number, payload: string): void {
    const code = (safeJson(payload) as { code?: unknown } | undefined)?.code;
    const name = typeof code === 'string' ? code : 'UNKNOWN';
    this.problems.inc({ status: String(status), code: name });
    if (name === 'RATE_LIMITED' || name === 'ACCOUNT_LOCKED') this.rateLimited.inc({ code: name });
    if (name.startsWith('STORE_')) this.storeErrors.inc({ code: name });
  }

  #countAppend(request: FastifyRequest, status: number): void {
    const bytes = Number(request.headers['content-length'] ?? 0) || 0;
    if (status >= 400) {
      this.appendBatches.inc({ outcome: 'refused' });
      this.appendBytes.inc({ outcome: 'refused' }, bytes);
      const body = request.body;
      const events = Array.isArray(body) ? body.length : body !== null && typeof body === 'object' && 'events' in body && Array.isArray(body.events) ? body.events.length : 1;
      this.appendedEvents.inc({ tenant: 'unknown', outcome: 'refused' }, events);
      return;
    }
    const outcome = status === 201 ? 'stored' : 'duplicate';
    this.appendBatches.inc({ outcome });
    this.appendBytes.inc({ outcome }, bytes);
  }

  /**
   * Counts the events of one committed append by tenant and outcome, and the time the journal took to validate, sign
   * and commit them. Every append route calls it with the journal's answer (the hook does not parse the reply back).
   */
  appendCommitted(results: readonly { readonly tenantId: string | null; readonly duplicate: boolean }[], seconds: number): void {
    this.commitDuration.observe(seconds);
    const counts = new Map<string, { stored: number; duplicate: number }>();
    for (const { tenantId, duplicate } of results) {
      const tenant = tenantLabel(tenantId);
      let count = counts.get(tenant);
      if (count === undefined) counts.set(tenant, (count = { stored: 0, duplicate: 0 }));
      if (duplicate) count.duplicate++;
      else count.stored++;
    }
    for (const [tenant, { stored, duplicate }] of counts) {
      if (stored > 0) this.appendedEvents.inc({ tenant, outcome: 'stored' }, stored);
      if (duplicate > 0) this.appendedEvents.inc({ tenant, outcome: 'duplicate' }, duplicate);
    }
  }
}

function outcomeOf(status: number): string {
  return status === 201 ? 'stored' : status < 300 ? 'duplicate' : 'refused';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether a request comes from this host (the socket's peer, never a forwarded address). */
function isLoopback(request: FastifyRequest): boolean {
  const peer = request.raw.socket.remoteAddress ?? '';
  return peer === '127.0.0.1' || peer === '::1' || peer === '::ffff:127.0.0.1' || peer.startsWith('127.');
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /metrics` in the Prometheus text format. With `TAMGA_METRICS_TOKEN` set, a scraper sends
 * `Authorization: Bearer <token>`; without it, only clients on this host (loopback) may scrape.
 */
export async function metricsRoutes(app: FastifyInstance, { metrics, token }: { metrics: TamgaMetrics; token: string | undefined }): Promise<void> {
  app.get('/metrics', async (request: FastifyRequest, reply: FastifyReply) => {
    if (token !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      if (match === null) throw new TamgaError('UNAUTHENTICATED', 'Send Authorization: Bearer <TAMGA_METRICS_TOKEN>');
      if (!sameToken(match[1]!, token)) throw new TamgaError('UNAUTHENTICATED', 'The metrics token is not valid');
    } else if (!isLoopback(request)) {
      throw new TamgaError('FORBIDDEN', '/metrics answers only this host unless TAMGA_METRICS_TOKEN is set');
    }
    await metrics.refresh();
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(text);
  });
}
