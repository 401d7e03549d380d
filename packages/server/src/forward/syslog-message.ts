import { formatTimestamp } from '@tamga/core';
import type { CheckedRecord } from '../journal/journal-store.js';
import { fitMessage } from './message-fit.js';

/**
 * The SD-ID of Tamga's structured data element unless a destination names its own: `tamga@32473`. RFC 5424 §7.2.2
 * makes a custom SD-ID `name@<private enterprise number>`; Tamga has no IANA enterprise number of its own, so the
 * default uses 32473, the number RFC 5612 reserves for documentation and examples. An operator with a PEN sets
 * `structuredDataId` (e.g. `tamga@12345`). See docs/decisions/0026-forwarding.md.
 */
export const DEFAULT_STRUCTURED_DATA_ID = 'tamga@32473';

/** Facility of forwarded messages unless a destination names another: 13, "log audit" (RFC 5424 §6.2.1, Table 1). */
export const DEFAULT_SYSLOG_FACILITY = 13;

/** Largest message by default, in bytes: rsyslog's default `maxMessageSize` (8 KiB). */
export const DEFAULT_SYSLOG_MESSAGE_BYTES = 8192;

/** Smallest allowed message limit: every receiver SHOULD take 2048 octets (RFC 5424 §6.1, RFC 5426 §3.2). */
export const MIN_SYSLOG_MESSAGE_BYTES = 2048;

/** APP-NAME of every message Tamga forwards. */
const APP_NAME = 'tamga';

/** UTF-8 byte order mark: RFC 5424 §6.4 starts a MSG encoded in UTF-8 with it. */
const BOM = '\uFEFF';

/** Whether every character of `text` is ASCII (then MSG is MSG-ANY and needs no BOM). */
export function isAscii(text: string): boolean {
  return !/[\u0080-\uffff]/.test(text);
}

/**
 * Syslog severity (RFC 5424 Table 2) of a record's severity (OCSF `severity_id`): 1 Informational → 6
 * Informational, 2 Low → 5 Notice, 3 Medium → 4 Warning, 4 High → 3 Error, 5 Critical → 2 Critical, 6 Fatal → 1
 * Alert; 0 (unknown) → 6.
 */
export function syslogSeverityOf(severity: number): number {
  if (severity >= 1 && severity <= 6) return 7 - severity;
  return 6;
}

/** Whether `id` is a valid SD-ID for Tamga's element: `name@<digits>[.<digits>…]`, at most 32 printable ASCII characters. */
export function isStructuredDataId(id: string): boolean {
  // RFC 5424 §6.3.2: SD-NAME = 1*32PRINTUSASCII except '=', SP, ']', '"'; a custom one holds exactly one '@'.
  return id.length <= 32 && /^[!#-<>-?A-\\^-~]+@\d+(\.\d+)*$/.test(id);
}

/** `PRINTUSASCII` only (RFC 5424 §6): other characters of a header field become `_`; empty becomes `-` (NILVALUE). */
function headerField(value: string | null, maxLength: number): string {
  if (value === null || value === '') return '-';
  return value.slice(0, maxLength).replace(/[^!-~]/g, '_');
}

/**
 * The RFC 5424 HEADER of a record's message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID`. TIMESTAMP is the
 * record's `createdAt` (RFC 3339, UTC, microseconds: TIME-SECFRAC allows six digits), HOSTNAME the node that
 * accepted it (`nodeId`), APP-NAME `tamga`, PROCID `-`, MSGID the event code.
 */
export function formatSyslogHeader(record: CheckedRecord, facility: number): string {
  const pri = facility * 8 + syslogSeverityOf(record.severity);
  return `<${pri}>1 ${formatTimestamp(record.createdAt)} ${headerField(record.nodeId, 255)} ${APP_NAME} - ${record.event}`;
}

/** Escapes an SD-PARAM value: `"`, `\` and `]` get a backslash (RFC 5424 §6.3.3). */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** A record's `entityData` as text: a string as it is, JSON otherwise; null when it has none (or was erased). */
export function entityDataText(record: CheckedRecord): string | null {
  if (record.entityData === null) return null;
  return typeof record.entityData === 'string' ? record.entityData : JSON.stringify(record.entityData);
}

/** `tenantId` as text formats show it: the default tenant (null) is `default`. */
export function tenantText(tenantId: string | null): string {
  return tenantId ?? 'default';
}

/**
 * The fields of a record as SD-PARAMs, in a fixed order, nulls left out. `entityData`, `userAgent`, `requestUrl` and
 * `objectName` come last: they are the values {@link formatRfc5424Message} may shorten.
 */
function fixedParams(record: CheckedRecord): [string, string][] {
  const x = record.extra;
  const params: [string, string | number | boolean | null | undefined][] = [
    ['event', record.event],
    ['eventName', record.eventName],
    ['id', record.id],
    ['log', record.log],
    ['seq', record.seq],
    ['tenantId', tenantText(record.tenantId)],
    ['classifiedEvent', record.classifiedEvent],
    ['severity', record.severity],
    ['outcome', record.outcome],
    ['userId', record.userId],
    ['ip', record.ip],
    ['operationKey', record.operationKey],
    ['sessionId', x.sessionId],
    ['nodeId', record.nodeId],
    ['createdAt', formatTimestamp(record.createdAt)],
    ['apiCreatedAt', formatTimestamp(record.apiCreatedAt)],
    ['sourceSystem', x.source?.system],
    ['sourceComponent', x.source?.component],
    ['objectType', x.object?.type],
    ['objectId', x.object?.id],
    ['objectVersion', x.object?.version],
    ['objectSchema', x.object?.schema],
    ['requestMethod', x.request?.method],
    ['requestStatus', x.request?.status],
    ['requestDurationMs', x.request?.durationMs],
    ['correctsEventId', x.correctsEventId],
    ['catalogVersion', x.catalogVersion],
    ['unregistered', x.unregistered],
    ['sigKid', record.sigKid],
    ['signature', record.signature],
    ['integrity', record.integrity],
  ];
  return params.filter((p): p is [string, string | number | boolean] => p[1] !== null && p[1] !== undefined).map(([k, v]) => [k, String(v)]);
}

/** Options of {@link formatRfc5424Message}. */
export interface Rfc5424Options {
  /** Facility (0–23). Default {@link DEFAULT_SYSLOG_FACILITY}. */
  readonly facility: number;
  /** SD-ID of the element. Default {@link DEFAULT_STRUCTURED_DATA_ID}. */
  readonly structuredDataId: string;
  /** Largest message in bytes; longer free-text values are shortened ({@link fitMessage}). */
  readonly maxMessageBytes: number;
}

/**
 * A record as an RFC 5424 syslog message: the header ({@link formatSyslogHeader}), one structured data element
 * `[tamga@32473 event="2001" eventName="Login" id="…" log="…" seq="…" …]` holding every field of the record, and
 * as MSG the event name and the record's `text` (`Login: …`), with a BOM when it is not ASCII (§6.4). SD-PARAM
 * values are escaped per §6.3.3. When the message would exceed `maxMessageBytes`, `entityData`, `text` and the
 * other free-text values are shortened and the element carries `truncated="true"`.
 */
export function formatRfc5424Message(record: CheckedRecord, options: Rfc5424Options): Buffer {
  const header = formatSyslogHeader(record, options.facility);
  const fixed = fixedParams(record)
    .map(([name, value]) => ` ${name}="${escapeParamValue(value)}"`)
    .join('');
  const x = record.extra;
  const shrinkable: [string, string | undefined | null][] = [
    ['entityData', entityDataText(record)],
    ['text', record.text],
    ['userAgent', x.userAgent],
    ['requestUrl', x.request?.url],
    ['objectName', x.object?.name],
  ];
  const present = shrinkable.filter((p): p is [string, string] => typeof p[1] === 'string');
  const names = present.map(([name]) => name);
  return fitMessage(
    present.map(([, value]) => value),
    options.maxMessageBytes,
    (values, truncated) => {
      let sd = `[${options.structuredDataId}${fixed}`;
      let text: string | undefined;
      for (let i = 0; i < names.length; i++) {
        if (names[i] === 'text') text = values[i];
        else sd += ` ${names[i]}="${escapeParamValue(values[i]!)}"`;
      }
      if (truncated) sd += ' truncated="true"';
      const msg = text === undefined || text === '' ? record.eventName : `${record.eventName}: ${text}`;
      // MSG-ANY for ASCII, MSG-UTF8 (BOM first) otherwise.
      const body = isAscii(msg) ? msg : BOM + msg;
      return Buffer.from(`${header} ${sd}] ${body}`, 'utf8');
    },
  );
}
