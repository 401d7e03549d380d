import type { CatalogDocument, CatalogEntry, CatalogProblem } from './catalog-types.js';
import { catalogEntryLine } from './parse-catalog.js';

/**
 * Checks a tenant's catalogue against the built-in catalogues the tenant has enabled. Codes resolve against the
 * tenant's catalogue first, then the built-ins, so a tenant entry must not change what a built-in code or name
 * means:
 *
 * - the catalogue id must not be a built-in id (records name `<catalog>@<version>`);
 * - a code a built-in defines under another name is a conflict (e.g. 15800 `TrainProcessTimeout`, which
 *   ai-server defines as `TrainProcessCompletedSuccess` — docs/decisions/0002);
 * - a name a built-in uses for another code is a conflict;
 * - a code inside a built-in's `codeRange` that the built-in does not define is refused too: the range is
 *   reserved for the built-in's next versions, which would otherwise collide with the tenant's entry;
 * - the same code with the same name is allowed: the tenant's wording, class and severity win for its events.
 *
 * @param doc - the tenant catalogue, already parsed ({@link parseCatalogText}).
 * @param source - where it comes from (file name or `PUT /api/v1/tenants/acme/catalog`), for the problems.
 * @param builtins - the enabled built-in catalogues.
 * @returns every problem, each with the entry's line when the document was parsed from text; empty when clean.
 */
export function checkTenantCatalog(
  doc: CatalogDocument,
  source: string,
  builtins: readonly CatalogDocument[],
): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const byCode = new Map<number, CatalogEntry>();
  const byName = new Map<string, CatalogEntry>();
  for (const builtin of builtins) {
    if (builtin.catalog === doc.catalog) {
      problems.push({
        source,
        line: null,
        path: 'catalog',
        message: `catalogue id "${doc.catalog}" is the id of a built-in catalogue; choose another`,
      });
    }
    for (const entry of builtin.entries) {
      byCode.set(entry.code, entry);
      byName.set(entry.name, entry);
    }
  }
  doc.entries.forEach((entry, i) => {
    const line = catalogEntryLine(entry);
    const sameCode = byCode.get(entry.code);
    if (sameCode !== undefined && sameCode.name !== entry.name) {
      problems.push({
        source,
        line,
        path: `entries[${i}].code`,
        message: `code ${entry.code} ("${entry.name}") conflicts with built-in catalogue "${sameCode.catalog}", where ${entry.code} is "${sameCode.name}"`,
      });
    } else if (sameCode === undefined) {
      const range = builtins.find((b) => entry.code >= b.codeRange[0] && entry.code <= b.codeRange[1]);
      if (range !== undefined) {
        problems.push({
          source,
          line,
          path: `entries[${i}].code`,
          message: `code ${entry.code} ("${entry.name}") lies in the range ${range.codeRange[0]}–${range.codeRange[1]} reserved by built-in catalogue "${range.catalog}"`,
        });
      }
    }
    const sameName = byName.get(entry.name);
    if (sameName !== undefined && sameName.code !== entry.code) {
      problems.push({
        source,
        line,
        path: `entries[${i}].name`,
        message: `name "${entry.name}" (${entry.code}) conflicts with built-in catalogue "${sameName.catalog}", where "${entry.name}" is code ${sameName.code}`,
      });
    }
  });
  return problems;
}
