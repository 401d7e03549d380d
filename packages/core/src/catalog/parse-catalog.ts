import { isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode, Pair, YAMLMap } from 'yaml';
import { ValidationError } from '../errors.js';
import { CATALOG_STATUSES } from './catalog-types.js';
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

type PathPart = string | number;

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
  'logPatternSyntax',
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
  'seedHeading',
  'logPattern',
  'note',
]);
const CATALOG_ID = /^[a-z0-9][a-z0-9-]*$/;
const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** Default severity per class when an entry gives none (design brief §2: severity defaults from class). */
const DEFAULT_SEVERITY: Readonly<Record<EventClass, Severity>> = { 1: 1, 2: 3, 3: 4, 4: 1 };

function formatPath(path: readonly PathPart[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`),
    '',
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Largest catalogue text, in UTF-8 bytes, and largest catalogue once its YAML aliases are expanded. */
export const MAX_CATALOG_BYTES = 1024 * 1024;
/** Most entries in one catalogue. */
export const MAX_CATALOG_ENTRIES = 5_000;
/** Most YAML aliases (`*name`) in one catalogue: enough to share a few attribute lists, too few for an alias bomb. */
export const MAX_CATALOG_ALIASES = 100;
/** Most problems listed for one catalogue; the message counts the rest. */
export const MAX_CATALOG_PROBLEMS = 100;
/** Deepest nesting of `[` and `{` in a catalogue (a catalogue needs about five levels). */
export const MAX_CATALOG_DEPTH = 64;

/**
 * The first line where `[`/`{` nesting, outside quoted strings, goes deeper than `max`, or undefined. The YAML parser
 * recurses per level: a million levels in 2 MB took 20 s and 500 MB. (Block nesting needs indentation growing with
 * depth, which the byte limit keeps to about 2,000 levels.)
 */
function tooDeepAt(text: string, max: number): number | undefined {
  let depth = 0;
  let line = 1;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line += 1;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > max) return line;
    } else if ((c === ']' || c === '}') && depth > 0) depth -= 1;
  }
  return undefined;
}

/** A map key as the plain value it becomes (`1` and `"1"` are the same key of a JS object); undefined for a non-scalar key. */
function keyText(key: unknown): string | undefined {
  if (key === null) return '';
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/**
 * Collects problems of one document, resolving each path to the line of the nearest node that exists. Keeps the
 * first {@link MAX_CATALOG_PROBLEMS} and counts the rest. Each map's keys are indexed once, on first use, so resolving
 * a path costs its depth: `Document.getIn` searches a map's pairs one by one, and one look-up per problem made a
 * catalogue of 40,000 unknown keys take seconds per 10,000 (quadratic).
 */
class ProblemCollector {
  readonly problems: CatalogProblem[] = [];
  /** Problems found, the ones beyond the list included. */
  count = 0;
  /** The size limit a problem hit, e.g. `{ entries: 10000 }`, for the error's details. */
  limit: Record<string, number> | undefined;
  readonly #keys = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    private readonly source: string,
    private readonly doc: Document | undefined,
    private readonly lineCounter: LineCounter | undefined,
  ) {}

  lineOf(path: readonly PathPart[]): number | null {
    if (this.doc === undefined || this.lineCounter === undefined) return null;
    let node: unknown = this.doc.contents;
    let start = (node as YamlNode | null)?.range?.[0];
    for (const part of path) {
      const next = this.#child(node, part);
      if (next === undefined) break;
      node = next;
      const range = (next as YamlNode | null)?.range;
      if (range !== undefined && range !== null) start = range[0];
    }
    return start === undefined ? null : this.lineCounter.linePos(start).line;
  }

  #child(node: unknown, part: PathPart): unknown {
    if (typeof part === 'number') return isSeq(node) ? node.items[part] : undefined;
    if (!isMap(node)) return undefined;
    let keys = this.#keys.get(node);
    if (keys === undefined) {
      keys = new Map();
      for (const pair of node.items) {
        const key = keyText(pair.key);
        if (key !== undefined && !keys.has(key)) keys.set(key, pair);
      }
      this.#keys.set(node, keys);
    }
    return keys.get(part)?.value ?? undefined;
  }

  add(path: readonly PathPart[], message: string): void {
    this.count += 1;
    if (this.problems.length < MAX_CATALOG_PROBLEMS) {
      this.problems.push({ source: this.source, line: this.lineOf(path), path: formatPath(path), message });
    }
  }

  /** A problem at a known line (syntax, duplicate keys, aliases). */
  addAt(line: number | null, message: string): void {
    this.count += 1;
    if (this.problems.length < MAX_CATALOG_PROBLEMS) this.problems.push({ source: this.source, line, path: '', message });
  }
}

/**
 * What the YAML parser would have checked with `uniqueKeys` (by comparing each key with every earlier key of its
 * map: quadratic, 10 s for a JSON object of 40,000 keys), done with one set per map; and the alias budget.
 */
function checkKeysAndAliases(doc: Document, lineCounter: LineCounter, out: ProblemCollector): void {
  const lineAt = (node: { range?: readonly number[] | null | undefined } | null): number | null =>
    node?.range?.[0] === undefined ? null : lineCounter.linePos(node.range[0]).line;
  let aliases = 0;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = keyText(pair.key);
        if (key === undefined) out.addAt(lineAt(pair.key as YamlNode), 'a key must be a plain value, not a list or an object');
        else if (seen.has(key)) out.addAt(lineAt(pair.key as YamlNode), `Map keys must be unique: "${key}" is repeated`);
        else seen.add(key);
      }
    },
    Alias(_, alias) {
      aliases += 1;
      if (aliases === MAX_CATALOG_ALIASES + 1) {
        out.addAt(lineAt(alias), `more than ${MAX_CATALOG_ALIASES} YAML aliases (the limit of a catalogue, against alias bombs)`);
        out.limit = { aliases: MAX_CATALOG_ALIASES };
      }
    },
  });
}

/** Whether a plain value, its shared (aliased) parts counted each time they appear, stays within `budget` characters. */
function fitsExpanded(value: unknown, budget: number): boolean {
  let left = budget;
  const walk = (v: unknown): boolean => {
    left -= typeof v === 'string' ? v.length + 2 : 8;
    if (left < 0) return false;
    if (Array.isArray(v)) return v.every(walk);
    if (typeof v === 'object' && v !== null) return Object.entries(v).every(([k, x]) => (left -= k.length) >= 0 && walk(x));
    return true;
  };
  return walk(value);
}

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
  const gost = readOptionalString(raw, 'gost', path, out);
  const seedHeading = readOptionalString(raw, 'seedHeading', path, out);
  const note = readOptionalString(raw, 'note', path, out);
  const logPattern = readOptionalString(raw, 'logPattern', path, out);
  if (logPattern !== undefined) {
    try {
      new RegExp(logPattern);
    } catch (err) {
      out.add(
        [...path, 'logPattern'],
        `logPattern is not a valid regular expression: ${(err as Error).message}`,
      );
    }
  }
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
    ...(seedHeading !== undefined ? { seedHeading } : {}),
    ...(logPattern !== undefined ? { logPattern } : {}),
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
  const logPatternSyntax = readOptionalString(raw, 'logPatternSyntax', [], out);
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
    ...(logPatternSyntax !== undefined ? { logPatternSyntax } : {}),
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
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CATALOG_BYTES) {
    const message = `the catalogue is ${bytes} bytes: at most ${MAX_CATALOG_BYTES} (${MAX_CATALOG_BYTES / 1024 / 1024} MiB)`;
    throwInvalid(source, [{ source, line: null, path: '', message }], 1, { bytes: MAX_CATALOG_BYTES });
  }
  const deepAt = tooDeepAt(text, MAX_CATALOG_DEPTH);
  if (deepAt !== undefined) {
    const message = `[ and { are nested deeper than ${MAX_CATALOG_DEPTH} levels`;
    throwInvalid(source, [{ source, line: deepAt, path: '', message }], 1, { depth: MAX_CATALOG_DEPTH });
  }
  const lineCounter = new LineCounter();
  // Unique keys are checked below, in linear time; the parser's own check is quadratic.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const problems: CatalogProblem[] = doc.errors.slice(0, MAX_CATALOG_PROBLEMS).map((e) => ({
      source,
      line: e.linePos?.[0].line ?? null,
      path: '',
      message: e.message.split('\n')[0] ?? e.message,
    }));
    throwInvalid(source, problems, doc.errors.length);
  }
  if (!isCollection(doc.contents)) {
    throwInvalid(source, [{ source, line: 1, path: '', message: 'a catalogue must be an object' }]);
  }
  const out = new ProblemCollector(source, doc, lineCounter);
  checkKeysAndAliases(doc, lineCounter, out);
  if (out.count > 0) throwInvalid(source, out.problems, out.count, out.limit);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_CATALOG_ALIASES });
  } catch (error) {
    // The parser's own guard: aliases of aliases that would expand without bound ("billion laughs").
    if (!(error instanceof ReferenceError)) throw error;
    throwInvalid(source, [{ source, line: null, path: '', message: `YAML aliases expand too far: ${error.message}` }], 1, { aliases: MAX_CATALOG_ALIASES });
  }
  if (!fitsExpanded(value, MAX_CATALOG_BYTES)) {
    const message = `the catalogue with its YAML aliases expanded is larger than ${MAX_CATALOG_BYTES} bytes`;
    throwInvalid(source, [{ source, line: null, path: '', message }], 1, { bytes: MAX_CATALOG_BYTES });
  }
  const result = readCatalog(value, out);
  if (result === undefined || out.count > 0) throwInvalid(source, out.problems, out.count, out.limit);
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
