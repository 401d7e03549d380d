import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TamgaError } from '@tamga/core';
import type { LogHead } from '../../journal/journal-store.js';
import { withCosignaturesOne } from '../../tlog/cosigned-checkpoints.js';
import { principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { parseIndex, parseTenant } from '../query-params.js';

type Query = Record<string, string | undefined>;

/** `/api/v1/logs/{tenant}/...`: checkpoints and RFC 9162 proofs; `/.well-known/tamga-keys`. */
export async function logRoutes(app: FastifyInstance, { context }: { context: ServerContext }): Promise<void> {
  const { journal, prover } = context;

  /** The log of the `{tenant}` path parameter, if the caller may read it. */
  async function logOf(request: FastifyRequest): Promise<LogHead> {
    const principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read logs');
    const { tenant } = request.params as { tenant: string };
    const tenantId = parseTenant(tenant, journal.tenantIds, 'tenant');
    // A tenant outside the caller's scope answers exactly like a missing one.
    const visible = principal.tenants === undefined || principal.tenants.includes(tenantId);
    const log = visible ? await journal.store.getLog(tenantId) : undefined;
    if (log === undefined) throw new TamgaError('LOG_NOT_FOUND', `No log for tenant "${tenant}"`, { field: 'tenant' });
    return log;
  }

  app.get('/api/v1/logs/:tenant/checkpoint', async (request, reply) => {
    const log = await logOf(request);
    const checkpoint = await journal.store.latestCheckpoint(log.logId);
    if (checkpoint === undefined) {
      throw new TamgaError('LOG_NOT_FOUND', 'The log has no signed checkpoint yet; one is signed within a second of an append', {
        field: 'tenant',
      });
    }
    // With the witnesses' cosignatures as extra signature lines (c2sp.org/tlog-cosignature).
    return reply.type('text/plain; charset=utf-8').send((await withCosignaturesOne(journal.store, checkpoint)).note);
  });

  app.get('/api/v1/logs/:tenant/proofs/inclusion', async (request) => {
    const log = await logOf(request);
    const query = request.query as Query;
    const seq = parseIndex(query.seq, 'seq');
    const treeSize = parseIndex(query.treeSize, 'treeSize');
    const proof = await prover.inclusion(log.logId, log.size, seq, treeSize);
    return { origin: log.origin, seq, treeSize, hashes: proof.hashes.map((h) => h.toString('base64')) };
  });

  app.get('/api/v1/logs/:tenant/proofs/consistency', async (request) => {
    const log = await logOf(request);
    const query = request.query as Query;
    const from = parseIndex(query.from, 'from');
    const to = parseIndex(query.to, 'to');
    const proof = await prover.consistency(log.logId, log.size, from, to);
    return { origin: log.origin, from, to, hashes: proof.hashes.map((h) => h.toString('base64')) };
  });

  // The log's witnesses as this log sees them (c2sp.org/tlog-witness): who cosigned up to which size, who refused.
  app.get('/api/v1/logs/:tenant/status', async (request) => {
    const log = await logOf(request);
    const checkpoint = await journal.store.latestCheckpoint(log.logId);
    const witnesses = context.witnesses === undefined ? [] : await context.witnesses.status(log.logId);
    return {
      origin: log.origin,
      size: log.size,
      checkpointSize: checkpoint?.size ?? 0,
      witnesses,
      witnessed: witnesses.length > 0 && witnesses.every((w) => w.state === 'cosigned'),
      refused: witnesses.some((w) => w.state === 'refused'),
    };
  });

  // Every key ever used, with its validity window (checkpoint keys include the overlap after a rotation).
  app.get('/.well-known/tamga-keys', async () => journal.keys.publicKeys());
}
