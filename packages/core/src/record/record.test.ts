import { describe, expect, it } from 'vitest';
import { hashLeaf } from '../merkle/hasher.js';
import { computeRecordSignature } from '../signature/record-hmac.js';
import { canonicalize } from '../canonical/canonical-json.js';
import { canonicalRecordObject, canonicalRecordString, checkRecord, sealRecord } from './record.js';
import type { RecordFields } from './record.js';

const KEY = Buffer.alloc(32, 1);
const keyFor = (kid: string): Buffer | undefined => (kid === 'k1' ? KEY : undefined);
const fields: RecordFields = {
  log: 'tamga/default',
  seq: 5,
  id: '716afd7f-80c5-4d64-a664-e8694129a12c',
  event: 2001,
  eventName: 'Login',
  entityData: { login: 'logs', tenantId: null },
  userId: null,
  apiCreatedAt: 1_725_147_358_293_780,
  createdAt: 1_725_147_358_293_780,
  text: 'hello',
  ip: '10.0.0.24',
  tenantId: null,
  nodeId: 'n1',
  operationKey: 'op',
  classifiedEvent: 3,
  severity: 4,
  outcome: null,
  extra: { sessionId: 's1' },
  sigKid: 'k1',
};

describe('sealRecord', () => {
  const seal = sealRecord(fields, KEY);

  it('signs the canonical bytes, which hold seq, log and sigKid but not the payload', () => {
    expect(seal.signature).toBe(computeRecordSignature(KEY, seal.canonical));
    expect(seal.leafHash.equals(hashLeaf(seal.canonical))).toBe(true);
    const l = JSON.parse(seal.canonical.toString('utf8'));
    expect(l).toMatchObject({ v: 1, log: 'tamga/default', seq: 5, sigKid: 'k1', sessionId: 's1', createdAt: '2024-08-31T23:35:58.293780Z' });
    expect(l).not.toHaveProperty('text');
    expect(l).not.toHaveProperty('entityData');
    expect(l.payloadDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(seal.canonical.toString('utf8')).toBe(JSON.stringify(l, Object.keys(l).sort()));
  });

  it('salts the payload digest: equal payloads give different digests', () => {
    const other = sealRecord(fields, KEY);
    expect(JSON.parse(other.canonical.toString()).payloadDigest).not.toBe(JSON.parse(seal.canonical.toString()).payloadDigest);
  });

  describe('checkRecord', () => {
    const stored = { ...seal, redacted: false };
    it('says valid for the record as sealed', () => {
      expect(checkRecord(fields, stored, keyFor)).toBe('valid');
    });
    it('says tampered when a column, the payload, the bytes or the signature changed', () => {
      expect(checkRecord({ ...fields, userId: 'mallory' }, stored, keyFor)).toBe('tampered');
      expect(checkRecord({ ...fields, seq: 6 }, stored, keyFor)).toBe('tampered');
      expect(checkRecord({ ...fields, text: 'hellO' }, stored, keyFor)).toBe('tampered');
      expect(checkRecord({ ...fields, extra: {} }, stored, keyFor)).toBe('tampered');
      const bytes = Buffer.from(seal.canonical);
      bytes[10] = bytes[10]! ^ 1;
      expect(checkRecord(fields, { ...stored, canonical: bytes }, keyFor)).toBe('tampered');
      expect(checkRecord(fields, { ...stored, signature: '0'.repeat(64) }, keyFor)).toBe('tampered');
    });
    it('says unknown-key for a key the server does not hold', () => {
      expect(checkRecord({ ...fields, sigKid: 'k9' }, stored, keyFor)).toBe('unknown-key');
    });
    it('says redacted for an erased payload with intact canonical bytes', () => {
      expect(checkRecord({ ...fields, entityData: null, text: null }, { ...stored, redacted: true }, keyFor)).toBe('redacted');
      expect(checkRecord({ ...fields, entityData: null }, { ...stored, redacted: true }, keyFor)).toBe('tampered');
    });
  });
});

describe('canonicalRecordString', () => {
  it('gives exactly the RFC 8785 serialization of the canonical record, on the fast path and off it', () => {
    const variants: RecordFields[] = [
      fields,
      { ...fields, extra: {} },
      { ...fields, extra: {}, userId: 'ÿ "quoted" \\ \n tab\t é 😀', operationKey: null, ip: null, outcome: 'success' },
      { ...fields, extra: { request: { url: '/x', method: 'GET', status: 200 }, object: { type: 't' } } },
      { ...fields, extra: {}, nodeId: 'node-\u007f\u2028' },
      { ...fields, extra: { catalogVersion: 'ai-server@1', unregistered: true, sessionId: 's', userAgent: 'ua' } },
      { ...fields, extra: { source: { system: 'z', component: 'a' }, correctsEventId: fields.id } },
      // Seed 004's attributes: integer ids beside strings, booleans, the source's id.
      {
        ...fields,
        extra: {
          pollable: true,
          sessionSelf: false,
          userDisplayName: 'Root',
          sessionCreatedAt: '2019-03-13T09:41:05.000000Z',
          object: { schema: 'USER', type: 'main', id: 46, version: 0, globalId: '1@ebe5e467-4da9-4cff-81b6-cee9b1385b7c' },
          source: { system: 'asset-server', instance: 'https://assets.example.org', eventId: 46 },
        },
      },
      { ...fields, extra: { object: { '10': 'x', '9': 'y', b: 'z' } as never } },
      { ...fields, extra: { request: { nested: { a: 1 } } as never } },
    ];
    for (const v of variants) {
      expect(canonicalRecordString(v, 'ab')).toBe(canonicalize(canonicalRecordObject(v, 'ab')));
    }
  });

  it('refuses a lone surrogate like RFC 8785 does', () => {
    expect(() => canonicalRecordString({ ...fields, extra: {}, userId: 'a\ud800b' }, 'ab')).toThrow();
  });
});
