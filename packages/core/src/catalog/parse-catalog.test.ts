import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import type { CatalogProblem } from './catalog-types.js';
import { MAX_CATALOG_ALIASES, MAX_CATALOG_BYTES, MAX_CATALOG_DEPTH, MAX_CATALOG_ENTRIES, parseCatalogText, validateCatalogs } from './parse-catalog.js';

/** Runs `fn`, expects CATALOG_INVALID and returns its error. */
function invalidOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('CATALOG_INVALID');
    return err as ValidationError;
  }
  throw new Error('expected CATALOG_INVALID');
}

/** Runs `fn`, expects CATALOG_INVALID and returns its problems. */
function problemsOf(fn: () => unknown): readonly CatalogProblem[] {
  return invalidOf(fn).details['problems'] as CatalogProblem[];
}

/** CPU milliseconds `fn` takes (steadier than wall time on a busy machine). */
function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const objectOfKeys = (n: number): string => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));

const GOOD_YAML = `catalog: tenant-acme
version: 1
title: { en: ACME events, ru: События ACME }
codeRange: [40000, 40999]
domains:
  billing: { en: Billing, ru: Биллинг }
entries:
  - code: 40000
    name: InvoiceIssued
    domain: billing
    description: { en: An invoice was issued., ru: Выставлен счёт. }
    classifiedEvent: 1
  - code: 40001
    name: InvoiceFailed
    domain: billing
    description: { en: Issuing an invoice failed., ru: Не удалось выставить счёт. }
    classifiedEvent: 2
    severity: 4
    pollable: false
    status: active
    ocsf: { classUid: 6003, activityId: 1 }
`;

describe('parseCatalogText', () => {
  describe('when a YAML tenant catalogue is valid', () => {
    it('returns frozen entries tagged with the catalogue id and defaults filled in', () => {
      const doc = parseCatalogText(GOOD_YAML, 'acme.yaml');
      expect(doc.catalog).toBe('tenant-acme');
      expect(doc.codeRange).toEqual([40000, 40999]);
      const [issued, failed] = doc.entries;
      expect(issued).toMatchObject({
        catalog: 'tenant-acme',
        code: 40000,
        severity: 1,
        pollable: true,
        status: 'active',
      });
      expect(failed).toMatchObject({ severity: 4, pollable: false, ocsf: { classUid: 6003, activityId: 1 } });
      expect(Object.isFrozen(issued)).toBe(true);
      expect(Object.isFrozen(doc.entries)).toBe(true);
    });
  });

  describe('when a YAML catalogue has several faults', () => {
    const text = `catalog: tenant-acme
version: 1
title: { en: ACME, ru: ACME }
codeRange: [40000, 40999]
entries:
  - code: 40000
    name: InvoiceIssued
    description: { en: Issued., ru: Выставлен. }
    classifiedEvent: 1
  - code: 40000
    name: InvoiceIssued
    description: { en: Again., ru: Снова. }
    classifiedEvent: 5
    severity: 7
    status: retired
  - name: NoCode
    description: { en: No code., ru: Нет кода. }
    classifiedEvent: 1
  - code: 40003
    classifiedEvent: 1
  - code: 50000
    name: OutOfRange
    description: { en: Out of range., ru: Вне диапазона. }
    classifiedEvent: 1
`;

    it('reports every problem, each with its line', () => {
      const problems = problemsOf(() => parseCatalogText(text, 'acme.yaml'));
      const at = (path: string) => problems.filter((p) => p.path === path).map((p) => [p.line, p.message]);
      expect(at('entries[1].code')).toEqual([[10, expect.stringContaining('duplicate code 40000')]]);
      expect(at('entries[1].name')).toEqual([[11, expect.stringContaining('duplicate name')]]);
      expect(at('entries[1].classifiedEvent')).toEqual([[13, expect.stringContaining('classifiedEvent')]]);
      expect(at('entries[1].severity')).toEqual([[14, expect.stringContaining('severity')]]);
      expect(at('entries[1].status')).toEqual([[15, expect.stringContaining('status')]]);
      // A missing field points at the entry that lacks it.
      expect(at('entries[2].code')).toEqual([[16, 'missing code']]);
      expect(at('entries[3].name')).toEqual([[19, 'missing name']]);
      expect(at('entries[3].description')).toEqual([[19, 'missing description']]);
      expect(at('entries[4].code')).toEqual([[21, expect.stringContaining('outside')]]);
      expect(problems).toHaveLength(9);
      expect(problems.every((p) => p.source === 'acme.yaml')).toBe(true);
    });
  });

  describe('when a JSON catalogue has faults', () => {
    const text = `{
  "catalog": "tenant-json",
  "version": 1,
  "title": { "en": "JSON", "ru": "JSON" },
  "codeRange": [41000, 41999],
  "entries": [
    { "code": 41000, "name": "A", "description": { "en": "A." }, "classifiedEvent": 1 },
    { "code": 41000, "name": "B", "description": { "en": "B.", "ru": "Б." }, "classifiedEvent": 1, "pollable": "yes" },
    { "code": 41002, "name": "C", "description": { "en": "C.", "ru": "В." }, "classifiedEvent": 3, "sevrity": 2 }
  ]
}`;

    it('reports every problem with its line', () => {
      const problems = problemsOf(() => parseCatalogText(text, 'tenant.json'));
      expect(problems.map((p) => [p.line, p.path])).toEqual([
        [7, 'entries[0].description.ru'],
        [8, 'entries[1].pollable'],
        [8, 'entries[1].code'],
        [9, 'entries[2].sevrity'],
      ]);
    });
  });

  describe('when the text is not valid YAML or JSON', () => {
    it('reports the syntax error with its line', () => {
      const problems = problemsOf(() =>
        parseCatalogText('catalog: x\nentries:\n  - code: [1, 2\n', 'broken.yaml'),
      );
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]?.line).toBeGreaterThanOrEqual(3);
    });

    it('reports a JSON object with a repeated key', () => {
      const problems = problemsOf(() =>
        parseCatalogText('{\n "catalog": "a",\n "catalog": "b"\n}', 'dup.json'),
      );
      expect(problems[0]?.line).toBe(3);
    });

    it('rejects a document that is not an object', () => {
      expect(problemsOf(() => parseCatalogText('42', 'n.yaml'))).toHaveLength(1);
    });
  });

  describe('when the catalogue is hostile or too large', () => {
    it('refuses a YAML alias bomb with CATALOG_INVALID naming the alias limit, instead of a stray ReferenceError', () => {
      const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) {
        laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
      }
      const bomb = invalidOf(() => parseCatalogText(laughs.join('\n'), 'bomb.yaml'));
      expect(bomb.details['limit']).toEqual({ aliases: MAX_CATALOG_ALIASES });
      expect(bomb.message).toMatch(/YAML aliases/);
      const nested = invalidOf(() => parseCatalogText(laughs.slice(0, 4).join('\n'), 'nested.yaml'));
      expect(nested.message).toMatch(/YAML aliases expand too far/);
    });

    it('refuses more aliases than the budget, at the line of the first one beyond it', () => {
      const lines = ['catalog: x', 'shared: &s { name: a, description: b }', 'entries:', ...Array.from({ length: MAX_CATALOG_ALIASES + 5 }, () => '  - *s')];
      const problems = problemsOf(() => parseCatalogText(lines.join('\n'), 'many.yaml'));
      expect(problems[0]).toMatchObject({ line: 4 + MAX_CATALOG_ALIASES, message: expect.stringContaining(`more than ${MAX_CATALOG_ALIASES} YAML aliases`) as unknown });
    });

    it('refuses a text over the byte limit and a list over the entry limit, naming the limit', () => {
      const big = invalidOf(() => parseCatalogText(`catalog: x\nnote: "${'x'.repeat(MAX_CATALOG_BYTES)}"`, 'big.yaml'));
      expect(big.details['limit']).toEqual({ bytes: MAX_CATALOG_BYTES });
      expect(big.message).toContain(`at most ${MAX_CATALOG_BYTES}`);
      const entries = `catalog: x\nversion: 1\nentries:\n${'  - {}\n'.repeat(MAX_CATALOG_ENTRIES + 1)}`;
      const many = invalidOf(() => parseCatalogText(entries, 'many.yaml'));
      expect(many.details['limit']).toEqual({ entries: MAX_CATALOG_ENTRIES });
      expect(many.message).toContain(`a catalogue holds at most ${MAX_CATALOG_ENTRIES}`);
    });

    it('refuses [ and { nested deeper than 64 levels before parsing, at the line where it happens', () => {
      const deep = invalidOf(() => parseCatalogText(`catalog: x\nnote: ${'['.repeat(400_000)}${']'.repeat(400_000)}`, 'deep.yaml'));
      expect(deep.details['limit']).toEqual({ depth: MAX_CATALOG_DEPTH });
      expect((deep.details['problems'] as CatalogProblem[])[0]?.line).toBe(2);
      // Brackets inside quoted strings do not count.
      expect(problemsOf(() => parseCatalogText(`catalog: x\nnote: "${'['.repeat(100)}"`, 'quoted.yaml')).some((p) => p.message.includes('nested'))).toBe(false);
    });

    it('lists the first 100 of 40,000 problems and counts the rest', () => {
      const error = invalidOf(() => parseCatalogText(objectOfKeys(40_000), 'keys.json'));
      expect(error.details['problems']).toHaveLength(100);
      expect(error.details['problemCount']).toBe(40_000 + 5); // and catalog, version, title, codeRange, entries missing
      expect(error.message).toContain('and 40002 more');
    });

    it('parses in linear time: four times the keys take about four times as long, not sixteen', () => {
      const small = objectOfKeys(10_000);
      const large = objectOfKeys(40_000);
      const run = (text: string) => () => void invalidOf(() => parseCatalogText(text, 'keys.json'));
      run(small)(); // warm up
      const ratio = cpuMs(run(large)) / cpuMs(run(small));
      // Quadratic steps (the parser's unique-key check, a key look-up per problem) made this ratio about 16.
      expect(ratio).toBeLessThan(8);
    });
  });

  describe('when a catalogue repeats 15800 under two names, as the AI Server seeds do', () => {
    it('reports the duplicate code instead of keeping one', () => {
      const text = `catalog: seed-copy
version: 1
title: { en: Copy, ru: Копия }
codeRange: [15000, 15999]
entries:
  - { code: 15800, name: TrainProcessCompletedSuccess, description: { en: Done., ru: Готово. }, classifiedEvent: 1 }
  - { code: 15801, name: TrainProcessCompletedError, description: { en: Failed., ru: Ошибка. }, classifiedEvent: 2 }
  - { code: 15800, name: TrainProcessTimeout, description: { en: Timeout., ru: Таймаут. }, classifiedEvent: 2 }
`;
      const problems = problemsOf(() => parseCatalogText(text, 'copy.yaml'));
      expect(problems).toEqual([
        expect.objectContaining({
          line: 8,
          path: 'entries[2].code',
          message: expect.stringContaining('duplicate code 15800'),
        }),
      ]);
    });
  });
});

describe('validateCatalogs', () => {
  const builtin = parseCatalogText(
    `catalog: builtin
version: 1
title: { en: B, ru: Б }
codeRange: [15000, 15999]
entries:
  - { code: 15800, name: TrainProcessCompletedSuccess, description: { en: Done., ru: Готово. }, classifiedEvent: 1 }
`,
    'builtin.yaml',
  );

  describe('when a tenant catalogue reuses a built-in code under another name', () => {
    it('reports the conflict on the tenant catalogue, with its line', () => {
      const tenant = parseCatalogText(
        `catalog: tenant
version: 1
title: { en: T, ru: Т }
codeRange: [15800, 15800]
entries:
  - code: 15800
    name: TrainProcessTimeout
    description: { en: Timeout., ru: Таймаут. }
    classifiedEvent: 2
`,
        'tenant.yaml',
      );
      const problems = validateCatalogs([
        { doc: builtin, source: 'builtin.yaml' },
        { doc: tenant, source: 'tenant.yaml' },
      ]);
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ source: 'tenant.yaml', path: 'codeRange' }),
          expect.objectContaining({
            source: 'tenant.yaml',
            line: 6,
            path: 'entries[0].code',
            message: expect.stringContaining('TrainProcessCompletedSuccess'),
          }),
        ]),
      );
    });
  });

  describe('when a tenant catalogue reuses a built-in name and id', () => {
    it('reports both', () => {
      const tenant = parseCatalogText(
        `catalog: builtin
version: 2
title: { en: T, ru: Т }
codeRange: [40000, 40000]
entries:
  - { code: 40000, name: TrainProcessCompletedSuccess, description: { en: X., ru: Х. }, classifiedEvent: 1 }
`,
        'tenant.yaml',
      );
      const paths = validateCatalogs([
        { doc: builtin, source: 'builtin.yaml' },
        { doc: tenant, source: 'tenant.yaml' },
      ]).map((p) => p.path);
      expect(paths).toEqual(['catalog', 'entries[0].name']);
    });
  });

  it('returns no problem for catalogues that fit together', () => {
    const other = parseCatalogText(GOOD_YAML, 'acme.yaml');
    expect(
      validateCatalogs([
        { doc: builtin, source: 'b' },
        { doc: other, source: 'a' },
      ]),
    ).toEqual([]);
  });
});
