import { computed, signal } from '@preact/signals';
import type { CatalogItem } from '../api/journal-record.js';
import type { TamgaApi } from '../api/tamga-api.js';
import type { Lang } from '../i18n/i18n.js';

/** The event catalogue: entries, or `null` while loading, or `'unavailable'`. */
export const catalog = signal<readonly CatalogItem[] | null | 'unavailable'>(null);

/** Catalogue entries by code. */
export const catalogByCode = computed(() => {
  const map = new Map<number, CatalogItem>();
  if (Array.isArray(catalog.value)) for (const item of catalog.value) map.set(item.code, item);
  return map;
});

let started = false;

/**
 * Loads the catalogue once: `GET /api/v1/catalog` when the server has it, else the `catalog.json`
 * the build derived from `catalogs/*.json`.
 */
export function loadCatalog(api: TamgaApi): void {
  if (started) return;
  started = true;
  void (async () => {
    try {
      catalog.value = (await api.catalog()).items;
      return;
    } catch {
      // No catalogue endpoint (yet), or no right to read it: use the built-in copy.
    }
    try {
      const response = await fetch('/catalog.json');
      if (!response.ok) throw new Error(String(response.status));
      catalog.value = ((await response.json()) as { items: CatalogItem[] }).items;
    } catch {
      catalog.value = 'unavailable';
    }
  })();
}

/** A localized text of the catalogue (`{en, ru}` or a plain string). */
export function localized(
  text: { readonly en: string; readonly ru: string } | string | undefined,
  lang: Lang,
): string {
  if (text === undefined) return '';
  return typeof text === 'string' ? text : text[lang] || text.en;
}
