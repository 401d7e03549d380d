/**
 * OpenAPI paths of the forwarding routes (`routes/forward-routes.ts`), merged into `openapi.ts`.
 */

const problem = { $ref: '#/components/responses/Problem' };
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const time = { type: ['string', 'null'], format: 'date-time' };
const certificate = {
  type: 'object',
  properties: { subject: { type: 'string' }, issuer: { type: 'string' }, validTo: { type: 'string', format: 'date-time' }, fingerprint256: { type: 'string' } },
};

const settings = {
  name: { type: 'string', maxLength: 100 },
  format: { type: 'string', enum: ['syslog', 'cef', 'ocsf', 'webhook'], description: 'syslog: RFC 5424 with structured data; cef: CEF in RFC 5424; ocsf: OCSF JSON as NDJSON over HTTP; webhook: JSON batches over HTTP, signed' },
  url: {
    type: 'string',
    description: 'syslog and cef: tcp://host[:514] (octet counting, RFC 6587), tls://host[:6514] (RFC 5425) or udp://host[:514] (RFC 5426); ocsf and webhook: http(s)://… . A host that does not answer is not an error here: records wait at the cursor.',
  },
  filter: { type: 'string', description: 'The query language of GET /api/v1/events without from, to and order, e.g. "classifiedEvent=3" or "event=2003,2004&tenantId=acme"; empty = every record of every tenant (Tamga\'s own tenant "tamga" included)' },
  enabled: { type: 'boolean', default: true },
  batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 500, description: 'Records per HTTP request or per syslog write' },
  timeoutSeconds: { type: 'integer', minimum: 1, maximum: 300, default: 10, description: 'Longest wait for a connection, a write or an answer' },
  facility: { type: 'integer', minimum: 0, maximum: 23, default: 13, description: 'syslog and cef (13 = log audit)' },
  structuredDataId: { type: 'string', default: 'tamga@32473', description: 'syslog: SD-ID name@<private enterprise number>' },
  maxMessageBytes: { type: 'integer', minimum: 2048, default: 8192, description: 'syslog and cef: longer messages have their free text shortened (truncated="true")' },
};

const input = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...settings,
    start: { type: 'string', enum: ['now', 'beginning'], default: 'now', description: 'Create only: deliver the records appended from now on, or every record stored' },
    tls: {
      type: ['object', 'null'],
      additionalProperties: false,
      description: 'tls:// and https:// only',
      properties: {
        ca: { type: 'string', description: 'PEM certificates to trust instead of the system CAs; each must parse' },
        serverName: { type: 'string', description: 'Name the server certificate must carry, when not the URL host' },
        cert: { type: 'string', description: 'PEM client certificate (mutual TLS)' },
        key: { type: ['string', 'null'], writeOnly: true, description: 'Its PEM private key; write-only' },
      },
    },
    token: { type: ['string', 'null'], writeOnly: true, description: 'ocsf and webhook: sent as Authorization: Bearer; write-only, null removes it' },
    secret: { type: ['string', 'null'], minLength: 16, writeOnly: true, description: 'ocsf and webhook (required for webhook): HMAC-SHA256 key of the x-tamga-signature header; write-only' },
    headers: { type: ['object', 'null'], additionalProperties: { type: 'string' }, writeOnly: true, description: 'ocsf and webhook: extra request headers; values write-only; replaces all' },
  },
};

const destination = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    ...settings,
    hasToken: { type: 'boolean' },
    hasSecret: { type: 'boolean' },
    headers: { type: 'array', items: { type: 'string' }, description: 'Names of the extra headers (values are never shown)' },
    tls: {
      type: 'object',
      properties: { ca: { type: ['array', 'null'], items: certificate }, serverName: { type: ['string', 'null'] }, cert: { oneOf: [certificate, { type: 'null' }] }, hasKey: { type: 'boolean' } },
    },
    origin: { type: 'string', enum: ['api', 'file'], description: 'file: defined by TAMGA_FORWARD_FILE, read-only over the API' },
    version: { type: 'integer' },
    createdAt: time,
    updatedAt: time,
    status: {
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['starting', 'delivering', 'idle', 'retrying', 'disabled', 'standby', 'stopped'], description: 'standby: another node delivers it' },
        deliveredBy: { type: ['string', 'null'], description: '"this node", or the node id that saved progress last' },
        delivered: { type: 'integer' },
        skipped: { type: 'integer', description: 'Records the filter left out' },
        deadLettered: { type: 'integer' },
        failures: { type: 'integer', description: 'Failed delivery attempts' },
        lastDeliveredAt: time,
        lastError: { type: ['object', 'null'], properties: { at: { type: 'string', format: 'date-time' }, message: { type: 'string' } } },
        downSince: time,
        lag: {
          type: 'object',
          properties: {
            records: { type: 'integer', description: 'Records of its tenants after its cursors' },
            seconds: { type: 'integer', description: 'Age of the oldest of them (since Tamga accepted it)' },
            oldest: time,
          },
        },
      },
    },
  },
};

/** Paths of the forwarding API (administrators only). */
export const FORWARD_OPENAPI_PATHS = Object.freeze({
  '/api/v1/forwarding/destinations': {
    get: {
      summary: 'Forwarding destinations with their counts, lag and last error (administrators)',
      responses: { '200': json({ type: 'object', properties: { items: { type: 'array', items: destination } } }, 'Destinations'), '401': problem, '403': problem },
    },
    post: {
      summary: 'Create a forwarding destination (administrators); journalled as ForwardingDestinationChanged (32020)',
      requestBody: { required: true, content: { 'application/json': { schema: input } } },
      responses: { '201': json(destination, 'Created'), '400': problem, '401': problem, '403': problem, '409': problem },
    },
  },
  '/api/v1/forwarding/destinations/{id}': {
    get: {
      summary: 'One forwarding destination with its counts, lag and last error',
      parameters: [id],
      responses: { '200': json(destination, 'The destination'), '401': problem, '403': problem, '404': problem },
    },
    patch: {
      summary: 'Change a destination: fields left out keep their values; a secret given replaces, null removes (journalled)',
      parameters: [id],
      requestBody: { required: true, content: { 'application/json': { schema: { ...input, properties: Object.fromEntries(Object.entries(input.properties).filter(([k]) => k !== 'start')) } } } },
      responses: { '200': json(destination, 'Changed'), '400': problem, '401': problem, '403': problem, '404': problem, '409': problem },
    },
    delete: {
      summary: 'Delete a destination (its dead letters stay); journalled',
      parameters: [id],
      responses: { '204': { description: 'Deleted' }, '401': problem, '403': problem, '404': problem, '409': problem },
    },
  },
  '/api/v1/forwarding/destinations/{id}/test': {
    post: {
      summary: 'Journal a ForwardingTest event (32024) and send it to the destination now, on a connection of its own',
      parameters: [id],
      responses: {
        '200': json(
          { type: 'object', properties: { delivered: { type: 'boolean' }, eventId: { type: 'string' }, seq: { type: 'integer' }, tenantId: { type: 'string' }, milliseconds: { type: 'integer' } } },
          'Delivered (syslog: written to an open connection; HTTP: a 2xx answer)',
        ),
        '401': problem,
        '403': problem,
        '404': problem,
        '502': problem,
      },
    },
  },
  '/api/v1/forwarding/destinations/{id}/dead-letters': {
    get: {
      summary: 'Records the destination refused for good, oldest first',
      parameters: [
        id,
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'The `next` of the previous page' },
      ],
      responses: {
        '200': json(
          {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'integer' },
                    recordId: { type: 'string' },
                    tenantId: { type: 'string' },
                    log: { type: ['string', 'null'] },
                    seq: { type: 'integer' },
                    event: { type: 'integer' },
                    reason: { type: 'string' },
                    at: { type: 'string', format: 'date-time' },
                  },
                },
              },
              next: { type: ['integer', 'null'] },
            },
          },
          'A page',
        ),
        '400': problem,
        '401': problem,
        '403': problem,
        '404': problem,
      },
    },
  },
});
