/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the byte form `L` that Tamga signs and hashes.
 *
 * - Object members are sorted by their names as arrays of UTF-16 code units (RFC 8785 §3.2.3), at
 *   every level; no whitespace is emitted (§3.2.1).
 * - Numbers are serialized with the ECMAScript `Number.prototype.toString` algorithm, which is what
 *   `JSON.stringify` uses (§3.2.2.3); `-0` becomes `0`.
 * - Strings are escaped exactly like `JSON.stringify` (§3.2.2.2): `\b \t \n \f \r \" \\` short forms,
 *   other control characters as lowercase `\u00xx`, everything else literal.
 *
 * Values outside the I-JSON data model (RFC 7493) are refused with a `ValidationError`
 * (`VALIDATION_FAILED`, `details.field` = JSON pointer of the value, `details.reason`): non-finite
 * numbers, strings (or member names) with lone surrogates, bigints, functions, symbols, non-plain
 * objects such as `Map`, and nesting deeper than {@link MAX_CANONICAL_DEPTH}. Like `JSON.stringify`,
 * object members whose value is `undefined` are left out, `undefined` array elements become `null`,
 * and a `toJSON()` method (e.g. on `Date`) is honoured.
 *
 * Hot path: this runs for every event. Objects are walked once, strings needing no escaping are copied
 * without calling `JSON.stringify`, and no intermediate arrays are built besides each object's key list.
 */
import { Buffer } from 'node:buffer';
import { ValidationError } from '../errors.js';

/** Deepest nesting of arrays and objects accepted (guards against cycles and stack exhaustion). */
export const MAX_CANONICAL_DEPTH = 256;

// Characters a JSON string must escape, plus surrogates (checked separately for pairing).
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE_OR_CHECK = /["\\\u0000-\u001f\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Internal: carries the JSON pointer of the offending value up the recursion. */
class CanonicalIssue extends Error {
  readonly segments: string[] = [];
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function quote(s: string): string {
  if (!NEEDS_ESCAPE_OR_CHECK.test(s)) return '"' + s + '"';
  if (LONE_SURROGATE.test(s)) {
    // RFC 8785 §3.2.2.2 / RFC 7493 §2.1: strings must be valid Unicode.
    throw new CanonicalIssue('lone-surrogate', 'String contains a lone surrogate');
  }
  return JSON.stringify(s);
}

function serializeNumber(n: number): string {
  // RFC 8785 §3.2.2.3: NaN and Infinity have no JSON form.
  if (!Number.isFinite(n)) throw new CanonicalIssue('non-finite-number', `Number ${n} is not finite`);
  return String(n); // ECMAScript Number::toString, as JSON.stringify; String(-0) === '0'
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function serialize(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return serializeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_CANONICAL_DEPTH) {
        throw new CanonicalIssue('too-deep', `Nesting deeper than ${MAX_CANONICAL_DEPTH} (or a cycle)`);
      }
      if (Array.isArray(value)) return serializeArray(value as readonly unknown[], depth + 1);
      if (isPlainObject(value)) return serializeObject(value as Record<string, unknown>, depth + 1);
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        return serialize((value as { toJSON: () => unknown }).toJSON(), depth + 1);
      }
      throw new CanonicalIssue('unsupported-object', `${describe(value)} is not a JSON value`);
    case 'undefined':
      throw new CanonicalIssue('undefined', 'undefined is not a JSON value');
    default: // bigint, function, symbol
      throw new CanonicalIssue(`unsupported-${typeof value}`, `A ${typeof value} is not a JSON value`);
  }
}

function describe(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? `A ${ctor.name}` : 'This object';
}

function serializeArray(array: readonly unknown[], depth: number): string {
  let out = '[';
  let i = 0;
  try {
    for (; i < array.length; i++) {
      if (i > 0) out += ',';
      const item = array[i];
      // As JSON.stringify: an undefined element is written as null.
      out += item === undefined ? 'null' : serialize(item, depth);
    }
  } catch (err) {
    if (err instanceof CanonicalIssue) err.segments.push(String(i));
    throw err;
  }
  return out + ']';
}

/**
 * The object's own keys sorted as RFC 8785 sorts them (§3.2.3, by UTF-16 code units, which is what `<` compares and
 * the default sort comparator does): a small object's (most payloads: a few keys) by insertion in place, as
 * `Array.prototype.sort` allocated ~1 KB of working state per call, a third of what sealing allocated per event.
 */
function sortedKeys(object: Record<string, unknown>): string[] {
  const keys = Object.keys(object);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

function serializeObject(object: Record<string, unknown>, depth: number): string {
  // RFC 8785 §3.2.3: sort by UTF-16 code units — exactly what the default sort comparator does.
  const keys = sortedKeys(object);
  let out = '{';
  let first = true;
  let key = '';
  try {
    for (let i = 0; i < keys.length; i++) {
      key = keys[i] as string;
      const item = object[key];
      if (item === undefined) continue; // as JSON.stringify: undefined members are left out
      if (first) first = false;
      else out += ',';
      out += quote(key) + ':' + serialize(item, depth);
    }
  } catch (err) {
    if (err instanceof CanonicalIssue) err.segments.push(key);
    throw err;
  }
  return out + '}';
}

function toValidationError(issue: CanonicalIssue): ValidationError {
  // RFC 6901 JSON pointer of the offending value; segments were collected innermost first.
  const pointer = issue.segments
    .reverse()
    .map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1'))
    .join('');
  return new ValidationError('VALIDATION_FAILED', `Cannot canonicalize: ${issue.message}`, {
    field: pointer,
    reason: issue.reason,
  });
}

/**
 * Canonical JSON text of `value` per RFC 8785 (JCS).
 *
 * @example
 * ```ts
 * canonicalize({ b: 1, a: [true, null, 'x'] }); // '{"a":[true,null,"x"],"b":1}'
 * ```
 * @throws ValidationError `VALIDATION_FAILED` for values outside the JSON data model (see module docs).
 */
export function canonicalize(value: unknown): string {
  try {
    return serialize(value, 0);
  } catch (err) {
    if (err instanceof CanonicalIssue) throw toValidationError(err);
    throw err;
  }
}

/**
 * UTF-8 bytes of {@link canonicalize}`(value)`: the exact bytes to hash or sign (RFC 8785 §3.2.4).
 *
 * @throws ValidationError `VALIDATION_FAILED` for values outside the JSON data model.
 */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
