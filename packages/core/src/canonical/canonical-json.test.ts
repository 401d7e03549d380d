import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { describe, it, expect } from 'vitest';
import { TamgaError } from '../errors.js';
import { MAX_CANONICAL_DEPTH, canonicalBytes, canonicalize } from './canonical-json.js';

// Sources: RFC 8785 and cyberphone/json-canonicalization (see testdata/README.md).
const v = JSON.parse(readFileSync(new URL('./testdata/rfc8785-vectors.json', import.meta.url), 'utf8')) as {
  sorting_3_2_3: { input: string; expected: string; expectedValueOrder: string[] };
  sample_3_2_2: { input: string; expected: string; expectedUtf8Hex_3_2_4: string };
  numbers_appendix_b: [string, string][];
  numbers_appendix_b_invalid: string[];
  cyberphone: Record<string, { input: string; expected: string }>;
};

function fromIeee754(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

function errorOf(fn: () => unknown): TamgaError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof TamgaError) return err;
    throw err;
  }
  return undefined;
}

describe('canonicalize (RFC 8785)', () => {
  describe('known answers', () => {
    it('sorts properties by UTF-16 code units (§3.2.3)', () => {
      const out = canonicalize(JSON.parse(v.sorting_3_2_3.input));
      expect(out).toBe(v.sorting_3_2_3.expected);
      // Values in text order (JSON.parse would move the integer-like key "1" first).
      const values = [...out.matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
      expect(values).toEqual(v.sorting_3_2_3.expectedValueOrder);
    });

    it('serializes the §3.2.2 sample to the §3.2.4 bytes', () => {
      const parsed = JSON.parse(v.sample_3_2_2.input) as unknown;
      expect(canonicalize(parsed)).toBe(v.sample_3_2_2.expected);
      expect(canonicalBytes(parsed).toString('hex')).toBe(
        v.sample_3_2_2.expectedUtf8Hex_3_2_4.replace(/ /g, ''),
      );
    });

    it.each(v.numbers_appendix_b)('serializes IEEE 754 0x%s as %s (Appendix B)', (bits, expected) => {
      expect(canonicalize(fromIeee754(bits))).toBe(expected);
      expect(canonicalize({ n: fromIeee754(bits) })).toBe(`{"n":${expected}}`);
    });

    it.each(Object.entries(v.cyberphone))('matches the reference implementation on %s.json', (_name, t) => {
      expect(canonicalize(JSON.parse(t.input))).toBe(t.expected);
    });
  });

  it('serializes nested structures, literals and -0', () => {
    expect(canonicalize({ b: [1, { z: null, a: true }], a: 'x', c: -0 })).toBe(
      '{"a":"x","b":[1,{"a":true,"z":null}],"c":0}',
    );
    expect(canonicalize([])).toBe('[]');
    expect(canonicalize({})).toBe('{}');
    expect(canonicalize('')).toBe('""');
    expect(canonicalize(false)).toBe('false');
  });

  it('orders integer-like keys as strings, not numerically', () => {
    expect(canonicalize({ 2: 'b', 10: 'a', 1: 'c' })).toBe('{"1":"c","10":"a","2":"b"}');
  });

  it('escapes strings exactly like JSON.stringify', () => {
    const s = 'a"b\\c\u0000\u0001\b\t\n\f\r\u001f\u007f\u2028\u2029é😀</';
    expect(canonicalize(s)).toBe(JSON.stringify(s));
    expect(canonicalize({ [s]: 1 })).toBe(`{${JSON.stringify(s)}:1}`);
  });

  it('omits undefined members and writes undefined array elements as null, like JSON', () => {
    expect(canonicalize({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalize({ a: undefined })).toBe('{}');
    expect(canonicalize([undefined, 1])).toBe('[null,1]');
  });

  it('accepts null-prototype objects and honours toJSON (Date)', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 2;
    o.a = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    expect(canonicalize(o)).toBe('{"a":"2024-01-02T03:04:05.006Z","b":2}');
  });

  it('agrees with JSON.stringify on a typical record apart from key order', () => {
    const record = {
      id: '0190b4a2-7c1e-7a3b-9f00-1234567890ab',
      event: 2001,
      eventName: 'Login',
      entityData: { ip: '10.0.0.1', ok: true, tries: [1, 2.5, -3e-7] },
      userId: null,
      createdAt: '2024-05-01T10:00:00.000Z',
    };
    expect(JSON.parse(canonicalize(record))).toEqual(record);
  });

  it('returns UTF-8 bytes from canonicalBytes', () => {
    expect(canonicalBytes({ '€': 'é' })).toEqual(Buffer.from('{"€":"é"}', 'utf8'));
  });

  describe('when the value is outside the JSON data model', () => {
    const cases: [string, unknown, string, string][] = [
      ['NaN', { a: [1, Number.NaN] }, '/a/1', 'non-finite-number'],
      ['Infinity', Number.POSITIVE_INFINITY, '', 'non-finite-number'],
      ['-Infinity', { x: { y: Number.NEGATIVE_INFINITY } }, '/x/y', 'non-finite-number'],
      ['a lone high surrogate', { s: 'ab\ud800' }, '/s', 'lone-surrogate'],
      ['a lone low surrogate', ['\udc00x'], '/0', 'lone-surrogate'],
      ['a reversed pair', '\ude00\ud83d', '', 'lone-surrogate'],
      ['a lone surrogate in a key', { 'k\ud800': 1 }, '/k\ud800', 'lone-surrogate'],
      ['a bigint', { n: 10n }, '/n', 'unsupported-bigint'],
      ['a function', { f: () => 1 }, '/f', 'unsupported-function'],
      ['a symbol', { s: Symbol('s') }, '/s', 'unsupported-symbol'],
      ['a Map', { m: new Map() }, '/m', 'unsupported-object'],
      ['undefined at the top', undefined, '', 'undefined'],
      [
        'a key needing escape in the pointer',
        { 'a/b': { '~': Number.NaN } },
        '/a~1b/~0',
        'non-finite-number',
      ],
    ];
    it.each(cases)('throws VALIDATION_FAILED for %s', (_desc, value, field, reason) => {
      const err = errorOf(() => canonicalize(value));
      expect(err?.code).toBe('VALIDATION_FAILED');
      expect(err?.details.field).toBe(field);
      expect(err?.details.reason).toBe(reason);
    });

    it('throws VALIDATION_FAILED for cycles and excessive depth, not a RangeError', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(errorOf(() => canonicalize(cyclic))?.code).toBe('VALIDATION_FAILED');
      let deep: unknown = 1;
      for (let i = 0; i < MAX_CANONICAL_DEPTH + 1; i++) deep = [deep];
      expect(errorOf(() => canonicalize(deep))?.details.reason).toBe('too-deep');
      let ok: unknown = 1;
      for (let i = 0; i < MAX_CANONICAL_DEPTH; i++) ok = [ok];
      expect(() => canonicalize(ok)).not.toThrow();
    });

    it('accepts well-formed surrogate pairs', () => {
      expect(canonicalize('😀')).toBe('"😀"');
    });
  });
});
