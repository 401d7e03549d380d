/**
 * OpenAPI paths of the access routes (`routes/session-routes.ts`, `user-routes.ts`, `api-key-routes.ts`),
 * merged into `openapi.ts`.
 */

const problem = { $ref: '#/components/responses/Problem' };
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const tenants = { type: 'array', items: { type: 'string' }, description: 'Tenant ids; "default" is the default tenant' };
const roles = { type: 'array', items: { type: 'string', enum: ['administrator', 'auditor', 'tenant-auditor', 'ingest'] } };
const time = { type: ['string', 'null'], format: 'date-time' };
const session = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['session', 'api-key', 'bootstrap'] },
    login: { type: ['string', 'null'] },
    name: { type: 'string' },
    roles,
    tenants: { type: ['array', 'null'], items: { type: 'string' }, description: 'null: every tenant' },
    canRead: { type: 'boolean' },
    canIngest: { type: 'boolean' },
    isAdmin: { type: 'boolean' },
    mustChangePassword: { type: 'boolean', description: 'Only PUT /api/v1/session/password, GET and DELETE /api/v1/session work until it is changed' },
    csrfToken: { type: ['string', 'null'], description: 'Send as x-csrf-token with every state-changing request made with the cookie' },
    expiresAt: time,
    idleTimeoutSeconds: { type: ['integer', 'null'] },
  },
};
const user = {
  type: 'object',
  properties: {
    login: { type: 'string' },
    roles,
    tenants,
    enabled: { type: 'boolean' },
    mustChangePassword: { type: 'boolean' },
    passwordChangedAt: time,
    expiresAt: time,
    createdAt: time,
    updatedAt: time,
  },
};
const userChanges = {
  type: 'object',
  additionalProperties: false,
  properties: {
    password: { type: 'string', minLength: 12, description: 'At least 12 characters, not the login; one-time unless mustChangePassword is false' },
    roles,
    tenants,
    enabled: { type: 'boolean' },
    mustChangePassword: { type: 'boolean', description: 'Default true when a password is set' },
    expiresAt: time,
  },
};
const apiKey = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: ['ingest', 'read'] } },
    tenants: { type: ['array', 'null'], items: { type: 'string' }, description: 'null: every tenant' },
    createdBy: { type: 'string' },
    createdAt: time,
    expiresAt: time,
    lastUsedAt: { ...time, description: 'Updated at most once a minute' },
    revokedAt: time,
    active: { type: 'boolean' },
  },
};
const login = { name: 'login', in: 'path', required: true, schema: { type: 'string' } };
const admin = 'Administrators only.';

export const ACCESS_OPENAPI_PATHS = {
  '/api/v1/session': {
    post: {
      summary: 'Sign in with a login and password',
      description:
        'Sets the HttpOnly, SameSite=Strict session cookie `tamga_session` (Secure over TLS; idle timeout 30 min, absolute 12 h) and answers with the CSRF token. Every attempt is journalled (Login 2001, LoginUserNotExist 2002, LoginUserLocked 2003, LoginUserUnauthorized 2004, LoginUserExpired 2008).',
      security: [],
      requestBody: body({ type: 'object', required: ['login', 'password'], additionalProperties: false, properties: { login: { type: 'string' }, password: { type: 'string' } } }),
      responses: { '201': json(session, 'Signed in'), '400': problem, '401': problem, '429': problem },
    },
    get: { summary: 'Who is calling, and the session CSRF token', responses: { '200': json(session, 'The caller'), '401': problem } },
    delete: { summary: 'Sign out: the session ends on the server (LogOut 2007)', responses: { '204': { description: 'Signed out' }, '401': problem, '403': problem } },
  },
  '/api/v1/session/password': {
    put: {
      summary: "Change the signed-in user's password",
      requestBody: body({ type: 'object', required: ['currentPassword', 'newPassword'], additionalProperties: false, properties: { currentPassword: { type: 'string' }, newPassword: { type: 'string', minLength: 12 } } }),
      responses: { '200': json(session, 'Changed; other sessions of the user end'), '400': problem, '401': problem, '403': problem, '422': problem },
    },
  },
  '/api/v1/users': {
    get: { summary: `Users. ${admin}`, responses: { '200': json({ type: 'object', properties: { items: { type: 'array', items: user } } }, 'Users by login'), '401': problem, '403': problem } },
    post: {
      summary: `Create a user (UserCreated 9000). ${admin}`,
      requestBody: body({ ...userChanges, required: ['login', 'password', 'roles'], properties: { login: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' }, ...userChanges.properties } }),
      responses: { '201': json(user, 'Created'), '400': problem, '401': problem, '403': problem, '409': problem, '422': problem },
    },
  },
  '/api/v1/users/{login}': {
    get: { summary: `One user. ${admin}`, parameters: [login], responses: { '200': json(user, 'The user'), '401': problem, '403': problem, '404': problem } },
    patch: {
      summary: `Change a user (9001, 9003, 9004, 9005, 9006, 8004). ${admin}`,
      parameters: [login],
      requestBody: body(userChanges),
      responses: { '200': json(user, 'Changed'), '400': problem, '401': problem, '403': problem, '404': problem, '422': problem },
    },
    delete: { summary: `Delete a user and its sessions (UserRemoved 9002). ${admin}`, parameters: [login], responses: { '204': { description: 'Deleted' }, '401': problem, '403': problem, '404': problem } },
  },
  '/api/v1/api-keys': {
    get: { summary: `API keys (never the keys themselves). ${admin}`, responses: { '200': json({ type: 'object', properties: { items: { type: 'array', items: apiKey } } }, 'Newest first'), '401': problem, '403': problem } },
    post: {
      summary: `Create an API key (ApiKeyCreated 32009); the key is in this answer only. ${admin}`,
      requestBody: body({
        type: 'object',
        required: ['name', 'scopes'],
        additionalProperties: false,
        properties: { name: { type: 'string', maxLength: 100 }, scopes: apiKey.properties.scopes, tenants: { ...tenants, type: ['array', 'null'] }, expiresAt: time },
      }),
      responses: { '201': json({ ...apiKey, properties: { ...apiKey.properties, key: { type: 'string', description: 'tmg_… (256 bits); stored only as SHA-256' } } }, 'Created'), '400': problem, '401': problem, '403': problem },
    },
  },
  '/api/v1/api-keys/{id}': {
    delete: {
      summary: `Revoke an API key at once (ApiKeyRevoked 32010). ${admin}`,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      responses: { '204': { description: 'Revoked' }, '401': problem, '403': problem, '404': problem },
    },
  },
};
