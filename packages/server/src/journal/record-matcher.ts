import { canonicalIp } from '@tamga/core';
import type { CheckedRecord, RecordExclusion, RecordFilter, StoredRecord } from './journal-store.js';
import { entitySearchText } from './searched-text.js';

/**
 * Whether a record matches a filter, in memory: the same meaning as the stores' queries (`[from, to)` on
 * `createdAt`, codes, classes, tenants, exact user (`userId`, or `subject` when there is no `userId`), operation,
 * node, IP and outcome, `q` as a literal substring of `text` or of `entityData`'s values (`entitySearchText`) ignoring
 * case, and the exclusions). Used by the live stream, which cannot ask the database.
 */
export function matchesFilter(record: StoredRecord, filter: RecordFilter): boolean {
  if (filter.from !== undefined && record.createdAt < filter.from) return false;
  if (filter.to !== undefined && record.createdAt >= filter.to) return false;
  if (filter.events !== undefined && filter.events.length > 0 && !filter.events.includes(record.event)) return false;
  if (filter.classes !== undefined && filter.classes.length > 0 && !filter.classes.includes(record.classifiedEvent)) return false;
  if (filter.tenants !== undefined && !filter.tenants.includes(record.tenantId)) return false;
  if (filter.outcome !== undefined && record.outcome !== filter.outcome) return false;
  if (filter.operationKey !== undefined && record.operationKey !== filter.operationKey) return false;
  if (filter.userId !== undefined && record.userId !== filter.userId && (record.userId !== null || record.subject !== filter.userId)) return false;
  if (filter.subject !== undefined && (record.userId !== null || record.subject !== filter.subject)) return false;
  if (filter.nodeId !== undefined && record.nodeId !== filter.nodeId) return false;
  if (filter.ip !== undefined && record.ip !== filter.ip && searchedIp(record) !== filter.ip) return false;
  if (filter.q !== undefined && filter.q !== '') {
    const needle = filter.q.toLowerCase();
    const inText = record.text !== null && record.text.toLowerCase().includes(needle);
    const values = entitySearchText(record.entityData);
    const inData = values !== null && values.toLowerCase().includes(needle);
    if (!inText && !inData) return false;
  }
  return filter.exclude === undefined || !isExcluded(record, filter.exclude);
}

/**
 * The records any of `filters` takes, each checked once by `check` (and only if taken), in their order, and for each
 * filter the indexes in them of the records it takes: a live slice shared by several subscribers.
 */
export function matchRecords(
  records: readonly StoredRecord[],
  filters: readonly RecordFilter[],
  check: (record: StoredRecord) => CheckedRecord,
): { records: CheckedRecord[]; taken: number[][] } {
  const checked: CheckedRecord[] = [];
  const taken = filters.map((): number[] => []);
  for (const record of records) {
    let at = -1;
    for (let f = 0; f < filters.length; f++) {
      if (!matchesFilter(record, filters[f]!)) continue;
      if (at < 0) at = checked.push(check(record)) - 1;
      taken[f]!.push(at);
    }
  }
  return { records: checked, taken };
}

/** Whether a field of the record has one of the excluded values (a null field never has). */
function isExcluded(record: StoredRecord, exclude: RecordExclusion): boolean {
  const has = <T>(values: readonly T[] | undefined, value: T | null): boolean =>
    value !== null && values !== undefined && values.includes(value);
  return (
    has(exclude.events, record.event) ||
    has(exclude.classes, record.classifiedEvent) ||
    (exclude.tenants !== undefined && exclude.tenants.includes(record.tenantId)) ||
    has(exclude.userIds, record.userId) ||
    has(exclude.userIds, record.subject ?? null) ||
    (exclude.ips !== undefined && has(exclude.ips, searchedIp(record))) ||
    has(exclude.operationKeys, record.operationKey) ||
    has(exclude.nodeIds, record.nodeId)
  );
}

/**
 * The address a filter compares with: the record's `ip` in canonical text, as the stores' IP index holds it (a record
 * sealed before addresses were canonical keeps its signed spelling).
 */
function searchedIp(record: StoredRecord): string | null {
  return record.ip === null ? null : (canonicalIp(record.ip) ?? record.ip);
}
