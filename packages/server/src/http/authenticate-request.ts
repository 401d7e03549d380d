import type { FastifyRequest } from 'fastify';
import { TamgaError } from '@tamga/core';
import type { Principal } from '../auth/api-key-auth.js';
import type { ServerContext } from './build-server.js';
import { readSessionCookie } from './session-cookie.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What a session that must change its password may still do. */
const WHILE_PASSWORD_CHANGE_REQUIRED = new Set(['GET /api/v1/session', 'DELETE /api/v1/session', 'PUT /api/v1/session/password']);

/** `/api/v1` paths answered without credentials. */
function isPublic(method: string, path: string): boolean {
  return path === '/api/v1/openapi.json' || (method === 'POST' && path === '/api/v1/session');
}

/**
 * The `onRequest` authentication of `/api/v1`: `Authorization: Bearer <key>` (the bootstrap key or an
 * API key; no CSRF check, a browser never adds the header on its own), else the session cookie, for which
 * state-changing methods need the session's `x-csrf-token` header. A session opened with a one-time
 * password may only change it, read itself, or sign out.
 */
export async function authenticateRequest(context: ServerContext, request: FastifyRequest): Promise<void> {
  // Decided on the matched route as well as the raw URL, so no spelling of a path reaches an API route unauthenticated.
  const rawPath = request.url.split('?')[0]!;
  const route = request.routeOptions.url;
  if (!rawPath.startsWith('/api/v1/') && !(route?.startsWith('/api/v1/') ?? false)) return;
  const path = route ?? rawPath.replace(/\/+$/, '');
  if (isPublic(request.method, path)) return;
  const header = request.headers.authorization;
  let principal: Principal | undefined;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new TamgaError('UNAUTHENTICATED', 'Send Authorization: Bearer <api key>');
    principal = await context.auth.authenticate(match[1]!);
    if (principal === undefined) throw new TamgaError('UNAUTHENTICATED', 'The API key is not valid');
  } else {
    const cookie = context.access === undefined ? undefined : readSessionCookie(request);
    if (cookie === undefined) throw new TamgaError('UNAUTHENTICATED', 'Sign in, or send Authorization: Bearer <api key>');
    principal = await context.access!.authenticateSession(cookie);
    if (principal === undefined) throw new TamgaError('UNAUTHENTICATED', 'The session has ended; sign in again');
    if (!SAFE_METHODS.has(request.method)) {
      const token = request.headers['x-csrf-token'];
      if (!context.access!.isCsrfTokenValid(principal, typeof token === 'string' ? token : undefined)) {
        throw new TamgaError('CSRF_TOKEN_INVALID', 'Send the x-csrf-token header of the session with this request', {
          field: 'x-csrf-token',
        });
      }
    }
  }
  if (principal.mustChangePassword === true && !WHILE_PASSWORD_CHANGE_REQUIRED.has(`${request.method} ${path}`)) {
    throw new TamgaError('PASSWORD_CHANGE_REQUIRED', 'Change the one-time password first: PUT /api/v1/session/password');
  }
  request.principal = principal;
}

/** Whether a request reads the journal (its records, stats, checkpoints or proofs): JournalRead is journalled. */
export function isJournalRead(request: FastifyRequest): boolean {
  const route = request.routeOptions.url ?? '';
  // Exports are journalled each time on their own (JournalExported), not as reads.
  if (route === '/api/v1/events/export' || route === '/api/v1/logs/:tenant/export') return false;
  return request.method === 'GET' && (route.startsWith('/api/v1/events') || route.startsWith('/api/v1/logs/'));
}
