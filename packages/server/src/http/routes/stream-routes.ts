import type { FastifyInstance } from 'fastify';
import { TamgaError } from '@tamga/core';
import type { Principal } from '../../auth/api-key-auth.js';
import { LiveFeed } from '../../journal/live-feed.js';
import type { TenantScope } from '../../journal/journal-store.js';
import { authenticateRequest } from '../authenticate-request.js';
import { principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { parseRecordFilter } from '../query-params.js';
import { toRecordJson } from '../record-json.js';

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

function sameScope(a: TenantScope | undefined, b: TenantScope | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((t) => b.includes(t));
}

/**
 * `GET /api/v1/events/stream`: Server-Sent Events of new records matching the same filters as
 * `GET /api/v1/events` (`from`/`to` do not apply: the stream starts now). Each event is
 * `id: <record id>` and `data: <record JSON>`, the record checked like any read.
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
    const unsubscribe = live.subscribe(filter, (records) => {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.write('event: overflow\ndata: {"reason":"the client reads too slowly; reload the view"}\n\n');
        close();
        return;
      }
      for (const record of records) res.write(`id: ${record.id}\ndata: ${JSON.stringify(toRecordJson(record, ++index))}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
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
  });
}
