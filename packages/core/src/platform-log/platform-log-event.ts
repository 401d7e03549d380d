import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { DEFAULT_EVENT_LIMITS } from '../record/event-input.js';
import type { EventLimits, Outcome } from '../record/event-input.js';
import { formatUtcOffset } from './local-time-zone.js';
import type { LocalTimeZone } from './local-time-zone.js';
import { parseJsonOr } from './parse-platform-log-record.js';
import type { PlatformLogRecord } from './parse-platform-log-record.js';
import type { PlatformLogClassification } from './platform-log-rules.js';

/** Where a record sits in its file. */
export interface PlatformLogRecordPosition {
  /** Byte offset of the record in the file. */
  readonly offset: number;
  /** Byte length of the whole record (also when only its head was kept). */
  readonly size: number;
  /** 1-based line number of its first line. */
  readonly line: number;
  /** Hex SHA-256 of the whole record, when only its head was kept (a record longer than the parser keeps). */
  readonly sha256?: string;
  /** The record's bytes as kept, to compute its SHA-256 when a field has to be cut and {@link sha256} is absent. */
  readonly bytes?: Uint8Array;
}

/** Settings of {@link buildPlatformLogEvent}. */
export interface PlatformLogEventOptions {
  /** Tenant of the events; null for the default tenant. */
  readonly tenantId: string | null;
  /** Time zone of the file's time stamps. */
  readonly zone: LocalTimeZone;
  /** `source.system` of the events (from the rules file). */
  readonly system: string;
  /** The file as shown in `entityData.log.file`. */
  readonly file: string;
  /** The file's identity (see {@link platformLogEventId}). */
  readonly fileId: string;
  /** Field limits of the server; default {@link DEFAULT_EVENT_LIMITS}. */
  readonly limits?: EventLimits;
}

/** An event built from a record, ready for `POST /api/v1/events`. */
export interface PlatformLogEvent {
  /** The event as the API takes it. */
  readonly event: Readonly<Record<string, unknown>>;
  /** The record's instant (Unix ms), or null when its time stamp is broken; the next record's lower bound. */
  readonly utcMs: number | null;
  /** Problems of the record, with file line numbers, for the report (also in `entityData.problems`). */
  readonly problems: readonly string[];
  /** Whether a field was cut to fit the server's limits or the record was longer than the parser keeps. */
  readonly isTruncated: boolean;
}

const NIL_SESSION = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
/** Longest `request.url`, `request.method` the server takes (core validation of `request`). */
const MAX_REQUEST_FIELD = 2048;

/** Bytes of a file's start that {@link platformLogFileId} reads at most. */
export const PLATFORM_LOG_FILE_ID_BYTES = 1024;

/**
 * The identity of a log file's content, whatever its name: hex SHA-256 (first 128 bits) of its first line, line end
 * included, or of its first {@link PLATFORM_LOG_FILE_ID_BYTES} bytes when the first line is longer. Rotation by
 * rename, a copy (copy-and-truncate) and compression keep it, so the ingester finds where it stopped in a rotated
 * file; a file replaced by another gets another identity. The first line of a platform log starts with a time stamp
 * to the millisecond, so two files that share it are copies of each other.
 *
 * @param head - the file's first bytes (at least up to the end of the first line, or 1 KiB).
 * @param isComplete - the file will not grow: a first line without its line end is all there is.
 * @returns undefined while the identity is not settled yet: an empty file, or a first line still being written.
 */
export function platformLogFileId(head: Uint8Array, isComplete = false): string | undefined {
  const bytes = head.subarray(0, PLATFORM_LOG_FILE_ID_BYTES);
  const lf = bytes.indexOf(0x0a);
  let end: number;
  if (lf !== -1) end = lf + 1;
  else if (bytes.length === PLATFORM_LOG_FILE_ID_BYTES || (isComplete && bytes.length > 0)) end = bytes.length;
  else return undefined;
  return createHash('sha256').update(bytes.subarray(0, end)).digest('hex').slice(0, 32);
}

/**
 * The id of the event made from the record at `offset` of a file: a UUID (RFC 9562 §5.8, version 8) whose first
 * half is SHA-256 of the tenant and the file's identity and whose second half is the offset. The same record always
 * gets the same id, so sending it again — after a crash between the server's acknowledgement and the state file's
 * update, or a second run over the same files — stores nothing new (appends are idempotent on `id`). The tenant is
 * part of it because ids are unique across tenants. Offsets up to 2^53 fit: the variant bits take the top of the
 * second half, which such offsets leave zero.
 *
 * @param fileId - what identifies the file's content whatever its name (the ingester uses a digest of its first
 *   line, which rotation by rename, copy or compression keeps).
 */
export function platformLogEventId(tenantId: string | null, fileId: string, offset: number): string {
  const key = `${tenantId ?? ''}\n${fileId}`;
  if (key !== lastFileKey) {
    const b = createHash('sha256').update(`tamga/platform-log/v1\n${key}`).digest().subarray(0, 8);
    b[6] = 0x80 | (b[6]! & 0x0f); // version 8
    const h = b.toString('hex');
    lastFilePrefix = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-`;
    lastFileKey = key;
  }
  // 0x8000… sets the RFC 9562 variant (10) in the top bits, above any offset below 2^53.
  const tail = (0x8000_0000_0000_0000n | BigInt(offset)).toString(16);
  return `${lastFilePrefix}${tail.slice(0, 4)}-${tail.slice(4)}`;
}

// The ingester builds the events of one file after another: the file's half of the id is kept.
let lastFileKey: string | undefined;
let lastFilePrefix = '';

/**
 * Builds the event for one parsed, classified record. Every parsed field lands in it: `userId`, `ip`,
 * `sessionId` (also the `operationKey`, so a session's records read as one operation, unless it is the nil UUID
 * of system records), `request` {method, url, status, durationMs}, `source` {system, component (module or
 * adapter service), version}, the description (or message) in `text`, and in `entityData` the rest: the
 * record's place (`log`: file, line, byte offset, the time as written with its offset), the level, the request
 * body and the data field (parsed when they are JSON), the ERROR sections (service, method, parameters, stack),
 * system information, adapter context, named groups of the rule, and the record's problems.
 *
 * Fields longer than the server takes are cut (`entityData.truncated` then says so and gives the record's length
 * and SHA-256, so the original can be found in the file).
 *
 * @param notBeforeMs - the previous record's instant in the same file, to order wall times that happened twice.
 */
export function buildPlatformLogEvent(
  record: PlatformLogRecord,
  position: PlatformLogRecordPosition,
  classification: PlatformLogClassification,
  options: PlatformLogEventOptions,
  notBeforeMs?: number,
): PlatformLogEvent {
  const limits = options.limits ?? DEFAULT_EVENT_LIMITS;
  const problems = record.problems.map((p) => `line ${position.line + p.line - 1}: ${p.message}`);
  const log: Record<string, unknown> = { file: options.file, line: position.line, offset: position.offset };
  let utcMs: number | null = null;
  if (record.time !== null) {
    const t = record.time;
    const zoned = options.zone.resolve(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond), notBeforeMs);
    utcMs = zoned.utcMs;
    // RFC 3339 with the offset that was in force: what the platform's clock showed, and where.
    log['time'] = `${t.text.slice(0, 10)}T${t.text.slice(11, 19)}.${t.text.slice(20)}${formatUtcOffset(zoned.offsetMinutes)}`;
    if (zoned.isSkipped) problems.push(`line ${position.line}: ${t.text} does not exist in ${options.zone.name} (clocks went forward): read with the offset before the change; is the time zone right?`);
  } else {
    const stamp = /^\[?(\S+ \S+?)\]?(?:\s|\[|$)/.exec(record.text);
    if (stamp !== null) log['timeText'] = stamp[1];
  }

  // What the event is about first (the journal page's EntityData column shows the start), where it was written last.
  const entityData: Record<string, unknown> = {};
  if (record.body !== null) {
    const body = parseJsonOr(record.body);
    // A body that is JSON is kept structured; one that is not stays only in `text`, which holds the description.
    if (typeof body !== 'string') entityData['body'] = body;
  }
  if (record.data !== null && record.data !== '') entityData['data'] = parseJsonOr(record.data);
  const sections = record.sections;
  if (sections !== null) {
    if (sections.service !== undefined) entityData['service'] = sections.service;
    if (sections.method !== undefined) entityData['method'] = sections.method;
    if (sections.parameters !== undefined) entityData['parameters'] = sections.parameters;
    if (sections.stack !== undefined) entityData['stack'] = sections.stack;
  }
  if (record.details !== null) entityData['details'] = record.details;
  if (record.more !== null) entityData['more'] = record.more;
  if (record.context !== null) entityData['context'] = record.context;
  if (classification.captured !== undefined) entityData['captured'] = classification.captured;
  if (record.host !== null) entityData['host'] = record.host;
  if (record.port !== null) entityData['port'] = record.port;
  if (record.ipText !== null) entityData['ipText'] = record.ipText;
  // The status as written when it is a name (OK, NoContent) or a code without a number.
  if (record.status !== null && !/^\d+$/.test(record.status)) entityData['status'] = record.status;
  if (record.duration !== null) entityData['duration'] = record.duration;
  if (record.level !== null) entityData['level'] = record.level;
  entityData['log'] = log;

  const text = record.format === 'orphan' ? record.text : (record.description ?? record.message);
  const event: Record<string, unknown> = {
    id: platformLogEventId(options.tenantId, options.fileId, position.offset),
    event: classification.code,
  };
  if (options.tenantId !== null) event['tenantId'] = options.tenantId;
  if (utcMs !== null) event['createdAt'] = new Date(utcMs).toISOString();
  if (record.user !== null) event['userId'] = record.user;
  if (record.ip !== null && isIP(record.ip) !== 0) event['ip'] = record.ip;
  if (record.sessionId !== null) {
    event['sessionId'] = record.sessionId;
    if (!NIL_SESSION.test(record.sessionId)) event['operationKey'] = record.sessionId;
  }
  if (classification.classifiedEvent !== undefined) event['classifiedEvent'] = classification.classifiedEvent;
  const outcome = classification.rule?.outcome ?? outcomeOf(record);
  if (outcome !== undefined) event['outcome'] = outcome;

  const request: Record<string, unknown> = {};
  if (record.requestMethod !== null) request['method'] = record.requestMethod;
  if (record.url !== null) request['url'] = record.url;
  if (record.statusCode !== null) request['status'] = record.statusCode;
  if (record.durationMs !== null) request['durationMs'] = record.durationMs;
  if (Object.keys(request).length > 0) event['request'] = request;
  const component = record.module ?? record.context?.['Service name'] ?? null;
  event['source'] = {
    system: options.system,
    ...(component !== null && { component }),
    ...(record.version !== null && { version: record.version }),
  };
  if (text !== null && text !== '') event['text'] = text;
  event['entityData'] = problems.length > 0 ? { problems, ...entityData } : entityData;

  const isTruncated = fitToLimits(event, event['entityData'] as Record<string, unknown>, limits, position);
  return { event, utcMs, problems, isTruncated };
}

/** The outcome a record shows by itself: its HTTP status class, or failure for ERROR and FATAL records. */
function outcomeOf(record: PlatformLogRecord): Outcome | undefined {
  if (record.statusCode !== null) return record.statusCode < 400 ? 'success' : 'failure';
  const level = record.level?.toUpperCase();
  if (level === 'ERROR' || level === 'FATAL') return 'failure';
  return undefined;
}

const CUT = '…[cut]';
/** `entityData` members given up first when it is too long: bulky ones, and the body, which `text` also holds. */
const CUT_ORDER = ['body', 'stack', 'parameters', 'data', 'more', 'details', 'context', 'captured'];

/** Cuts fields to the server's limits; returns whether anything was cut (or the record was cut by the parser). */
function fitToLimits(event: Record<string, unknown>, entityData: Record<string, unknown>, limits: EventLimits, position: PlatformLogRecordPosition): boolean {
  let isCut = position.sha256 !== undefined;
  const cutString = (value: string, max: number): string => {
    isCut = true;
    return value.slice(0, Math.max(0, max - CUT.length)) + CUT;
  };
  for (const field of ['userId', 'sessionId', 'operationKey']) {
    const value = event[field];
    if (typeof value === 'string' && value.length > limits.maxFieldLength) event[field] = cutString(value, limits.maxFieldLength);
  }
  const request = event['request'] as Record<string, unknown> | undefined;
  if (request !== undefined) {
    for (const field of ['url', 'method']) {
      const value = request[field];
      if (typeof value === 'string' && value.length > MAX_REQUEST_FIELD) {
        entityData[field === 'url' ? 'url' : 'requestMethod'] = value;
        request[field] = cutString(value, MAX_REQUEST_FIELD);
      }
    }
  }
  const source = event['source'] as Record<string, unknown>;
  for (const field of ['system', 'component', 'version']) {
    const value = source[field];
    if (typeof value === 'string' && value.length > limits.maxFieldLength) source[field] = cutString(value, limits.maxFieldLength);
  }
  if (typeof event['text'] === 'string' && event['text'].length > limits.maxTextLength) event['text'] = cutString(event['text'], limits.maxTextLength);

  // The JSON of what entityData takes from the record is at most six characters per byte of it (\u escapes of control
  // characters), twice over for the named groups that repeat parts of it, plus the names and the file's path: a
  // record short enough needs no serialisation to know it fits.
  const file = String((entityData['log'] as { file?: unknown }).file ?? '');
  if (!isCut && position.size * 12 + file.length * 2 + 2048 < limits.maxEntityDataLength) return false;
  let length = JSON.stringify(entityData).length;
  // Room for the `truncated` note itself.
  const max = limits.maxEntityDataLength - 200;
  for (const key of CUT_ORDER) {
    if (length <= max) break;
    const value = entityData[key];
    if (value === undefined) continue;
    const json = typeof value === 'string' ? value : JSON.stringify(value);
    const keep = Math.max(0, json.length - (length - max) - 20);
    entityData[key] = cutString(json, keep);
    length = JSON.stringify(entityData).length;
  }
  if (length > max) {
    // Still too long (a huge `log.file`?): keep the place of the record and nothing else.
    for (const key of Object.keys(entityData)) if (key !== 'log' && key !== 'level') delete entityData[key];
    isCut = true;
  }
  if (isCut) {
    const sha256 = position.sha256 ?? (position.bytes !== undefined ? createHash('sha256').update(position.bytes).digest('hex') : undefined);
    entityData['truncated'] = { bytes: position.size, ...(sha256 !== undefined && { sha256 }) };
  }
  return isCut;
}
