import type { FastifyRequest } from 'fastify';
import { TamgaError } from '@tamga/core';
import type { Principal } from '../auth/api-key-auth.js';
import type { ServerContext } from './build-server.js';
import { readSessionCookie } from './session-cookie.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What a session that must change its password may still do. */
const WHILE_PASSWORD_CHANGE_REQUIRED = new Set(['GET /api/v1/session', 'DELETE /api/v1/session', 'PUT /api/v1/session/password']);

/** Seed 004's Event API at its own paths (`/api/event…`), besides `/api/v1/event…`. */
function isEventApiPath(path: string): boolean {
  return path === '/api/event' || path.startsWith('/api/event/') || path === '/api/v1/event' || path.startsWith('/api/v1/event/');
}

/** Paths that need credentials: `/api/v1/…` and the Event API's own. */
function isApiPath(path: string): boolean {
  return path.startsWith('/api/v1/') || path === '/api/event' || path.startsWith('/api/event/');
}

/** The tlog-tiles read API of tenant logs (`/tlog/{tenant}/…`): public logs answer without credentials. */
function isTlogPath(path: string): boolean {
  return path.startsWith('/tlog/');
}

/** `/api/v1` paths answered without credentials. */
function isPublic(method: string, path: string): boolean {
  return path === '/api/v1/openapi.json' || (method === 'POST' && path === '/api/v1/session');
}

/**
 * The `onRequest` authentication of `/api/v1` and of the Event API's own paths (`/api/event…`): `Authorization:
 * Bearer <key>` (the bootstrap key or an API key; no CSRF check, a browser never adds the header on its own), else on
 * the Event API `?token=` (an API key or a session id, as the asset server takes its session token), else the session
 * cookie, for which state-changing methods need the session's `x-csrf-token` header. A session opened with a one-time
 * password may only change it, read itself, or sign out.
 */
export async function authenticateRequest(context: ServerContext, request: FastifyRequest): Promise<void> {
  // Decided on the matched route as well as the raw URL, so no spelling of a path reaches an API route unauthenticated.
  const rawPath = request.url.split('?')[0]!;
  const route = request.routeOptions.url;
  const tlog = isTlogPath(rawPath) || (route !== undefined && isTlogPath(route));
  if (!tlog && !isApiPath(rawPath) && !(route !== undefined && isApiPath(route))) return;
  // The tlog-tiles read API of public logs needs no credentials; credentials sent are checked as anywhere else.
  if (tlog && request.headers.authorization === undefined && (context.access === undefined || readSessionCookie(request) === undefined)) return;
  const path = route ?? rawPath.replace(/\/+$/, '');
  if (isPublic(request.method, path)) return;
  const header = request.headers.authorization;
  const token = isEventApiPath(path) ? (request.query as Record<string, unknown>).token : undefined;
  let principal: Principal | undefined;
  if (header === undefined && typeof token === 'string' && token !== '') {
    // The Event API takes the credential as `?token=`, as the asset server does: an API key or a session id.
    principal = (await context.auth.authenticate(token)) ?? (await context.access?.authenticateSession(token));
    if (principal === undefined) throw new TamgaError('UNAUTHENTICATED', 'The token is neither a valid API key nor an open session');
  } else if (header !== undefined) {
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

/** Whether a request reads the journal (its records, stats, checkpoints, proofs or tiles): JournalRead is journalled. */
export function isJournalRead(request: FastifyRequest): boolean {
  const route = request.routeOptions.url ?? '';
  // Exports are journalled each time on their own (JournalExported), not as reads.
  if (route === '/api/v1/events/export' || route === '/api/v1/logs/:tenant/export') return false;
  // The tlog-tiles API too, when read with credentials (a public log read anonymously has no principal to journal).
  return (
    request.method === 'GET' &&
    (route.startsWith('/api/v1/events') || route.startsWith('/api/v1/logs/') || route.startsWith('/tlog/') || isEventApiPath(route))
  );
}
