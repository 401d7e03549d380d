import type { SubjectRule } from './subject-rule.js';
import { ValidationError } from '../errors.js';
import { CATALOG_STATUSES } from './catalog-types.js';
import { MAX_DATA_FILE_ALIASES, MAX_DATA_FILE_BYTES, MAX_DATA_FILE_DEPTH, parseDataText } from './problem-collector.js';
import type { PathPart, ProblemCollector } from './problem-collector.js';
import type {
  CatalogAttribute,
  CatalogDocument,
  CatalogEntry,
  CatalogProblem,
  CatalogStatus,
  EventClass,
  LocalizedText,
  OcsfMapping,
  Severity,
} from './catalog-types.js';

/** Line of each entry parsed from text, so cross-catalogue problems can point at the source line. */
const entryLines = new WeakMap<CatalogEntry, number>();

const DOC_KEYS = new Set([
  'catalog',
  'version',
  'title',
  'codeRange',
  'domains',
  'entries',
  'source',
]);
const ENTRY_KEYS = new Set([
  'code',
  'name',
  'domain',
  'description',
  'classifiedEvent',
  'severity',
  'pollable',
  'status',
  'ocsf',
  'gost',
  'attributes',
  'seedCode',
  'subject',
  'seedHeading',
  'note',
]);
const CATALOG_ID = /^[a-z0-9][a-z0-9-]*$/;
const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** Default severity per class when an entry gives none (design brief §2: severity defaults from class). */
const DEFAULT_SEVERITY: Readonly<Record<EventClass, Severity>> = { 1: 1, 2: 3, 3: 4, 4: 1 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Largest catalogue text, in UTF-8 bytes, and largest catalogue once its YAML aliases are expanded. */
export const MAX_CATALOG_BYTES = MAX_DATA_FILE_BYTES;
/** Most entries in one catalogue. */
export const MAX_CATALOG_ENTRIES = 5_000;
/** Most YAML aliases (`*name`) in one catalogue. */
export const MAX_CATALOG_ALIASES = MAX_DATA_FILE_ALIASES;
/** Deepest nesting of `[` and `{` in a catalogue. */
export const MAX_CATALOG_DEPTH = MAX_DATA_FILE_DEPTH;

function readText(
  value: unknown,
  path: readonly PathPart[],
  out: ProblemCollector,
): LocalizedText | undefined {
  if (!isRecord(value)) {
    out.add(path, 'must be an object with non-empty "en" and "ru" texts');
    return undefined;
  }
  let ok = true;
  for (const lang of ['en', 'ru'] as const) {
    if (!isNonEmptyString(value[lang])) {
      out.add([...path, lang], `missing or empty "${lang}" text`);
      ok = false;
    }
  }
  return ok ? { en: value['en'] as string, ru: value['ru'] as string } : undefined;
}

function readInteger(
  value: unknown,
  path: readonly PathPart[],
  out: ProblemCollector,
  what: string,
  min?: number,
  max?: number,
): number | undefined {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    out.add(path, value === undefined ? `missing ${what}` : `${what} must be an integer`);
    return undefined;
  }
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    out.add(path, `${what} ${value} is outside ${min ?? '-∞'}–${max ?? '∞'}`);
    return undefined;
  }
  return value;
}

function readOcsf(value: unknown, path: readonly PathPart[], out: ProblemCollector): OcsfMapping | undefined {
  if (!isRecord(value)) {
    out.add(path, 'ocsf must be an object { classUid, activityId }');
    return undefined;
  }
  const classUid = readInteger(value['classUid'], [...path, 'classUid'], out, 'OCSF class_uid', 0);
  const activityId = readInteger(value['activityId'], [...path, 'activityId'], out, 'OCSF activity_id', 0);
  return classUid === undefined || activityId === undefined ? undefined : { classUid, activityId };
}

function readSubject(value: unknown, path: readonly PathPart[], out: ProblemCollector): SubjectRule | undefined {
  if (!isRecord(value) || value['field'] !== 'entityData') {
    out.add(path, 'subject must be an object { field: "entityData", key?, textBefore? }');
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (key !== 'field' && key !== 'key' && key !== 'textBefore') out.add([...path, key], `unknown field "${key}"`);
  }
  const key = value['key'];
  const textBefore = value['textBefore'];
  if (key !== undefined && (!isNonEmptyString(key) || key.length > 200)) out.add([...path, 'key'], 'key must be a non-empty path of at most 200 characters');
  if (textBefore !== undefined && (typeof textBefore !== 'string' || textBefore === '' || textBefore.length > 16)) {
    out.add([...path, 'textBefore'], 'textBefore must be a delimiter of 1 to 16 characters');
  }
  if (key === undefined && textBefore === undefined) out.add(path, 'subject needs a key, a textBefore, or both');
  return Object.freeze({
    field: 'entityData',
    ...(typeof key === 'string' ? { key } : {}),
    ...(typeof textBefore === 'string' ? { textBefore } : {}),
  });
}

function readAttributes(
  value: unknown,
  path: readonly PathPart[],
  out: ProblemCollector,
): CatalogAttribute[] | undefined {
  if (!Array.isArray(value)) {
    out.add(path, 'attributes must be a list');
    return undefined;
  }
  const result: CatalogAttribute[] = [];
  value.forEach((item: unknown, i) => {
    const at = [...path, i];
    if (!isRecord(item) || !isNonEmptyString(item['name']) || !isNonEmptyString(item['description'])) {
      out.add(at, 'an attribute needs a non-empty "name" and "description"');
      return;
    }
    for (const key of ['type', 'value'] as const) {
      if (item[key] !== undefined && typeof item[key] !== 'string')
        out.add([...at, key], `${key} must be a string`);
    }
    result.push(
      Object.freeze({
        name: item['name'],
        description: item['description'],
        ...(typeof item['type'] === 'string' ? { type: item['type'] } : {}),
        ...(typeof item['value'] === 'string' ? { value: item['value'] } : {}),
      }),
    );
  });
  return result;
}

function readOptionalString(
  raw: Record<string, unknown>,
  key: string,
  path: readonly PathPart[],
  out: ProblemCollector,
): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (!isNonEmptyString(value)) {
    out.add([...path, key], `${key} must be a non-empty string`);
    return undefined;
  }
  return value;
}

interface DocContext {
  readonly catalog: string;
  readonly codeRange: readonly [number, number] | undefined;
  readonly domains: Readonly<Record<string, LocalizedText>> | undefined;
}

function readEntry(
  raw: unknown,
  index: number,
  ctx: DocContext,
  out: ProblemCollector,
): CatalogEntry | undefined {
  const path: PathPart[] = ['entries', index];
  if (!isRecord(raw)) {
    out.add(path, 'an entry must be an object');
    return undefined;
  }
  const before = out.count;
  for (const key of Object.keys(raw)) {
    if (!ENTRY_KEYS.has(key)) out.add([...path, key], `unknown field "${key}"`);
  }

  const code = readInteger(raw['code'], [...path, 'code'], out, 'code', 0);
  if (code !== undefined && ctx.codeRange !== undefined) {
    const [min, max] = ctx.codeRange;
    if (code < min || code > max)
      out.add([...path, 'code'], `code ${code} is outside the catalogue's codeRange ${min}–${max}`);
  }
  const name = raw['name'];
  if (!isNonEmptyString(name)) out.add([...path, 'name'], 'missing name');
  else if (!EVENT_NAME.test(name))
    out.add(
      [...path, 'name'],
      `name "${name}" must be letters, digits, "_", "." or "-", starting with a letter`,
    );

  const domain = readOptionalString(raw, 'domain', path, out);
  if (domain !== undefined && ctx.domains !== undefined && !(domain in ctx.domains)) {
    out.add([...path, 'domain'], `domain "${domain}" is not declared in "domains"`);
  }
  const description =
    raw['description'] === undefined
      ? (out.add([...path, 'description'], 'missing description'), undefined)
      : readText(raw['description'], [...path, 'description'], out);

  const classifiedEvent = readInteger(
    raw['classifiedEvent'],
    [...path, 'classifiedEvent'],
    out,
    'classifiedEvent',
    1,
    4,
  ) as EventClass | undefined;
  const severity =
    raw['severity'] === undefined
      ? classifiedEvent === undefined
        ? undefined
        : DEFAULT_SEVERITY[classifiedEvent]
      : (readInteger(raw['severity'], [...path, 'severity'], out, 'severity', 1, 6) as Severity | undefined);
  const pollable = raw['pollable'] ?? true;
  if (typeof pollable !== 'boolean') out.add([...path, 'pollable'], 'pollable must be true or false');
  const status = raw['status'] ?? 'active';
  if (!CATALOG_STATUSES.includes(status as CatalogStatus)) {
    out.add([...path, 'status'], `status must be one of ${CATALOG_STATUSES.join(', ')}`);
  }
  const ocsf = raw['ocsf'] === undefined ? undefined : readOcsf(raw['ocsf'], [...path, 'ocsf'], out);
  const attributes =
    raw['attributes'] === undefined
      ? undefined
      : readAttributes(raw['attributes'], [...path, 'attributes'], out);
  const seedCode =
    raw['seedCode'] === undefined
      ? undefined
      : readInteger(raw['seedCode'], [...path, 'seedCode'], out, 'seedCode', 0);
  const subject = raw['subject'] === undefined ? undefined : readSubject(raw['subject'], [...path, 'subject'], out);
  const gost = readOptionalString(raw, 'gost', path, out);
  const seedHeading = readOptionalString(raw, 'seedHeading', path, out);
  const note = readOptionalString(raw, 'note', path, out);
  if (out.count > before || code === undefined || description === undefined) return undefined;

  return Object.freeze({
    catalog: ctx.catalog,
    code,
    name: name as string,
    ...(domain !== undefined ? { domain } : {}),
    description: Object.freeze(description),
    classifiedEvent: classifiedEvent as EventClass,
    severity: severity as Severity,
    pollable: pollable as boolean,
    status: status as CatalogStatus,
    ...(ocsf !== undefined ? { ocsf: Object.freeze(ocsf) } : {}),
    ...(gost !== undefined ? { gost } : {}),
    ...(attributes !== undefined ? { attributes: Object.freeze(attributes) } : {}),
    ...(seedCode !== undefined ? { seedCode } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(seedHeading !== undefined ? { seedHeading } : {}),
    ...(note !== undefined ? { note } : {}),
  });
}

function readCodeRange(value: unknown, out: ProblemCollector): readonly [number, number] | undefined {
  if (!Array.isArray(value) || value.length !== 2) {
    out.add(['codeRange'], 'codeRange must be [min, max]');
    return undefined;
  }
  const min = readInteger(value[0], ['codeRange', 0], out, 'codeRange min', 0);
  const max = readInteger(value[1], ['codeRange', 1], out, 'codeRange max', 0);
  if (min === undefined || max === undefined) return undefined;
  if (min > max) {
    out.add(['codeRange'], `codeRange min ${min} is greater than max ${max}`);
    return undefined;
  }
  return Object.freeze([min, max] as const);
}

function readDomains(value: unknown, out: ProblemCollector): Record<string, LocalizedText> | undefined {
  if (value === undefined) return {};
  if (!isRecord(value)) {
    out.add(['domains'], 'domains must be an object of { en, ru } titles by key');
    return undefined;
  }
  const domains: Record<string, LocalizedText> = {};
  for (const [key, title] of Object.entries(value)) {
    const text = readText(title, ['domains', key], out);
    if (text !== undefined) domains[key] = Object.freeze(text);
  }
  return domains;
}

/**
 * Validates the plain value of a catalogue (already parsed from JSON or YAML) and builds a frozen
 * {@link CatalogDocument}. Every problem is collected; none stops the check of the rest.
 */
function readCatalog(raw: unknown, out: ProblemCollector): CatalogDocument | undefined {
  if (!isRecord(raw)) {
    out.add(
      [],
      'a catalogue must be an object with "catalog", "version", "title", "codeRange" and "entries"',
    );
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!DOC_KEYS.has(key)) out.add([key], `unknown field "${key}"`);
  }
  const catalog = raw['catalog'];
  if (!isNonEmptyString(catalog) || !CATALOG_ID.test(catalog)) {
    out.add(['catalog'], 'catalog must be an id of lower-case letters, digits and "-"');
  }
  const version = readInteger(raw['version'], ['version'], out, 'version', 1);
  const title =
    raw['title'] === undefined
      ? (out.add(['title'], 'missing title'), undefined)
      : readText(raw['title'], ['title'], out);
  const codeRange = readCodeRange(raw['codeRange'], out);
  const domains = readDomains(raw['domains'], out);
  const source = readOptionalString(raw, 'source', [], out);
  const ctx: DocContext = { catalog: typeof catalog === 'string' ? catalog : '', codeRange, domains };

  const rawEntries = raw['entries'];
  const entries: CatalogEntry[] = [];
  if (!Array.isArray(rawEntries)) {
    out.add(['entries'], 'entries must be a list');
  } else if (rawEntries.length > MAX_CATALOG_ENTRIES) {
    out.add(['entries'], `${rawEntries.length} entries: a catalogue holds at most ${MAX_CATALOG_ENTRIES}`);
    out.limit = { entries: MAX_CATALOG_ENTRIES };
  } else {
    const byCode = new Map<number, number>();
    const byName = new Map<string, number>();
    rawEntries.forEach((item: unknown, i) => {
      const entry = readEntry(item, i, ctx, out);
      // Duplicates are checked on the raw values so that an otherwise invalid entry still reports them.
      const rawCode = isRecord(item) ? item['code'] : undefined;
      const rawName = isRecord(item) ? item['name'] : undefined;
      if (typeof rawCode === 'number') {
        const first = byCode.get(rawCode);
        if (first !== undefined)
          out.add(['entries', i, 'code'], `duplicate code ${rawCode} (also entries[${first}])`);
        else byCode.set(rawCode, i);
      }
      if (typeof rawName === 'string') {
        const first = byName.get(rawName);
        if (first !== undefined)
          out.add(['entries', i, 'name'], `duplicate name "${rawName}" (also entries[${first}])`);
        else byName.set(rawName, i);
      }
      if (entry !== undefined) {
        const line = out.lineOf(['entries', i]);
        if (line !== null) entryLines.set(entry, line);
        entries.push(entry);
      }
    });
  }
  if (out.count > 0) return undefined;
  return Object.freeze({
    catalog: catalog as string,
    version: version as number,
    title: Object.freeze(title as LocalizedText),
    codeRange: codeRange as readonly [number, number],
    domains: Object.freeze(domains as Record<string, LocalizedText>),
    entries: Object.freeze(entries),
    ...(source !== undefined ? { source } : {}),
  });
}

/**
 * The 1-based line of an entry in the text it was parsed from, or `null` for an entry not parsed from text
 * (built by hand). Lets checks across catalogues ({@link validateCatalogs}, tenant checks) point at the source.
 */
export function catalogEntryLine(entry: CatalogEntry): number | null {
  return entryLines.get(entry) ?? null;
}

/** The line of each entry of a document ({@link catalogEntryLine}), to send the document to another thread. */
export function catalogEntryLines(doc: CatalogDocument): (number | null)[] {
  return doc.entries.map(catalogEntryLine);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * A document received from another thread (a structured clone, no longer frozen, its entries' lines lost), frozen
 * again like {@link parseCatalogText}'s result, with the lines `lines` gives ({@link catalogEntryLines}).
 */
export function restoreCatalogDocument(doc: CatalogDocument, lines: readonly (number | null)[]): CatalogDocument {
  deepFreeze(doc);
  doc.entries.forEach((entry, i) => {
    const line = lines[i];
    if (line !== undefined && line !== null) entryLines.set(entry, line);
  });
  return doc;
}

function throwInvalid(source: string, problems: readonly CatalogProblem[], count = problems.length, limit?: Record<string, number>): never {
  const first = problems
    .slice(0, 3)
    .map((p) => `${p.line ?? '?'}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`)
    .join('; ');
  const more = count > 3 ? `; and ${count - 3} more` : '';
  throw new ValidationError('CATALOG_INVALID', `Catalogue ${source} is invalid: ${first}${more}`, {
    source,
    problems,
    ...(count > problems.length && { problemCount: count }),
    ...(limit !== undefined && { limit }),
  });
}

/**
 * Parses and validates one catalogue file, JSON or YAML (JSON is YAML 1.2, so one parser reads both).
 *
 * Defaults: `severity` from `classifiedEvent` (1→1, 2→3, 3→4, 4→1), `pollable` true, `status` `active`.
 * Every entry gets `catalog` set to the document's id. The result and its entries are frozen.
 *
 * @param text - the file's content.
 * @param source - where it comes from (a file name), used in messages and problems.
 * @throws ValidationError `CATALOG_INVALID` with `details.problems`: every {@link CatalogProblem} found
 *   (syntax errors, duplicate keys, codes or names, missing name/code/description, class not 1–4, severity not
 *   1–6, bad status, code outside `codeRange`, unknown fields), each with its 1-based line.
 * @example
 * const doc = parseCatalogText(await readFile('tenant.yaml', 'utf8'), 'tenant.yaml');
 */
export function parseCatalogText(text: string, source: string): CatalogDocument {
  const parsed = parseDataText(text, source, 'a catalogue');
  if ('problems' in parsed) throwInvalid(source, parsed.problems, parsed.count, parsed.limit);
  const result = readCatalog(parsed.value, parsed.out);
  if (result === undefined || parsed.out.count > 0) throwInvalid(source, parsed.out.problems, parsed.out.count, parsed.out.limit);
  return result;
}

/**
 * Checks catalogues against each other: the same catalogue id twice, the same code or name in two catalogues
 * (e.g. a tenant catalogue reusing a built-in code), and overlapping code ranges. Documents come in load order;
 * a problem is reported on the later one.
 *
 * @returns every problem found; empty when the catalogues can be loaded together.
 */
export function validateCatalogs(
  docs: readonly { readonly doc: CatalogDocument; readonly source: string }[],
): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const ids = new Map<string, string>();
  const codes = new Map<number, { entry: CatalogEntry; source: string; doc: number }>();
  const names = new Map<string, { entry: CatalogEntry; source: string; doc: number }>();
  docs.forEach(({ doc, source }, d) => {
    const sameId = ids.get(doc.catalog);
    if (sameId !== undefined) {
      problems.push({
        source,
        line: null,
        path: 'catalog',
        message: `catalogue id "${doc.catalog}" is already loaded from ${sameId}`,
      });
    } else {
      ids.set(doc.catalog, source);
    }
    for (const { doc: other, source: otherSource } of docs.slice(0, d)) {
      const [min, max] = doc.codeRange;
      const [otherMin, otherMax] = other.codeRange;
      if (min <= otherMax && otherMin <= max) {
        problems.push({
          source,
          line: null,
          path: 'codeRange',
          message: `codeRange ${min}–${max} overlaps ${otherMin}–${otherMax} of catalogue "${other.catalog}" (${otherSource})`,
        });
      }
    }
    doc.entries.forEach((entry, i) => {
      const line = entryLines.get(entry) ?? null;
      const firstCode = codes.get(entry.code);
      if (firstCode !== undefined && firstCode.doc !== d) {
        problems.push({
          source,
          line,
          path: `entries[${i}].code`,
          message: `code ${entry.code} ("${entry.name}") is already defined as "${firstCode.entry.name}" in catalogue "${firstCode.entry.catalog}" (${firstCode.source})`,
        });
      } else if (firstCode === undefined) {
        codes.set(entry.code, { entry, source, doc: d });
      }
      const firstName = names.get(entry.name);
      if (firstName !== undefined && firstName.doc !== d) {
        problems.push({
          source,
          line,
          path: `entries[${i}].name`,
          message: `name "${entry.name}" (${entry.code}) is already used by code ${firstName.entry.code} in catalogue "${firstName.entry.catalog}" (${firstName.source})`,
        });
      } else if (firstName === undefined) {
        names.set(entry.name, { entry, source, doc: d });
      }
    });
  });
  return problems;
}
