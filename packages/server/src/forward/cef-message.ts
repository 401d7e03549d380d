import { isIPv4, isIPv6 } from 'node:net';
import type { CheckedRecord } from '../journal/journal-store.js';
import { fitMessage } from './message-fit.js';
import { entityDataText, formatSyslogHeader, tenantText } from './syslog-message.js';

/** Device vendor and product of every CEF message. */
const VENDOR = 'Tamga';
const PRODUCT = 'Tamga';

/** What each `classifiedEvent` is called in CEF's `cat` (seed 002's classes). */
const CLASS_NAMES = { 1: 'information', 2: 'error', 3: 'security incident', 4: 'correction' } as const;

/**
 * CEF severity (0–10) of a record's severity (OCSF `severity_id`): 0 unknown → 0, 1 Informational → 1, 2 Low → 3,
 * 3 Medium → 5, 4 High → 7, 5 Critical → 9, 6 Fatal → 10 (CEF: 0–3 low, 4–6 medium, 7–8 high, 9–10 very high).
 */
export function cefSeverityOf(severity: number): number {
  return [0, 1, 3, 5, 7, 9, 10][severity] ?? 5;
}

/** Escapes a CEF header field: `\` and `|` get a backslash; line breaks, which a header cannot hold, become spaces. */
export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}

/** Escapes a CEF extension value: `\` and `=` get a backslash, CR and LF become `\r` and `\n`. */
export function escapeCefValue(value: string): string {
  return value.replace(/[\\=\r\n]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
}

/** Options of {@link formatCefMessage}. */
export interface CefOptions {
  /** Facility of the syslog header (0–23). */
  readonly facility: number;
  /** Largest message in bytes; longer free-text values are shortened ({@link fitMessage}). */
  readonly maxMessageBytes: number;
  /** Tamga's version: the header's Device Version. */
  readonly version: string;
}

/**
 * A record as a CEF message inside an RFC 5424 syslog message (header as in {@link formatSyslogHeader}, no
 * structured data): `CEF:0|Tamga|Tamga|<version>|<code>|<name>|<severity 0–10>|<extension>`. The extension uses
 * the standard keys — `rt` (createdAt, ms), `externalId` (record id), `suser`, `src` (IPv4; IPv6 goes to `c6a2`),
 * `outcome`, `msg` (text), `cat` (class), `dvchost` (node), `requestMethod`, `request`, `requestClientApplication`
 * — and labelled custom fields: `cs1` tenantId, `cs2` operationKey, `cs3` entityData, `cs4` log, `cs5` signature,
 * `cs6` integrity, `cn1` seq, `cn2` classifiedEvent, `deviceCustomDate1` apiCreatedAt. Escaping follows the CEF
 * rules ({@link escapeCefHeader}, {@link escapeCefValue}); no BOM, since receivers expect MSG to start with `CEF:`.
 */
export function formatCefMessage(record: CheckedRecord, options: CefOptions): Buffer {
  const header = formatSyslogHeader(record, options.facility);
  const cefHeader = [
    'CEF:0',
    VENDOR,
    PRODUCT,
    escapeCefHeader(options.version),
    String(record.event),
    escapeCefHeader(record.eventName),
    String(cefSeverityOf(record.severity)),
  ].join('|');
  const x = record.extra;
  const ip = record.ip;
  const fixed: [string, string | number | null | undefined][] = [
    ['rt', Math.floor(record.createdAt / 1000)],
    ['externalId', record.id],
    ['suser', record.userId],
    ['src', ip !== null && isIPv4(ip) ? ip : undefined],
    ['c6a2', ip !== null && isIPv6(ip) ? ip : undefined],
    ['c6a2Label', ip !== null && isIPv6(ip) ? 'Source IPv6 Address' : undefined],
    ['outcome', record.outcome],
    ['cat', CLASS_NAMES[record.classifiedEvent]],
    ['dvchost', record.nodeId],
    ['requestMethod', x.request?.method],
    ['cs1', tenantText(record.tenantId)],
    ['cs1Label', 'tenantId'],
    ['cs2', record.operationKey],
    ['cs2Label', record.operationKey === null ? undefined : 'operationKey'],
    ['cs4', record.log],
    ['cs4Label', 'log'],
    ['cs5', record.signature],
    ['cs5Label', 'signature'],
    ['cs6', record.integrity],
    ['cs6Label', 'integrity'],
    ['cn1', record.seq],
    ['cn1Label', 'seq'],
    ['cn2', record.classifiedEvent],
    ['cn2Label', 'classifiedEvent'],
    ['deviceCustomDate1', Math.floor(record.apiCreatedAt / 1000)],
    ['deviceCustomDate1Label', 'apiCreatedAt'],
  ];
  const fixedText = fixed
    .filter((f): f is [string, string | number] => f[1] !== null && f[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeCefValue(String(value))}`)
    .join(' ');
  const data = entityDataText(record);
  const shrinkable: [string, string | null | undefined][] = [
    ['cs3', data],
    ['msg', record.text],
    ['request', x.request?.url],
    ['requestClientApplication', x.userAgent],
  ];
  const present = shrinkable.filter((p): p is [string, string] => typeof p[1] === 'string');
  return fitMessage(
    present.map(([, value]) => value),
    options.maxMessageBytes,
    (values) => {
      let extension = fixedText;
      for (let i = 0; i < present.length; i++) {
        const key = present[i]![0];
        extension += ` ${key}=${escapeCefValue(values[i]!)}`;
        if (key === 'cs3') extension += ' cs3Label=entityData';
      }
      return Buffer.from(`${header} - ${cefHeader}|${extension}`, 'utf8');
    },
  );
}
