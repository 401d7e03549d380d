import { describe, expect, it } from 'vitest';
import { checkJsonShape, JSON_SHAPE_CHECK_FROM_BYTES, MAX_JSON_DEPTH, MAX_JSON_VALUES } from './json-shape.js';

const MIB = 1024 * 1024;

function codeOf(body: string): string | undefined {
  try {
    checkJsonShape(Buffer.from(body));
  } catch (error) {
    return (error as { code: string }).code;
  }
  return undefined;
}

describe('checkJsonShape', () => {
  it('refuses 2 MB nested a million deep, and a flood of tiny values, before JSON.parse allocates for them', () => {
    expect(codeOf('['.repeat(MIB) + ']'.repeat(MIB))).toBe('VALIDATION_FAILED');
    expect(codeOf(`[${'{},'.repeat(MAX_JSON_VALUES)}{}]`)).toBe('BODY_TOO_LARGE');
  });

  it('takes large bodies of ordinary events, brackets and commas inside strings not counted', () => {
    const event = { event: 2001, text: 'a, b, [c], {d}, "quoted\\\\", \\\\', entityData: { roles: ['a', 'b'], nested: { deep: [1, [2, [3]]] } } };
    const batch = JSON.stringify(Array.from({ length: 10_000 }, () => event));
    expect(batch.length).toBeGreaterThan(JSON_SHAPE_CHECK_FROM_BYTES);
    expect(codeOf(batch)).toBeUndefined();
    expect(codeOf(`{"text":"${'['.repeat(2 * MIB)}"}`)).toBeUndefined();
    expect(codeOf(`{"text":"\\\\"}${'['.repeat(MAX_JSON_DEPTH + 1)}${' '.repeat(MIB)}`)).toBe('VALIDATION_FAILED');
  });

  it('leaves bodies under 1 MiB to JSON.parse: they cannot cost 100 MB', () => {
    expect(codeOf('['.repeat(100_000) + ']'.repeat(100_000))).toBeUndefined();
  });
});
