import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUuid, TamgaError, ValidationError } from '@tamga/core';
import type { Actor } from '../../forward/forward-events.js';
import { MAX_DEAD_LETTER_PAGE } from '../../forward/forwarding-service.js';
import type { ForwardingService } from '../../forward/forwarding-service.js';
import { principalOf } from '../build-server.js';
import { requireAdministrator } from './session-routes.js';

type Query = Record<string, string | string[] | undefined>;

/** The administrator making a change, for the journal. */
function actorOf(request: FastifyRequest): Actor {
  const principal = principalOf(request);
  requireAdministrator(principal);
  return { userId: principal.userId ?? principal.name, ip: request.ip, operationKey: principal.operationKey ?? null };
}

/** The `{id}` path parameter: a UUID, else no such destination. */
function idOf(request: FastifyRequest): string {
  const { id } = request.params as { id: string };
  if (!isUuid(id.toLowerCase())) throw new TamgaError('DESTINATION_NOT_FOUND', `No forwarding destination ${id.slice(0, 64)}`, { field: 'id' });
  return id.toLowerCase();
}

/** A non-negative integer query parameter given once, or undefined. */
function integerParam(query: Query, name: string, min: number, max: number): number | undefined {
  const raw = query[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ValidationError('VALIDATION_FAILED', `${name}: must be an integer from ${min} to ${max}`, { field: name });
  }
  return n;
}

/**
 * `/api/v1/forwarding/destinations`: administrators configure where records are pushed (syslog RFC 5424, CEF,
 * OCSF over HTTP, webhooks), see each destination's counts, lag and last error, send a test event, and list dead
 * letters. Secrets are write-only. Every change is journalled (`ForwardingDestinationChanged`, 32020).
 */
export async function forwardRoutes(app: FastifyInstance, { forwarding }: { forwarding: ForwardingService }): Promise<void> {
  const base = '/api/v1/forwarding/destinations';

  app.get(base, async (request) => {
    actorOf(request);
    return { items: await forwarding.list() };
  });

  app.post(base, async (request, reply) => {
    const actor = actorOf(request);
    return reply.status(201).send(await forwarding.create(request.body, actor));
  });

  app.get(`${base}/:id`, async (request) => {
    actorOf(request);
    return forwarding.get(idOf(request));
  });

  app.patch(`${base}/:id`, async (request) => {
    const actor = actorOf(request);
    return forwarding.update(idOf(request), request.body, actor);
  });

  app.delete(`${base}/:id`, async (request, reply) => {
    const actor = actorOf(request);
    await forwarding.delete(idOf(request), actor);
    return reply.status(204).send();
  });

  app.post(`${base}/:id/test`, async (request) => {
    const actor = actorOf(request);
    return forwarding.test(idOf(request), actor);
  });

  app.get(`${base}/:id/dead-letters`, async (request) => {
    actorOf(request);
    const query = request.query as Query;
    const limit = integerParam(query, 'limit', 1, MAX_DEAD_LETTER_PAGE) ?? 100;
    const after = integerParam(query, 'after', 0, Number.MAX_SAFE_INTEGER);
    return forwarding.deadLetters(idOf(request), limit, after);
  });
}
