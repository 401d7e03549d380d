import type { FastifyInstance } from 'fastify';
import { isUuid, TamgaError, ValidationError } from '@tamga/core';
import type { Principal } from '../../auth/api-key-auth.js';
import { LiveFeed } from '../../journal/live-feed.js';
import type { LiveSlice } from '../../journal/live-feed.js';
import type { CheckedRecord, LogHead, RecordFilter, TenantScope } from '../../journal/journal-store.js';
import { matchesFilter } from '../../journal/record-matcher.js';
import { authenticateRequest } from '../authenticate-request.js';
import { principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { parseRecordFilter } from '../query-params.js';
import { toRecordJson } from '../record-json.js';
import { decodeStreamCursor, encodeStreamCursor, MAX_CURSOR_LENGTH } from '../stream-cursor.js';
import type { StreamPositions } from '../stream-cursor.js';

type Query = Record<string, string | string[] | undefined>;

/** A subscriber whose socket holds more than this unsent is cut off (told with an `overflow` event). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Comment lines keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/**
 * Most streams one key or user holds open at once (a browser tab holds one). Each may buffer up to 8 MiB for a slow
 * reader, so the cap bounds what one principal can make the server hold.
 */
export const MAX_STREAMS_PER_PRINCIPAL = 16;
/**
 * Open streams check their credentials again at this interval, besides at once when users or keys change on any
 * node (the signal): the safety net for a lost signal.
 */
const RECHECK_MS = 10_000;
/**
 * Most records a resuming stream reads to catch up (all logs together, matching or not): beyond, it sends `reload`
 * (the view is better read again through the API, a page at a time) and goes on from the logs' heads.
 */
export const MAX_REPLAY_RECORDS = 10_000;
/** Records read at once while catching up. */
const REPLAY_SLICE = 2_000;

/** Whether a log is one the stream's filter can show (its tenants, already narrowed to the caller's). */
function covers(filter: RecordFilter, tenantId: string | null): boolean {
  return (filter.tenants === undefined || filter.tenants.includes(tenantId)) && filter.exclude?.tenants?.includes(tenantId) !== true;
}

/**
 * Reads `Last-Event-ID`: the positions of a cursor this server wrote; `'reload'` for a record id (what streams sent as
 * `id` before cursors: it cannot say where the stream was in the other logs); undefined without the header.
 */
function resumeFrom(header: string | string[] | undefined): StreamPositions | 'reload' | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  const positions = decodeStreamCursor(value.trim());
  if (positions !== undefined) return positions;
  if (isUuid(value.trim())) return 'reload';
  throw new ValidationError('VALIDATION_FAILED', `Last-Event-ID: not a cursor of this stream (at most ${MAX_CURSOR_LENGTH} characters, as sent in its id lines)`, {
    field: 'Last-Event-ID',
  });
}

function sameScope(a: TenantScope | undefined, b: TenantScope | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((t) => b.includes(t));
}

/**
 * `GET /api/v1/events/stream`: Server-Sent Events of new records matching the same filters as
 * `GET /api/v1/events` (`from`/`to` do not apply: the stream starts now). Each event is
 * `id: <cursor>` and `data: <record JSON>`, the record checked like any read. The cursor (`stream-cursor.ts`) says
 * where the stream is in every log it covers; a reconnect sending it as `Last-Event-ID` (EventSource does) first gets
 * every matching record appended since, in each log's order, then the live ones: nothing missed, nothing twice.
 */
export async function streamRoutes(app: FastifyInstance, { context }: { context: ServerContext }): Promise<void> {
  const live = new LiveFeed(context.journal, (error) => app.log.error({ err: error }, 'live stream publishing failed'));
  const now = context.now ?? Date.now;
  const open = new Set<() => void>();
  const perPrincipal = new Map<string, number>();
  // A revoked key, a disabled or removed user, an ended session or changed rights end the stream (decisions/0034).
  const rechecks = new Set<() => Promise<void>>();
  const recheckAll = (): void => {
    for (const recheck of rechecks) void recheck();
  };
  const stopListening = context.access?.onChanged(recheckAll);
  const recheckTimer = setInterval(recheckAll, RECHECK_MS);
  recheckTimer.unref();
  // Streams never end on their own: end them so the server can close.
  app.addHook('preClose', async () => {
    stopListening?.();
    clearInterval(recheckTimer);
    for (const close of [...open]) close();
  });

  app.get('/api/v1/events/stream', async (request, reply) => {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
    const query = { ...(request.query as Query), from: undefined, to: undefined };
    // The default range (the current hour) is dropped: a stream has no end.
    const { from: _from, to: _to, ...filter } = parseRecordFilter(query, now(), principal.tenants, context.journal.tenantIds);
    const resume = resumeFrom(request.headers['last-event-id']);
    const who = principal.id ?? principal.name;
    const streams = perPrincipal.get(who) ?? 0;
    if (streams >= MAX_STREAMS_PER_PRINCIPAL) {
      throw new TamgaError('RATE_LIMITED', `At most ${MAX_STREAMS_PER_PRINCIPAL} live streams per key or user at once; close one`, { retryAfter: 5 });
    }
    perPrincipal.set(who, streams + 1);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
      // The connection ends with the stream: a hijacked response's socket is never handed back as idle, so
      // keeping it alive would keep the server from closing.
      connection: 'close',
    });
    res.write('retry: 3000\n\n');
    let index = 0;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(close);
      rechecks.delete(recheck);
      const left = (perPrincipal.get(who) ?? 1) - 1;
      if (left > 0) perPrincipal.set(who, left);
      else perPrincipal.delete(who);
      res.end();
    };
    // Where the stream is in each log: records below a log's position were sent or did not match.
    const positions: StreamPositions = new Map();
    /** Whether `id:` last went out with these positions. */
    let idSent = false;
    const overflowed = (): boolean => {
      if (res.writableLength <= MAX_BUFFERED_BYTES) return false;
      res.write('event: overflow\ndata: {"reason":"the client reads too slowly; reload the view"}\n\n');
      close();
      return true;
    };
    /** Sends the records of one log's slice that are past the stream's position in it, then moves it to `to`. */
    const deliver = (records: readonly CheckedRecord[], logId: number, tenantId: string | null, to: number): void => {
      if (closed || !covers(filter, tenantId)) return;
      const at = positions.get(logId) ?? 0;
      if (to <= at) return;
      if (records.length > 0 && overflowed()) return;
      for (const record of records) {
        if (record.seq < at) continue; // already sent while catching up
        positions.set(logId, record.seq + 1);
        res.write(`id: ${encodeStreamCursor(positions)}\ndata: ${JSON.stringify(toRecordJson(record, record.integrity, ++index))}\n\n`);
      }
      positions.set(logId, to);
      idSent = false;
    };
    // Live slices wait while the stream catches up, then go out in order; those it caught up on are skipped by seq.
    let waiting: [readonly CheckedRecord[], LiveSlice][] | undefined = [];
    const unsubscribe = live.subscribe(filter, (records, slice) => {
      if (waiting !== undefined) waiting.push([records, slice]);
      else deliver(records, slice.logId, slice.tenantId, slice.to);
    });
    const heartbeat = setInterval(() => {
      // The ping carries the cursor when it moved past records that did not match: a reconnect reads fewer again.
      const withId = !idSent && waiting === undefined;
      res.write(withId ? `id: ${encodeStreamCursor(positions)}\n: ping\n\n` : ': ping\n\n');
      if (withId) idSent = true;
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const recheck = async (): Promise<void> => {
      let now: Principal | undefined;
      try {
        await authenticateRequest(context, request);
        now = request.principal;
      } catch {
        now = undefined;
      }
      if (closed || (now !== undefined && now.canRead && sameScope(now.tenants, principal.tenants))) return;
      res.write('event: revoked\ndata: {"reason":"the credentials of this stream were revoked or its rights changed; sign in or reconnect"}\n\n');
      close();
    };
    rechecks.add(recheck);
    open.add(close);
    res.on('close', close);
    try {
      await catchUp();
    } catch (error) {
      app.log.error({ err: error }, 'live stream catch-up failed');
      res.write('event: reload\ndata: {"reason":"the stream could not catch up; reload the view"}\n\n');
      close();
    }

    /**
     * Starts the stream at the logs' heads, or, resuming, sends what each log appended after the cursor's position
     * (a log the cursor does not name was created since: from its start), then the live slices that waited.
     */
    async function catchUp(): Promise<void> {
      const heads = (await context.journal.store.listLogs()).filter((log) => covers(filter, log.tenantId));
      const behind = (log: LogHead): number => log.size - Math.min(log.size, resume instanceof Map ? (resume.get(log.logId) ?? 0) : log.size);
      const gap = heads.reduce((sum, log) => sum + behind(log), 0);
      if (resume === 'reload' || gap > MAX_REPLAY_RECORDS) {
        for (const log of heads) positions.set(log.logId, log.size);
        const reason = resume === 'reload' ? 'the stream cannot resume from a record id' : `more than ${MAX_REPLAY_RECORDS} records were appended since`;
        res.write(`event: reload\nid: ${encodeStreamCursor(positions)}\ndata: ${JSON.stringify({ reason: `${reason}; reload the view` })}\n\n`);
      } else {
        // Every log's position first: the id of each record caught up on must name them all.
        for (const log of heads) positions.set(log.logId, log.size - behind(log));
        for (const log of heads) {
          const from = positions.get(log.logId)!;
          for (let at = from; at < log.size && !closed; at += REPLAY_SLICE) {
            const end = Math.min(log.size, at + REPLAY_SLICE);
            const records = (await context.journal.store.readRecordsBySeq(log.logId, at, end)).map((r) => context.journal.check(r));
            deliver(
              records.filter((r) => matchesFilter(r, filter)),
              log.logId,
              log.tenantId,
              end,
            );
          }
        }
      }
      const queued = waiting ?? [];
      waiting = undefined;
      for (const [records, slice] of queued) deliver(records, slice.logId, slice.tenantId, slice.to);
      // The starting cursor, so that a drop before the first record still resumes from here.
      if (!closed) {
        res.write(`id: ${encodeStreamCursor(positions)}\n\n`);
        idSent = true;
      }
    }
  });
}
