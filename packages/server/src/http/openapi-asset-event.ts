/**
 * OpenAPI paths of seed 004's Event API (`routes/asset-event-routes.ts`), merged into `openapi.ts`, under `/api/v1`
 * and the seed's own `/api`. The mapping onto Tamga's record is in `docs/asset-server-event-api.md`.
 */

const problem = { $ref: '#/components/responses/Problem' };
const tenantId = {
  name: 'tenantId',
  in: 'query',
  schema: { type: 'string' },
  description: 'Tenant; default: the key’s only tenant, else the default tenant ("default")',
};
const token = { name: 'token', in: 'query', schema: { type: 'string' }, description: 'An API key or a session id, instead of Authorization: Bearer' };
const maxId = {
  'X-Tamga-Max-Event-Id': { schema: { type: 'integer' }, description: 'The newest _id of the tenant when the answer was made' },
};
const user = {
  type: 'object',
  description: 'User short format',
  properties: { _basetype: { const: 'user' }, user: { type: 'object', properties: { _id: { type: ['integer', 'string'] }, _generated_displayname: { type: 'string' } } } },
};
const id = { type: ['integer', 'string'] };
const attributes = {
  type: { type: 'string', description: 'Event type of the asset-server catalogue, e.g. OBJECT_UPDATE' },
  timestamp: { type: 'string', format: 'date-time' },
  ipv4_address: { type: 'string' },
  pollable: { type: 'boolean', description: 'Default: the catalogue entry’s' },
  session_self: { type: 'boolean' },
  schema: { type: 'string', description: 'BASE or USER' },
  objecttype: { type: 'string' },
  basetype: { type: 'string' },
  object_id: id,
  global_object_id: id,
  object_version: id,
  info: { description: 'JSON map of the type’s extra information' },
};
const session = { type: 'object', properties: { token: { type: 'string' }, created: { type: 'string', format: 'date-time' }, expired: { type: 'string', format: 'date-time' } } };
const assetEvent = {
  type: 'object',
  description: 'An Event API event; `_tamga` is Tamga’s evidence (id, seq, signature, validSignature, integrity, receipt path)',
  properties: {
    event: { type: 'object', properties: { _id: { type: 'integer', description: 'seq + 1 in the tenant’s log' }, ...attributes } },
    _session: session,
    _user: user,
    _tamga: { type: 'object' },
  },
};
const eventList = { 'application/json': { schema: { type: 'array', items: assetEvent } } };

const pollParameters = [
  tenantId,
  token,
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0, default: 25 }, description: '0 means 1000; above 1000 is capped' },
  { name: 'timeout', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 60, default: 0 }, description: 'Long poll: wait up to this many seconds for the next pollable event' },
];

const paths = {
  '/event': {
    post: {
      summary: 'Append one event of any asset-server type (Event API)',
      parameters: [tenantId, token],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              description: '{ event, _session, _user } as GET answers it (without _id), or the event’s attributes with _session and _user beside them',
              properties: { event: { type: 'object', properties: attributes, additionalProperties: false }, _session: session, _user: user },
            },
          },
        },
      },
      responses: { '201': { description: 'The stored event', content: { 'application/json': { schema: assetEvent } } }, '400': problem, '403': problem, '422': problem },
    },
    delete: {
      summary: 'Refused: the journal is append-only; old events leave only through retention',
      parameters: [token],
      responses: { '405': problem },
    },
  },
  '/event/{id}': {
    get: {
      summary: 'One event by _id, full format (Event API)',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }, tenantId, token],
      responses: { '200': { description: 'The event', content: { 'application/json': { schema: assetEvent } } }, '400': problem, '404': problem },
    },
    delete: {
      summary: 'Refused: the journal is append-only; old events leave only through retention',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, token],
      responses: { '405': problem },
    },
  },
  '/event/list': {
    get: {
      summary: 'Search events (Event API), as JSON (full format) or CSV',
      parameters: [
        tenantId,
        token,
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 } },
        { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
        { name: 'pollable', in: 'query', schema: { type: 'boolean' } },
        { name: 'type', in: 'query', schema: { type: 'string' }, description: 'Comma list of event types' },
        { name: 'base_type', in: 'query', schema: { type: 'string' }, description: 'basetype, or objecttype of a BASE schema object' },
        { name: 'user_id', in: 'query', schema: { type: 'string' }, description: '_user.user._id' },
        { name: 'date_from', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'Inclusive, on timestamp' },
        { name: 'date_to', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'Inclusive, on timestamp' },
        {
          name: 'sort',
          in: 'query',
          schema: { type: 'string', default: '_id.DESC' },
          description: 'Comma list of field[.ASC|.DESC] over _id, type, object_version, schema, object_id, timestamp, user_generated_displayname; ascending without a direction',
        },
        { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'], default: 'json' } },
        { name: 'csv_delimiter', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 1, default: ',' } },
        { name: 'csv_quote', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 1, default: '"' } },
        { name: 'csv_escape', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 1 }, description: 'Default: csv_quote (doubling)' },
        { name: 'csv_use_bom', in: 'query', schema: { type: 'boolean', default: false } },
        { name: 'csv_explode', in: 'query', schema: { type: 'boolean', default: false }, description: 'One info.<key> column per info key (nested keys dotted)' },
        { name: 'csv_explode_array_concat', in: 'query', schema: { type: 'boolean', default: false }, description: 'With csv_explode: an array in one cell, one item a line' },
        { name: 'csv_max_length', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 }, description: 'Longest cell in characters; 0 = no limit' },
      ],
      responses: {
        '200': { description: 'Events', headers: maxId, content: { ...eventList, 'text/csv': { schema: { type: 'string' } } } },
        '400': problem,
        '422': problem,
      },
    },
  },
  '/event/poll': {
    get: {
      summary: 'Pollable events after the newest one at the session start (or now, for an API key), short format',
      parameters: [
        ...pollParameters,
      ],
      responses: { '200': { description: 'Events', headers: maxId, content: eventList }, '400': problem },
    },
  },
  '/event/poll/{last_max_id}': {
    get: {
      summary: 'Pollable events with _id > last_max_id, in _id order, short format (Event API; poll/0 is from the start)',
      parameters: [
        { name: 'last_max_id', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
        ...pollParameters,
      ],
      responses: { '200': { description: 'Events', headers: maxId, content: eventList }, '400': problem },
    },
  },
};

/** The Event API's paths under `/api/v1` and under the seed's own `/api`. */
export const ASSET_EVENT_OPENAPI_PATHS = Object.freeze(
  Object.fromEntries(['/api/v1', '/api'].flatMap((prefix) => Object.entries(paths).map(([path, ops]) => [`${prefix}${path}`, ops]))),
);
