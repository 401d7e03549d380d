import { readFileSync } from 'node:fs';
import { checkTenantCatalog, isTamgaError, parseCatalogText, validateCatalogs } from '@tamga/core';
import type { CatalogProblem } from '@tamga/core';
import { formatCatalogProblems, loadBuiltinCatalogDocuments } from '@tamga/server';
import { parseCommand, usageError } from '../cli-args.js';

const USAGE = `Usage: tamga catalog validate [--builtin ID,...] FILE...

Checks catalogue files (JSON or YAML) the way the server does before it accepts them: syntax, required fields,
duplicate codes and names, classes and severities, and conflicts with the built-in catalogues (by default all of
them; --builtin names the ones the tenant enabled). A file whose "catalog" is a built-in id is checked as an
edit of that built-in against the others. Prints each problem as FILE:LINE PATH: MESSAGE.
Exit status: 0 when every file is clean, 1 when any has a problem, 2 on wrong usage.
`;

/**
 * `tamga catalog validate FILE...`: validates catalogue files offline.
 * @returns the exit code: 0 clean, 1 problems; wrong usage throws `CliExit` (exit 2).
 */
export function catalogValidate(
  args: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
): number {
  const { values, positionals: files } = parseCommand(
    { command: 'tamga catalog validate', usage: USAGE, options: { builtin: { type: 'string', multiple: true } }, allowPositionals: true },
    args,
  );
  const enabled = values.builtin?.flatMap((v) => v.split(',').map((b) => b.trim()).filter((b) => b !== ''));
  if (files.length === 0) throw usageError('tamga catalog validate', 'name at least one catalogue FILE');
  const builtins = loadBuiltinCatalogDocuments();
  const unknown = (enabled ?? []).filter((id) => !builtins.some((b) => b.catalog === id));
  if (unknown.length > 0) throw usageError('tamga catalog validate', `--builtin must be one of ${builtins.map((b) => b.catalog).join(', ')}, not "${unknown.join(', ')}"`);
  const active = enabled === undefined ? builtins : builtins.filter((b) => enabled.includes(b.catalog));

  let failed = 0;
  for (const file of files) {
    const { problems, count } = validateFile(file, active);
    if (problems.length === 0) {
      out.write(`${file}: OK\n`);
      continue;
    }
    failed += 1;
    out.write(`${formatCatalogProblems(problems)}\n`);
    if (count > problems.length) out.write(`${file}: and ${count - problems.length} more problems\n`);
  }
  if (failed > 0) out.write(`${failed} of ${files.length} file(s) have problems\n`);
  return failed > 0 ? 1 : 0;
}

/** The problems of one file (at most the first 100 the parser lists) and how many there are in all. */
function validateFile(file: string, builtins: ReturnType<typeof loadBuiltinCatalogDocuments>): { problems: CatalogProblem[]; count: number } {
  const all = (problems: CatalogProblem[]) => ({ problems, count: problems.length });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return all([{ source: file, line: null, path: '', message: `cannot read the file: ${(error as Error).message}` }]);
  }
  try {
    const doc = parseCatalogText(text, file);
    const others = builtins.filter((b) => b.catalog !== doc.catalog);
    if (others.length < builtins.length) {
      // An edit of a built-in catalogue: checked like the built-ins are checked against each other.
      return all(
        validateCatalogs([...others.map((b) => ({ doc: b, source: `${b.catalog} (built-in)` })), { doc, source: file }]).filter((p) => p.source === file),
      );
    }
    return all(checkTenantCatalog(doc, file, builtins));
  } catch (error) {
    if (isTamgaError(error) && error.code === 'CATALOG_INVALID') {
      const problems = error.details['problems'] as CatalogProblem[];
      return { problems, count: (error.details['problemCount'] as number | undefined) ?? problems.length };
    }
    throw error;
  }
}
