import type { OcsfMapping } from '@tamga/core';
import type { CheckedRecord } from '../journal/journal-store.js';

/** The OCSF schema version the events follow. */
export const OCSF_VERSION = '1.3.0';

/** Names of the OCSF categories (`category_uid` = ⌊class_uid / 1000⌋). */
const CATEGORY_NAMES: Readonly<Record<number, string>> = {
  0: 'Uncategorized',
  1: 'System Activity',
  2: 'Findings',
  3: 'Identity & Access Management',
  4: 'Network Activity',
  5: 'Discovery',
  6: 'Application Activity',
};

/** Names and activities of the OCSF classes the built-in catalogues map to (OCSF 1.3 schema). */
const CLASSES: Readonly<Record<number, { readonly name: string; readonly activities: Readonly<Record<number, string>> }>> = {
  0: { name: 'Base Event', activities: {} },
  3001: {
    name: 'Account Change',
    activities: {
      1: 'Create', 2: 'Enable', 3: 'Password Change', 4: 'Password Reset', 5: 'Disable', 6: 'Delete', 7: 'Attach Policy',
      8: 'Detach Policy', 9: 'Lock', 10: 'MFA Factor Enable', 11: 'MFA Factor Disable', 12: 'Unlock',
    },
  },
  3002: {
    name: 'Authentication',
    activities: { 1: 'Logon', 2: 'Logoff', 3: 'Authentication Ticket', 4: 'Service Ticket Request', 5: 'Service Ticket Renew', 6: 'Preauth' },
  },
  3005: { name: 'User Access Management', activities: { 1: 'Assign Privileges', 2: 'Revoke Privileges' } },
  3006: {
    name: 'Group Management',
    activities: { 1: 'Assign Privileges', 2: 'Revoke Privileges', 3: 'Add User', 4: 'Remove User', 5: 'Delete', 6: 'Create' },
  },
  4009: { name: 'Email Activity', activities: { 1: 'Send', 2: 'Receive', 3: 'Scan' } },
  6001: {
    name: 'Web Resources Activity',
    activities: { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 5: 'Search', 6: 'Import', 7: 'Export', 8: 'Share' },
  },
  6002: {
    name: 'Application Lifecycle',
    activities: { 1: 'Install', 2: 'Remove', 3: 'Start', 4: 'Stop', 5: 'Restart', 6: 'Enable', 7: 'Disable', 8: 'Update' },
  },
  6003: { name: 'API Activity', activities: { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete' } },
  6004: {
    name: 'Datastore Activity',
    activities: { 1: 'Read', 2: 'Update', 3: 'Connect', 4: 'Query', 5: 'Write', 6: 'Create', 7: 'Delete', 8: 'List', 9: 'Encrypt', 10: 'Decrypt' },
  },
};

const SEVERITY_NAMES = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical', 'Fatal'] as const;

/** The mapping of codes the catalogue does not map: the OCSF Base Event (class 0), activity 99 "Other". */
export const BASE_EVENT_MAPPING: OcsfMapping = Object.freeze({ classUid: 0, activityId: 99 });

/** The name of an OCSF activity: from the class's table, `Other` for 99, `Unknown` for 0, else undefined. */
function activityName(classUid: number, activityId: number): string | undefined {
  if (activityId === 99) return 'Other';
  if (activityId === 0) return 'Unknown';
  return CLASSES[classUid]?.activities[activityId];
}

/** A JSON object without its undefined members (JSON.stringify drops them anyway; this keeps tests exact). */
function defined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

/** Options of {@link toOcsfEvent}. */
export interface OcsfOptions {
  /** Tamga's version (`metadata.product.version`). */
  readonly version: string;
}

/**
 * A record as an OCSF event. The class and activity come from the catalogue entry's `ocsf` mapping (Authentication
 * 3002 for logins, Account Change 3001, API Activity 6003, …); a code without one becomes a Base Event (class 0,
 * activity 99 Other) named by the event. Always set: `class_uid`, `category_uid`, `activity_id`, `type_uid`
 * (class × 100 + activity), their names where OCSF defines them, `severity_id`, `status_id` (from `outcome`),
 * `time` (createdAt, ms), `message`, and `metadata` (`uid` = record id, `log_name`, `sequence` = seq, `event_code`,
 * `logged_time` = apiCreatedAt, `tenant_uid`, `correlation_uid` = operationKey, product Tamga). The user, the
 * source IP and the API operation fill the objects the classes ask for (`actor.user`, `user`, `src_endpoint`,
 * `api`); every other field of the record is under `unmapped`.
 */
export function toOcsfEvent(record: CheckedRecord, mapping: OcsfMapping | undefined, options: OcsfOptions): Record<string, unknown> {
  const { classUid, activityId } = mapping ?? BASE_EVENT_MAPPING;
  const categoryUid = Math.floor(classUid / 1000);
  const className = CLASSES[classUid]?.name;
  const activity = activityName(classUid, activityId);
  const x = record.extra;
  const user = record.userId === null ? undefined : { name: record.userId, uid: record.userId };
  const statusId = record.outcome === 'success' ? 1 : record.outcome === 'failure' ? 2 : 0;
  const severityId = record.severity >= 0 && record.severity <= 6 ? record.severity : 99;
  const text = record.text ?? undefined;
  return defined({
    class_uid: classUid,
    class_name: className,
    category_uid: categoryUid,
    category_name: CATEGORY_NAMES[categoryUid],
    activity_id: activityId,
    activity_name: activity,
    type_uid: classUid * 100 + activityId,
    type_name: className !== undefined && activity !== undefined ? `${className}: ${activity}` : undefined,
    severity_id: severityId,
    severity: SEVERITY_NAMES[severityId] ?? 'Other',
    status_id: statusId,
    status: ['Unknown', 'Success', 'Failure'][statusId],
    time: Math.floor(record.createdAt / 1000),
    message: text === undefined ? record.eventName : `${record.eventName}: ${text}`,
    metadata: defined({
      version: OCSF_VERSION,
      uid: record.id,
      product: { name: 'Tamga', vendor_name: 'Tamga', version: options.version },
      log_name: record.log,
      sequence: record.seq,
      event_code: String(record.event),
      logged_time: Math.floor(record.apiCreatedAt / 1000),
      tenant_uid: record.tenantId ?? undefined,
      correlation_uid: record.operationKey ?? undefined,
    }),
    actor: user === undefined && x.sessionId === undefined ? undefined : defined({ user, session: x.sessionId === undefined ? undefined : { uid: x.sessionId } }),
    user: classUid === 3001 || classUid === 3002 || classUid === 3005 ? user : undefined,
    src_endpoint: record.ip === null ? undefined : { ip: record.ip },
    api: classUid === 6003 ? { operation: record.eventName } : undefined,
    http_request:
      x.request === undefined
        ? undefined
        : defined({ http_method: x.request.method, url: x.request.url === undefined ? undefined : { url_string: x.request.url }, user_agent: x.userAgent }),
    unmapped: defined({
      event: record.event,
      eventName: record.eventName,
      classifiedEvent: record.classifiedEvent,
      entityData: record.entityData ?? undefined,
      nodeId: record.nodeId ?? undefined,
      tenantId: record.tenantId,
      object: x.object,
      source: x.source,
      request: x.request,
      correctsEventId: x.correctsEventId,
      catalogVersion: x.catalogVersion,
      unregistered: x.unregistered,
      sigKid: record.sigKid,
      signature: record.signature,
      integrity: record.integrity,
    }),
  });
}
