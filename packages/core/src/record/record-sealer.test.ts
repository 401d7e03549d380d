// The fast sealing (RecordSealer: record-shaped RFC 8785, HMAC from prepared pads, one-shot digests) gives the same
// bytes as the reference sealing (generic RFC 8785 of canonicalRecordObject, createHmac, hashLeaf) on every shape of
// record: same canonical bytes, same signature, same leaf, for every key length.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../canonical/canonical-json.js';
import { TamgaError } from '../errors.js';
import { PreparedSealBatch, RecordSealer, canonicalRecordObject, preparedAt, canonicalRecordString, checkRecord, checkRecordReference, sealRecord, sealRecordReference } from './record.js';
import type { IntegrityStatus, RecordFields, StoredSeal } from './record.js';
import { formatTimestamp } from './timestamp.js';

const KEY = Buffer.alloc(32, 7);
const SALT = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

const base: RecordFields = {
  log: 'tamga.local/default',
  seq: 0,
  id: '01900000-0000-7000-8000-000000000001',
  event: 2001,
  eventName: 'Login',
  entityData: { login: 'alice', attempt: 1, tenantId: null },
  userId: 'alice',
  apiCreatedAt: 1_725_147_358_293_780,
  createdAt: 1_725_147_358_000_001,
  text: null,
  ip: '10.0.0.1',
  tenantId: null,
  nodeId: 'node-1',
  operationKey: 'op-1',
  classifiedEvent: 1,
  severity: 1,
  outcome: null,
  extra: { pollable: false, catalogVersion: 'ai-server@1' },
  sigKid: 'hmac-2024-01',
};

const vectors = JSON.parse(readFileSync(new URL('../canonical/testdata/rfc8785-vectors.json', import.meta.url), 'utf8')) as {
  sorting_3_2_3: { input: string };
  sample_3_2_2: { input: string };
  numbers_appendix_b: [string, string][];
  cyberphone: Record<string, { input: string }>;
};

function fromIeee754(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

const UNICODE = ['é ü ß', '日本語のログ', 'emoji 😀 and 🏳️‍🌈', 'quote " backslash \\ slash /', 'controls \u0000\u0001\u001f\b\t\n\f\r', 'del \u007f line sep \u2028 para \u2029', 'Вы не можете удалить свой аккаунт', ''];

/** Every shape of record the store may seal: each optional field null and set, unicode, large payloads, added fields. */
function shapes(): RecordFields[] {
  const out: RecordFields[] = [base];
  const nullable = ['userId', 'ip', 'tenantId', 'nodeId', 'operationKey', 'outcome', 'text', 'entityData'] as const;
  for (const field of nullable) out.push({ ...base, [field]: null });
  out.push({ ...base, userId: null, ip: null, tenantId: null, nodeId: null, operationKey: null, outcome: null, text: null, entityData: null, extra: {} });
  for (const outcome of ['success', 'failure', 'unknown'] as const) out.push({ ...base, outcome });
  for (const s of UNICODE) {
    out.push({ ...base, userId: s, text: s, entityData: { s, [s]: s } });
    out.push({ ...base, eventName: s, operationKey: s, nodeId: s, log: `tamga.local/${s}`, tenantId: s, ip: s });
    out.push({ ...base, extra: { ...base.extra, sessionId: s, [`k${s}`]: s } });
  }
  // Payloads of every JSON type and large ones (past the one-shot scratch size).
  for (const entityData of ['a string', 42, -0, 1e21, 5e-324, true, false, [1, 'two', null, { b: 1, a: 2 }], { nested: { deep: { deeper: [{ z: 1, a: 0 }] } } }]) {
    out.push({ ...base, entityData: entityData as RecordFields['entityData'] });
  }
  out.push({ ...base, entityData: { big: 'x'.repeat(70_000) }, text: 'y'.repeat(70_000) });
  out.push({ ...base, entityData: { rows: Array.from({ length: 2000 }, (_, i) => ({ i, name: `row ${i} é` })) } });
  out.push({ ...base, text: '😀'.repeat(30_000) });
  // Added fields: none, flat, nested, integer-like keys, keys before and after every base key, names of base keys.
  const extras: Record<string, unknown>[] = [
    {},
    { pollable: true },
    { unregistered: true },
    { catalogVersion: 'acme@3', pollable: false, sessionId: 's1', userAgent: 'Mozilla/5.0', correctsEventId: base.id },
    { request: { url: '/x', method: 'GET', status: 200 }, object: { type: 't' } },
    { object: { '10': 'x', '9': 'y', b: 'z' } },
    { object: { schema: 'USER', type: 'main', id: 46, version: 0, globalId: '1@ebe5e467' }, source: { system: 'asset-server', eventId: 46 } },
    { A: 1, Z: 2, a: 3, zz: 4, '\u20ac': 5, '😀': 6, '1': 7, '': 8, 'a"b': 9, 'tab\t': 10 },
    { v: 99, seq: 'not mine', log: 'other', sigKid: 'other', payloadDigest: 'forged', apiCreatedAt: 'x' },
    { gone: undefined, kept: null },
    { list: [3, 1, 2], flag: false, n: -1.5, big: 2 ** 53 - 1 },
  ];
  for (const extra of extras) out.push({ ...base, extra: extra as RecordFields['extra'] });
  // RFC 8785's vectors as added fields' values: number formatting, escaping, sorting at every level.
  const vectorValues: unknown[] = [JSON.parse(vectors.sorting_3_2_3.input), JSON.parse(vectors.sample_3_2_2.input)];
  for (const { input } of Object.values(vectors.cyberphone)) vectorValues.push(JSON.parse(input));
  for (const [bits] of vectors.numbers_appendix_b) {
    const n = fromIeee754(bits);
    if (Number.isFinite(n)) vectorValues.push(n);
  }
  for (const value of vectorValues) {
    out.push({ ...base, extra: { value } as RecordFields['extra'] });
    out.push({ ...base, entityData: value as RecordFields['entityData'] });
  }
  // Times: same second twice (the cached second), other seconds, fraction bounds, before 1970, the earliest stored.
  for (const t of [1_725_147_358_000_000, 1_725_147_358_999_999, 1_725_147_358_100_000, 1_725_147_358_099_999, 1_725_147_359_000_000, 1_725_147_358_500_000, 0, -1, -999_999, -1_000_000, -1_000_001, -8_520_336_000_000_000, 4_102_444_799_999_999]) {
    out.push({ ...base, createdAt: t });
    out.push({ ...base, apiCreatedAt: t, createdAt: t + 1 });
  }
  // The two cached minutes: apiCreatedAt and createdAt minutes apart, a third minute between, seconds 0-9 and 59,
  // minutes and seconds before 1970.
  for (const t of [1_725_147_300_000_000, 1_725_147_309_999_999, 1_725_147_359_000_001, -60_000_000, -59_000_000, -1]) {
    out.push({ ...base, apiCreatedAt: 1_725_150_000_123_456, createdAt: t });
    out.push({ ...base, apiCreatedAt: t - 3_600_000_000, createdAt: t });
    out.push({ ...base, apiCreatedAt: t + 120_000_000, createdAt: t + 61_000_000 });
  }
  // Sequence numbers and codes.
  for (const seq of [1, 9, 10, 999_999, 2 ** 40, Number.MAX_SAFE_INTEGER]) out.push({ ...base, seq });
  for (const [event, classifiedEvent, severity] of [[15800, 2, 3], [9000, 3, 4], [1, 4, 6]] as const) {
    out.push({ ...base, event, classifiedEvent, severity });
  }
  // Absent fields (not a shape the journal builds; the generic serializer leaves them out).
  out.push({ ...base, userId: undefined as never, outcome: undefined as never });
  return out;
}

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mixed(n: number): RecordFields[] {
  const rnd = random(13);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const strings = [...UNICODE, 'alice', 'user17', null];
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    seq: i,
    userId: pick(strings),
    ip: pick(['10.0.0.1', '2001:db8::1', null]),
    operationKey: pick(strings),
    text: pick(strings),
    createdAt: 1_700_000_000_000_000 + Math.floor(rnd() * 3_000_000),
    apiCreatedAt: 1_700_000_000_000_000 + Math.floor(rnd() * 3_000_000),
    entityData: pick<RecordFields['entityData']>([null, { login: pick(UNICODE) }, [pick(UNICODE), i], String(i)]),
    extra: pick([{}, { pollable: true }, { catalogVersion: 'x@1', pollable: false }, { sessionId: pick(UNICODE), object: { id: i } }]),
  }));
}

describe('RecordSealer', () => {
  it('gives the reference sealing’s canonical bytes, signature and leaf on every shape of record', () => {
    const sealer = new RecordSealer(KEY);
    const all = [...shapes(), ...mixed(3000)];
    for (const fields of all) {
      const fast = sealer.seal(fields, SALT);
      const reference = sealRecordReference(fields, KEY, SALT);
      expect(fast.canonical.toString('utf8')).toBe(reference.canonical.toString('utf8'));
      expect(fast.signature).toBe(reference.signature);
      expect(fast.leafHash.equals(reference.leafHash)).toBe(true);
      expect(canonicalRecordString(fields, 'ab')).toBe(canonicalize(canonicalRecordObject(fields, 'ab')));
    }
  });

  it('seals a record prepared before its log and seq were known, in a batch of prepared bytes, to the same bytes, signature and leaf', () => {
    const sealer = new RecordSealer(KEY);
    // Added fields whose nested objects hold keys named log and seq, sorted before and after the record's own.
    const nested = [{ a: { log: 'x', seq: 1 } }, { m: { log: '', seq: 0 } }, { z: [{ seq: 0, log: 'y' }] }];
    const all = [...shapes(), ...mixed(3000), ...nested.map((extra) => ({ ...base, extra: extra as RecordFields['extra'] }))];
    // One batch, as the request thread sends it, the records then sealed in logs that change from one to the next (one
    // with characters escaped and one beyond ASCII) and at seqs of every length.
    const batch = new PreparedSealBatch(all.length);
    const salts: Buffer[] = [];
    const early = all.map((fields, i) => {
      salts.push(Buffer.from(batch.salt(i)));
      const prepared = sealer.prepare({ ...fields, log: '', seq: 0 }, batch.salt(i));
      batch.add(prepared);
      return prepared;
    });
    const bytes = batch.finish();
    const logs = ['tamga.local/default', 'tamga.local/"ж"\\x', 'tamga.local/default', 'tamga.local/acme'];
    let prepared = 0;
    all.forEach((fields, i) => {
      const at = preparedAt(bytes, i);
      if (early[i] === undefined) {
        expect(at).toBeUndefined(); // left to the generic serializer: sealed whole
        return;
      }
      prepared++;
      const sealed = { ...fields, log: logs[i % logs.length]!, seq: i % 7 === 0 ? 0 : fields.seq + i * 1_000_003 };
      expect(sealer.sealPrepared(at!, sealed.log, sealed.seq)).toEqual(sealer.seal(sealed, salts[i]));
    });
    // Most shapes: those with an emoji (a surrogate pair) in a sealed field, or an absent field, take the generic path.
    expect(prepared).toBeGreaterThan(all.length * 0.7);
    // Each record drew a salt of its own.
    expect(new Set(salts.map((salt) => salt.toString('hex'))).size).toBe(all.length);
  });

  it('grows a batch of prepared bytes past what it reserved, every record still sealed exactly', () => {
    const sealer = new RecordSealer(KEY);
    // Records of ~600 bytes reserve the batch's buffer; added fields of 3,000 characters (two bytes each) overflow it
    // several times over.
    const all: RecordFields[] = Array.from({ length: 40 }, (_, i) => ({
      ...base,
      seq: i,
      extra: (i % 3 === 0 ? { note: 'ж'.repeat(3000) + String(i) } : {}) as RecordFields['extra'],
    }));
    const batch = new PreparedSealBatch(all.length);
    for (let i = 0; i < all.length; i++) batch.add(sealer.prepare({ ...all[i]!, log: '', seq: 0 }, batch.salt(i)));
    const bytes = batch.finish();
    expect(bytes.bytes.length).toBeGreaterThan(40 * 640);
    all.forEach((fields, i) => {
      const at = preparedAt(bytes, i)!;
      expect(sealer.sealPrepared(at, fields.log, fields.seq)).toEqual(sealer.seal(fields, Buffer.from(at.payloadSalt)));
    });
  });

  it('formats times exactly as formatTimestamp, second after second', () => {
    const sealer = new RecordSealer(KEY);
    for (let t = 1_725_147_357_999_990; t < 1_725_147_358_000_010; t++) {
      const l = JSON.parse(sealer.seal({ ...base, createdAt: t }, SALT).canonical.toString('utf8')) as { createdAt: string };
      expect(l.createdAt).toBe(formatTimestamp(t));
    }
  });

  it('signs with HMAC-SHA256 for keys of every length (RFC 2104: longer than the block hashed first)', () => {
    for (const length of [1, 20, 32, 63, 64, 65, 100, 200]) {
      const key = Buffer.from(Array.from({ length }, (_, i) => (i * 31 + length) & 255));
      const sealer = new RecordSealer(key);
      for (const size of [0, 1, 55, 56, 64, 400, 5000, 70_000]) {
        const data = Buffer.alloc(size, size & 255);
        expect(sealer.sign(data)).toBe(createHmac('sha256', key).update(data).digest('hex'));
      }
      expect(sealer.seal(base, SALT)).toEqual(sealRecordReference(base, key, SALT));
    }
  });

  it('passes RFC 4231’s HMAC-SHA256 known answers', () => {
    const cases = (
      JSON.parse(readFileSync(new URL('../signature/testdata/rfc4231-hmac-sha256.json', import.meta.url), 'utf8')) as {
        cases: { keyHex: string; dataHex: string; hmacSha256: string }[];
      }
    ).cases;
    for (const c of cases) {
      expect(new RecordSealer(Buffer.from(c.keyHex, 'hex')).sign(Buffer.from(c.dataHex, 'hex'))).toBe(c.hmacSha256);
    }
  });

  it('refuses what the reference refuses, with the same error (a lone surrogate)', () => {
    const errorOf = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      throw new Error('did not throw');
    };
    for (const bad of [{ userId: 'a\ud800b' }, { eventName: '\udc00' }, { extra: { sessionId: 'x\ud83d' } }, { extra: { ['k\ud800']: 1 } }]) {
      const fields = { ...base, ...bad } as RecordFields;
      const fast = errorOf(() => new RecordSealer(KEY).seal(fields, SALT));
      const reference = errorOf(() => sealRecordReference(fields, KEY, SALT));
      expect(fast).toBeInstanceOf(TamgaError);
      expect(fast).toEqual(reference);
    }
  });

  it('checks every shape of record, intact, altered and re-signed, as the reference check does', () => {
    const sealer = new RecordSealer(KEY);
    const keyFor = (kid: string): Buffer | undefined => (kid === base.sigKid ? KEY : undefined);
    /** The same stored bytes with `edit` applied to their text, signed again with the key (a forger who holds it). */
    const resigned = (seal: StoredSeal, edit: (text: string) => string): StoredSeal => {
      const canonical = Buffer.from(edit(Buffer.from(seal.canonical).toString('utf8')), 'utf8');
      return { ...seal, canonical, signature: sealer.sign(canonical) };
    };
    const digestOf = (seal: StoredSeal): string => (JSON.parse(Buffer.from(seal.canonical).toString('utf8')) as { payloadDigest: string }).payloadDigest;
    const answers = new Map<IntegrityStatus, number>();
    const nested = [{ a: { payloadDigest: '0'.repeat(64) } }, { z: [{ payloadDigest: 'x' }] }];
    const all = [...shapes(), ...mixed(500), ...nested.map((extra) => ({ ...base, extra: extra as RecordFields['extra'] }))];
    for (const fields of all) {
      const { canonical, signature, payloadSalt } = sealer.seal(fields, SALT);
      const seal: StoredSeal = { canonical, signature, payloadSalt, redacted: false };
      const digest = digestOf(seal);
      const cases: [RecordFields, StoredSeal][] = [
        [fields, seal],
        [fields, { ...seal, signature: signature.toUpperCase() }],
        [{ ...fields, userId: 'mallory' }, seal],
        [{ ...fields, seq: fields.seq + 1 }, seal],
        [{ ...fields, text: 'altered' }, seal],
        [{ ...fields, entityData: { altered: true } }, seal],
        [{ ...fields, extra: { ...fields.extra, added: 1 } as RecordFields['extra'] }, seal],
        [{ ...fields, createdAt: fields.createdAt + 1 }, seal],
        [{ ...fields, sigKid: 'unknown' }, seal],
        [fields, { ...seal, signature: '0'.repeat(64) }],
        [fields, { ...seal, signature: 'not hex' }],
        [fields, { ...seal, canonical: Buffer.concat([canonical, Buffer.from(' ')]) }],
        [fields, { ...seal, payloadSalt: null }],
        [fields, { ...seal, payloadSalt: Buffer.alloc(16) }],
        [fields, { ...seal, redacted: true }],
        [{ ...fields, entityData: null, text: null }, { ...seal, redacted: true, payloadSalt: null }],
        [{ ...fields, entityData: null, text: null }, seal],
        // Forged with the key: another digest, the digest in capitals, one digit short, a space after the record.
        [fields, resigned(seal, (t) => t.replace(digest, 'f'.repeat(64)))],
        [fields, resigned(seal, (t) => t.replace(digest, digest.toUpperCase()))],
        [fields, resigned(seal, (t) => t.replace(digest, digest.slice(1)))],
        [fields, resigned(seal, (t) => `${t} `)],
        [fields, resigned(seal, (t) => t.replace('"seq":', '"seq": '))],
        // An erased record forged with a digest of another form: whatever the reference says.
        [{ ...fields, entityData: null, text: null }, resigned({ ...seal, redacted: true, payloadSalt: null }, (t) => t.replace(digest, 'z'.repeat(64)))],
        [{ ...fields, entityData: null, text: null }, resigned({ ...seal, redacted: true, payloadSalt: null }, (t) => t.replace(digest, 'short'))],
      ];
      const got = cases.map(([f, s]) => {
        const answer = checkRecord(f, s, keyFor);
        expect(answer, JSON.stringify({ f, s: Buffer.from(s.canonical).toString('utf8') }).slice(0, 500)).toBe(checkRecordReference(f, s, keyFor));
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
        return answer;
      });
      // The intact record (both spellings of its signature) is valid, its erasure redacted, every forgery tampered.
      expect(got.slice(0, 2)).toEqual(['valid', 'valid']);
      expect(got[15]).toBe('redacted');
      expect(got.slice(17, 22)).toEqual(Array(5).fill('tampered'));
    }
    expect(answers.get('unknown-key')).toBe(all.length);
    expect(answers.get('tampered')).toBeGreaterThan(10 * all.length);
  });

  it('draws a fresh salt per record, as sealRecord', () => {
    const sealer = new RecordSealer(KEY);
    const a = sealer.seal(base);
    const b = sealer.seal(base);
    expect(a.payloadSalt.equals(b.payloadSalt)).toBe(false);
    expect(a).toEqual(sealRecordReference(base, KEY, a.payloadSalt));
    const c = sealRecord(base, KEY);
    expect(c).toEqual(sealRecordReference(base, KEY, c.payloadSalt));
  });
});
