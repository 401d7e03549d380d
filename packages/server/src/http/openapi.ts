/**
 * The API's operations: summary, parameters, body and responses of each route. They are not served as they are:
 * each becomes the schema of its route when the route registers (`route-schemas.ts`), and `@fastify/swagger`
 * generates the OpenAPI 3.1 document at `/api/v1/openapi.json` from the routes (decisions/0037).
 */

import { ACCESS_OPENAPI_PATHS } from './openapi-access.js';
import { CATALOG_OPENAPI_PATHS } from './openapi-catalog.js';
import { EVIDENCE_OPENAPI_PATHS } from './openapi-evidence.js';
import { FORWARD_OPENAPI_PATHS } from './openapi-forward.js';
import { RETENTION_OPENAPI_PATHS } from './openapi-retention.js';
import { ASSET_EVENT_OPENAPI_PATHS } from './openapi-asset-event.js';

const problem = { $ref: '#/components/responses/Problem' };
/** An append's answer: an item per event, or the summary `Prefer: return=minimal` asks for. */
const appendAnswer = { oneOf: [{ $ref: '#/components/schemas/AppendResponse' }, { $ref: '#/components/schemas/AppendSummary' }] };
/** Text parameters are at most 1,024 characters; lists at most 100 values (event codes: 1,000). */
const text = { type: 'string', maxLength: 1024 };
const filters = [
  { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'Start of [from, to) on createdAt; default: start of the current hour' },
  { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'End of [from, to); default: end of the current hour' },
  { name: 'event', in: 'query', schema: { type: 'array', items: { type: 'integer' }, maxItems: 1000 }, style: 'form', explode: true, description: 'Event codes (repeat or comma-separate)' },
  { name: 'classifiedEvent', in: 'query', schema: { type: 'array', items: { type: 'integer', enum: [1, 2, 3, 4] }, maxItems: 100 } },
  { name: 'outcome', in: 'query', schema: { type: 'string', enum: ['success', 'failure', 'unknown'] } },
  { name: 'operationKey', in: 'query', schema: text, description: 'Alone (no from/to), shows the whole operation' },
  {
    name: 'userId',
    in: 'query',
    schema: text,
    description: "The user's records: userId, or for records without one (sign-ins, seed 002) the subject their catalogue entry names in entityData",
  },
  { name: 'tenantId', in: 'query', schema: { type: 'array', items: { type: 'string' }, maxItems: 100 }, description: '"default" is the default tenant' },
  { name: 'nodeId', in: 'query', schema: text },
  { name: 'ip', in: 'query', schema: text },
  {
    name: 'q',
    in: 'query',
    schema: { type: 'string', minLength: 3, maxLength: 1024 },
    description:
      "Substring of text or of one of entityData's values (its strings and numbers; not its keys), ignoring case (Cyrillic and Latin alike); at least 3 characters (400 otherwise)",
  },
  { name: 'order', in: 'query', schema: { type: 'string', enum: ['desc', 'asc'], default: 'desc' } },
  ...(
    [
      ['event', 'integer', 'Leaves out these event codes (repeat or comma-separate; at most 1,000)'],
      ['classifiedEvent', 'integer', 'Leaves out these classes (repeat or comma-separate)'],
      ['tenantId', 'string', 'Leaves out these tenants (repeat or comma-separate; "default" is the default tenant)'],
      ['userId', 'string', 'Leaves out records of these users (repeat); records without a user stay'],
      ['ip', 'string', 'Leaves out these IPs (repeat); records without an IP stay'],
      ['operationKey', 'string', 'Leaves out these operations (repeat); records without one stay'],
      ['nodeId', 'string', 'Leaves out records accepted by these nodes (repeat)'],
    ] as const
  ).map(([name, type, description]) => ({
    name: `not.${name}`,
    in: 'query',
    schema: { type: 'array', items: { type }, maxItems: name === 'event' ? 1000 : 100 },
    style: 'form',
    explode: true,
    description,
  })),
];
const tenant = { name: 'tenant', in: 'path', required: true, schema: { type: 'string' }, description: 'Tenant id, or "default"' };

const eventInput = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid', description: 'Idempotency key; UUIDv7 generated when absent' },
    event: { type: 'integer', description: 'Catalogue code; required unless eventName is given' },
    eventName: { type: 'string' },
    entityData: { oneOf: [{ type: 'string' }, { type: 'object' }, { type: 'array' }, { type: 'null' }] },
    userId: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time', description: 'Time at the source; default apiCreatedAt' },
    text: { type: ['string', 'null'] },
    ip: { type: ['string', 'null'], description: 'IPv4 or IPv6' },
    tenantId: { type: ['string', 'null'] },
    operationKey: { type: ['string', 'null'] },
    classifiedEvent: { type: 'integer', enum: [1, 2, 3, 4] },
    outcome: { type: 'string', enum: ['success', 'failure', 'unknown'] },
    severity: { type: 'integer', minimum: 0, maximum: 6 },
    source: {
      type: 'object',
      properties: { system: { type: 'string' }, component: { type: 'string' }, version: { type: 'string' }, instance: { type: 'string' }, eventId: { type: ['integer', 'string'] } },
    },
    sessionId: { type: 'string' },
    userAgent: { type: 'string' },
    object: {
      type: 'object',
      properties: {
        type: { type: 'string' },
        id: { type: ['string', 'integer'] },
        version: { type: ['string', 'integer'] },
        name: { type: 'string' },
        schema: { type: 'string' },
        baseType: { type: 'string' },
        globalId: { type: ['string', 'integer'] },
      },
    },
    request: { type: 'object', properties: { method: { type: 'string' }, url: { type: 'string' }, status: { type: 'integer' }, durationMs: { type: 'integer' } } },
    correctsEventId: { type: 'string', format: 'uuid', description: 'Required when classifiedEvent is 4' },
    pollable: { type: 'boolean', description: 'Returned by the Event API’s poll; default: the catalogue entry’s' },
    userDisplayName: { type: 'string' },
    sessionCreatedAt: { type: 'string', format: 'date-time' },
    sessionExpiredAt: { type: 'string', format: 'date-time' },
    sessionSelf: { type: 'boolean', description: 'As the source said (seed 004 session_self)' },
  },
};

const record = {
  type: 'object',
  description: 'Seed 002 fields in seed order, then the fields Tamga adds',
  properties: {
    id: { type: 'string' },
    event: { type: 'integer' },
    entityData: {},
    userId: { type: ['string', 'null'] },
    apiCreatedAt: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    signature: { type: 'string', description: 'hex HMAC-SHA256 of the canonical bytes' },
    text: { type: ['string', 'null'] },
    ip: { type: ['string', 'null'] },
    tenantId: { type: ['string', 'null'] },
    nodeId: { type: ['string', 'null'] },
    operationKey: { type: ['string', 'null'] },
    classifiedEvent: { type: 'integer' },
    validSignature: { type: 'boolean', description: 'Computed on this read' },
    eventName: { type: 'string' },
    index: { type: 'integer', description: 'Position in the current result view, from 1' },
    seq: { type: 'integer' },
    sigKid: { type: 'string' },
    integrity: { type: 'string', enum: ['valid', 'tampered', 'redacted', 'unknown-key'] },
    severity: { type: 'integer' },
    outcome: { type: ['string', 'null'] },
    catalogVersion: { type: 'string', description: 'Catalogue version the code was resolved with, e.g. ai-server@1 or acme@3 (signed)' },
    unregistered: { type: 'boolean', description: 'True when the code is in no catalogue (tenant with open codes; signed)' },
  },
};

/** The operations and shared parts of the API; see the module comment. */
export const API_DESCRIPTION = Object.freeze({
  openapi: '3.1.0',
  info: {
    title: 'Tamga API',
    version: '1',
    description: 'Tamper-evident journal of audit and security events. Errors are application/problem+json (see docs/errors.md).',
  },
  servers: [{ url: '/' }],
  security: [{ apiKey: [] }, { session: [] }],
  paths: {
    '/api/v1/events': {
      post: {
        summary:
          'Append one event, a JSON array or NDJSON; acknowledged after commit, idempotent on id (the same event sent again ' +
          'is duplicate: true; an id used by a different event, in any tenant, refuses the batch with 409 ID_CONFLICT)',
        parameters: [
          {
            name: 'Prefer',
            in: 'header',
            schema: { type: 'string' },
            description:
              '`return=minimal` (RFC 7240): the answer is `{count, duplicates}` instead of one item per event, with ' +
              '`Preference-Applied: return=minimal`; for producers that keep no receipt (the SDK\'s producer, `tamga ingest-log`)',
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { oneOf: [eventInput, { type: 'array', items: eventInput }] } },
            'application/x-ndjson': { schema: { type: 'string' } },
          },
        },
        responses: {
          '201': { description: 'Stored (some or all events new)', content: { 'application/json': { schema: appendAnswer } } },
          '200': { description: 'Every event was already stored', content: { 'application/json': { schema: appendAnswer } } },
          '400': problem,
          '401': problem,
          '409': problem,
          '413': problem,
          '415': problem,
          '422': problem,
          '503': problem,
        },
      },
      get: {
        summary: 'Query records, newest first, with cursor pagination',
        parameters: [
          ...filters,
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'A page',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    items: { type: 'array', items: record },
                    nextCursor: { type: ['string', 'null'] },
                    searchIndex: {
                      type: 'object',
                      description:
                        'With q only: how far the text index had caught up. Records it did not cover yet were scanned, so the page misses none.',
                      properties: {
                        pending: { type: 'integer', description: 'Records not indexed yet' },
                        behindSeconds: { type: 'number', description: 'Age of the oldest record not indexed yet' },
                        building: { type: 'boolean', description: 'The index is being built (after an upgrade); searches scan meanwhile' },
                      },
                    },
                  },
                },
              },
            },
          },
          '400': problem,
          '401': problem,
        },
      },
    },
    '/api/v1/users/suggest': {
      get: {
        summary: "User names starting with a prefix (userId and sign-in subjects) in the caller's tenants: the user filter's suggestions",
        parameters: [
          { name: 'prefix', in: 'query', schema: { type: 'string', maxLength: 256 }, description: 'Case-sensitive; empty lists the first names' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 10 } },
        ],
        responses: {
          '200': {
            description: 'Names in code-point order',
            content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'string' } } } } } },
          },
          '400': problem,
          '401': problem,
          '403': problem,
        },
      },
    },
    '/api/v1/events/stats': {
      get: {
        summary: 'Count and time histogram for the same filters',
        parameters: [...filters, { name: 'interval', in: 'query', schema: { type: 'integer' }, description: 'Bucket width in seconds; chosen automatically when absent' }],
        responses: {
          '200': {
            description: 'Counts',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    count: { type: 'integer' },
                    from: { type: ['string', 'null'] },
                    to: { type: ['string', 'null'] },
                    bucketSeconds: { type: 'integer' },
                    histogram: {
                      type: 'array',
                      description:
                        'Every bucket of [from, to), empty ones included. Buckets of whole minutes start at from rounded down to the minute (the first bucket counts only records from `from` on); shorter ones start at from.',
                      items: { type: 'object', properties: { start: { type: 'string' }, count: { type: 'integer' } } },
                    },
                  },
                },
              },
            },
          },
          '400': problem,
        },
      },
    },
    '/api/v1/events/export': {
      get: {
        summary:
          'Every record of the filters, streamed as NDJSON or CSV (a UTF-8 BOM, a header line, formula-like cells neutralized); each export is journalled (JournalExported with the caller and IP)',
        parameters: [
          ...filters,
          { name: 'format', in: 'query', schema: { type: 'string', enum: ['ndjson', 'csv'], default: 'ndjson' } },
        ],
        responses: {
          '200': {
            description: 'The records in the filter\'s order, `index` counting from 1; `X-Tamga-Record-Count` says how many matched when the export began',
            headers: { 'X-Tamga-Record-Count': { schema: { type: 'integer' } } },
            content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } },
          },
          '400': problem,
          '401': problem,
          '403': problem,
        },
      },
    },
    '/api/v1/logs/verify': {
      get: {
        summary:
          "Verify every log of a view: each tenant's log holding records in [from, to) (the tenantId filter, else every tenant the caller sees; not.tenantId leaves tenants out), up to 1,000,000 records in all",
        parameters: [
          ...filters.filter((p) => ['from', 'to', 'tenantId', 'not.tenantId'].includes(p.name)),
          {
            name: 'maxAge',
            in: 'query',
            schema: { type: 'integer', minimum: 0, maximum: 3600, default: 0 },
            description: 'Seconds: parts this node found valid at most this long ago are not checked again',
          },
        ],
        responses: {
          '200': {
            description: 'Per log: its seq range in the view, whether it was checked (coverage) and the check',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    status: { type: 'string', enum: ['valid', 'tampered', 'incomplete'] },
                    logs: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          tenant: { type: 'string' },
                          origin: { type: 'string' },
                          range: { type: 'object', properties: { from: { type: 'integer' }, to: { type: 'integer' } } },
                          coverage: { type: 'string', enum: ['verified', 'too-large', 'skipped', 'pending'] },
                          unsigned: { type: 'integer', description: 'Records at the end of range no signed checkpoint covers yet (not checked)' },
                          verification: {
                            type: ['object', 'null'],
                            description: 'As GET /api/v1/logs/{tenant}/verify answers; problems name seq (and lastSeq for missing records), code and reason',
                          },
                        },
                      },
                    },
                    purged: {
                      type: 'array',
                      description: 'Logs of the view whose range reaches back into records purged by the retention policy (not a gap)',
                      items: {
                        type: 'object',
                        properties: {
                          tenant: { type: 'string' },
                          purgedTo: { type: 'integer', description: 'Records [0, purgedTo) were purged' },
                          earliestKept: { type: ['string', 'null'], format: 'date-time' },
                          newestPurged: { type: ['string', 'null'], format: 'date-time' },
                          keepDays: { type: 'object', description: 'Days kept per event class; null = forever' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          '400': problem,
          '401': problem,
          '403': problem,
        },
      },
    },
    '/api/v1/events/stream': {
      get: {
        summary: 'Server-Sent Events of new records matching the filters (from/to do not apply: the stream starts now)',
        description:
          'Each record is `id: <cursor>` and `data: <record JSON>`. The cursor is opaque: it says where the stream is in every log it covers. ' +
          'A client reconnecting with it as `Last-Event-ID` (EventSource does so by itself) first gets every matching record appended since, ' +
          'in each log\'s order, then the live ones: nothing missed, nothing twice. The stream sends its starting cursor at once (an `id:` ' +
          'line without data) and again with a `: ping` every 15 s when it moved. Named events: `reload` (more than 10,000 records to catch ' +
          'up on, or a `Last-Event-ID` that is a record id: read the view again; the stream goes on from now, with a new cursor), ' +
          '`overflow` (the client reads too slowly; the stream ends), `revoked` (the credentials were revoked; the stream ends).',
        parameters: [
          ...filters.filter((p) => p.name !== 'from' && p.name !== 'to' && p.name !== 'order'),
          {
            name: 'Last-Event-ID',
            in: 'header',
            schema: { type: 'string' },
            description: 'The last `id` received from this stream: resume after it. Not a cursor of this stream: 400 naming it',
          },
        ],
        responses: {
          '200': {
            description: 'An endless stream: `id: <cursor>` and `data: <record JSON>` per record; `: ping` every 15 s',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          '400': problem,
          '401': problem,
          '403': problem,
        },
      },
    },
    '/api/v1/events/{id}': {
      get: {
        summary: 'One record',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: { '200': { description: 'The record', content: { 'application/json': { schema: record } } }, '404': problem },
      },
    },
    '/api/v1/logs/{tenant}/checkpoint': {
      get: {
        summary: 'Latest signed checkpoint (C2SP tlog-checkpoint in a signed note, with its witnesses\' cosignatures as extra signature lines)',
        parameters: [tenant],
        responses: { '200': { description: 'The signed note', content: { 'text/plain': { schema: { type: 'string' } } } }, '404': problem },
      },
    },
    '/api/v1/logs/{tenant}/status': {
      get: {
        summary: 'The log\'s size, newest checkpoint and witnesses: per witness its state (cosigned, refused, failing, pending) and the largest size it cosigned',
        parameters: [tenant],
        responses: {
          '200': {
            description: 'Log status',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    origin: { type: 'string' },
                    size: { type: 'integer' },
                    checkpointSize: { type: 'integer' },
                    witnessed: { type: 'boolean', description: 'Every configured witness cosigned its last submission' },
                    refused: { type: 'boolean', description: 'A witness refused a checkpoint as inconsistent (WitnessRefusedCheckpoint, 32040)' },
                    witnesses: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          key: { type: 'string' },
                          url: { type: 'string' },
                          state: { type: 'string', enum: ['cosigned', 'refused', 'failing', 'pending'] },
                          cosignedSize: { type: 'integer' },
                          lastSize: { type: 'integer' },
                          lastAt: { type: 'string', format: 'date-time' },
                          message: { type: 'string' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          '404': problem,
        },
      },
    },
    '/api/v1/logs/{tenant}/proofs/inclusion': {
      get: {
        summary: 'RFC 9162 inclusion proof of the leaf at seq in the tree of treeSize leaves',
        parameters: [
          tenant,
          { name: 'seq', in: 'query', required: true, schema: { type: 'integer' } },
          { name: 'treeSize', in: 'query', required: true, schema: { type: 'integer' } },
        ],
        responses: { '200': { description: 'Proof (base64 hashes)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Proof' } } } }, '400': problem, '404': problem },
      },
    },
    '/api/v1/logs/{tenant}/proofs/consistency': {
      get: {
        summary: 'RFC 9162 consistency proof between tree sizes from and to',
        parameters: [
          tenant,
          { name: 'from', in: 'query', required: true, schema: { type: 'integer' } },
          { name: 'to', in: 'query', required: true, schema: { type: 'integer' } },
        ],
        responses: { '200': { description: 'Proof (base64 hashes)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Proof' } } } }, '400': problem, '404': problem },
      },
    },
    '/.well-known/tamga-keys': {
      get: {
        summary: 'Public checkpoint keys with their validity windows',
        security: [],
        responses: { '200': { description: 'Keys', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/healthz': {
      get: {
        summary: 'The process answers',
        security: [],
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } } } } } },
      },
    },
    '/readyz': {
      get: {
        summary: 'The store can take appends now (SQLite: a synced write and free disk space; PostgreSQL: answers within 2 s)',
        security: [],
        responses: {
          '200': { description: 'Ready', content: { 'application/json': { schema: { type: 'object', properties: { status: { type: 'string' } } } } } },
          '503': problem,
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (text format): appends, latencies, checkpoint lag, log sizes, refusals, store errors, process',
        description: 'With TAMGA_METRICS_TOKEN set, send Authorization: Bearer <token>; without it only clients on the same host may scrape (decisions/0038).',
        security: [],
        responses: {
          '200': { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          '401': problem,
          '403': problem,
        },
      },
    },
    '/api/v1/openapi.json': {
      get: {
        summary: 'This document, generated from the routes',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'paths'] } } } } },
      },
    },
    ...CATALOG_OPENAPI_PATHS,
    ...ACCESS_OPENAPI_PATHS,
    ...EVIDENCE_OPENAPI_PATHS,
    ...FORWARD_OPENAPI_PATHS,
    ...RETENTION_OPENAPI_PATHS,
    ...ASSET_EVENT_OPENAPI_PATHS,
  },
  components: {
    securitySchemes: {
      apiKey: { type: 'http' as const, scheme: 'bearer', description: 'Authorization: Bearer <api key>' },
      session: { type: 'apiKey' as const, in: 'cookie' as const, name: 'tamga_session', description: 'Set by POST /api/v1/session; state-changing requests also need x-csrf-token' },
    },
    schemas: {
      Problem: {
        type: 'object',
        description: 'RFC 9457 problem; code is stable (docs/errors.md), field names the offending field, index the batch position',
        required: ['type', 'title', 'status', 'code', 'detail'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          code: { type: 'string' },
          detail: { type: 'string' },
          instance: { type: 'string', description: 'urn:uuid:<request id>, as in the server log' },
          field: { type: 'string' },
          index: { type: 'integer' },
          retryAfter: { type: 'number' },
          errors: { type: 'array', items: { type: 'object' } },
        },
      },
      AppendSummary: {
        type: 'object',
        description: 'The answer to `Prefer: return=minimal`',
        required: ['count', 'duplicates'],
        properties: {
          count: { type: 'integer', description: 'Events in the batch, all stored' },
          duplicates: { type: 'integer', description: 'Of them, how many were stored before (sent again)' },
        },
      },
      AppendResponse: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                tenantId: { type: ['string', 'null'] },
                seq: { type: 'integer' },
                signature: { type: 'string' },
                sigKid: { type: 'string' },
                duplicate: { type: 'boolean' },
              },
            },
          },
        },
      },
      Proof: {
        type: 'object',
        properties: { origin: { type: 'string' }, hashes: { type: 'array', items: { type: 'string', contentEncoding: 'base64' } } },
      },
    },
  },
});
