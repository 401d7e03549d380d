/**
 * OpenAPI paths of the catalogue routes (`routes/catalog-routes.ts`), merged into `openapi.ts`.
 */

const problem = { $ref: '#/components/responses/Problem' };
const tenant = { name: 'tenant', in: 'path', required: true, schema: { type: 'string' }, description: 'Tenant id, or "default"' };
const lang = {
  name: 'lang',
  in: 'query',
  schema: { type: 'string', enum: ['en', 'ru'] },
  description: 'Language of description and domainTitle; default from Accept-Language (ru or en), else en',
};
const many = (name: string, description: string, items: Record<string, unknown> = { type: 'string' }, maxItems = 100) => ({
  name,
  in: 'query',
  schema: { type: 'array', items, maxItems },
  style: 'form',
  explode: true,
  description: `${description} (repeat or comma-separate; at most ${maxItems})`,
});
const localized = { type: 'object', required: ['en', 'ru'], properties: { en: { type: 'string' }, ru: { type: 'string' } } };

const catalogItem = {
  type: 'object',
  required: ['code', 'name', 'catalog', 'catalogVersion', 'domain', 'domainTitle', 'description', 'descriptions', 'classifiedEvent', 'severity', 'status', 'pollable'],
  properties: {
    code: { type: 'integer' },
    name: { type: 'string' },
    catalog: { type: 'string', description: 'Catalogue id, e.g. ai-server' },
    catalogVersion: { type: 'string', description: '<catalog>@<version>, as records resolved with this entry carry it' },
    tenantId: { type: ['string', 'null'], description: 'Present for entries of a tenant catalogue (null = default tenant)' },
    domain: { type: 'string', description: 'Domain key; empty when the entry has none' },
    domainTitle: { type: 'string', description: 'Localized' },
    description: { type: 'string', description: 'Localized' },
    descriptions: localized,
    classifiedEvent: { type: 'integer', enum: [1, 2, 3, 4] },
    severity: { type: 'integer', minimum: 1, maximum: 6 },
    status: { type: 'string', enum: ['active', 'reserved', 'unused'] },
    pollable: { type: 'boolean' },
    ocsf: { type: 'object', properties: { classUid: { type: 'integer' }, activityId: { type: 'integer' } } },
    gost: { type: 'string', description: 'GOST R 59548-2022 event type' },
    attributes: { type: 'array', items: { type: 'object' } },
    seedCode: { type: 'integer', description: 'Code the seed documents give, when Tamga renumbered the entry' },
    note: { type: 'string' },
  },
};

const settings = {
  type: 'object',
  additionalProperties: false,
  properties: {
    builtinCatalogs: { type: ['array', 'null'], items: { type: 'string' }, description: 'Built-in catalogues the tenant resolves against; null or absent = all' },
    openCodes: { type: 'boolean', default: false, description: 'Store codes in no catalogue, flagged unregistered, instead of refusing them' },
    backdatedImports: {
      type: 'boolean',
      default: false,
      description: 'Take createdAt back to 1700-01-01 (imports of old records) instead of 1970-01-01; never more than a day ahead of the server clock',
    },
  },
};
/** The settings as answered: those of {@link settings} and the tenant they belong to. */
const settingsAnswer = {
  ...settings,
  properties: { tenantId: { type: ['string', 'null'], description: 'null: the default tenant' }, ...settings.properties },
};

/** Paths of the catalogue API. */
export const CATALOG_OPENAPI_PATHS = Object.freeze({
  '/api/v1/catalog': {
    get: {
      summary: 'Every catalogue entry visible to the caller: built-ins and the catalogues of the tenants it may read',
      parameters: [
        many('catalog', 'Catalogue ids'),
        many('domain', 'Domain keys'),
        many('classifiedEvent', 'Classes', { type: 'integer', enum: [1, 2, 3, 4] }),
        many('status', 'Statuses'),
        many('tenantId', 'Entries as these tenants resolve codes: their catalogue, then the built-ins they enabled; "default" is the default tenant', { type: 'string' }, 20),
        lang,
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 5000, default: 1000 }, description: 'Entries per page' },
        { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
      ],
      responses: {
        '200': {
          description: 'A page of entries, localized (Content-Language); nextCursor is null on the last page',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['items', 'nextCursor'],
                properties: { items: { type: 'array', items: catalogItem }, nextCursor: { type: ['string', 'null'] } },
              },
            },
          },
        },
        '400': problem,
        '401': problem,
      },
    },
  },
  '/api/v1/catalog/{code}': {
    get: {
      summary: 'One entry by code or name (built-ins first, then tenant catalogues; with tenantId as that tenant resolves it)',
      parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'string' }, description: 'Numeric code or event name' }, many('tenantId', 'Tenants'), lang],
      responses: { '200': { description: 'The entry', content: { 'application/json': { schema: catalogItem } } }, '401': problem, '404': problem },
    },
  },
  '/api/v1/tenants/{tenant}/catalog': {
    get: {
      summary: "The tenant's catalogue: the current version, or ?version=N",
      parameters: [tenant, { name: 'version', in: 'query', schema: { type: 'integer', minimum: 1 } }],
      responses: {
        '200': {
          description: 'The stored catalogue: its text as sent, and the parsed document',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  tenantId: { type: ['string', 'null'] },
                  catalog: { type: 'string' },
                  version: { type: 'integer' },
                  current: { type: 'boolean' },
                  format: { type: 'string', enum: ['json', 'yaml'] },
                  createdAt: { type: 'string', format: 'date-time' },
                  text: { type: 'string' },
                  document: { type: 'object' },
                },
              },
            },
          },
        },
        '400': problem,
        '403': problem,
        '404': problem,
      },
    },
    put: {
      summary: "Register the tenant's catalogue (administrators): stored as the next version and journalled as CatalogChanged (32011)",
      description:
        'Refused as a whole (422 CATALOG_INVALID, `problems` with lines) when invalid or when it conflicts with a built-in the tenant enabled (same code, other name; same name, other code; an unused code inside a built-in range). Identical text stores nothing (200, changed false).',
      parameters: [tenant],
      requestBody: {
        required: true,
        content: {
          'application/yaml': { schema: { type: 'string' } },
          'application/json': { schema: { type: 'object', description: 'A catalogue document (see catalogs/*.json)' } },
        },
      },
      responses: {
        '201': { description: 'Stored as a new version' },
        '200': { description: 'Identical to the current version; nothing stored' },
        '400': problem,
        '403': problem,
        '415': problem,
        '422': problem,
      },
    },
  },
  '/api/v1/tenants/{tenant}/settings': {
    get: {
      summary: "The tenant's catalogue settings",
      parameters: [tenant],
      responses: { '200': { description: 'Settings', content: { 'application/json': { schema: settingsAnswer } } }, '403': problem },
    },
    put: {
      summary: "Replace the tenant's catalogue settings (administrators); journalled as CatalogChanged (32011)",
      parameters: [tenant],
      requestBody: { required: true, content: { 'application/json': { schema: settings } } },
      responses: { '200': { description: 'Settings as stored', content: { 'application/json': { schema: settingsAnswer } } }, '400': problem, '403': problem, '422': problem },
    },
  },
});
