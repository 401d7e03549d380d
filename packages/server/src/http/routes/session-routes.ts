import type { FastifyInstance } from 'fastify';
import { TamgaError } from '@tamga/core';
import type { AccessControl, UserView } from '../../auth/access-control.js';
import { objectBody, onlyFields, parsePassword, showTenants, showTime } from '../../auth/access-input.js';
import type { Principal } from '../../auth/api-key-auth.js';
import { principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { writeSessionCookie } from '../session-cookie.js';

/** The access control of a context; the access routes are registered only when it is present. */
export function accessOf(context: ServerContext): AccessControl {
  if (context.access === undefined) throw new TamgaError('NOT_FOUND', 'Users and sessions are not enabled');
  return context.access;
}

/** Refuses a caller that is not an administrator. */
export function requireAdministrator(principal: Principal): void {
  if (!principal.isAdmin) throw new TamgaError('FORBIDDEN', 'Only administrators may do this');
}

function sessionJson(principal: Principal, user: UserView | undefined, access: AccessControl, expiresAt: number | null) {
  return {
    kind: principal.kind ?? 'api-key',
    login: user?.login ?? null,
    name: principal.name,
    roles: user?.roles ?? [],
    tenants: principal.tenants === undefined ? null : showTenants(principal.tenants),
    canRead: principal.canRead,
    canIngest: principal.canIngest,
    isAdmin: principal.isAdmin,
    mustChangePassword: principal.mustChangePassword ?? false,
    csrfToken: principal.csrfToken ?? null,
    expiresAt: showTime(expiresAt),
    idleTimeoutSeconds: principal.kind === 'session' ? access.config.sessionIdleMinutes * 60 : null,
  };
}

/** `/api/v1/session`: sign in with a password (cookie + CSRF token), who am I, change password, sign out. */
export async function sessionRoutes(app: FastifyInstance, { context }: { context: ServerContext }): Promise<void> {
  app.post('/api/v1/session', async (request, reply) => {
    const access = accessOf(context);
    const body = objectBody(request.body);
    onlyFields(body, ['login', 'password']);
    if (typeof body.login !== 'string' || body.login === '' || body.login.length > 128) {
      throw new TamgaError('VALIDATION_FAILED', 'login: must be a non-empty string of at most 128 characters', { field: 'login' });
    }
    const password = parsePassword(body.password);
    const opened = await access.signIn(body.login, password, { ip: request.ip });
    writeSessionCookie(request, reply, opened.sessionId, access.config.sessionMaxHours * 3600);
    return reply.status(201).send(sessionJson(opened.principal, opened.user, access, opened.expiresAt));
  });

  app.get('/api/v1/session', async (request) => {
    const access = accessOf(context);
    const principal = principalOf(request);
    const user = principal.kind === 'session' && principal.userId !== undefined ? await access.getUser(principal.userId) : undefined;
    return sessionJson(principal, user, access, null);
  });

  app.delete('/api/v1/session', async (request, reply) => {
    const access = accessOf(context);
    await access.signOut(principalOf(request), { ip: request.ip });
    writeSessionCookie(request, reply, null);
    return reply.status(204).send();
  });

  app.put('/api/v1/session/password', async (request) => {
    const access = accessOf(context);
    const principal = principalOf(request);
    const body = objectBody(request.body);
    onlyFields(body, ['currentPassword', 'newPassword']);
    const current = parsePassword(body.currentPassword, 'currentPassword');
    const next = parsePassword(body.newPassword, 'newPassword');
    const user = await access.changeOwnPassword(principal, current, next, { ip: request.ip });
    return sessionJson({ ...principal, mustChangePassword: false }, user, access, null);
  });
}
