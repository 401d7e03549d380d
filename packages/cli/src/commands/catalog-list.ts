import { pickCatalogLang, loadBuiltinCatalogDocuments, toCatalogItem } from '@tamga/server';
import type { CatalogLang } from '@tamga/server';

const USAGE = `Usage: tamga catalog list [--catalog ID] [--lang en|ru] [--json]

Lists the built-in catalogue entries: code, name, catalogue, class (1 information, 2 error, 3 security
incident, 4 correction) and description. --catalog keeps one catalogue (repeat or comma-separate for several);
--lang picks the description language (default: from LANG, else English); --json prints { items } as
GET /api/v1/catalog does. Tenant catalogues live on the server: GET /api/v1/catalog?tenantId=...
`;

/**
 * `tamga catalog list`: prints the built-in catalogues offline.
 * @returns the exit code: 0, or 2 on wrong usage.
 */
export function catalogList(
  args: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const catalogs: string[] = [];
  let lang: CatalogLang = pickCatalogLang((env.LANG ?? '').split('.')[0]?.replace('_', '-'));
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '--help' || name === '-h') {
      out.write(USAGE);
      return 0;
    }
    if (name === '--json') {
      json = true;
      continue;
    }
    if (name !== '--catalog' && name !== '--lang') {
      err.write(`Unknown option ${name}\n\n${USAGE}`);
      return 2;
    }
    const value = inline ?? args[++i];
    if (value === undefined) {
      err.write(`${name} needs a value\n\n${USAGE}`);
      return 2;
    }
    if (name === '--lang') {
      if (value !== 'en' && value !== 'ru') {
        err.write(`--lang must be en or ru\n`);
        return 2;
      }
      lang = value;
    } else {
      catalogs.push(...value.split(',').map((v) => v.trim()).filter((v) => v !== ''));
    }
  }
  const docs = loadBuiltinCatalogDocuments();
  const unknown = catalogs.filter((id) => !docs.some((d) => d.catalog === id));
  if (unknown.length > 0) {
    err.write(`--catalog: unknown catalogue ${unknown.join(', ')} (known: ${docs.map((d) => d.catalog).join(', ')})\n`);
    return 2;
  }
  const items = docs
    .filter((d) => catalogs.length === 0 || catalogs.includes(d.catalog))
    .flatMap((doc) => doc.entries.map((entry) => toCatalogItem(entry, doc, doc.version, lang)));
  if (json) {
    out.write(`${JSON.stringify({ items }, null, 2)}\n`);
    return 0;
  }
  const nameWidth = Math.max(4, ...items.map((i) => i.name.length));
  const catalogWidth = Math.max(7, ...items.map((i) => i.catalog.length));
  out.write(`${'CODE'.padStart(5)}  ${'NAME'.padEnd(nameWidth)}  ${'CATALOG'.padEnd(catalogWidth)}  CLASS  DESCRIPTION\n`);
  for (const i of items) {
    out.write(`${String(i.code).padStart(5)}  ${i.name.padEnd(nameWidth)}  ${i.catalog.padEnd(catalogWidth)}  ${String(i.classifiedEvent).padEnd(5)}  ${i.description}\n`);
  }
  return 0;
}
