import type { RecordFields } from '../record/record.js';

/** The fields of record `seq` of a test log `log` (a login of `user<seq>`), with `overrides`. */
export function testRecordFields(
  seq: number,
  log: string,
  overrides: Partial<RecordFields> = {},
): RecordFields {
  return {
    log,
    seq,
    id: `0193a8f0-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    event: 2001,
    eventName: 'Login',
    entityData: { login: `user${seq}` },
    userId: `user${seq}`,
    apiCreatedAt: 1_790_000_000_000_000 + seq,
    createdAt: 1_790_000_000_000_000 + seq,
    text: seq % 3 === 0 ? 'hello' : null,
    ip: '10.0.0.1',
    tenantId: 'acme',
    nodeId: 'n1',
    operationKey: null,
    classifiedEvent: 1,
    severity: 1,
    outcome: null,
    extra: {},
    sigKid: 'hmac-1',
    ...overrides,
  };
}
