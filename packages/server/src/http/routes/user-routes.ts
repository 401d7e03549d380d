import type { FastifyInstance } from 'fastify';
import type { NewUser, UserChanges, UserView } from '../../auth/access-control.js';
import {
  objectBody,
  onlyFields,
  parseBoolean,
  parseLogin,
  parseOptionalTime,
  parsePassword,
  parseRoles,
  parseTenants,
  showTenants,
  showTime,
} from '../../auth/access-input.js';
import { principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { accessOf, requireAdministrator } from './session-routes.js';

/** A user as the API shows it: never the password hash. */
export function userJson(user: UserView) {
  return {
    login: user.login,
    roles: user.roles,
    tenants: showTenants(user.tenants),
    enabled: user.enabled,
    mustChangePassword: user.mustChangePassword,
    passwordChangedAt: showTime(user.passwordChangedAt),
    expiresAt: showTime(user.expiresAt),
    createdAt: showTime(user.createdAt),
    updatedAt: showTime(user.updatedAt),
  };
}

const CHANGEABLE = ['password', 'roles', 'tenants', 'enabled', 'mustChangePassword', 'expiresAt'] as const;

/** `/api/v1/users`: administrators manage user accounts. */
export async function userRoutes(app: FastifyInstance, { context }: { context: ServerContext }): Promise<void> {
  app.get('/api/v1/users', async (request) => {
    requireAdministrator(principalOf(request));
    return { items: (await accessOf(context).listUsers()).map(userJson) };
  });

  app.post('/api/v1/users', async (request, reply) => {
    const principal = principalOf(request);
    requireAdministrator(principal);
    const body = objectBody(request.body);
    onlyFields(body, ['login', ...CHANGEABLE]);
    const input: NewUser = {
      login: parseLogin(body.login),
      password: parsePassword(body.password),
      roles: parseRoles(body.roles),
      ...(body.tenants !== undefined && { tenants: parseTenants(body.tenants, accessOf(context).tenantIds) }),
      ...(body.enabled !== undefined && { enabled: parseBoolean(body.enabled, 'enabled') }),
      ...(body.mustChangePassword !== undefined && { mustChangePassword: parseBoolean(body.mustChangePassword, 'mustChangePassword') }),
      ...(body.expiresAt !== undefined && { expiresAt: parseOptionalTime(body.expiresAt, 'expiresAt') }),
    };
    const user = await accessOf(context).createUser(principal, input, { ip: request.ip });
    return reply.status(201).send(userJson(user));
  });

  app.get('/api/v1/users/:login', async (request) => {
    requireAdministrator(principalOf(request));
    const { login } = request.params as { login: string };
    return userJson(await accessOf(context).getUser(parseLogin(login)));
  });

  app.patch('/api/v1/users/:login', async (request) => {
    const principal = principalOf(request);
    requireAdministrator(principal);
    const { login } = request.params as { login: string };
    const body = objectBody(request.body);
    onlyFields(body, CHANGEABLE);
    const changes: UserChanges = {
      ...(body.password !== undefined && { password: parsePassword(body.password) }),
      ...(body.roles !== undefined && { roles: parseRoles(body.roles) }),
      ...(body.tenants !== undefined && { tenants: parseTenants(body.tenants, accessOf(context).tenantIds) }),
      ...(body.enabled !== undefined && { enabled: parseBoolean(body.enabled, 'enabled') }),
      ...(body.mustChangePassword !== undefined && { mustChangePassword: parseBoolean(body.mustChangePassword, 'mustChangePassword') }),
      ...(body.expiresAt !== undefined && { expiresAt: parseOptionalTime(body.expiresAt, 'expiresAt') }),
    };
    return userJson(await accessOf(context).updateUser(principal, parseLogin(login), changes, { ip: request.ip }));
  });

  app.delete('/api/v1/users/:login', async (request, reply) => {
    const principal = principalOf(request);
    requireAdministrator(principal);
    const { login } = request.params as { login: string };
    await accessOf(context).removeUser(principal, parseLogin(login), { ip: request.ip });
    return reply.status(204).send();
  });
}
