import { isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode, Pair, YAMLMap } from 'yaml';
import type { CatalogProblem } from './catalog-types.js';

/** A step of a path into a parsed document: an object key or a list index. */
export type PathPart = string | number;

/** Largest data file (catalogue, classification rules), in UTF-8 bytes, and largest once its YAML aliases are expanded. */
export const MAX_DATA_FILE_BYTES = 1024 * 1024;
/** Most YAML aliases (`*name`) in one data file: enough to share a few attribute lists, too few for an alias bomb. */
export const MAX_DATA_FILE_ALIASES = 100;
/** Most problems listed for one data file; the message counts the rest. */
export const MAX_DATA_FILE_PROBLEMS = 100;
/** Deepest nesting of `[` and `{` in a data file (a catalogue needs about five levels). */
export const MAX_DATA_FILE_DEPTH = 64;

/** `entries[3].code` for `['entries', 3, 'code']`. */
export function formatPath(path: readonly PathPart[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`),
    '',
  );
}

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
 * Collects the problems of one JSON or YAML document, resolving each path to the 1-based line of the nearest node that
 * exists, so that every problem of a data file (catalogue, classification rules) reads `file:line`. Keeps the first
 * {@link MAX_DATA_FILE_PROBLEMS} and counts the rest. Each map's keys are indexed once, on first use, so resolving a
 * path costs its depth: `Document.getIn` searches a map's pairs one by one, and one look-up per problem made a
 * catalogue of 40,000 unknown keys take seconds per 10,000 (quadratic).
 */
export class ProblemCollector {
  readonly problems: CatalogProblem[] = [];
  /** Problems found, the ones beyond the list included. */
  count = 0;
  /** The size limit a problem hit, e.g. `{ entries: 5000 }`, for the error's details. */
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
    if (this.problems.length < MAX_DATA_FILE_PROBLEMS) {
      this.problems.push({ source: this.source, line: this.lineOf(path), path: formatPath(path), message });
    }
  }

  /** A problem at a known line (syntax, duplicate keys, aliases). */
  addAt(line: number | null, message: string): void {
    this.count += 1;
    if (this.problems.length < MAX_DATA_FILE_PROBLEMS) this.problems.push({ source: this.source, line, path: '', message });
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
      if (aliases === MAX_DATA_FILE_ALIASES + 1) {
        out.addAt(lineAt(alias), `more than ${MAX_DATA_FILE_ALIASES} YAML aliases (the limit of a data file, against alias bombs)`);
        out.limit = { aliases: MAX_DATA_FILE_ALIASES };
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

/** Why a data file could not be parsed: its problems (the first {@link MAX_DATA_FILE_PROBLEMS}), how many, which limit. */
export interface DataTextProblems {
  readonly problems: CatalogProblem[];
  readonly count: number;
  readonly limit?: Record<string, number>;
}

/**
 * Parses JSON or YAML text (JSON is YAML 1.2, so one parser reads both) keeping line positions, in time linear in its
 * size and within bounds that hostile input cannot push the parser past: {@link MAX_DATA_FILE_BYTES} (also once YAML
 * aliases are expanded), {@link MAX_DATA_FILE_DEPTH} levels of `[`/`{`, {@link MAX_DATA_FILE_ALIASES} aliases.
 * Returns the plain value with a {@link ProblemCollector} for it, or the problems (syntax, duplicate keys, a limit)
 * when the text does not parse, or a single problem when it is not an object or list.
 *
 * @param what - what the text is, for messages: `a catalogue`, `a rules file`.
 */
export function parseDataText(text: string, source: string, what: string): { value: unknown; out: ProblemCollector } | DataTextProblems {
  const one = (line: number | null, message: string, limit?: Record<string, number>): DataTextProblems => ({
    problems: [{ source, line, path: '', message }],
    count: 1,
    ...(limit !== undefined && { limit }),
  });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DATA_FILE_BYTES) {
    return one(null, `${what} is ${bytes} bytes: at most ${MAX_DATA_FILE_BYTES} (${MAX_DATA_FILE_BYTES / 1024 / 1024} MiB)`, { bytes: MAX_DATA_FILE_BYTES });
  }
  const deepAt = tooDeepAt(text, MAX_DATA_FILE_DEPTH);
  if (deepAt !== undefined) return one(deepAt, `[ and { are nested deeper than ${MAX_DATA_FILE_DEPTH} levels`, { depth: MAX_DATA_FILE_DEPTH });
  const lineCounter = new LineCounter();
  // Unique keys are checked below, in linear time; the parser's own check is quadratic.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.slice(0, MAX_DATA_FILE_PROBLEMS).map((e) => ({
        source,
        line: e.linePos?.[0].line ?? null,
        path: '',
        message: e.message.split('\n')[0] ?? e.message,
      })),
      count: doc.errors.length,
    };
  }
  if (!isCollection(doc.contents)) return one(1, `${what} must be an object`);
  const out = new ProblemCollector(source, doc, lineCounter);
  checkKeysAndAliases(doc, lineCounter, out);
  if (out.count > 0) return { problems: out.problems, count: out.count, ...(out.limit !== undefined && { limit: out.limit }) };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_DATA_FILE_ALIASES });
  } catch (error) {
    // The parser's own guard: aliases of aliases that would expand without bound ("billion laughs").
    if (!(error instanceof ReferenceError)) throw error;
    return one(null, `YAML aliases expand too far: ${error.message}`, { aliases: MAX_DATA_FILE_ALIASES });
  }
  if (!fitsExpanded(value, MAX_DATA_FILE_BYTES)) {
    return one(null, `${what} with its YAML aliases expanded is larger than ${MAX_DATA_FILE_BYTES} bytes`, { bytes: MAX_DATA_FILE_BYTES });
  }
  return { value, out };
}
