import { isUtf8 } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { TamgaError } from '@tamga/core';
import type { AccessControl } from '../auth/access-control.js';
import type { Authenticator, Principal } from '../auth/api-key-auth.js';
import type { CatalogRegistry } from '../catalog/catalog-registry.js';
import type { ForwardingService } from '../forward/forwarding-service.js';
import type { Journal } from '../journal/journal.js';
import type { Prover } from '../journal/prover.js';
import { sendProblem, toProblem, PROBLEM_JSON } from './problem.js';
import { authenticateRequest, isJournalRead } from './authenticate-request.js';
import { addSecurityHeaders, securityHeaders, setSecurityHeaders } from './security-headers.js';
import { apiKeyRoutes } from './routes/api-key-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { userRoutes } from './routes/user-routes.js';
import { catalogRoutes } from './routes/catalog-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { assetEventRoutes } from './routes/asset-event-routes.js';
import { logRoutes } from './routes/log-routes.js';
import { streamRoutes } from './routes/stream-routes.js';
import { evidenceRoutes } from './routes/evidence-routes.js';
import { forwardRoutes } from './routes/forward-routes.js';
import { healthRoutes } from './routes/health-routes.js';

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
  /** Clock in UTC milliseconds (tests pin it). Default `Date.now`. */
  readonly now?: () => number;
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
}

/** Where `npm run build` puts the journal page (same relative path from `src/http` and `dist/http`). */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

/**
 * Builds the HTTP API without listening, so tests can use `inject()` and the CLI can `listen()`.
 */
export async function buildServer(context: ServerContext, options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const uiDir = options.uiDir ?? DEFAULT_UI_DIR;
  const hasUi = existsSync(`${uiDir}/index.html`);
  const headers = securityHeaders(hasUi ? readFileSync(`${uiDir}/index.html`, 'utf8') : undefined);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024,
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
  if (hasUi) {
    await app.register(fastifyStatic, { root: uiDir, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    // The journal page routes on the client: unknown page paths get its index.html.
    if (hasUi && request.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/.well-known/')) {
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    return reply
      .status(404)
      .type(PROBLEM_JSON)
      .send(toProblem(new TamgaError('NOT_FOUND', `No route ${request.method} ${path}`)));
  });

  // Bodies are parsed here, not by Fastify's default parser, so malformed input gets Tamga's own codes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/problem+json'], { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(decodeUtf8(body as Buffer)));
    } catch (error) {
      done(new TamgaError('MALFORMED_JSON', `Body is not valid JSON: ${(error as Error).message}`, { field: 'body' }), undefined);
    }
  });
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'buffer' }, (_req, body, done) => {
    const events: unknown[] = [];
    let text: string;
    try {
      text = decodeUtf8(body as Buffer);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      try {
        events.push(JSON.parse(line));
      } catch (error) {
        done(
          new TamgaError('MALFORMED_JSON', `Line ${i + 1} is not valid JSON: ${(error as Error).message}`, { field: 'body', line: i + 1 }),
          undefined,
        );
        return;
      }
    }
    done(null, new NdjsonBatch(events));
  });

  app.addHook('onSend', addSecurityHeaders(headers));
  app.addHook('onRequest', (request) => authenticateRequest(context, request));
  const access = context.access;
  if (access !== undefined) {
    // Ingest rate per key (token bucket, cost = events in the batch); the body is parsed by now.
    app.addHook('preHandler', async (request) => {
      const route = request.routeOptions.url;
      if (request.method !== 'POST' || (route !== '/api/v1/events' && !isEventApiAppend(route)) || request.principal === undefined) return;
      const body = request.body;
      const events = body instanceof NdjsonBatch ? body.events.length : Array.isArray(body) ? body.length : 1;
      const retryAfter = access.takeIngest(request.principal, events);
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
  await app.register(eventRoutes, { context, maxBatch: options.maxBatch ?? 10_000 });
  await app.register(assetEventRoutes, { context });
  await app.register(logRoutes, { context });
  await app.register(streamRoutes, { context });
  await app.register(evidenceRoutes, { context });
  if (access !== undefined) {
    await app.register(sessionRoutes, { context });
    await app.register(userRoutes, { context });
    await app.register(apiKeyRoutes, { context });
  }
  if (context.catalogs !== undefined) await app.register(catalogRoutes, { context, catalogs: context.catalogs });
  if (context.forwarding !== undefined) await app.register(forwardRoutes, { forwarding: context.forwarding });
  return app;
}

/** Whether a route is the Event API's single-event append (`POST /api/v1/event`, `POST /api/event`). */
function isEventApiAppend(route: string | undefined): boolean {
  return route === '/api/v1/event' || route === '/api/event';
}

/** Decodes a request body, refusing bytes that are not UTF-8 instead of replacing them silently. */
function decodeUtf8(body: Buffer): string {
  if (!isUtf8(body)) throw new TamgaError('MALFORMED_JSON', 'Body is not valid UTF-8', { field: 'body' });
  return body.toString('utf8');
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
