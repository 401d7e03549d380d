import type { FastifyInstance } from 'fastify';
import { isUuid, TamgaError } from '@tamga/core';
import type { ApiKeyRecord } from '../../auth/access-store.js';
import { objectBody, onlyFields, parseName, parseOptionalTime, parseScopes, parseTenants, showTenants, showTime } from '../../auth/access-input.js';
import { principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { accessOf, requireAdministrator } from './session-routes.js';

/** An API key as the API shows it: never the key or its hash. */
function apiKeyJson(key: ApiKeyRecord, now: number) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    tenants: key.tenants === null ? null : showTenants(key.tenants),
    createdBy: key.createdBy,
    createdAt: showTime(key.createdAt),
    expiresAt: showTime(key.expiresAt),
    lastUsedAt: showTime(key.lastUsedAt),
    revokedAt: showTime(key.revokedAt),
    active: key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now),
  };
}

/** `/api/v1/api-keys`: administrators create, list and revoke API keys. */
export async function apiKeyRoutes(app: FastifyInstance, { context }: { context: ServerContext }): Promise<void> {
  const now = context.now ?? Date.now;

  app.get('/api/v1/api-keys', async (request) => {
    requireAdministrator(principalOf(request));
    return { items: (await accessOf(context).listApiKeys()).map((k) => apiKeyJson(k, now())) };
  });

  app.post('/api/v1/api-keys', async (request, reply) => {
    const principal = principalOf(request);
    requireAdministrator(principal);
    const body = objectBody(request.body);
    onlyFields(body, ['name', 'scopes', 'tenants', 'expiresAt']);
    const { key, record } = await accessOf(context).createApiKey(
      principal,
      {
        name: parseName(body.name),
        scopes: parseScopes(body.scopes),
        tenants: body.tenants === undefined || body.tenants === null ? null : parseTenants(body.tenants, accessOf(context).tenantIds),
        expiresAt: parseOptionalTime(body.expiresAt, 'expiresAt'),
      },
      { ip: request.ip },
    );
    // The key itself is in this answer only: it is stored as its SHA-256.
    return reply.status(201).send({ ...apiKeyJson(record, now()), key });
  });

  app.delete('/api/v1/api-keys/:id', async (request, reply) => {
    const principal = principalOf(request);
    requireAdministrator(principal);
    const { id } = request.params as { id: string };
    if (!isUuid(id.toLowerCase())) throw new TamgaError('API_KEY_NOT_FOUND', `No API key ${id.slice(0, 64)}`, { field: 'id' });
    await accessOf(context).revokeApiKey(principal, id.toLowerCase(), { ip: request.ip });
    return reply.status(204).send();
  });
}
