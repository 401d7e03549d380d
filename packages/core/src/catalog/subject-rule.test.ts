import { describe, expect, it } from 'vitest';
import { parseCatalogText } from './parse-catalog.js';
import { extractSubject } from './subject-rule.js';
import type { SubjectRule } from './subject-rule.js';

const LOGIN: SubjectRule = { field: 'entityData', key: 'login', textBefore: ',' };

describe('extractSubject', () => {
  it('reads seed 002’s Login: the text before the delimiter, or the key of an object', () => {
    expect(extractSubject(LOGIN, 'logs, tenantId=')).toBe('logs');
    expect(extractSubject(LOGIN, '  ivanov  ')).toBe('ivanov');
    expect(extractSubject(LOGIN, { login: 'Ivanov', tenantId: null })).toBe('Ivanov');
    expect(extractSubject({ field: 'entityData', key: 'captured.login' }, { captured: { login: 'petrov' } })).toBe('petrov');
  });

  it('names nobody when the value is absent, empty, no string or too long', () => {
    expect(extractSubject(LOGIN, null)).toBeNull();
    expect(extractSubject(LOGIN, ', tenantId=')).toBeNull();
    expect(extractSubject(LOGIN, { login: 42 })).toBeNull();
    expect(extractSubject(LOGIN, { other: 'x' })).toBeNull();
    expect(extractSubject(LOGIN, ['logs'])).toBeNull();
    expect(extractSubject(LOGIN, { login: 'x'.repeat(257) })).toBeNull();
    expect(extractSubject({ field: 'entityData', key: 'login' }, 'logs, tenantId=')).toBeNull();
    expect(extractSubject({ field: 'entityData', key: 'toString' }, {})).toBeNull();
  });
});

const catalog = (subject: string): string => `catalog: acme
version: 1
title: { en: ACME, ru: ACME }
codeRange: [40000, 40999]
entries:
  - code: 40000
    name: AcmeLogin
    description: { en: Signed in., ru: Вход. }
    classifiedEvent: 3
    subject: ${subject}
`;

describe('a catalogue entry’s subject', () => {
  it('is parsed and frozen', () => {
    const [entry] = parseCatalogText(catalog('{ field: entityData, key: user.login, textBefore: ";" }'), 'acme.yaml').entries;
    expect(entry!.subject).toEqual({ field: 'entityData', key: 'user.login', textBefore: ';' });
    expect(Object.isFrozen(entry!.subject)).toBe(true);
  });

  it.each([
    ['{ field: text, key: login }', 'subject must be an object'],
    ['{ field: entityData }', 'needs a key, a textBefore, or both'],
    ['{ field: entityData, key: "" }', 'key must be a non-empty path'],
    ['{ field: entityData, textBefore: "" }', 'textBefore must be a delimiter'],
    ['{ field: entityData, key: login, pattern: "(a+)+" }', 'unknown field "pattern"'],
  ])('refuses %s', (subject, message) => {
    expect(() => parseCatalogText(catalog(subject), 'acme.yaml')).toThrow();
    try {
      parseCatalogText(catalog(subject), 'acme.yaml');
    } catch (error) {
      const problems = (error as { details: { problems: { message: string }[] } }).details.problems;
      expect(problems.map((p) => p.message).join('\n')).toContain(message);
    }
  });
});
