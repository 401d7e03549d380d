import { describe, expect, it } from 'vitest';
import { loadBuiltinCatalogDocuments } from '../catalog/load-builtin-catalogs.js';
import { CatalogSet } from '@tamga/core';
import { checkedRecord } from '../test-support/fixtures.js';
import { toOcsfEvent } from './ocsf-event.js';

const catalog = CatalogSet.of(loadBuiltinCatalogDocuments());
const mappingOf = (code: number) => catalog.byCode(code)?.ocsf;

describe('toOcsfEvent', () => {
  it('maps a login to Authentication (3002), activity Logon, with the user, source and status', () => {
    const record = checkedRecord({ event: 2004, eventName: 'LoginUserUnauthorized', userId: 'alice', ip: '10.0.0.7', outcome: 'failure', severity: 4, tenantId: 'acme', operationKey: 'op-1' }, 9);
    const event = toOcsfEvent(record, mappingOf(2004), { version: '0.1.0' });
    expect(event).toMatchObject({
      class_uid: 3002,
      class_name: 'Authentication',
      category_uid: 3,
      category_name: 'Identity & Access Management',
      activity_id: 1,
      activity_name: 'Logon',
      type_uid: 300201,
      type_name: 'Authentication: Logon',
      severity_id: 4,
      severity: 'High',
      status_id: 2,
      status: 'Failure',
      time: Math.floor(record.createdAt / 1000),
      user: { name: 'alice', uid: 'alice' },
      actor: { user: { name: 'alice' } },
      src_endpoint: { ip: '10.0.0.7' },
      metadata: {
        version: '1.3.0',
        uid: record.id,
        log_name: 'test/default',
        sequence: 9,
        event_code: '2004',
        tenant_uid: 'acme',
        correlation_uid: 'op-1',
        product: { name: 'Tamga', vendor_name: 'Tamga', version: '0.1.0' },
      },
      unmapped: { signature: record.signature, integrity: 'valid', classifiedEvent: 3 },
    });
  });

  it('maps user changes to Account Change (3001) and Tamga reads to API Activity (6003)', () => {
    const created = toOcsfEvent(checkedRecord({ event: 9000, eventName: 'UserCreated' }), mappingOf(9000), { version: '1' });
    expect(created).toMatchObject({ class_uid: 3001, class_name: 'Account Change', category_uid: 3 });
    const read = toOcsfEvent(checkedRecord({ event: 32012, eventName: 'JournalRead' }), mappingOf(32012), { version: '1' });
    expect(read).toMatchObject({ class_uid: 6003, activity_id: 2, activity_name: 'Read', type_uid: 600302, api: { operation: 'JournalRead' } });
  });

  it('makes a code the catalogue does not map a Base Event named by the event', () => {
    expect(mappingOf(32001)).toBeUndefined();
    const event = toOcsfEvent(checkedRecord({ event: 32001, eventName: 'VerificationFailed', text: 'seq 4 tampered', outcome: null, severity: 5 }), undefined, { version: '1' });
    expect(event).toMatchObject({ class_uid: 0, class_name: 'Base Event', category_uid: 0, activity_id: 99, activity_name: 'Other', type_uid: 99, status_id: 0, severity: 'Critical', message: 'VerificationFailed: seq 4 tampered' });
  });
});
