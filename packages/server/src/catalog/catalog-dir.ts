import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { DEFAULT_TENANT_NAME, SYSTEM_TENANT_ID, TenantIds, ValidationError } from '@tamga/core';
import type { CatalogProblem } from '@tamga/core';
import type { Journal } from '../journal/journal.js';
import { catalogChangedEvent } from './catalog-changed-event.js';
import type { CatalogRegistry } from './catalog-registry.js';
import { throwIfProblems } from './catalog-registry.js';
import type { CatalogFormat } from './catalog-store.js';

/** One tenant catalogue file of `TAMGA_CATALOG_DIR`. */
export interface CatalogDirFile {
  /** From the file name: `acme.yaml` → `acme`; `default.json` → `null` (the default tenant). */
  readonly tenantId: string | null;
  readonly file: string;
  readonly format: CatalogFormat;
  readonly text: string;
}

const FORMATS: Readonly<Record<string, CatalogFormat>> = { '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml' };

/**
 * Reads the tenant catalogue files of a directory: `<tenantId>.json`, `<tenantId>.yaml` or `<tenantId>.yml`, one
 * file per tenant (`default.*` is the default tenant). Other files (README, hidden files) are ignored.
 *
 * @returns the files, and a problem for each file name that is not a tenant id new data may be stored under
 *   (`tenantIds`, default: the rule alone), names the system tenant, or repeats a tenant.
 * @throws ValidationError `CATALOG_INVALID` when the directory cannot be read.
 */
export function readCatalogDir(dir: string, tenantIds: TenantIds = TenantIds.NONE): { files: CatalogDirFile[]; problems: CatalogProblem[] } {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    throw new ValidationError('CATALOG_INVALID', `TAMGA_CATALOG_DIR ${dir} cannot be read: ${(error as Error).message}`, {
      problems: [{ source: dir, line: null, path: '', message: 'the directory cannot be read' }],
    });
  }
  const files: CatalogDirFile[] = [];
  const problems: CatalogProblem[] = [];
  const seen = new Map<string, string>();
  for (const file of names) {
    const format = FORMATS[extname(file).toLowerCase()];
    if (format === undefined || file.startsWith('.')) continue;
    const name = file.slice(0, -extname(file).length);
    const problem = (message: string): void => void problems.push({ source: file, line: null, path: '', message });
    if (name !== DEFAULT_TENANT_NAME) {
      try {
        tenantIds.checkNew(name, 'file');
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        problem(`the file name must be <tenant id>.json|.yaml|.yml: ${error.message.replace(/^file: /, '')}`);
        continue;
      }
    }
    if (name === SYSTEM_TENANT_ID) {
      problem(`tenant "${SYSTEM_TENANT_ID}" holds Tamga's own events; its catalogue is built in`);
      continue;
    }
    const other = seen.get(name);
    if (other !== undefined) {
      problem(`tenant "${name}" already has a catalogue file (${other}); keep one file per tenant`);
      continue;
    }
    seen.set(name, file);
    files.push({
      tenantId: name === DEFAULT_TENANT_NAME ? null : name,
      file,
      format,
      text: readFileSync(join(dir, file), 'utf8'),
    });
  }
  return { files, problems };
}

/**
 * Registers the tenant catalogues of `TAMGA_CATALOG_DIR` at start-up. Every file is parsed and checked first;
 * when any has a problem nothing is stored and start-up stops with every problem of every file listed. Then each
 * file whose text differs from its tenant's current catalogue becomes the tenant's next version, journalled as
 * `CatalogChanged` (by `TAMGA_CATALOG_DIR`). A file that did not change stores nothing.
 *
 * @throws ValidationError `CATALOG_INVALID` with `details.problems`.
 */
export async function applyCatalogDir(registry: CatalogRegistry, journal: Journal, dir: string): Promise<void> {
  const { files, problems } = readCatalogDir(dir, journal.tenantIds);
  for (const f of files) {
    try {
      await registry.parseTenantCatalog(f.text, f.file, registry.settingsOf(f.tenantId));
    } catch (error) {
      if (!(error instanceof ValidationError) || error.code !== 'CATALOG_INVALID') throw error;
      problems.push(...(error.details['problems'] as CatalogProblem[]));
    }
  }
  throwIfProblems(problems, `TAMGA_CATALOG_DIR ${dir} has invalid catalogues; the server does not start`);
  for (const f of files) {
    const result = await registry.putTenantCatalog(f.tenantId, f.text, f.format, f.file);
    if (!result.changed) continue;
    await journal.appendSystem(
      catalogChangedEvent(
        {
          kind: 'catalog',
          tenantId: f.tenantId,
          catalog: result.stored.catalog,
          version: result.stored.version,
          previousVersion: result.previousVersion,
        },
        'TAMGA_CATALOG_DIR',
      ),
    );
  }
}
