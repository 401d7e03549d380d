import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { ValidationError } from '@tamga/core';
import { API_DESCRIPTION } from './openapi.js';

/**
 * Route schemas (decisions/0037): every API route carries a Fastify schema — operationId, tags, querystring, params,
 * body and a response per status — taken from the operations of {@link API_DESCRIPTION} when the route registers.
 * `@fastify/swagger` generates `/api/v1/openapi.json` from the registered routes, so the document lists exactly the
 * routes that exist; the querystring schema is what the route accepts (an unknown parameter is refused), and
 * `openapi-conformance.test.ts` checks real answers against the response schemas.
 */

type Json = Record<string, unknown>;
interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly schema?: Json;
  readonly description?: string;
}
interface Operation {
  readonly summary?: string;
  readonly description?: string;
  readonly operationId?: string;
  readonly security?: unknown[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly content: Record<string, { schema?: Json }> };
  readonly responses?: Record<string, Json>;
}

/** Shared schemas, registered with `addSchema` and referenced as `Name#`; the document lists them in components. */
export const SHARED_SCHEMAS: readonly Json[] = Object.entries(API_DESCRIPTION.components.schemas).map(([name, schema]) => ({
  $id: name,
  ...rewriteRefs(schema),
}));

const PROBLEM_REF = '#/components/responses/Problem';

/** A problem answer of `status`. */
function problemResponse(status: string): Json {
  return {
    description: `Problem (RFC 9457), status ${status}: code, detail, field naming the offending field, instance`,
    content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
  };
}

/** `#/components/schemas/X` → `X#` (Fastify's shared-schema reference). */
function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/') ? `${v.slice('#/components/schemas/'.length)}#` : rewriteRefs(v);
  }
  return out as T;
}

/** `getEventsById`-style id from the method and the OpenAPI path. */
function operationIdOf(method: string, path: string): string {
  const upper = (w: string): string => w[0]!.toUpperCase() + w.slice(1);
  const camel = (w: string): string => w.split(/[.\-_]+/).filter((p) => p !== '').map(upper).join('');
  const words = path
    .replace(/^\/api\/v1\//, '/')
    .replace(/^\/api\//, '/eventApi/')
    .split('/')
    .filter((w) => w !== '')
    .map((w) => (w.startsWith('{') ? `By${camel(w.slice(1, -1))}` : camel(w)));
  return method.toLowerCase() + words.join('');
}

/** Paths answered without credentials. */
function isPublic(method: string, path: string, op: Operation): boolean {
  return (Array.isArray(op.security) && op.security.length === 0) || (method === 'POST' && path === '/api/v1/session');
}

/** The Fastify schema of one documented operation. */
function toRouteSchema(method: string, path: string, op: Operation): FastifySchema {
  const query = (op.parameters ?? []).filter((p) => p.in === 'query');
  const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
  const headerParams = (op.parameters ?? []).filter((p) => p.in === 'header');
  const property = (p: Parameter): Json => ({ ...(p.schema ?? {}), ...(p.description !== undefined && { description: p.description }) });
  const responses: Json = {};
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    responses[status] = response.$ref === PROBLEM_REF ? problemResponse(status) : rewriteRefs(response);
  }
  // Statuses every route of its kind answers, documented even where the operation did not list them.
  const statuses = ['400', '429'];
  if (path.startsWith('/api/') && !isPublic(method, path, op)) statuses.push('401', '403', '503');
  if (op.requestBody !== undefined) statuses.push('413', '415');
  if (pathParams.length > 0 && path.startsWith('/api/')) statuses.push('404');
  for (const status of statuses) responses[status] ??= problemResponse(status);
  // A route that only refuses its method (DELETE on the append-only journal) answers 405 whatever the query.
  const refusal = Object.keys(responses).every((status) => !status.startsWith('2')) && '405' in responses;
  const tag = path.startsWith('/api/v1/') ? path.split('/')[3]! : path.startsWith('/api/') ? 'event-api' : 'service';
  return {
    operationId: op.operationId ?? operationIdOf(method, path),
    tags: [tag],
    ...(op.summary !== undefined && { summary: op.summary }),
    ...(op.description !== undefined && { description: op.description }),
    ...(op.security !== undefined && { security: op.security }),
    querystring: {
      type: 'object',
      additionalProperties: refusal,
      properties: Object.fromEntries(query.map((p) => [p.name, property(p)])),
      ...(query.some((p) => p.required === true) && { required: query.filter((p) => p.required === true).map((p) => p.name) }),
    },
    ...(pathParams.length > 0 && {
      params: {
        type: 'object',
        properties: Object.fromEntries(pathParams.map((p) => [p.name, property(p)])),
        required: pathParams.map((p) => p.name),
      },
    }),
    // Header names as Node gives them (lower case); the route reads and checks them itself.
    ...(headerParams.length > 0 && {
      headers: { type: 'object', properties: Object.fromEntries(headerParams.map((p) => [p.name.toLowerCase(), property(p)])) },
    }),
    ...(op.requestBody !== undefined && { body: { content: rewriteRefs(op.requestBody.content) } }),
    response: responses,
  } as FastifySchema;
}

/** Schemas of every documented operation, keyed `METHOD /fastify/:path`. */
const ROUTE_SCHEMAS: ReadonlyMap<string, FastifySchema> = new Map(
  Object.entries(API_DESCRIPTION.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, toRouteSchema(method.toUpperCase(), path, op)]),
  ),
);

/** Whether a URL is part of the API (and so must carry a schema). */
function isApiUrl(url: string): boolean {
  return url.startsWith('/api/') || url.startsWith('/.well-known/') || url === '/healthz' || url === '/readyz' || url === '/metrics';
}

/**
 * Gives each API route its schema as it registers (an `onRoute` hook); an API route without a documented operation
 * fails the start, so no route can be left out of the document. Other routes (the page's files) are hidden from it.
 */
export function attachRouteSchema(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (!isApiUrl(route.url)) {
    route.schema = { ...route.schema, hide: true } as FastifySchema;
    return;
  }
  if (methods.length === 1 && methods[0] === 'HEAD') return;
  const key = `${methods[0]} ${route.url.replace(/\/+$/, '') || '/'}`;
  const schema = ROUTE_SCHEMAS.get(key);
  if (schema === undefined) throw new Error(`${key} has no documented operation in openapi*.ts`);
  route.schema = { ...schema, ...route.schema };
}

/**
 * Validation of the querystring: a parameter the route's schema does not name is refused, naming it (a typo like
 * `evnt=` must not silently widen a query). Values are parsed by the routes (`query-params.ts`), which name the field
 * in their own words; bodies are validated by the code that stores them (field, index), as before.
 */
export function installRouteValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart !== 'querystring') return () => true;
    const properties = (schema as { properties?: Json }).properties ?? {};
    const closed = (schema as { additionalProperties?: unknown }).additionalProperties === false;
    const known = Object.keys(properties);
    const required = ((schema as { required?: string[] }).required ?? []).filter((n) => n in properties);
    return (data: unknown) => {
      const query = (data ?? {}) as Json;
      for (const name of Object.keys(query)) {
        if (closed && !Object.hasOwn(properties, name)) {
          const takes = known.length > 0 ? `takes ${known.join(', ')}` : 'takes no query parameters';
          return { error: new ValidationError('VALIDATION_FAILED', `${name.slice(0, 64)}: unknown query parameter; this route ${takes}`, { field: name.slice(0, 64) }) };
        }
      }
      for (const name of required) {
        if (query[name] === undefined || query[name] === '') return { error: new ValidationError('VALIDATION_FAILED', `${name}: is required`, { field: name }) };
      }
      return { value: query };
    };
  });
  // Answers are sent as the handlers build them: a response schema documents them (and tests check them) but never
  // drops a field the way fast-json-stringify drops properties it does not know.
  app.setSerializerCompiler(() => (data: unknown) => JSON.stringify(data));
}
