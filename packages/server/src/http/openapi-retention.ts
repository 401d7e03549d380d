/**
 * OpenAPI paths of the retention routes (`routes/retention-routes.ts`), merged into `openapi.ts`.
 */

const problem = { $ref: '#/components/responses/Problem' };
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const tenant = { name: 'tenant', in: 'path', required: true, schema: { type: 'string' }, description: 'Tenant id, or "default"' };
const days = { type: ['integer', 'null'], minimum: 1, maximum: 36500, description: 'Days kept; null keeps forever' };

const keepDays = {
  type: 'object',
  additionalProperties: false,
  description: 'Days kept per event class ("1" operational … "4" audit); a class left out or null is kept forever',
  properties: { '1': days, '2': days, '3': days, '4': days },
};

const purge = {
  type: 'object',
  properties: {
    tenant: { type: 'string' },
    origin: { type: 'string' },
    from: { type: 'integer' },
    to: { type: 'integer', description: 'Records [from, to) were purged' },
    records: { type: 'integer' },
    rootAtCut: { type: 'string', description: 'Root of the tree of `to` leaves (base64)' },
    stoppedBy: { type: 'string', enum: ['retention', 'hold', 'checkpoint', 'end'], description: 'Why the purge stopped where it did' },
    by: { type: 'string', description: '"system" for the scheduled purge' },
    at: { type: 'string', format: 'date-time' },
  },
};

const status = {
  type: 'object',
  properties: {
    tenant: { type: 'string' },
    policy: {
      type: 'object',
      properties: { keepDays, updatedAt: { type: ['string', 'null'], format: 'date-time' }, updatedBy: { type: ['string', 'null'] } },
    },
    holds: { type: 'integer', description: 'Active legal holds' },
    earliestKept: {
      type: ['object', 'null'],
      properties: { seq: { type: 'integer' }, createdAt: { type: 'string', format: 'date-time' } },
      description: 'The first record the log still holds; null when it has none',
    },
    purgedTo: { type: 'integer', description: 'Records [0, purgedTo) were purged' },
    lastPurge: { oneOf: [purge, { type: 'null' }] },
  },
};

const hold = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    tenant: { type: 'string' },
    userId: { type: ['string', 'null'] },
    operationKey: { type: ['string', 'null'] },
    reason: { type: 'string' },
    setBy: { type: 'string' },
    setAt: { type: 'string', format: 'date-time' },
  },
};

export const RETENTION_OPENAPI_PATHS = {
  '/api/v1/tenants/{tenant}/retention': {
    get: {
      summary: "The tenant's retention policy, active holds, the earliest record kept and the last purge (readers of the tenant)",
      parameters: [tenant],
      responses: { '200': json(status, 'Retention of the tenant'), '403': problem, '404': problem },
    },
    put: {
      summary: 'Sets the retention policy (administrators; journalled as RetentionPolicyChanged, 32030)',
      parameters: [tenant],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['keepDays'], properties: { keepDays } } } } },
      responses: { '200': json(status, 'Retention of the tenant'), '400': problem, '403': problem },
    },
  },
  '/api/v1/tenants/{tenant}/retention/purge': {
    post: {
      summary: 'Purges now what the policy and the holds allow, in slices (administrators; journalled as RetentionPurged, 32005)',
      parameters: [tenant],
      responses: {
        '200': json({ type: 'object', properties: { purge: { oneOf: [purge, { type: 'null' }] }, status } }, 'What was purged (null: nothing) and the retention after it'),
        '403': problem,
      },
    },
  },
  '/api/v1/tenants/{tenant}/holds': {
    get: {
      summary: 'Active legal holds of the tenant (administrators)',
      parameters: [tenant],
      responses: { '200': json({ type: 'object', properties: { holds: { type: 'array', items: hold } } }, 'Holds, oldest first'), '403': problem },
    },
    post: {
      summary: 'Places a legal hold: the whole tenant, a userId or an operationKey (administrators; LegalHoldPlaced, 32031)',
      parameters: [tenant],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              required: ['reason'],
              properties: {
                reason: { type: 'string', maxLength: 1000 },
                userId: { type: 'string', maxLength: 512 },
                operationKey: { type: 'string', maxLength: 512, description: 'Not with userId; neither holds the whole tenant' },
              },
            },
          },
        },
      },
      responses: { '201': json(hold, 'The hold'), '400': problem, '403': problem },
    },
  },
  '/api/v1/tenants/{tenant}/holds/{id}': {
    delete: {
      summary: 'Releases a legal hold (administrators; LegalHoldReleased, 32032)',
      parameters: [tenant, { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      responses: { '200': json(hold, 'The released hold'), '400': problem, '403': problem, '404': problem },
    },
  },
};
