import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTamgaError, isUuid, TamgaError, ValidationError } from '@tamga/core';
import { EvidenceService, MAX_VERIFY_RANGE } from '../../evidence/evidence-service.js';
import type { EvidenceCaller } from '../../evidence/evidence-service.js';
import type { LogHead } from '../../journal/journal-store.js';
import { principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { parseRecordFilter, parseTenant } from '../query-params.js';
import { recordExportLines } from '../record-export.js';

type Query = Record<string, string | undefined>;

/** Longest erasure reason, in characters. */
const MAX_REASON = 1000;
/** Longest `userId` of an erasure: as long as a stored one may be. */
const MAX_USER_ID = 512;
/** Erased records listed in the answer of `POST /erasures` (all are counted). */
const MAX_ERASED_LISTED = 1000;
/** Largest `maxAge` of `GET /logs/{tenant}/verify`, seconds: an integrity answer at most an hour old. */
const MAX_VERIFY_AGE_SECONDS = 3600;

/** Who sent a request, as evidence events journal it. */
function callerOf(request: FastifyRequest): EvidenceCaller {
  const principal = principalOf(request);
  return { name: principal.name, userId: principal.userId, ip: request.ip, operationKey: principal.operationKey };
}

/** `maxAge` of the verify routes: whole seconds from 0 (default) to {@link MAX_VERIFY_AGE_SECONDS}, in ms. */
function maxAgeMsOf(query: Readonly<Record<string, unknown>>): number {
  const raw = query.maxAge;
  const maxAge = raw === undefined || raw === '' ? 0 : typeof raw === 'string' ? Number(raw) : NaN;
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > MAX_VERIFY_AGE_SECONDS) {
    throw new ValidationError('VALIDATION_FAILED', `maxAge: must be whole seconds from 0 to ${MAX_VERIFY_AGE_SECONDS}`, { field: 'maxAge' });
  }
  return maxAge * 1000;
}

/**
 * Runs a long check whose `signal` fires when the client goes away: then nobody waits for the answer, the check
 * stops, and nothing is sent.
 */
async function answerWhileWaited<T>(reply: FastifyReply, check: (signal: AbortSignal) => Promise<T>): Promise<T | FastifyReply> {
  const gone = new AbortController();
  reply.raw.on('close', () => gone.abort());
  try {
    return await check(gone.signal);
  } catch (error) {
    if (gone.signal.aborted) return reply.hijack();
    throw error;
  }
}

/** A time in a file name: `20260310T100000Z`. */
function compactTime(micros: number): string {
  return new Date(micros / 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
}

/**
 * Evidence routes (DESIGN.md §4, docs/bundle-format.md): export bundles, server-side verification, receipts,
 * erasure of personal data, key rotation.
 */
export async function evidenceRoutes(app: FastifyInstance, { context }: { context: ServerContext }): Promise<void> {
  const { journal } = context;
  const now = context.now ?? Date.now;
  const evidence = new EvidenceService({ journal, prover: context.prover, ...(context.now !== undefined && { now: context.now }) });

  /** The log of the `{tenant}` path parameter, if the caller may read it; others answer as missing. */
  async function readableLog(request: FastifyRequest): Promise<LogHead> {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read logs');
    const { tenant } = request.params as { tenant: string };
    const missing = (): TamgaError => new TamgaError('LOG_NOT_FOUND', `No log for tenant "${tenant}"`, { field: 'tenant' });
    const tenantId = parseTenant(tenant, journal.tenantIds, 'tenant');
    const visible = principal.tenants === undefined || principal.tenants.includes(tenantId);
    const log = visible ? await journal.store.getLog(tenantId) : undefined;
    if (log === undefined) throw missing();
    return log;
  }

  function requireAdmin(request: FastifyRequest): EvidenceCaller {
    if (!principalOf(request).isAdmin) throw new TamgaError('FORBIDDEN', 'Only administrators may do this');
    return callerOf(request);
  }

  function reasonOf(body: unknown): string {
    const reason = (body as { reason?: unknown } | null)?.reason;
    if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON) {
      throw new ValidationError('VALIDATION_FAILED', `reason: a non-empty text of at most ${MAX_REASON} characters is required`, { field: 'reason' });
    }
    return reason;
  }

  app.get('/api/v1/logs/:tenant/export', async (request, reply) => {
    const log = await readableLog(request);
    const query = request.query as Query;
    const range = await evidence.resolveRange(log, query.from, query.to);
    const lines = await evidence.exportLines(log, range, callerOf(request));
    const name = `tamga-${log.tenantId ?? 'default'}-${range.from}-${range.to}.ndjson`;
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(Readable.from(lines));
  });

  app.get('/api/v1/logs/:tenant/verify', async (request, reply) => {
    const log = await readableLog(request);
    const query = request.query as Query;
    // Default: the newest 10,000 records, enough for the journal page's badge.
    const range = await evidence.resolveRange(log, query.from, query.to);
    const effective = query.from === undefined && query.to === undefined ? { ...range, from: Math.max(range.from, range.to - 10_000) } : range;
    if (effective.to - effective.from > MAX_VERIFY_RANGE) {
      throw new ValidationError('VALIDATION_FAILED', `from, to: at most ${MAX_VERIFY_RANGE} records per request; export for more`, { field: 'to' });
    }
    const maxAgeMs = maxAgeMsOf(query);
    return answerWhileWaited(reply, (signal) => evidence.verify(log, effective, { signal, maxAgeMs }));
  });

  // Every log of a view: the tenants of the filter (default: every tenant the caller sees, minus `not.tenantId`)
  // holding records in [from, to). The journal page's integrity badge.
  app.get('/api/v1/logs/verify', async (request, reply) => {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read logs');
    const query = request.query as Query;
    const filter = parseRecordFilter(query, now(), principal.tenants);
    const excluded = filter.exclude?.tenants ?? [];
    const logs = (await journal.store.listLogs()).filter(
      (l) => (filter.tenants === undefined || filter.tenants.includes(l.tenantId)) && !excluded.includes(l.tenantId),
    );
    const maxAgeMs = maxAgeMsOf(query);
    return answerWhileWaited(reply, (signal) => evidence.verifyView(logs, filter.from, filter.to, { signal, maxAgeMs }));
  });

  // The records of a filter as CSV or NDJSON, streamed; journalled as JournalExported before the first byte.
  app.get('/api/v1/events/export', async (request, reply) => {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
    const query = request.query as Query;
    const format = query.format === undefined || query.format === '' ? 'ndjson' : query.format;
    if (format !== 'csv' && format !== 'ndjson') throw new ValidationError('VALIDATION_FAILED', 'format: must be csv or ndjson', { field: 'format' });
    const filter = parseRecordFilter(query, now(), principal.tenants);
    const count = await evidence.noteRecordExport(filter, format, request.url.split('?')[1] ?? '', callerOf(request));
    const name = `tamga-events-${compactTime(filter.from ?? 0)}-${compactTime(filter.to ?? now() * 1000)}.${format}`;
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('x-tamga-record-count', String(count))
      .send(Readable.from(recordExportLines(journal, filter, format)));
  });

  app.get('/api/v1/events/:id/receipt', async (request, reply) => {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
    const { id } = request.params as { id: string };
    if (!isUuid(id.toLowerCase())) throw new ValidationError('VALIDATION_FAILED', 'id: must be a UUID', { field: 'id' });
    const record = await journal.store.getRecord(id.toLowerCase(), principal.tenants);
    if (record === undefined) throw new TamgaError('EVENT_NOT_FOUND', `No event ${id}`, { field: 'id' });
    try {
      return await evidence.receipt(record);
    } catch (error) {
      if (isTamgaError(error) && error.code === 'CHECKPOINT_PENDING') void reply.header('retry-after', '1');
      throw error;
    }
  });

  app.post('/api/v1/events/:id/erase', async (request) => {
    const by = requireAdmin(request);
    const { id } = request.params as { id: string };
    if (!isUuid(id.toLowerCase())) throw new ValidationError('VALIDATION_FAILED', 'id: must be a UUID', { field: 'id' });
    const reason = reasonOf(request.body);
    const record = await journal.store.getRecord(id.toLowerCase());
    if (record === undefined) throw new TamgaError('EVENT_NOT_FOUND', `No event ${id}`, { field: 'id' });
    const erased = await evidence.erase({ ids: [record.id] }, reason, by);
    return { erased: erased.length, alreadyErased: erased.length === 0, id: record.id, seq: record.seq };
  });

  app.post('/api/v1/erasures', async (request) => {
    const by = requireAdmin(request);
    const reason = reasonOf(request.body);
    const userId = (request.body as { userId?: unknown }).userId;
    if (typeof userId !== 'string' || userId === '' || userId.length > MAX_USER_ID) {
      throw new ValidationError('VALIDATION_FAILED', `userId: required, at most ${MAX_USER_ID} characters`, { field: 'userId' });
    }
    const erased = await evidence.erase({ userId }, reason, by);
    // The answer lists the first records only, like the PayloadErased event: a user's records may be millions.
    return {
      erased: erased.length,
      records: erased.slice(0, MAX_ERASED_LISTED).map((r) => ({ id: r.id, tenantId: r.tenantId, seq: r.seq })),
      recordsListed: Math.min(erased.length, MAX_ERASED_LISTED),
    };
  });

  app.post('/api/v1/keys/rotate', async (request) => {
    const by = requireAdmin(request);
    const type = (request.body as { type?: unknown } | null)?.type;
    if (type !== 'hmac' && type !== 'checkpoint') {
      throw new ValidationError('VALIDATION_FAILED', 'type: must be "hmac" or "checkpoint"', { field: 'type' });
    }
    const rotated = await evidence.rotate(type, by);
    return { type, ...rotated, overlapHours: type === 'checkpoint' ? journal.keys.checkpointOverlapMs / 3_600_000 : 0 };
  });
}
