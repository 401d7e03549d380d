import type { FastifyInstance } from 'fastify';
import { isUuid, TamgaError, ValidationError } from '@tamga/core';
import { NdjsonBatch, principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { toRecordJson } from '../record-json.js';
import { checkedPage } from '../record-export.js';
import { decodeCursor, encodeCursor, parseLimit, parseRecordFilter, singleParam } from '../query-params.js';
import type { SearchIndexStatus } from '../../journal/journal-store.js';

type Query = Record<string, string | string[] | undefined>;

const NICE_BUCKETS_SECONDS = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400];
const MAX_BUCKETS = 1000;
/** Longest prefix of the user suggestions. */
const MAX_SUGGEST_PREFIX = 256;

/** The text index's progress as a `q` answer gives it: records not indexed yet (scanned) and how far behind. */
function searchIndexJson(status: SearchIndexStatus): { pending: number; behindSeconds: number; building: boolean } {
  return { pending: status.pending, behindSeconds: Math.round(status.behindMicros / 100_000) / 10, building: status.building === true };
}

/** What a page's answer starts with, before its records. */
const ITEMS_HEAD = Buffer.from('{"items":[');

/**
 * A page's NDJSON lines (UTF-8 bytes from a reader thread, or text) as the members of a JSON array, in place: each line
 * break made a comma and the last dropped. A line break is only ever between lines (JSON.stringify escapes those inside
 * a record, and no byte of a multi-byte UTF-8 character is 0x0A). As bytes the page is neither decoded nor encoded
 * again on this thread (decisions/0075-records-read-as-arrays.md).
 */
function jsonMembers(chunk: string | Buffer): Buffer {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) bytes[at] = 0x2c;
  return bytes.subarray(0, Math.max(0, bytes.length - 1));
}

/**
 * Whether a `Prefer` header (RFC 7240: comma-separated preferences, each `token[=value]` with `;` parameters) asks for
 * `return=minimal`. Repeated headers arrive joined by commas.
 */
function prefersMinimalReturn(prefer: string | string[] | undefined): boolean {
  if (prefer === undefined) return false;
  for (const preference of (Array.isArray(prefer) ? prefer.join(',') : prefer).split(',')) {
    const [name, value] = preference.split(';', 1)[0]!.split('=', 2).map((part) => part.trim().toLowerCase());
    if (name === 'return') return value === 'minimal' || value === '"minimal"';
  }
  return false;
}

/** `/api/v1/events`: append, query, one record, stats. */
export async function eventRoutes(
  app: FastifyInstance,
  { context, maxBatch }: { context: ServerContext; maxBatch: number },
): Promise<void> {
  const { journal } = context;
  const now = context.now ?? Date.now;

  app.post('/api/v1/events', async (request, reply) => {
    const principal = principalOf(request);
    if (!principal.canIngest) throw new TamgaError('FORBIDDEN', 'This key may not append events');
    const body = request.body;
    if (body === undefined || body === null) throw new ValidationError('VALIDATION_FAILED', 'body: an event, an array of events or NDJSON is required', { field: 'body' });
    const events = body instanceof NdjsonBatch ? body.events : Array.isArray(body) ? body : [body];
    if (events.length === 0) throw new ValidationError('VALIDATION_FAILED', 'body: the batch is empty', { field: 'body' });
    if (events.length > maxBatch) {
      throw new ValidationError('BATCH_TOO_LARGE', `body: ${events.length} events exceed the batch limit of ${maxBatch}`, {
        field: 'body',
        limit: maxBatch,
      });
    }
    const started = performance.now();
    const results = await journal.append(events, principal.writeTenants ?? principal.tenants);
    context.metrics?.appendCommitted(results, (performance.now() - started) / 1000);
    const created = results.some((r) => !r.duplicate);
    if (prefersMinimalReturn(request.headers.prefer)) {
      // The producer keeps no receipts: one line instead of ~200 bytes per event (at 1,000 events a batch, the full
      // answer costs the thread serving HTTP 2–3 µs per event to write; decisions/0068-minimal-append-answers.md).
      let duplicates = 0;
      for (const r of results) if (r.duplicate) duplicates++;
      return reply
        .status(created ? 201 : 200)
        .header('preference-applied', 'return=minimal')
        .send({ count: results.length, duplicates });
    }
    return reply.status(created ? 201 : 200).send({
      items: results.map((r) => ({
        id: r.id,
        tenantId: r.tenantId,
        seq: r.seq,
        signature: r.signature,
        sigKid: r.sigKid,
        duplicate: r.duplicate,
      })),
    });
  });

  app.get('/api/v1/events', async (request, reply) => {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
    const query = request.query as Query;
    const filter = parseRecordFilter(query, now(), principal.tenants, context.journal.tenantIds);
    const limit = parseLimit(query);
    const cursor = decodeCursor(query);
    const shown = cursor?.shown ?? 0;
    // Checked and formatted where the store reads them (a SQLite reader thread), as an export's lines: this thread
    // only joins the lines into `items` (JSON.stringify escapes every line break inside a record).
    const page = await checkedPage(journal, filter, 'ndjson', shown, cursor, limit);
    const nextCursor = page.hasMore && page.last ? encodeCursor({ ...page.last, shown: shown + page.records }) : null;
    // A text search says how far the text index had caught up (records after it were scanned: none is missed).
    const searchIndex = filter.q === undefined ? '' : `,"searchIndex":${JSON.stringify(searchIndexJson(await journal.store.searchIndexStatus()))}`;
    const tail = `],"nextCursor":${JSON.stringify(nextCursor)}${searchIndex}}`;
    return reply.type('application/json; charset=utf-8').send(Buffer.concat([ITEMS_HEAD, jsonMembers(page.chunk), Buffer.from(tail)]));
  });

  app.get('/api/v1/users/suggest', async (request) => {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
    const query = request.query as Query;
    const prefix = singleParam(query, 'prefix') ?? '';
    if (prefix.length > MAX_SUGGEST_PREFIX) {
      throw new ValidationError('VALIDATION_FAILED', `prefix: at most ${MAX_SUGGEST_PREFIX} characters`, { field: 'prefix' });
    }
    const limit = parseLimit(query, 10, 50);
    return { items: await journal.store.suggestUsers(prefix, principal.tenants, limit) };
  });

  app.get('/api/v1/events/stats', async (request) => {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
    const query = request.query as Query;
    const filter = parseRecordFilter(query, now(), principal.tenants, context.journal.tenantIds);
    const from = filter.from ?? 0;
    const to = filter.to ?? now() * 1000;
    const spanSeconds = Math.max(1, (to - from) / 1e6);
    let bucketSeconds = NICE_BUCKETS_SECONDS.find((s) => spanSeconds / s <= 60) ?? 7 * 86400;
    const requested = query.interval;
    if (typeof requested === 'string' && requested !== '') {
      const n = Number(requested);
      if (!Number.isInteger(n) || n < 1 || spanSeconds / n > MAX_BUCKETS) {
        throw new ValidationError('VALIDATION_FAILED', `interval: must be a whole number of seconds giving at most ${MAX_BUCKETS} buckets`, {
          field: 'interval',
        });
      }
      bucketSeconds = n;
    }
    const bucketMicros = bucketSeconds * 1_000_000;
    const { count, origin, buckets } = await journal.stats({ ...filter, from }, bucketMicros);
    const byStart = new Map(buckets.map((b) => [b.start, b.count]));
    const histogram: { start: string; count: number }[] = [];
    if (filter.from !== undefined) {
      // The first bucket may start before `from` (at its minute): its count holds only records from `from` on.
      for (let start = origin; start < to && histogram.length < MAX_BUCKETS; start += bucketMicros) {
        histogram.push({ start: new Date(start / 1000).toISOString(), count: byStart.get(start) ?? 0 });
      }
    } else {
      for (const b of buckets) histogram.push({ start: new Date(b.start / 1000).toISOString(), count: b.count });
    }
    return {
      count,
      from: filter.from === undefined ? null : new Date(from / 1000).toISOString(),
      to: filter.to === undefined ? null : new Date(to / 1000).toISOString(),
      bucketSeconds,
      histogram,
    };
  });

  app.get('/api/v1/events/:id', async (request) => {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
    const { id } = request.params as { id: string };
    if (!isUuid(id.toLowerCase())) throw new ValidationError('VALIDATION_FAILED', 'id: must be a UUID', { field: 'id' });
    const record = await journal.get(id.toLowerCase(), principal.tenants);
    if (record === undefined) throw new TamgaError('EVENT_NOT_FOUND', `No event ${id}`, { field: 'id' });
    // One record also carries its canonical bytes and leaf hash, so a client can check the HMAC (with
    // the key) and an inclusion proof against a checkpoint on its own.
    return {
      ...toRecordJson(record, record.integrity, 1),
      canonical: Buffer.from(record.canonical).toString('base64'),
      leafHash: record.leafHash.toString('base64'),
    };
  });
}
