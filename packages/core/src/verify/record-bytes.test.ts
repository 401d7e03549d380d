import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { sealRecord } from '../record/record.js';
import type { EntityData } from '../record/event-input.js';
import { formatBundleRecord } from './bundle-format.js';
import { checkRecordLine } from './bundle-verifier.js';
import type { CheckedLine } from './bundle-verifier.js';
import { checkRecordBytes } from './record-bytes.js';
import { testRecordFields } from '../test-support/record-fields.js';

const ORIGIN = 'test/ёлка';
const HMAC = Buffer.alloc(32, 7);
const keyFor = (kid: string): Buffer | undefined => (kid === 'hmac-1' ? HMAC : undefined);

/** Payloads of every shape a record may carry. */
const PAYLOADS: [EntityData | null, string | null][] = [
  [{ login: 'user1', attempt: 3, tenantId: null }, 'error while processing request 7'],
  [{ z: [1, 2.5, -0, 1e21, { b: true, a: null }], é: 'ü', a: { '"q"': 'x\\y', '\u0001': '\n\t' } }, null],
  ['a plain string', 'Ошибка входа: неверный пароль (попытка 3)'],
  [[1, 'two', { three: 3 }], 'quote " backslash \\ newline \n control \u0007 emoji 😀'],
  [null, null],
  [{}, ''],
];

function line(
  seq: number,
  payload: [EntityData | null, string | null],
  options: { redacted?: boolean; noLeaf?: boolean } = {},
): string {
  const fields = testRecordFields(seq, ORIGIN, { entityData: payload[0], text: payload[1], tenantId: null });
  const seal = sealRecord(fields, HMAC);
  return formatBundleRecord({
    seq,
    canonical: seal.canonical,
    leafHash: options.noLeaf === true ? null : seal.leafHash,
    signature: seal.signature,
    sigKid: 'hmac-1',
    entityData: options.redacted === true ? null : payload[0],
    text: options.redacted === true ? null : payload[1],
    payloadSalt: options.redacted === true ? null : seal.payloadSalt,
    redacted: options.redacted === true,
  });
}

/** What `tamga verify` does with a line: the byte path, else the general one. */
function both(
  text: string,
  keys?: typeof keyFor,
): { fast: CheckedLine | undefined; combined: CheckedLine; general: CheckedLine } {
  const bytes = Buffer.from(`xx${text}yy`, 'utf8');
  const fast = checkRecordBytes(bytes, 2, bytes.length - 2, ORIGIN, keys);
  const general = checkRecordLine(text, 0, ORIGIN, keys);
  return { fast, combined: fast ?? checkRecordLine(text, 0, ORIGIN, keys), general };
}

/** A deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('checkRecordBytes', () => {
  it('checks the exporter’s lines of every payload shape on the byte path, with the general path’s outcome', () => {
    PAYLOADS.forEach((payload, seq) => {
      for (const options of [{}, { noLeaf: true }]) {
        for (const keys of [undefined, keyFor, () => undefined]) {
          const { fast, general } = both(line(seq, payload, options), keys);
          expect(fast, JSON.stringify(payload)).toBeDefined();
          expect(fast).toEqual(general);
          expect(general.status).toBe(keys === undefined || keys === keyFor ? 'valid' : 'unknown-key');
        }
      }
    });
  });

  it('leaves redacted records, other shapes and payloads not in canonical form to the general path, which decides', () => {
    const redacted = line(1, PAYLOADS[0]!, { redacted: true });
    expect(both(redacted).fast).toBeUndefined();
    expect(both(redacted).combined).toEqual({ seq: 1, leaf: expect.any(Buffer), status: 'redacted' });
    const parsed = JSON.parse(line(2, PAYLOADS[1]!)) as Record<string, unknown>;
    // Same values, another JSON form: keys in another order, spaces, escapes. Still valid, as before.
    const reordered = JSON.stringify({
      ...parsed,
      entityData: { a: (parsed.entityData as { a: unknown }).a, ...(parsed.entityData as object) },
    });
    const spaced = JSON.stringify(parsed, null, 1).replace(/\n/g, '');
    const escaped = JSON.stringify(parsed).replace('"canonical":"e', '"canonical":"\\u0065');
    for (const text of [reordered, spaced, escaped]) {
      const { combined, general } = both(text);
      expect(combined).toEqual(general);
      expect(general.status).toBe('valid');
    }
  });

  it('gives the general path’s outcome for thousands of random edits of lines (bytes changed, added, removed)', () => {
    const next = random(20_261_204);
    const sources = PAYLOADS.map((p, seq) => line(seq, p, seq % 2 === 0 ? {} : { noLeaf: true }));
    const alphabet = '"\\{}[],:0123456789abcAZ=+/ \n\t\u0001éё😀nulltruefalse';
    let fastValid = 0;
    for (let i = 0; i < 6000; i++) {
      let text = sources[i % sources.length]!;
      for (let edits = 1 + Math.floor(next() * 2); edits > 0; edits--) {
        const at = Math.floor(next() * text.length);
        const c = alphabet[Math.floor(next() * alphabet.length)]!;
        const kind = next();
        text =
          kind < 0.4
            ? text.slice(0, at) + c + text.slice(at + 1)
            : kind < 0.7
              ? text.slice(0, at) + c + text.slice(at)
              : text.slice(0, at) + text.slice(at + 1);
      }
      for (const keys of [undefined, keyFor]) {
        const { fast, combined, general } = both(text, keys);
        expect(combined, text).toEqual(general);
        if (fast !== undefined) {
          expect(fast.status, text).not.toBe('tampered');
          fastValid++;
        }
      }
    }
    // Edits the values keep (a base64 character swapped in a part no byte of which is read) stay valid.
    expect(fastValid).toBeGreaterThan(0);
  });

  it('never takes a tampered record for valid: a changed payload, header, signature or leaf', () => {
    const source = line(5, PAYLOADS[0]!);
    const edits = [
      source.replace('user1', 'user2'),
      source.replace('request 7', 'request 8'),
      source.replace(/"signature":"(.)/, (_m, c: string) => `"signature":"${c === 'a' ? 'b' : 'a'}`),
      source.replace(/"payloadSalt":"(.)/, (_m, c: string) => `"payloadSalt":"${c === 'A' ? 'B' : 'A'}`),
      source.replace(/"leafHash":"(.)/, (_m, c: string) => `"leafHash":"${c === 'A' ? 'B' : 'A'}`),
      source.replace('"seq":5', '"seq":6'),
    ];
    for (const text of edits) {
      const { fast, general } = both(text, keyFor);
      expect(fast, text).toBeUndefined();
      expect(general.status, text).toBe('tampered');
    }
  });
});
