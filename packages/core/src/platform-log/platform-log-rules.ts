import { ValidationError } from '../errors.js';
import type { CatalogEntry, CatalogProblem } from '../catalog/catalog-types.js';
import { parseDataText } from '../catalog/problem-collector.js';
import type { PathPart, ProblemCollector } from '../catalog/problem-collector.js';
import type { EventClass, Outcome } from '../record/event-input.js';
import type { PlatformLogRecord } from './parse-platform-log-record.js';

/**
 * Fields of a parsed record a rule can test, each a regular expression (a field the record lacks reads as the
 * empty string, so `'^$'` means "absent"). `path` is the URL without scheme and host (query included),
 * `service`/`method`/`parameters`/`stack` are the sections of a multi-line ERROR record, `details` and `context`
 * are `key: value` lines (system information, adapter context) as text, and `text` is the whole record.
 */
export const PLATFORM_LOG_RULE_FIELDS = Object.freeze([
  'format',
  'level',
  'user',
  'host',
  'url',
  'path',
  'status',
  'requestMethod',
  'description',
  'data',
  'body',
  'message',
  'service',
  'method',
  'parameters',
  'stack',
  'details',
  'context',
  'text',
] as const);

/** A field a rule can test; see {@link PLATFORM_LOG_RULE_FIELDS}. */
export type PlatformLogRuleField = (typeof PLATFORM_LOG_RULE_FIELDS)[number];

/** One condition: a field's text must match a regular expression. */
export interface PlatformLogCondition {
  readonly field: PlatformLogRuleField;
  readonly pattern: RegExp;
  /** Whether the pattern has named groups, which the event keeps (`entityData.captured`). */
  readonly hasGroups: boolean;
}

/** Conditions that must all hold. */
export type PlatformLogConditions = readonly PlatformLogCondition[];

/** One classification rule: a record matching it gets {@link code}. */
export interface PlatformLogRule {
  /** Event code the rule gives, e.g. 31000. */
  readonly code: number;
  /** 1-based line of the rule in its file, for messages. */
  readonly line: number | null;
  /** Conditions that must all hold. */
  readonly when: PlatformLogConditions;
  /** Alternatives of which one must hold as well (none: no further condition). */
  readonly any: readonly PlatformLogConditions[];
  /** Outcome the rule sets; default from the record (status 2xx/3xx success, 4xx/5xx or ERROR failure). */
  readonly outcome?: Outcome;
}

/** The classification rules of one file, validated and compiled. */
export interface PlatformLogRules {
  /** Where they come from (a file name). */
  readonly source: string;
  readonly version: number;
  /** `source.system` of every event. */
  readonly system: string;
  /** In order; the first rule that matches gives the code. */
  readonly rules: readonly PlatformLogRule[];
  /** Code of a record that no rule matches (and of a record with a broken time stamp, or lines without one). */
  readonly unmatchedCode: number;
  /** Class of an unmatched record by its level (upper case); {@link unmatchedDefaultClass} for other levels. */
  readonly unmatchedClasses: Readonly<Record<string, EventClass>>;
  readonly unmatchedDefaultClass: EventClass;
}

/** What {@link classifyPlatformLogRecord} decided. */
export interface PlatformLogClassification {
  readonly code: number;
  /** The rule that matched, or null for an unmatched record. */
  readonly rule: PlatformLogRule | null;
  /** Class for an unmatched record (from its level); undefined: the catalogue's default class. */
  readonly classifiedEvent?: EventClass;
  /** Named groups of the rule's patterns, e.g. `{ login: "alice" }`. */
  readonly captured?: Readonly<Record<string, string>>;
}

const FORMAT = 'tamga-platform-log-rules';
const DOC_KEYS = new Set(['format', 'version', 'catalog', 'system', 'unmatched', 'rules']);
const RULE_KEYS = new Set(['code', 'name', 'when', 'any', 'outcome', 'note']);
const UNMATCHED_KEYS = new Set(['code', 'name', 'classes', 'defaultClass']);
const OUTCOMES = new Set<Outcome>(['success', 'failure', 'unknown']);

/** Looks a code up in the catalogues the events will be resolved against. */
export type CatalogLookup = (code: number) => CatalogEntry | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses and validates a classification rules file (YAML or JSON), e.g. `catalogs/platform-security.rules.yaml`:
 * the data that maps the business platform's log records (seed 003) to event codes, so that a new platform
 * version needs a rule change, not a code change.
 *
 * @param text - the file's content.
 * @param source - its name, used in problems.
 * @param lookup - finds a code in the catalogues; every rule's code (and `name`, when given) must be there.
 * @throws ValidationError `CATALOG_INVALID` with `details.problems`: every problem with its 1-based line (syntax,
 *   unknown keys, a code not in the catalogue or a name that does not match it, an invalid regular expression, an
 *   unknown field in a condition, a bad outcome or class).
 */
export function parsePlatformLogRules(text: string, source: string, lookup: CatalogLookup): PlatformLogRules {
  const parsed = parseDataText(text, source, 'a rules file');
  if ('problems' in parsed) throwInvalid(source, parsed.problems, parsed.count);
  const { value: raw, out } = parsed;
  const rules = readRules(raw, source, lookup, out);
  if (rules === undefined || out.count > 0) throwInvalid(source, out.problems, out.count);
  return rules;
}

function readRules(raw: unknown, source: string, lookup: CatalogLookup, out: ProblemCollector): PlatformLogRules | undefined {
  if (!isRecord(raw)) {
    out.add([], 'a rules file must be an object with "format", "version", "system", "unmatched" and "rules"');
    return undefined;
  }
  for (const key of Object.keys(raw)) if (!DOC_KEYS.has(key)) out.add([key], `unknown field "${key}"`);
  if (raw['format'] !== FORMAT) out.add(['format'], `format must be "${FORMAT}"`);
  const version = raw['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) out.add(['version'], 'version must be a positive integer');
  const system = raw['system'];
  if (typeof system !== 'string' || system.trim() === '') out.add(['system'], 'system must be a non-empty string (source.system of the events)');
  if (raw['catalog'] !== undefined && typeof raw['catalog'] !== 'string') out.add(['catalog'], 'catalog must be a string');

  const unmatched = readUnmatched(raw['unmatched'], lookup, out);
  const list = raw['rules'];
  const rules: PlatformLogRule[] = [];
  if (!Array.isArray(list)) out.add(['rules'], 'rules must be a list');
  else list.forEach((item: unknown, i) => {
    const rule = readRule(item, ['rules', i], lookup, out);
    if (rule !== undefined) rules.push(rule);
  });
  if (unmatched === undefined || out.problems.length > 0) return undefined;
  return Object.freeze({
    source,
    version: version as number,
    system: system as string,
    rules: Object.freeze(rules),
    ...unmatched,
  });
}

function readCode(raw: Record<string, unknown>, path: readonly PathPart[], lookup: CatalogLookup, out: ProblemCollector): number | undefined {
  const code = raw['code'];
  if (typeof code !== 'number' || !Number.isSafeInteger(code)) {
    out.add([...path, 'code'], code === undefined ? 'missing code' : 'code must be an integer');
    return undefined;
  }
  const entry = lookup(code);
  if (entry === undefined) {
    out.add([...path, 'code'], `code ${code} is not in the catalogue`);
    return undefined;
  }
  if (raw['name'] !== undefined && raw['name'] !== entry.name) {
    out.add([...path, 'name'], `name "${String(raw['name'])}" does not match code ${code}, which the catalogue names "${entry.name}"`);
  }
  return code;
}

function readClass(value: unknown, path: readonly PathPart[], out: ProblemCollector): EventClass | undefined {
  if (value === 1 || value === 2 || value === 3) return value;
  out.add(path, 'a class must be 1 (information), 2 (error) or 3 (security incident)');
  return undefined;
}

function readUnmatched(
  value: unknown,
  lookup: CatalogLookup,
  out: ProblemCollector,
): Pick<PlatformLogRules, 'unmatchedCode' | 'unmatchedClasses' | 'unmatchedDefaultClass'> | undefined {
  if (!isRecord(value)) {
    out.add(['unmatched'], 'unmatched must be an object { code, classes, defaultClass }: what a record no rule matches becomes');
    return undefined;
  }
  for (const key of Object.keys(value)) if (!UNMATCHED_KEYS.has(key)) out.add(['unmatched', key], `unknown field "${key}"`);
  const code = readCode(value, ['unmatched'], lookup, out);
  const classes: Record<string, EventClass> = {};
  const rawClasses = value['classes'] ?? {};
  if (!isRecord(rawClasses)) out.add(['unmatched', 'classes'], 'classes must be an object of level → class');
  else for (const [level, cls] of Object.entries(rawClasses)) {
    const c = readClass(cls, ['unmatched', 'classes', level], out);
    if (c !== undefined) classes[level.toUpperCase()] = c;
  }
  const defaultClass = value['defaultClass'] === undefined ? 1 : readClass(value['defaultClass'], ['unmatched', 'defaultClass'], out);
  if (code === undefined || defaultClass === undefined) return undefined;
  return { unmatchedCode: code, unmatchedClasses: Object.freeze(classes), unmatchedDefaultClass: defaultClass };
}

function readRule(raw: unknown, path: readonly PathPart[], lookup: CatalogLookup, out: ProblemCollector): PlatformLogRule | undefined {
  if (!isRecord(raw)) {
    out.add(path, 'a rule must be an object { code, when, any, outcome }');
    return undefined;
  }
  const before = out.problems.length;
  for (const key of Object.keys(raw)) if (!RULE_KEYS.has(key)) out.add([...path, key], `unknown field "${key}"`);
  const code = readCode(raw, path, lookup, out);
  const when = raw['when'] === undefined ? [] : readConditions(raw['when'], [...path, 'when'], out);
  const any: PlatformLogConditions[] = [];
  if (raw['any'] !== undefined) {
    if (!Array.isArray(raw['any']) || raw['any'].length === 0) out.add([...path, 'any'], 'any must be a non-empty list of conditions');
    else raw['any'].forEach((c: unknown, i) => any.push(readConditions(c, [...path, 'any', i], out)));
  }
  if (raw['when'] === undefined && raw['any'] === undefined) out.add(path, 'a rule needs "when" or "any": a rule without conditions would match every record');
  const outcome = raw['outcome'];
  if (outcome !== undefined && !OUTCOMES.has(outcome as Outcome)) out.add([...path, 'outcome'], 'outcome must be success, failure or unknown');
  if (raw['note'] !== undefined && typeof raw['note'] !== 'string') out.add([...path, 'note'], 'note must be a string');
  if (code === undefined || out.problems.length > before) return undefined;
  return Object.freeze({
    code,
    line: out.lineOf(path),
    when,
    any: Object.freeze(any),
    ...(outcome !== undefined && { outcome: outcome as Outcome }),
  });
}

function readConditions(value: unknown, path: readonly PathPart[], out: ProblemCollector): PlatformLogConditions {
  const conditions: PlatformLogCondition[] = [];
  if (!isRecord(value) || Object.keys(value).length === 0) {
    out.add(path, `conditions must be a non-empty object of field → regular expression (fields: ${PLATFORM_LOG_RULE_FIELDS.join(', ')})`);
    return conditions;
  }
  for (const [field, pattern] of Object.entries(value)) {
    if (!(PLATFORM_LOG_RULE_FIELDS as readonly string[]).includes(field)) {
      out.add([...path, field], `unknown field "${field}" (fields: ${PLATFORM_LOG_RULE_FIELDS.join(', ')})`);
    } else if (typeof pattern !== 'string' || pattern === '') {
      out.add([...path, field], `${field} must be a non-empty regular expression`);
    } else {
      try {
        const compiled = new RegExp(pattern, 'u');
        conditions.push(Object.freeze({ field: field as PlatformLogRuleField, pattern: compiled, hasGroups: /\(\?<[^=!]/.test(pattern) }));
      } catch (error) {
        out.add([...path, field], `not a valid regular expression: ${(error as Error).message}`);
      }
    }
  }
  return Object.freeze(conditions);
}

function throwInvalid(source: string, problems: readonly CatalogProblem[], count: number): never {
  const first = problems.slice(0, 3).map((p) => `${p.line ?? '?'}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`).join('; ');
  const more = count > 3 ? `; and ${count - 3} more` : '';
  throw new ValidationError('CATALOG_INVALID', `Rules ${source} are invalid: ${first}${more}`, {
    source,
    problems,
    ...(count > problems.length && { problemCount: count }),
  });
}

/** The value of a rule field in a record ('' when absent). */
function fieldValue(record: PlatformLogRecord, field: PlatformLogRuleField): string {
  switch (field) {
    case 'path':
      return record.url === null ? '' : urlPath(record.url);
    case 'service':
      return record.sections?.service ?? '';
    case 'method':
      return record.sections?.method ?? '';
    case 'parameters':
      return record.sections?.parameters === undefined ? '' : record.sections.parameters.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('\n');
    case 'stack':
      return record.sections?.stack ?? '';
    case 'details':
      return record.details === null ? '' : Object.entries(record.details).map(([k, v]) => `${k}: ${v}`).join('\n');
    case 'context':
      return record.context === null ? '' : Object.entries(record.context).map(([k, v]) => `${k}: ${v}`).join('\n');
    default:
      return record[field] ?? '';
  }
}

/** `http://host:8080/api/x?y=1` → `/api/x?y=1`; a URL that is a path already stays as it is. */
export function urlPath(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const slash = url.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : url.slice(slash);
}

/**
 * Whether every condition holds; named groups go into `captured` (created on the first one). Field values are
 * computed once per record (`values`), as most rules test the same few fields.
 */
function matchConditions(
  conditions: PlatformLogConditions,
  record: PlatformLogRecord,
  values: Partial<Record<PlatformLogRuleField, string>>,
  captured: { groups?: Record<string, string> },
): boolean {
  for (const { field, pattern, hasGroups } of conditions) {
    const value = values[field] ?? (values[field] = fieldValue(record, field));
    if (!hasGroups) {
      if (!pattern.test(value)) return false;
      continue;
    }
    const m = pattern.exec(value);
    if (m === null) return false;
    for (const [name, group] of Object.entries(m.groups ?? {})) if (group !== undefined) (captured.groups ??= {})[name] = group;
  }
  return true;
}

/**
 * Classifies a parsed record: the first rule whose conditions all hold (and one of whose `any` alternatives holds)
 * gives the code. A record no rule matches — and a record with a broken time stamp, or lines that do not start a
 * record — gets the unmatched code, with its class from its level, so that nothing the file said is dropped.
 */
export function classifyPlatformLogRecord(rules: PlatformLogRules, record: PlatformLogRecord): PlatformLogClassification {
  const isWhole = record.format !== 'orphan' && !record.problems.some((p) => p.kind === 'TIMESTAMP_INVALID');
  if (isWhole) {
    const values: Partial<Record<PlatformLogRuleField, string>> = {};
    for (const rule of rules.rules) {
      const captured: { groups?: Record<string, string> } = {};
      if (!matchConditions(rule.when, record, values, captured)) continue;
      if (rule.any.length > 0) {
        // Groups of an alternative count only when the whole alternative holds.
        let held: { groups?: Record<string, string> } | undefined;
        for (const alternative of rule.any) {
          const caught: { groups?: Record<string, string> } = {};
          if (matchConditions(alternative, record, values, caught)) {
            held = caught;
            break;
          }
        }
        if (held === undefined) continue;
        if (held.groups !== undefined) captured.groups = { ...captured.groups, ...held.groups };
      }
      return { code: rule.code, rule, ...(captured.groups !== undefined && { captured: captured.groups }) };
    }
  }
  const level = record.level?.toUpperCase();
  const cls = (level !== undefined ? rules.unmatchedClasses[level] : undefined) ?? rules.unmatchedDefaultClass;
  return { code: rules.unmatchedCode, rule: null, classifiedEvent: cls };
}
