import { pickCatalogLang, loadBuiltinCatalogDocuments, toCatalogItem } from '@tamga/server';
import type { CatalogLang } from '@tamga/server';
import { parseCommand, usageError } from '../cli-args.js';

const USAGE = `Usage: tamga catalog list [--catalog ID] [--lang en|ru] [--json]

Lists the built-in catalogue entries: code, name, catalogue, class (1 information, 2 error, 3 security
incident, 4 correction) and description. --catalog keeps one catalogue (repeat or comma-separate for several);
--lang picks the description language (default: from LANG, else English); --json prints { items } as
GET /api/v1/catalog does. Tenant catalogues live on the server: GET /api/v1/catalog?tenantId=...
`;

/**
 * `tamga catalog list`: prints the built-in catalogues offline.
 * @returns the exit code 0; wrong usage throws `CliExit` (exit 2).
 */
export function catalogList(
  args: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const { values } = parseCommand(
    {
      command: 'tamga catalog list',
      usage: USAGE,
      options: { catalog: { type: 'string', multiple: true }, lang: { type: 'string' }, json: { type: 'boolean', default: false } },
      choices: { lang: ['en', 'ru'] },
    },
    args,
  );
  const lang: CatalogLang = values.lang === 'en' || values.lang === 'ru' ? values.lang : pickCatalogLang((env.LANG ?? '').split('.')[0]?.replace('_', '-'));
  const json = values.json;
  const catalogs = (values.catalog ?? []).flatMap((v) => v.split(',').map((c) => c.trim()).filter((c) => c !== ''));
  const docs = loadBuiltinCatalogDocuments();
  const unknown = catalogs.filter((id) => !docs.some((d) => d.catalog === id));
  if (unknown.length > 0) throw usageError('tamga catalog list', `--catalog must be one of ${docs.map((d) => d.catalog).join(', ')}, not "${unknown.join(', ')}"`);
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
