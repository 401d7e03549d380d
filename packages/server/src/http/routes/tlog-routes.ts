import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TamgaError } from '@tamga/core';
import type { LogHead, StoredCheckpoint } from '../../journal/journal-store.js';
import { withCosignaturesOne } from '../../tlog/cosigned-checkpoints.js';
import { DEFAULT_TLOG_CONFIG } from '../../tlog/tlog-config.js';
import { parseTilePath, readTile } from '../../tlog/tlog-tiles.js';
import type { ServerContext } from '../build-server.js';
import { parseTenant } from '../query-params.js';

/** A year: full tiles never change (c2sp.org/tlog-tiles: they "can be cached indefinitely"). */
const IMMUTABLE_SECONDS = 365 * 24 * 3600;

/**
 * `/tlog/{tenant}/…`: each tenant's log, read-only, in the C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles) —
 * `checkpoint` (the signed note with its witnesses' cosignatures), `tile/<L>/<N>[.p/<W>]` (Merkle hashes, tiles of
 * height 8) and `tile/entries/<N>[.p/<W>]` (the records' canonical bytes, the leaf inputs), so transparency-log
 * clients, monitors and witnesses read and verify it. A tenant's log is private unless it is listed in
 * `TAMGA_TLOG_PUBLIC_TENANTS`: then an API key or a session that may read the tenant is needed, and a tenant outside
 * the caller's scope answers like a missing one.
 */
export async function tlogRoutes(app: FastifyInstance, { context }: { context: ServerContext }): Promise<void> {
  const { journal } = context;
  const config = context.tlog ?? DEFAULT_TLOG_CONFIG;

  function isPublic(tenant: string): boolean {
    return config.publicTenants === '*' || config.publicTenants.includes(tenant);
  }

  /** The log of `{tenant}` and its latest checkpoint, if the caller may read them. */
  async function logOf(request: FastifyRequest): Promise<{ log: LogHead; checkpoint: StoredCheckpoint; open: boolean }> {
    const { tenant } = request.params as { tenant: string };
    const tenantId = parseTenant(tenant, journal.tenantIds, 'tenant');
    const open = isPublic(tenant);
    if (!open) {
      const principal = request.principal;
      if (principal === undefined) throw new TamgaError('UNAUTHENTICATED', 'This log is not public: send Authorization: Bearer <api key>, or sign in');
      if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read logs');
      if (principal.tenants !== undefined && !principal.tenants.includes(tenantId)) {
        throw new TamgaError('LOG_NOT_FOUND', `No log for tenant "${tenant}"`, { field: 'tenant' });
      }
    }
    const log = await journal.store.getLog(tenantId);
    const checkpoint = log === undefined ? undefined : await journal.store.latestCheckpoint(log.logId);
    if (log === undefined || checkpoint === undefined) throw new TamgaError('LOG_NOT_FOUND', `No log for tenant "${tenant}"`, { field: 'tenant' });
    return { log, checkpoint, open };
  }

  function cache(reply: FastifyReply, open: boolean, value: string): void {
    // A private log's answers must not sit in a shared cache.
    void reply.header('cache-control', `${open ? 'public' : 'private'}, ${value}`);
  }

  app.get('/tlog/:tenant/checkpoint', async (request, reply) => {
    const { checkpoint, open } = await logOf(request);
    cache(reply, open, 'no-cache');
    return reply.type('text/plain; charset=utf-8').send((await withCosignaturesOne(journal.store, checkpoint)).note);
  });

  app.get('/tlog/:tenant/tile/*', async (request, reply) => {
    const { log, checkpoint, open } = await logOf(request);
    const tile = parseTilePath((request.params as { '*': string })['*']);
    const bytes = await readTile(journal.store, log.logId, checkpoint.size, tile);
    // Full tiles and partial tiles of a given width never change; clients use the width their checkpoint needs.
    cache(reply, open, `max-age=${IMMUTABLE_SECONDS}, immutable`);
    return reply.type('application/octet-stream').send(bytes);
  });
}
