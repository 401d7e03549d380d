import { isCollection, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { CatalogProblem } from './catalog-types.js';

/** A step of a path into a parsed document: an object key or a list index. */
export type PathPart = string | number;

/** `entries[3].code` for `['entries', 3, 'code']`. */
export function formatPath(path: readonly PathPart[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`),
    '',
  );
}

/**
 * Collects the problems of one JSON or YAML document, resolving each path to the 1-based line of the nearest
 * node that exists, so that every problem of a data file (catalogue, classification rules) reads `file:line`.
 */
export class ProblemCollector {
  readonly problems: CatalogProblem[] = [];

  constructor(
    private readonly source: string,
    private readonly doc: Document | undefined,
    private readonly lineCounter: LineCounter | undefined,
  ) {}

  lineOf(path: readonly PathPart[]): number | null {
    if (this.doc === undefined || this.lineCounter === undefined) return null;
    for (let n = path.length; n >= 0; n -= 1) {
      const node: unknown = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: readonly number[] } | undefined)?.range;
      if (range !== undefined && typeof range[0] === 'number') return this.lineCounter.linePos(range[0]).line;
    }
    return null;
  }

  add(path: readonly PathPart[], message: string): void {
    this.problems.push({ source: this.source, line: this.lineOf(path), path: formatPath(path), message });
  }
}

/**
 * Parses JSON or YAML text (JSON is YAML 1.2, so one parser reads both) keeping line positions. Returns the plain
 * value with a {@link ProblemCollector} for it, or the syntax problems (duplicate keys included) when the text does
 * not parse, or a single problem when it is not an object or list.
 */
export function parseDataText(
  text: string,
  source: string,
  what: string,
): { value: unknown; out: ProblemCollector } | { problems: CatalogProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({
        source,
        line: e.linePos?.[0].line ?? null,
        path: '',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    };
  }
  if (!isCollection(doc.contents)) return { problems: [{ source, line: 1, path: '', message: `${what} must be an object` }] };
  return { value: doc.toJS({ maxAliasCount: 100 }), out: new ProblemCollector(source, doc, lineCounter) };
}
