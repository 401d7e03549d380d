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
 * The code of every record of seed 003's examples, by line in testdata/seed-003.log. Each section's own event gets
 * its code; the lines around it that the seed shows with it (a request's completion line with its status and
 * duration, the role PUT before the permission lines, the members query) are generic platform records (31900).
 */
const EXPECTED: Readonly<Record<number, number>> = {
  1: 31000, 2: 31001, 3: 31002, 5: 31002, // sign-in, sign-out, failed sign-in (both lines)
  6: 31100, 7: 31101, 8: 31102, 51: 31103, // account created, deleted, creation failed, deletion failed
  76: 31104, 78: 31900, 79: 31105, 81: 31900, 82: 31106, // locked, unlocked, password changed
  83: 31900, 85: 31200, 87: 31900, 88: 31201, 90: 31900, // role created, group created
  91: 31202, 93: 31900, 94: 31203, 96: 31900, // role deleted, group deleted
  97: 31900, 99: 31204, 101: 31204, 103: 31305, 105: 31204, 107: 31204, 109: 31204, 111: 31204, 113: 31204, 115: 31204, 117: 31900, // role rights
  118: 31900, 120: 31205, 122: 31900, // member added (its description on the line after the URL)
  123: 31900, 125: 31900, 127: 31900, 129: 31206, 131: 31900, // member removed
  132: 31300, 134: 31900, // object created
  135: 31301, 137: 31900, 139: 31301, 141: 31900, 143: 31301, 145: 31301, 147: 31301, 149: 31900, 151: 31900, 153: 31900, // object read
  154: 31302, 156: 31900, 157: 31303, 159: 31900, 160: 31304, 162: 31900, // object copied, updated, deleted
  163: 31900, 165: 31305, 167: 31305, 169: 31305, 171: 31305, 173: 31900, // access rights set on an object
  174: 31900, 176: 31306, 178: 31900, // access rights changed on an object
  179: 31400, 205: 31402, 206: 31400, // system started (Linux, Windows) and the search service it starts
  231: 31401, 232: 31402, 234: 31402, 236: 31402, 238: 31402, 240: 31402, 242: 31402, 244: 31402, 245: 31401, // stopped, service started, stop/failure
  246: 31900, 248: 31900, 250: 31404, 251: 31405, 252: 31406, 254: 31406, // process result, service result, adapter
};

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
