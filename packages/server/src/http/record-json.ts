import { formatTimestamp } from '@tamga/core';
import type { IntegrityStatus } from '@tamga/core';
import type { StoredRecord } from '../journal/journal-store.js';

/**
 * A record as the API returns it: seed 002's fields in seed order (`validSignature` freshly computed,
 * `index` the position in the current result view), then the fields Tamga adds. `integrity` is the record's, as
 * checked on this read.
 */
export function toRecordJson(r: StoredRecord, integrity: IntegrityStatus, index: number): Record<string, unknown> {
  return {
    id: r.id,
    event: r.event,
    entityData: r.entityData,
    userId: r.userId,
    apiCreatedAt: formatTimestamp(r.apiCreatedAt),
    createdAt: formatTimestamp(r.createdAt),
    signature: r.signature,
    text: r.text,
    ip: r.ip,
    tenantId: r.tenantId,
    nodeId: r.nodeId,
    operationKey: r.operationKey,
    classifiedEvent: r.classifiedEvent,
    validSignature: integrity === 'valid' || integrity === 'redacted',
    eventName: r.eventName,
    index,
    seq: r.seq,
    sigKid: r.sigKid,
    integrity,
    severity: r.severity,
    outcome: r.outcome,
    ...r.extra,
  };
}
