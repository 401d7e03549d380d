import { describe, expect, it } from 'vitest';
import { checkTenantCatalog } from './check-tenant-catalog.js';
import { parseCatalogText } from './parse-catalog.js';

const BUILTIN = parseCatalogText(
  `{
  "catalog": "ai-server", "version": 1, "title": { "en": "AI", "ru": "ИИ" }, "codeRange": [1, 29999],
  "entries": [
    { "code": 15800, "name": "TrainProcessCompletedSuccess", "description": { "en": "ok", "ru": "ок" }, "classifiedEvent": 1 },
    { "code": 15802, "name": "TrainProcessTimeout", "description": { "en": "t", "ru": "т" }, "classifiedEvent": 2 }
  ]
}`,
  'ai-server.json',
);

const tenant = (entries: string, catalog = 'acme'): string => `catalog: ${catalog}
version: 1
title: { en: ACME, ru: АКМЕ }
codeRange: [1, 99999]
entries:
${entries}`;

describe('checkTenantCatalog', () => {
  describe('when a tenant file repeats seed code 15800 as TrainProcessTimeout', () => {
    it('reports the code conflict and the name conflict, each with its line', () => {
      const doc = parseCatalogText(
        tenant(`  - code: 50000
    name: WidgetMade
    description: { en: w, ru: в }
    classifiedEvent: 1
  - code: 15800
    name: TrainProcessTimeout
    description: { en: t, ru: т }
    classifiedEvent: 2
`),
        'acme.yaml',
      );
      const problems = checkTenantCatalog(doc, 'acme.yaml', [BUILTIN]);
      expect(problems.map((p) => [p.line, p.path])).toEqual([
        [10, 'entries[1].code'],
        [10, 'entries[1].name'],
      ]);
      expect(problems[0]?.message).toContain('15800');
      expect(problems[0]?.message).toContain('TrainProcessCompletedSuccess');
    });
  });

  it('refuses an unused code inside a built-in range and a built-in catalogue id', () => {
    const doc = parseCatalogText(
      tenant(
        `  - code: 15803
    name: Mine
    description: { en: m, ru: м }
    classifiedEvent: 1
`,
        'ai-server',
      ),
      'x.yaml',
    );
    expect(checkTenantCatalog(doc, 'x.yaml', [BUILTIN]).map((p) => p.path)).toEqual(['catalog', 'entries[0].code']);
  });

  it('accepts the same code with the same name (the tenant rewords it) and codes outside the built-ins', () => {
    const doc = parseCatalogText(
      tenant(`  - code: 15800
    name: TrainProcessCompletedSuccess
    description: { en: Training done, ru: Обучение завершено }
    classifiedEvent: 1
  - code: 50000
    name: WidgetMade
    description: { en: w, ru: в }
    classifiedEvent: 1
`),
      'acme.yaml',
    );
    expect(checkTenantCatalog(doc, 'acme.yaml', [BUILTIN])).toEqual([]);
  });

  it('checks nothing against a built-in the tenant has not enabled', () => {
    const doc = parseCatalogText(
      tenant(`  - code: 15800
    name: SomethingElse
    description: { en: s, ru: с }
    classifiedEvent: 1
`),
      'acme.yaml',
    );
    expect(checkTenantCatalog(doc, 'acme.yaml', [])).toEqual([]);
  });
});
