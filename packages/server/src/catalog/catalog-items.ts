import type { CatalogDocument, CatalogEntry, CatalogItem } from '@tamga/core';

/** Languages catalogue texts exist in. */
export type CatalogLang = 'en' | 'ru';

/**
 * Picks the catalogue language from an `Accept-Language` header (RFC 9110 §12.5.4): the acceptable language
 * with the highest `q` among `ru` and `en` (any region, e.g. `ru-RU`); English when neither is acceptable.
 * `override` (e.g. a `lang` query parameter) wins when it is `ru` or `en`.
 */
export function pickCatalogLang(acceptLanguage: string | undefined, override?: string): CatalogLang {
  if (override === 'ru' || override === 'en') return override;
  if (acceptLanguage === undefined) return 'en';
  let best: { lang: CatalogLang; q: number } | undefined;
  for (const part of acceptLanguage.split(',')) {
    const [range = '', ...params] = part.trim().split(';');
    const primary = range.trim().toLowerCase().split('-')[0];
    if (primary !== 'ru' && primary !== 'en') continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    if (best === undefined || q > best.q) best = { lang: primary, q };
  }
  return best?.lang ?? 'en';
}

/** One entry as `GET /api/v1/catalog` returns it (the type lives in core, which the SDK shares). */
export type { CatalogItem } from '@tamga/core';

/** Builds the API item of an entry of `doc`, localized to `lang`. */
export function toCatalogItem(
  entry: CatalogEntry,
  doc: CatalogDocument,
  version: number,
  lang: CatalogLang,
  tenant?: { readonly tenantId: string | null },
): CatalogItem {
  const domainTitle = entry.domain === undefined ? doc.title : doc.domains[entry.domain];
  return {
    code: entry.code,
    name: entry.name,
    catalog: entry.catalog,
    catalogVersion: `${entry.catalog}@${version}`,
    ...(tenant !== undefined && { tenantId: tenant.tenantId }),
    domain: entry.domain ?? '',
    domainTitle: domainTitle?.[lang] ?? entry.domain ?? '',
    description: entry.description[lang],
    descriptions: entry.description,
    classifiedEvent: entry.classifiedEvent,
    severity: entry.severity,
    status: entry.status,
    pollable: entry.pollable,
    ...(entry.ocsf !== undefined && { ocsf: entry.ocsf }),
    ...(entry.gost !== undefined && { gost: entry.gost }),
    ...(entry.attributes !== undefined && { attributes: entry.attributes }),
    ...(entry.seedCode !== undefined && { seedCode: entry.seedCode }),
    ...(entry.note !== undefined && { note: entry.note }),
  };
}
