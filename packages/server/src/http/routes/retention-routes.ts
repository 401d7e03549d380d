import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUuid, TamgaError, ValidationError } from '@tamga/core';
import type { LegalHold } from '../../journal/journal-store.js';
import { parseKeepDays } from '../../retention/retention-service.js';
import type { RetentionCaller, RetentionService } from '../../retention/retention-service.js';
import { principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { parseTenant } from '../query-params.js';

/** Longest hold reason, in characters (as an erasure's). */
const MAX_REASON = 1000;
/** Longest `userId` or `operationKey` a hold names: as long as a stored one may be. */
const MAX_SCOPE_VALUE = 512;

/** A hold as answered. */
function holdJson(h: LegalHold): Record<string, unknown> {
  return {
    id: h.id,
    tenant: h.tenantId ?? 'default',
    userId: h.userId,
    operationKey: h.operationKey,
    reason: h.reason,
    setBy: h.setBy,
    setAt: new Date(h.setAt / 1000).toISOString(),
  };
}

/** The body of `POST /tenants/{t}/holds`: a reason, and a `userId` or an `operationKey` (neither: the whole tenant). */
function parseHold(body: unknown): { userId: string | null; operationKey: string | null; reason: string } {
  const invalid = (field: string, message: string): never => {
    throw new ValidationError('VALIDATION_FAILED', `${field}: ${message}`, { field });
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('reason', 'the body must be a JSON object with a reason');
  for (const key of Object.keys(body)) if (!['userId', 'operationKey', 'reason'].includes(key)) invalid(key, 'unknown field');
  const { userId, operationKey, reason } = body as Record<string, unknown>;
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON) {
    invalid('reason', `a non-empty text of at most ${MAX_REASON} characters is required`);
  }
  const value = (v: unknown, field: string): string | null => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v === '' || v.length > MAX_SCOPE_VALUE) return invalid(field, `must be a non-empty text of at most ${MAX_SCOPE_VALUE} characters`);
    return v;
  };
  const u = value(userId, 'userId');
  const o = value(operationKey, 'operationKey');
  if (u !== null && o !== null) invalid('operationKey', 'a hold covers a userId or an operationKey, not both (place two holds)');
  return { userId: u, operationKey: o, reason: reason as string };
}

/**
 * Retention and legal holds (issue #14, docs/decisions/0035-retention.md): `GET/PUT /api/v1/tenants/{t}/retention`,
 * `POST …/retention/purge`, `GET/POST /api/v1/tenants/{t}/holds`, `DELETE …/holds/{id}`. Reading the retention of a
 * tenant takes read access to it; everything else is for administrators.
 */
export async function retentionRoutes(app: FastifyInstance, { context, retention }: { context: ServerContext; retention: RetentionService }): Promise<void> {
  const { journal } = context;

  function callerOf(request: FastifyRequest): RetentionCaller {
    const p = principalOf(request);
    return { name: p.name, userId: p.userId, ip: request.ip, operationKey: p.operationKey };
  }

  function tenantOf(request: FastifyRequest, admin: boolean): string | null {
    const principal = principalOf(request);
    if (admin ? !principal.isAdmin : !principal.canRead) {
      throw new TamgaError('FORBIDDEN', admin ? 'Only administrators may do this' : 'This key may not read logs');
    }
    const { tenant } = request.params as { tenant: string };
    const tenantId = parseTenant(tenant, journal.tenantIds, 'tenant');
    if (principal.tenants !== undefined && !principal.tenants.includes(tenantId)) {
      throw new TamgaError('LOG_NOT_FOUND', `No log for tenant "${tenant}"`, { field: 'tenant' });
    }
    return tenantId;
  }

  app.get('/api/v1/tenants/:tenant/retention', async (request) => retention.status(tenantOf(request, false)));

  app.put('/api/v1/tenants/:tenant/retention', async (request) => {
    const tenantId = tenantOf(request, true);
    await retention.setPolicy(tenantId, parseKeepDays(request.body), callerOf(request));
    return retention.status(tenantId);
  });

  // Runs the purge now instead of at the next scheduled pass; answers when it is done.
  app.post('/api/v1/tenants/:tenant/retention/purge', async (request) => {
    const tenantId = tenantOf(request, true);
    const body = request.body;
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length > 0)) {
      throw new ValidationError('VALIDATION_FAILED', 'body: this request takes no body (or an empty JSON object)', { field: 'body' });
    }
    const purge = await retention.purge(tenantId, callerOf(request));
    return { purge: purge ?? null, status: await retention.status(tenantId) };
  });

  app.get('/api/v1/tenants/:tenant/holds', async (request) => {
    const tenantId = tenantOf(request, true);
    return { holds: (await retention.holds(tenantId)).map(holdJson) };
  });

  app.post('/api/v1/tenants/:tenant/holds', async (request, reply) => {
    const tenantId = tenantOf(request, true);
    const hold = await retention.placeHold(tenantId, parseHold(request.body), callerOf(request));
    return reply.code(201).send(holdJson(hold));
  });

  app.delete('/api/v1/tenants/:tenant/holds/:id', async (request) => {
    const tenantId = tenantOf(request, true);
    const { id } = request.params as { id: string };
    if (!isUuid(id)) throw new ValidationError('VALIDATION_FAILED', 'id: must be the UUID of a hold', { field: 'id' });
    return holdJson(await retention.releaseHold(tenantId, id, callerOf(request)));
  });
}
