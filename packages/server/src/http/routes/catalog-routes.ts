import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_TENANT_NAME, formatTimestamp, SYSTEM_TENANT_ID, TamgaError, ValidationError } from '@tamga/core';
import type { CatalogDocument, TenantIds } from '@tamga/core';
import type { Principal } from '../../auth/api-key-auth.js';
import { catalogChangedEvent } from '../../catalog/catalog-changed-event.js';
import { pickCatalogLang, toCatalogItem } from '../../catalog/catalog-items.js';
import type { CatalogItem, CatalogLang } from '../../catalog/catalog-items.js';
import type { CatalogRegistry } from '../../catalog/catalog-registry.js';
import type { CatalogFormat, TenantCatalogSettings } from '../../catalog/catalog-store.js';
import { principalOf } from '../build-server.js';
import { sendCacheableJson } from '../cacheable-json.js';
import { listParam, MAX_LIST_VALUES, parseLimit, parseTenant, singleParam } from '../query-params.js';
import type { ServerContext } from '../build-server.js';

type Query = Record<string, string | string[] | undefined>;

/** A catalogue body as received: the text is kept whole so problems can name its lines. */
class CatalogBody {
  constructor(
    readonly text: string,
    readonly format: CatalogFormat,
  ) {}
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Most tenants `tenantId` may name in one call of the catalogue API. */
const MAX_CATALOG_TENANTS = 20;
/** Items of a catalogue page unless `limit` says otherwise: the built-ins and a few tenant catalogues in one page. */
const DEFAULT_CATALOG_PAGE = 1000;
/** Most items of a catalogue page. */
const MAX_CATALOG_PAGE = 5000;

/** Values of a repeatable query parameter (`?a=1&a=2` or `?a=1,2`), at most 100; undefined when none. */
function filterOf(query: Query, name: string): string[] | undefined {
  const values = listParam(query, name);
  return values.length === 0 ? undefined : values;
}

/** A page position in the catalogue listing: how many matching items came before. */
function encodeOffsetCursor(offset: number): string {
  return Buffer.from(JSON.stringify(['catalog', offset])).toString('base64url');
}

function decodeOffsetCursor(query: Query): number {
  const text = singleParam(query, 'cursor');
  if (text === undefined) return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed[0] === 'catalog' && Number.isSafeInteger(parsed[1]) && (parsed[1] as number) > 0) return parsed[1] as number;
  } catch {
    // fall through
  }
  throw new ValidationError('INVALID_CURSOR', 'cursor: not a cursor this server issued', { field: 'cursor' });
}

/**
 * The `{tenant}` path parameter: `default` is the default tenant (null). Reading names a tenant (the rule, or an id
 * stored before it); a change stores something new under it (the rule only).
 */
function tenantParam(request: FastifyRequest, tenantIds: TenantIds, use: 'read' | 'change'): string | null {
  const { tenant } = request.params as { tenant: string };
  if (tenant === DEFAULT_TENANT_NAME) return null;
  if (use === 'read') tenantIds.checkName(tenant, 'tenant');
  else tenantIds.checkNew(tenant, 'tenant');
  return tenant;
}

function mayRead(principal: Principal, tenantId: string | null): boolean {
  return principal.isAdmin || principal.tenants === undefined || principal.tenants.includes(tenantId);
}

function requireAdmin(principal: Principal, tenantId: string | null): void {
  if (!principal.isAdmin) throw new TamgaError('FORBIDDEN', 'Only administrators may change catalogues');
  if (tenantId === SYSTEM_TENANT_ID) {
    throw new TamgaError('FORBIDDEN', `Tenant "${SYSTEM_TENANT_ID}" holds Tamga's own events; its catalogue is built in`, { field: 'tenant' });
  }
}

/**
 * `/api/v1/catalog` (every entry visible to the caller, localized) and `/api/v1/tenants/{tenant}/catalog|settings`
 * (tenant catalogues and their settings; changes by administrators only, each journalled as `CatalogChanged`).
 */
export async function catalogRoutes(
  app: FastifyInstance,
  { context, catalogs }: { context: ServerContext; catalogs: CatalogRegistry },
): Promise<void> {
  const { journal } = context;

  /**
   * Every entry visible to the principal, or the entries a tenant's codes resolve against, made one at a time: a page
   * holds `limit` items however many tenants and entries there are.
   */
  function* visibleItems(principal: Principal, lang: CatalogLang, tenantFilter: (string | null)[] | undefined): Generator<CatalogItem> {
    if (tenantFilter !== undefined) {
      const builtinDocs = new Map(catalogs.builtins.map((d) => [d.catalog, d]));
      for (const tenantId of tenantFilter) {
        if (!mayRead(principal, tenantId)) continue;
        const view = catalogs.forTenant(tenantId);
        const own = catalogs.tenantCatalog(tenantId);
        for (const entry of view.set.entries()) {
          const isOwn = own !== undefined && entry.catalog === own.doc.catalog;
          const doc = isOwn ? own.doc : builtinDocs.get(entry.catalog)!;
          yield toCatalogItem(entry, doc, isOwn ? own.stored.version : doc.version, lang, isOwn ? { tenantId } : undefined);
        }
      }
      return;
    }
    for (const doc of catalogs.builtins) for (const entry of doc.entries) yield toCatalogItem(entry, doc, doc.version, lang);
    for (const { stored, doc } of catalogs.tenantCatalogs()) {
      if (!mayRead(principal, stored.tenantId)) continue;
      for (const entry of doc.entries) yield toCatalogItem(entry, doc, stored.version, lang, { tenantId: stored.tenantId });
    }
  }

  /** The `tenantId` filter: at most {@link MAX_CATALOG_TENANTS} tenants, each following the tenant-id rule. */
  function tenantsOf(query: Query): (string | null)[] | undefined {
    const tenants = listParam(query, 'tenantId', MAX_CATALOG_TENANTS).map((t) => parseTenant(t, journal.tenantIds, 'tenantId'));
    return tenants.length === 0 ? undefined : tenants;
  }

  app.get('/api/v1/catalog', async (request, reply) => {
    const principal = principalOf(request);
    const query = request.query as Query;
    const lang = pickCatalogLang(request.headers['accept-language'], singleParam(query, 'lang'));
    const tenants = tenantsOf(query);
    const catalogIds = filterOf(query, 'catalog');
    const domains = filterOf(query, 'domain');
    const statuses = filterOf(query, 'status');
    const classes = filterOf(query, 'classifiedEvent')?.map((c) => {
      const n = Number(c);
      if (![1, 2, 3, 4].includes(n)) {
        throw new ValidationError('VALIDATION_FAILED', 'classifiedEvent: must be 1, 2, 3 or 4', { field: 'classifiedEvent' });
      }
      return n;
    });
    const limit = parseLimit(query, DEFAULT_CATALOG_PAGE, MAX_CATALOG_PAGE);
    const offset = decodeOffsetCursor(query);
    const items: CatalogItem[] = [];
    let seen = 0;
    let more = false;
    for (const item of visibleItems(principal, lang, tenants)) {
      const wanted =
        (catalogIds === undefined || catalogIds.includes(item.catalog)) &&
        (domains === undefined || domains.includes(item.domain)) &&
        (statuses === undefined || statuses.includes(item.status)) &&
        (classes === undefined || classes.includes(item.classifiedEvent));
      if (!wanted || seen++ < offset) continue;
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(item);
    }
    // The page loads the whole catalogue at every start: an ETag spares the download when nothing changed.
    void reply.header('content-language', lang);
    return sendCacheableJson(request, reply, { items, nextCursor: more ? encodeOffsetCursor(offset + items.length) : null }, ['Accept-Language']);
  });

  app.get('/api/v1/catalog/:code', async (request, reply) => {
    const principal = principalOf(request);
    const query = request.query as Query;
    const lang = pickCatalogLang(request.headers['accept-language'], singleParam(query, 'lang'));
    const { code } = request.params as { code: string };
    const tenants = tenantsOf(query);
    const asNumber = /^\d+$/.test(code) ? Number(code) : undefined;
    // A code or a name; with tenantId, as that tenant's events resolve it; else built-ins first, then tenants'.
    let item: CatalogItem | undefined;
    for (const i of visibleItems(principal, lang, tenants)) {
      if (asNumber !== undefined ? i.code === asNumber : i.name === code) {
        item = i;
        break;
      }
    }
    if (item === undefined) throw new TamgaError('CATALOG_NOT_FOUND', `No visible catalogue has the code or name "${code}"`, { field: 'code' });
    void reply.header('content-language', lang).header('vary', 'Accept-Language');
    return item;
  });

  app.get('/api/v1/tenants/:tenant/catalog', async (request) => {
    const principal = principalOf(request);
    const tenantId = tenantParam(request, journal.tenantIds, 'read');
    if (!mayRead(principal, tenantId) || !(principal.canRead || principal.isAdmin)) {
      throw new TamgaError('FORBIDDEN', `This key may not read the catalogue of tenant ${tenantId ?? DEFAULT_TENANT_NAME}`);
    }
    const { version } = request.query as Query;
    let wanted: number | undefined;
    if (version !== undefined) {
      wanted = Number(version);
      if (!Number.isSafeInteger(wanted) || wanted < 1) {
        throw new ValidationError('VALIDATION_FAILED', 'version: must be a positive integer', { field: 'version' });
      }
    }
    const current = catalogs.tenantCatalog(tenantId);
    const stored = wanted === undefined || wanted === current?.stored.version ? current?.stored : await catalogs.storedVersion(tenantId, wanted);
    if (stored === undefined) {
      throw new TamgaError('CATALOG_NOT_FOUND', `Tenant ${tenantId ?? DEFAULT_TENANT_NAME} has no catalogue${wanted === undefined ? '' : ` version ${wanted}`}`, {
        field: wanted === undefined ? 'tenant' : 'version',
      });
    }
    const doc: CatalogDocument = current?.stored === stored ? current.doc : await catalogs.parseStored(stored);
    return {
      tenantId,
      catalog: stored.catalog,
      version: stored.version,
      current: stored.version === current?.stored.version,
      format: stored.format,
      createdAt: formatTimestamp(stored.createdAt),
      text: stored.text,
      document: doc,
    };
  });

  await app.register(async (scope) => {
    // The catalogue keeps its text (and so its line numbers): bodies are read as text, JSON or YAML.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/json', ...YAML_TYPES], { parseAs: 'buffer' }, (request, body, done) => {
      let text: string;
      try {
        text = utf8.decode(body as Buffer);
      } catch {
        done(new ValidationError('VALIDATION_FAILED', 'body: the catalogue is not UTF-8 text', { field: 'body' }), undefined);
        return;
      }
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      done(null, new CatalogBody(text, YAML_TYPES.includes(type) ? 'yaml' : 'json'));
    });

    scope.put('/api/v1/tenants/:tenant/catalog', async (request, reply) => {
      const principal = principalOf(request);
      const tenantId = tenantParam(request, journal.tenantIds, 'change');
      requireAdmin(principal, tenantId);
      const body = request.body;
      if (!(body instanceof CatalogBody) || body.text.trim() === '') {
        throw new ValidationError('VALIDATION_FAILED', 'body: a catalogue (application/json or application/yaml) is required', { field: 'body' });
      }
      const source = `PUT /api/v1/tenants/${tenantId ?? DEFAULT_TENANT_NAME}/catalog`;
      const result = await catalogs.putTenantCatalog(tenantId, body.text, body.format, source);
      if (result.changed) {
        await journal.appendSystem(
          catalogChangedEvent(
            { kind: 'catalog', tenantId, catalog: result.stored.catalog, version: result.stored.version, previousVersion: result.previousVersion },
            principal.userId ?? principal.name,
          ),
        );
      }
      return reply.status(result.changed ? 201 : 200).send({
        tenantId,
        catalog: result.stored.catalog,
        version: result.stored.version,
        previousVersion: result.previousVersion ?? null,
        changed: result.changed,
        entries: catalogs.tenantCatalog(tenantId)?.doc.entries.length ?? 0,
      });
    });
  });

  function settingsJson(tenantId: string | null): Record<string, unknown> {
    const settings = catalogs.settingsOf(tenantId);
    return {
      tenantId,
      builtinCatalogs: catalogs.enabledBuiltins(settings).map((d) => d.catalog),
      openCodes: settings.openCodes,
      backdatedImports: settings.backdatedImports,
    };
  }

  app.get('/api/v1/tenants/:tenant/settings', async (request) => {
    const principal = principalOf(request);
    const tenantId = tenantParam(request, journal.tenantIds, 'read');
    if (!mayRead(principal, tenantId)) throw new TamgaError('FORBIDDEN', `This key may not read the settings of tenant ${tenantId ?? DEFAULT_TENANT_NAME}`);
    return settingsJson(tenantId);
  });

  app.put('/api/v1/tenants/:tenant/settings', async (request) => {
    const principal = principalOf(request);
    const tenantId = tenantParam(request, journal.tenantIds, 'change');
    requireAdmin(principal, tenantId);
    const settings = parseSettings(request.body);
    const before = catalogs.settingsOf(tenantId);
    const same =
      before.openCodes === settings.openCodes &&
      before.backdatedImports === settings.backdatedImports &&
      JSON.stringify(before.builtinCatalogs) === JSON.stringify(settings.builtinCatalogs);
    if (!same) {
      await catalogs.putTenantSettings(tenantId, settings);
      await journal.appendSystem(catalogChangedEvent({ kind: 'settings', tenantId, settings }, principal.userId ?? principal.name));
    }
    return settingsJson(tenantId);
  });
}

const SETTINGS_KEYS = new Set(['builtinCatalogs', 'openCodes', 'backdatedImports']);

/** Parses a settings body; fields left out take their defaults (every built-in, open codes off, no back-dated imports). */
function parseSettings(body: unknown): TenantCatalogSettings {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('VALIDATION_FAILED', 'body: an object { builtinCatalogs, openCodes, backdatedImports } is required', {
      field: 'body',
    });
  }
  const raw = body as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!SETTINGS_KEYS.has(key)) throw new ValidationError('VALIDATION_FAILED', `${key}: unknown setting`, { field: key });
  }
  const builtins = raw['builtinCatalogs'];
  const isIdList = Array.isArray(builtins) && builtins.length <= MAX_LIST_VALUES && builtins.every((b) => typeof b === 'string' && b.length <= 64);
  if (builtins !== undefined && builtins !== null && !isIdList) {
    throw new ValidationError('VALIDATION_FAILED', `builtinCatalogs: must be a list of at most ${MAX_LIST_VALUES} built-in catalogue ids, or null for all`, {
      field: 'builtinCatalogs',
    });
  }
  const openCodes = raw['openCodes'] ?? false;
  if (typeof openCodes !== 'boolean') throw new ValidationError('VALIDATION_FAILED', 'openCodes: must be true or false', { field: 'openCodes' });
  const backdatedImports = raw['backdatedImports'] ?? false;
  if (typeof backdatedImports !== 'boolean') {
    throw new ValidationError('VALIDATION_FAILED', 'backdatedImports: must be true or false', { field: 'backdatedImports' });
  }
  return { builtinCatalogs: builtins === undefined || builtins === null ? null : [...new Set(builtins as string[])], openCodes, backdatedImports };
}
