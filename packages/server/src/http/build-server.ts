import { isUtf8 } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { TamgaError } from '@tamga/core';
import type { AccessControl } from '../auth/access-control.js';
import type { Authenticator, Principal } from '../auth/api-key-auth.js';
import type { CatalogRegistry } from '../catalog/catalog-registry.js';
import type { ForwardingService } from '../forward/forwarding-service.js';
import type { Journal } from '../journal/journal.js';
import type { Prover } from '../journal/prover.js';
import type { RetentionService } from '../retention/retention-service.js';
import { instanceOf, sendProblem, toProblem, PROBLEM_JSON } from './problem.js';
import { authenticateRequest, isJournalRead } from './authenticate-request.js';
import { addSecurityHeaders, securityHeaders, setSecurityHeaders } from './security-headers.js';
import { clientErrorHandler } from './client-errors.js';
import { isOverConnectionLimit, limitConnectionsPerIp } from './connection-limit.js';
import { DEFAULT_HTTP_CONFIG } from './http-config.js';
import type { HttpConfig } from './http-config.js';
import { checkJsonShape } from './json-shape.js';
import { RouteMethods } from './route-methods.js';
import { metricsRoutes, TamgaMetrics } from './metrics.js';
import { attachRouteSchema, installRouteValidation, SHARED_SCHEMAS } from './route-schemas.js';
import { API_DESCRIPTION } from './openapi.js';
import { apiKeyRoutes } from './routes/api-key-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { userRoutes } from './routes/user-routes.js';
import { catalogRoutes } from './routes/catalog-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { assetEventRoutes } from './routes/asset-event-routes.js';
import { logRoutes } from './routes/log-routes.js';
import { tlogRoutes } from './routes/tlog-routes.js';
import type { TlogConfig } from '../tlog/tlog-config.js';
import type { WitnessSubmitter } from '../tlog/witness-submitter.js';
import { streamRoutes } from './routes/stream-routes.js';
import { evidenceRoutes } from './routes/evidence-routes.js';
import { forwardRoutes } from './routes/forward-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { retentionRoutes } from './routes/retention-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller of an `/api/v1` route. */
    principal: Principal | undefined;
  }
}

/** Everything the HTTP layer needs. */
export interface ServerContext {
  readonly journal: Journal;
  readonly prover: Prover;
  readonly auth: Authenticator;
  /** Users, sessions, API keys and abuse limits (`/api/v1/session`, `/users`, `/api-keys`); absent = bearer keys only. */
  readonly access?: AccessControl;
  /** Built-in and tenant catalogues (`/api/v1/catalog`, `/api/v1/tenants/{tenant}/catalog|settings`). */
  readonly catalogs?: CatalogRegistry;
  /** Forwarding destinations (`/api/v1/forwarding/destinations`); absent = not offered. */
  readonly forwarding?: ForwardingService;
  /** Retention policies, legal holds and purges (`/api/v1/tenants/{tenant}/retention|holds`); absent = not offered. */
  readonly retention?: RetentionService;
  /** Clock in UTC milliseconds (tests pin it). Default `Date.now`. */
  readonly now?: () => number;
  /** Which tenant logs are public under `/tlog/` (default: none). */
  readonly tlog?: TlogConfig;
  /** The log side of tlog-witness: witness status per log (`/api/v1/logs/{tenant}/status`). */
  readonly witnesses?: WitnessSubmitter;
  /** Prometheus metrics (`/metrics`); default: a registry of this server's own. */
  readonly metrics?: TamgaMetrics;
}

/** Options of {@link buildServer}. */
export interface BuildServerOptions {
  /** Largest request body in bytes. Default 16 MiB. */
  readonly bodyLimit?: number;
  /** Most events in one append. Default 10,000. */
  readonly maxBatch?: number;
  /** Fastify logger setting. Default off. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Directory of the built journal page. Default `packages/ui/dist`; not served when missing. */
  readonly uiDir?: string;
  /** Timeouts and the per-address connection limit. Default {@link DEFAULT_HTTP_CONFIG}. */
  readonly http?: HttpConfig;
}

/**
 * The built journal page: `ui/` inside the installed package (`npm run pack`, docs/decisions/0029) when there is
 * one, else where `npm run build` puts it in the repository (same relative paths from `src/http` and `dist/http`).
 */
export const DEFAULT_UI_DIR = ((packaged) => (existsSync(packaged) ? packaged : fileURLToPath(new URL('../../../ui/dist/', import.meta.url))))(
  fileURLToPath(new URL('../../ui/', import.meta.url)),
);

/** Cache-Control of a file of the page: `assets/` holds content-hashed names (Vite), immutable; the rest revalidates. */
function staticCacheControl(uiDir: string, path: string): string {
  const name = relative(uiDir, path).split(sep);
  return name.length > 1 && name[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/**
 * Builds the HTTP API without listening, so tests can use `inject()` and the CLI can `listen()`.
 */
export async function buildServer(context: ServerContext, options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const uiDir = options.uiDir ?? DEFAULT_UI_DIR;
  const hasUi = existsSync(`${uiDir}/index.html`);
  const headers = securityHeaders(hasUi ? readFileSync(`${uiDir}/index.html`, 'utf8') : undefined);
  const limits = options.http ?? DEFAULT_HTTP_CONFIG;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024,
    // Behind a reverse proxy or load balancer (TAMGA_TRUST_PROXY): request.ip and request.protocol are the client's,
    // from the X-Forwarded-* headers of the listed proxies only.
    trustProxy: (limits.trustProxy ?? []).length > 0 ? [...limits.trustProxy] : false,
    // Slow clients (decisions/0019): the request must arrive in time; then only an idle connection is cut, so the
    // live stream and exports, long on purpose, keep going.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // Node checks the timeouts above every 30 s by default: a 10 s limit would hold up to 40 s.
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
      // Answered by Tamga as problem+json (below) instead of Node's empty 400.
      requireHostHeader: false,
    },
    // Errors of Node's HTTP parser, before a request exists: problem+json too.
    clientErrorHandler: clientErrorHandler(headers),
    // Request ids in logs; ids arriving from outside are not trusted.
    genReqId: () => crypto.randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
    // A URL that does not decode (`%C0%AE`) fails before routing: it still gets a problem body.
    frameworkErrors: (error, request, reply) => {
      setSecurityHeaders(reply, headers);
      void sendProblem(error, request, reply);
    },
  });
  app.decorateRequest('principal', undefined);
  app.setErrorHandler(sendProblem);
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route.method, route.url));
  // Every API route carries its schema; the OpenAPI document is generated from them (decisions/0037).
  app.addHook('onRoute', attachRouteSchema);
  installRouteValidation(app);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: API_DESCRIPTION.info,
      servers: [...API_DESCRIPTION.servers],
      security: [...API_DESCRIPTION.security],
      components: { securitySchemes: API_DESCRIPTION.components.securitySchemes },
    },
    // Shared schemas keep their names in components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  limitConnectionsPerIp(app.server, limits.maxConnectionsPerIp);
  // Before anything else looks at the request: a connection beyond its address's limit, an HTTP/1.1 request
  // without Host (RFC 9112 §3.2).
  app.addHook('onRequest', async (request, reply) => {
    if (isOverConnectionLimit(request.raw.socket)) {
      void reply.header('connection', 'close');
      throw new TamgaError('RATE_LIMITED', `More than ${limits.maxConnectionsPerIp} open connections from this address; close some`, { retryAfter: 1 });
    }
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      void reply.header('connection', 'close');
      throw new TamgaError('MALFORMED_REQUEST', 'host: an HTTP/1.1 request needs a Host header', { field: 'host' });
    }
  });
  if (hasUi) {
    // Compressed copies written at build (NAME.br, NAME.gz) are sent to clients that accept them. Hashed assets never
    // change under their name: cached for a year. Everything else (index.html, the fallback catalogue) is revalidated
    // on each use by its ETag (304 when unchanged), so a new version shows at the next load.
    await app.register(fastifyStatic, {
      root: uiDir,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      preCompressed: true,
      cacheControl: false,
      setHeaders: (reply, path) => void reply.header('cache-control', staticCacheControl(uiDir, path)),
    });
  }
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    // The journal page routes on the client: unknown page paths get its index.html, but only for a browser's
    // navigation (it accepts HTML); a scraper or an API client asking for anything else gets a 404.
    const navigation = (request.headers.accept ?? '').includes('text/html');
    if (hasUi && navigation && request.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/.well-known/')) {
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    const allowed = routeMethods.allowed(path);
    if (allowed.length > 0) {
      return reply
        .status(405)
        .header('allow', allowed.join(', '))
        .type(PROBLEM_JSON)
        .send({ ...toProblem(new TamgaError('METHOD_NOT_ALLOWED', `${path} answers ${allowed.join(', ')}, not ${request.method}`)), instance: instanceOf(request) });
    }
    return reply
      .status(404)
      .type(PROBLEM_JSON)
      .send({ ...toProblem(new TamgaError('NOT_FOUND', `No route ${request.method} ${path}`)), instance: instanceOf(request) });
  });

  // Bodies are parsed here, not by Fastify's default parser, so malformed input gets Tamga's own codes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/problem+json'], { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseJson(decodeJsonBody(body as Buffer), 'Body is not valid JSON', { field: 'body' }));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      const bytes = body as Buffer;
      checkJsonBody(bytes);
      // Each line decoded on its own rather than the body as one string: a line of Latin text stays a one-byte string
      // (one Cyrillic line made the whole body's string two-byte, which JSON.parse reads and copies more slowly), and a
      // large body never becomes one large string (V8 gives each such string freshly mapped pages). The request thread
      // spends 1.3 µs less per event (medians of 5 alternated 300,000-event runs: 17.4 → 16.1 µs).
      const events: unknown[] = [];
      for (let start = 0, line = 1; start < bytes.length; start++, line++) {
        let end = bytes.indexOf(0x0a, start);
        if (end === -1) end = bytes.length;
        const text = bytes.toString('utf8', start, end).trim();
        if (text !== '') events.push(parseJson(text, `Line ${line} is not valid JSON`, { field: 'body', line }));
        start = end;
      }
      done(null, new NdjsonBatch(events));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.addHook('onSend', addSecurityHeaders(headers));
  const metrics = context.metrics ?? new TamgaMetrics(context.journal.store);
  metrics.install(app);
  app.addHook('onRequest', (request) => authenticateRequest(context, request));
  const access = context.access;
  if (access !== undefined) {
    // Ingest rate per key (token bucket, cost = events in the batch); the body is parsed by now.
    app.addHook('preHandler', async (request) => {
      const route = request.routeOptions.url;
      if (request.method !== 'POST' || (route !== '/api/v1/events' && !isEventApiAppend(route)) || request.principal === undefined) return;
      const body = request.body;
      const events = body instanceof NdjsonBatch ? body.events.length : Array.isArray(body) ? body.length : 1;
      const retryAfter = await access.takeIngest(request.principal, events);
      if (retryAfter > 0) throw new TamgaError('RATE_LIMITED', `This key appends faster than ${access.config.ingestRate} events a second`, { retryAfter });
    });
    // Reading the journal is journalled (JournalRead, at most once a minute per principal), after the answer.
    app.addHook('onResponse', async (request, reply) => {
      if (request.principal === undefined || reply.statusCode >= 400 || !isJournalRead(request)) return;
      const [path, rawQuery = ''] = request.url.split('?');
      // The Event API takes a key as `?token=`: it is a credential, not something to journal.
      const query = rawQuery.replace(/(^|&)token=[^&]*/g, '$1token=…');
      try {
        await access.noteJournalRead(request.principal, { ip: request.ip }, { path: path!, query });
      } catch (error) {
        request.log.error({ err: error }, 'journalling a read failed');
      }
    });
  }

  await app.register(healthRoutes, { context });
  await app.register(metricsRoutes, { metrics, token: limits.metricsToken });
  await app.register(eventRoutes, { context, maxBatch: options.maxBatch ?? 10_000 });
  await app.register(assetEventRoutes, { context });
  await app.register(logRoutes, { context });
  await app.register(tlogRoutes, { context });
  await app.register(streamRoutes, { context });
  await app.register(evidenceRoutes, { context });
  if (access !== undefined) {
    await app.register(sessionRoutes, { context });
    await app.register(userRoutes, { context });
    await app.register(apiKeyRoutes, { context });
  }
  if (context.catalogs !== undefined) await app.register(catalogRoutes, { context, catalogs: context.catalogs });
  if (context.forwarding !== undefined) await app.register(forwardRoutes, { forwarding: context.forwarding });
  if (context.retention !== undefined) await app.register(retentionRoutes, { context, retention: context.retention });
  return app;
}

/** Whether a route is the Event API's single-event append (`POST /api/v1/event`, `POST /api/event`). */
function isEventApiAppend(route: string | undefined): boolean {
  return route === '/api/v1/event' || route === '/api/event';
}

/** Decodes a JSON request body, checked by {@link checkJsonBody}. */
function decodeJsonBody(body: Buffer): string {
  checkJsonBody(body);
  return body.toString('utf8');
}

/**
 * Checks a JSON or NDJSON request body before it is decoded: a large one for a shape that would blow up in
 * `JSON.parse` ({@link checkJsonShape}), and bytes that are not UTF-8 are refused instead of replaced silently.
 */
function checkJsonBody(body: Buffer): void {
  checkJsonShape(body);
  if (!isUtf8(body)) throw new TamgaError('MALFORMED_JSON', 'Body is not valid UTF-8', { field: 'body' });
}

/** `JSON.parse`, its SyntaxError becoming `MALFORMED_JSON` with `details`. */
function parseJson(text: string, what: string, details: Record<string, unknown>): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TamgaError('MALFORMED_JSON', `${what}: ${(error as Error).message}`, details);
  }
}

/** The events of an NDJSON body (kept apart from a JSON array so both can be told apart). */
export class NdjsonBatch {
  constructor(readonly events: unknown[]) {}
}

/** The principal of an authenticated request; routes under `/api/v1` always have one. */
export function principalOf(request: { principal: Principal | undefined }): Principal {
  if (request.principal === undefined) throw new TamgaError('UNAUTHENTICATED', 'Not authenticated');
  return request.principal;
}
