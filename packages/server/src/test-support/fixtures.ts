import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordSealer, sealRecord, uuidv7 } from '@tamga/core';
import type { RecordFields } from '@tamga/core';
import type { CheckedRecord, PendingRecord, Sealer } from '../journal/journal-store.js';

/** An HMAC key for tests. */
export const TEST_HMAC_KEY = Buffer.alloc(32, 7);

const testRecordSealer = new RecordSealer(TEST_HMAC_KEY);

/** A sealer as the journal builds it, with a fixed test key. */
export function testSealer(sigKid = 'test-key'): Sealer {
  return {
    sigKid,
    originFor: (tenantId) => `test/${tenantId ?? 'default'}`,
    seal: (fields: RecordFields) => sealRecord(fields, TEST_HMAC_KEY),
    prepare: (fields: RecordFields) => testRecordSealer.prepare(fields),
    hmacKey: TEST_HMAC_KEY,
  };
}

/** A pending record with sensible defaults; `createdAt` in UTC microseconds. */
export function pendingRecord(overrides: Partial<PendingRecord> = {}): PendingRecord {
  const now = Date.UTC(2026, 10, 22, 10, 0, 0) * 1000;
  return {
    id: uuidv7(),
    event: 2001,
    eventName: 'Login',
    entityData: 'logs, tenantId=',
    userId: null,
    apiCreatedAt: now,
    createdAt: now,
    text: null,
    ip: '10.0.0.24',
    tenantId: null,
    nodeId: 'node-a',
    operationKey: null,
    classifiedEvent: 3,
    severity: 4,
    outcome: null,
    extra: {},
    ...overrides,
  };
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix = 'tamga-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A random suffix for schema and file names. */
export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** A sealed record as the journal returns it (checked `valid`), for tests of what reads records. */
export function checkedRecord(overrides: Partial<RecordFields> = {}, seq = 0): CheckedRecord {
  const fields: RecordFields = { ...pendingRecord(), log: 'test/default', seq, sigKid: 'test-key', ...overrides };
  const seal = sealRecord(fields, TEST_HMAC_KEY);
  return { ...fields, ...seal, rid: seq + 1, redacted: false, integrity: 'valid' };
}
