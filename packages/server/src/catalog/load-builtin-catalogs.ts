import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogSet, parseCatalogText, validateCatalogs, ValidationError } from '@tamga/core';
import type { CatalogDocument } from '@tamga/core';

/**
 * Load order of the built-in catalogues. Order matters only for conflicts, which are rejected anyway; any other
 * `*.json` file in the directory is loaded after these, by file name.
 */
export const BUILTIN_CATALOG_ORDER: readonly string[] = Object.freeze([
  'ai-server',
  'asset-server',
  'platform-security',
  'tamga',
]);

/**
 * The built-in catalogues: `catalogs/` inside the installed package (`npm run pack`, docs/decisions/0028) when
 * there is one, else the repository's `catalogs/` folder. The same relative paths work from `src/catalog` and
 * `dist/catalog`.
 */
export function defaultCatalogDir(): string {
  const packaged = fileURLToPath(new URL('../../catalogs/', import.meta.url));
  return existsSync(packaged) ? packaged : fileURLToPath(new URL('../../../../catalogs/', import.meta.url));
}

/**
 * Reads and validates the built-in catalogues (`catalogs/*.json`) and builds the {@link CatalogSet} used on
 * ingest. Synchronous: it runs once at start-up, before the server listens.
 *
 * @param dir - folder holding the catalogue files; defaults to the repository's `catalogs/`.
 * @throws ValidationError `CATALOG_INVALID` when a file is invalid, or when catalogues conflict (same code or
 *   name in two catalogues, overlapping code ranges); `details.problems` lists every problem.
 */
export function loadBuiltinCatalogs(dir: string = defaultCatalogDir()): CatalogSet {
  return CatalogSet.of(loadBuiltinCatalogDocuments(dir));
}

/**
 * The validated built-in catalogue documents in load order (see {@link loadBuiltinCatalogs}), for callers that
 * need their versions and titles as well as their entries.
 *
 * @throws ValidationError `CATALOG_INVALID` as {@link loadBuiltinCatalogs} does.
 */
export function loadBuiltinCatalogDocuments(dir: string = defaultCatalogDir()): CatalogDocument[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const docs: { doc: CatalogDocument; source: string }[] = files.map((file) => {
    const path = join(dir, file);
    return { doc: parseCatalogText(readFileSync(path, 'utf8'), file), source: file };
  });
  const problems = validateCatalogs(docs);
  if (problems.length > 0) {
    const summary = problems.map((p) => `${p.source}:${p.line ?? '?'} ${p.path}: ${p.message}`).join('; ');
    throw new ValidationError('CATALOG_INVALID', `Built-in catalogues conflict: ${summary}`, { problems });
  }
  return docs.map((d) => d.doc);
}

function rank(file: string): number {
  const i = BUILTIN_CATALOG_ORDER.indexOf(file.replace(/\.json$/, ''));
  return i === -1 ? BUILTIN_CATALOG_ORDER.length : i;
}
