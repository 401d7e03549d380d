import { describe, expect, it } from 'vitest';
import { entitySearchText, holdsSearchedText } from './searched-text.js';

describe('entitySearchText', () => {
  it("keeps entityData's strings and numbers, nested too, one per line; not keys, booleans, nulls or empty strings", () => {
    expect(entitySearchText({ login: 'alice', attempt: 3, ok: true, tenantId: null, blank: '' })).toBe(
      'alice\n3',
    );
    expect(
      entitySearchText({
        request: { query: 'invoice 7', filters: [{ field: 'year', value: 2026 }, 1.5e-7] },
      }),
    ).toBe('invoice 7\nyear\n2026\n1.5e-7');
    expect(entitySearchText('logs, tenantId=')).toBe('logs, tenantId=');
    expect(entitySearchText({ flags: [true, false, null] })).toBeNull();
    expect(entitySearchText(null)).toBeNull();
  });
});

describe('holdsSearchedText', () => {
  const json = JSON.stringify({ path: 'C:\\data', quote: 'say "hi"', login: 'Ирина' });
  it('finds a value as it is, ignoring case, and never a key or what only JSON writes', () => {
    expect(holdsSearchedText(null, json, 'c:\\data')).toBe(true);
    expect(holdsSearchedText(null, json, 'say "hi"')).toBe(true);
    expect(holdsSearchedText(null, json, 'ирина')).toBe(true);
    expect(holdsSearchedText(null, json, 'c:\\\\data')).toBe(false);
    expect(holdsSearchedText(null, json, 'login')).toBe(false);
    expect(holdsSearchedText(null, json, '"path"')).toBe(false);
    expect(holdsSearchedText('the path', json, 'path')).toBe(true);
  });

  it('tests stored text that is no JSON (a tampered row) as it is', () => {
    expect(holdsSearchedText(null, '{"login": broken', 'broken')).toBe(true);
  });
});
