import { describe, expect, it } from 'vitest';
import { CatalogSet } from './catalog-set.js';
import { parseCatalogText } from './parse-catalog.js';

const first = parseCatalogText(
  `catalog: first
version: 1
title: { en: First, ru: Первый }
codeRange: [1, 9999]
entries:
  - { code: 2001, name: Login, description: { en: Signed in., ru: Вошёл. }, classifiedEvent: 3, severity: 1 }
  - { code: 2007, name: LogOut, description: { en: Signed out., ru: Вышел. }, classifiedEvent: 1 }
`,
  'first.yaml',
);
const second = parseCatalogText(
  `catalog: second
version: 1
title: { en: Second, ru: Второй }
codeRange: [2001, 40000]
entries:
  - { code: 2001, name: Intruder, description: { en: Clash., ru: Конфликт. }, classifiedEvent: 1 }
  - { code: 30300, name: Login, description: { en: Clash., ru: Конфликт. }, classifiedEvent: 1 }
  - { code: 30301, name: USER_LOGOUT, description: { en: Out., ru: Выход. }, classifiedEvent: 3 }
`,
  'second.yaml',
);

describe('CatalogSet', () => {
  const set = CatalogSet.of([first, second]);

  it('finds an entry by code and by exact name', () => {
    expect(set.byCode(2001)).toMatchObject({ catalog: 'first', name: 'Login', classifiedEvent: 3 });
    expect(set.byName('LogOut')?.code).toBe(2007);
    expect(set.byName('USER_LOGOUT')?.catalog).toBe('second');
  });

  it('returns undefined for an unknown code or a name in another case', () => {
    expect(set.byCode(99999)).toBeUndefined();
    expect(set.byName('login')).toBeUndefined();
  });

  describe('when a later catalogue repeats a code or a name', () => {
    it('keeps the earlier entry and leaves the later one out', () => {
      expect(set.byCode(2001)?.name).toBe('Login');
      expect(set.byName('Intruder')).toBeUndefined();
      expect(set.byCode(30300)).toBeUndefined();
      expect(set.byName('Login')?.code).toBe(2001);
      expect(set.entries().map((e) => e.code)).toEqual([2001, 2007, 30301]);
    });
  });

  it('lists its catalogues in load order', () => {
    expect(set.catalogs()).toEqual(['first', 'second']);
  });
});
