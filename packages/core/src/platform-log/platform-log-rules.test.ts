import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CatalogSet } from '../catalog/catalog-set.js';
import { parseCatalogText } from '../catalog/parse-catalog.js';
import type { CatalogProblem } from '../catalog/catalog-types.js';
import { parsePlatformLogRecord } from './parse-platform-log-record.js';
import { classifyPlatformLogRecord, parsePlatformLogRules } from './platform-log-rules.js';
import { PlatformLogSplitter } from './platform-log-splitter.js';

const catalogs = new URL('../../../../catalogs/', import.meta.url);
const catalogText = readFileSync(new URL('platform-security.json', catalogs), 'utf8');
const set = CatalogSet.of([parseCatalogText(catalogText, 'platform-security.json')]);
const lookup = (code: number) => set.byCode(code);
const rulesText = readFileSync(new URL('platform-security.rules.yaml', catalogs), 'utf8');
const rules = parsePlatformLogRules(rulesText, 'platform-security.rules.yaml', lookup);

const seedStarts = JSON.parse(readFileSync(new URL('./testdata/seed-003.json', import.meta.url), 'utf8')) as { line: number; section: string }[];

function seedRecords() {
  const splitter = new PlatformLogSplitter();
  const bytes = readFileSync(new URL('./testdata/seed-003.log', import.meta.url));
  return [...splitter.push(bytes), ...splitter.flush(true)].map((c) => ({ line: c.line, record: parsePlatformLogRecord(c.bytes.toString('utf8'), c.isRecordStart) }));
}

/**
 * The code of every record of seed 003's examples, by line in testdata/seed-003.log (see testdata/README.md).
 */
const EXPECTED = JSON.parse(readFileSync(new URL('./testdata/seed-003-codes.json', import.meta.url), 'utf8')) as Readonly<Record<string, number>>;

describe('the platform-security rules on every example of seed 003', () => {
  const records = seedRecords();

  it('sees every record start the seed shows', () => {
    expect(records.map((r) => r.line)).toEqual(seedStarts.map((s) => s.line));
    expect(Object.keys(EXPECTED).map(Number)).toEqual(seedStarts.map((s) => s.line));
  });

  it.each(records.map((r) => [r.line, seedStarts.find((s) => s.line === r.line)?.section, EXPECTED[r.line], r] as const))(
    'line %i (%s) → %i',
    (_line, _section, code, { record }) => {
      expect(classifyPlatformLogRecord(rules, record).code).toBe(code);
    },
  );

  it('gives every catalogue entry of seed 003 that the log can tell apart at least one example', () => {
    const seen = new Set(Object.values(EXPECTED));
    // 31003 and 31004: the log writes the same lines for a wrong name and a wrong password (31002); 31403: the seed's
    // example is the "has stopped." line of 31401 (the rules give 31403 to FATAL records, tested below).
    const apart = set.entries().filter((e) => e.seedHeading !== undefined && ![31003, 31004, 31403].includes(e.code));
    expect(apart.filter((e) => !seen.has(e.code)).map((e) => e.code)).toEqual([]);
  });

  it('keeps what named groups of the rule caught', () => {
    const failed = records.find((r) => r.line === 3)!.record;
    expect(classifyPlatformLogRecord(rules, failed).captured).toEqual({ method: 'Builtin', login: 'username' });
    const read = records.find((r) => r.line === 143)!.record;
    expect(classifyPlatformLogRecord(rules, read).captured).toEqual({ object: 'oa.91' });
  });
});

describe('classifyPlatformLogRecord', () => {
  const line = (text: string) => parsePlatformLogRecord(text);

  it('gives a record no rule matches the generic code, its class from its level (ERROR → 2)', () => {
    const info = classifyPlatformLogRecord(rules, line('2023-11-30 10:00:00,000 INFO 00000000-0000-0000-0000-000000000000 u    Something else'));
    const error = classifyPlatformLogRecord(rules, line('2023-11-30 10:00:00,000 ERROR 00000000-0000-0000-0000-000000000000 u    Disk full'));
    const warn = classifyPlatformLogRecord(rules, line('2023-11-30 10:00:00,000 WARN 00000000-0000-0000-0000-000000000000 u    Slow'));
    expect([info, error, warn].map((c) => [c.code, c.rule, c.classifiedEvent])).toEqual([
      [31900, null, 1],
      [31900, null, 2],
      [31900, null, 1],
    ]);
  });

  it('maps a FATAL record to the stop-or-failure code', () => {
    expect(classifyPlatformLogRecord(rules, line('2023-11-30 10:00:00,000 FATAL 00000000-0000-0000-0000-000000000000 systemAccount    Out of memory')).code).toBe(31403);
  });

  it('gives a record with a broken time stamp the generic code even when its text matches a rule', () => {
    const r = line("-MM-dd HH:mm:ss,SSS INFO 00000000-0000-0000-0000-000000000000 u 10.0.0.1 http://p/Home/Logout/ OK 00:00:00.1 'User logout success' ''");
    expect(classifyPlatformLogRecord(rules, r)).toMatchObject({ code: 31900, classifiedEvent: 1 });
  });

  it('gives lines that are not a record start the generic code', () => {
    expect(classifyPlatformLogRecord(rules, parsePlatformLogRecord('  at X ()', false)).code).toBe(31900);
  });

  it('tells a role right from an object right by the resource type in the data field', () => {
    const right = (resourceType: string, verb: string) =>
      classifyPlatformLogRecord(rules, line(`2023-11-30 10:00:00,000 INFO 00000000-0000-0000-0000-000000000000 u 10.0.0.1 http://p/api/RolesCollectionApi/Put   'Разрешение ${verb}' '{"Privilege":"Read","ResourceType":"${resourceType}"}'`)).code;
    expect([right('RecordTemplate', 'добавлено в роль'), right('RecordTemplate', 'удалено из роли'), right('List', 'добавлено в роль'), right('List', 'удалено из роли')]).toEqual([31305, 31306, 31204, 31204]);
  });
});

describe('parsePlatformLogRules', () => {
  const problemsOf = (text: string): CatalogProblem[] => {
    try {
      parsePlatformLogRules(text, 'my.rules.yaml', lookup);
    } catch (error) {
      expect(error).toMatchObject({ code: 'CATALOG_INVALID' });
      return (error as { details: { problems: CatalogProblem[] } }).details.problems;
    }
    throw new Error('no problem found');
  };
  const HEAD = 'format: tamga-platform-log-rules\nversion: 1\nsystem: p\nunmatched: { code: 31900 }\nrules:\n';

  it('reads the built-in rules: system, generic code, classes by level', () => {
    expect(rules).toMatchObject({ system: 'business-platform', unmatchedCode: 31900, unmatchedClasses: { ERROR: 2, FATAL: 2, INFO: 1 } });
    expect(rules.rules.length).toBeGreaterThan(25);
  });

  it.each([
    ['a code not in the catalogue', `${HEAD}  - code: 31999\n    when: { level: x }\n`, 6, 'rules[0].code', /not in the catalogue/],
    ['a name that does not match the code', `${HEAD}  - code: 31000\n    name: PlatformUserLogout\n    when: { level: x }\n`, 7, 'rules[0].name', /catalogue names "PlatformUserLogin"/],
    ['an invalid regular expression', `${HEAD}  - code: 31000\n    when: { description: '(unclosed' }\n`, 7, 'rules[0].when.description', /not a valid regular expression/],
    ['an unknown field in a condition', `${HEAD}  - code: 31000\n    when: { colour: red }\n`, 7, 'rules[0].when.colour', /unknown field "colour"/],
    ['a rule without conditions', `${HEAD}  - code: 31000\n    outcome: success\n`, 6, 'rules[0]', /needs "when" or "any"/],
    ['a bad outcome', `${HEAD}  - code: 31000\n    when: { level: x }\n    outcome: great\n`, 8, 'rules[0].outcome', /success, failure or unknown/],
    ['an unknown key', `${HEAD}  - code: 31000\n    when: { level: x }\n    colour: red\n`, 8, 'rules[0].colour', /unknown field/],
  ])('reports %s with its line', (_what, text, line, path, message) => {
    const [problem] = problemsOf(text);
    expect(problem).toMatchObject({ source: 'my.rules.yaml', line, path });
    expect(problem?.message).toMatch(message);
  });

  it('reports a missing unmatched code, a wrong format and a YAML syntax error', () => {
    expect(problemsOf('format: other\nversion: 1\nsystem: p\nrules: []\n').map((p) => p.path)).toEqual(['format', 'unmatched']);
    expect(problemsOf(`${HEAD}  - code: [\n`)[0]).toMatchObject({ line: expect.any(Number) });
  });

  it('reports every problem of a file at once', () => {
    expect(problemsOf(`${HEAD}  - code: 31999\n    when: { level: x }\n  - code: 31000\n    when: { level: '(' }\n`)).toHaveLength(2);
  });
});
