import { ValidationError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { formatTimestamp, parseTimestamp } from './timestamp.js';
import { TenantIds } from './tenant-id.js';
import { canonicalIp } from './ip-address.js';
import { isUuid } from './uuid.js';

/** Class of an event (seed 002 `classifiedEvent`): 1 information, 2 error, 3 security incident, 4 correction. */
export type EventClass = 1 | 2 | 3 | 4;

/** Outcome of the action an event describes. */
export type Outcome = 'success' | 'failure' | 'unknown';

/** An identifier as a source system gives it: a string, or a non-negative integer (seed 004's `object_id`). */
export type SourceId = string | number;

/**
 * The object an event is about. Covers seed 004's `schema` (`schema`), `objecttype` (`type`), `basetype`
 * (`baseType`), `object_id` (`id`), `global_object_id` (`globalId`) and `object_version` (`version`); ids and
 * versions keep their JSON type (integer or string), so the source's JSON comes back as it was sent.
 */
export interface EventObject {
  readonly type?: string;
  readonly id?: SourceId;
  readonly version?: SourceId;
  readonly name?: string;
  readonly schema?: string;
  readonly baseType?: string;
  readonly globalId?: SourceId;
}

/** The request an event came from (covers the log-line fields of seed 003). */
export interface EventRequest {
  readonly method?: string;
  readonly url?: string;
  readonly status?: number;
  readonly durationMs?: number;
}

/**
 * The producing system and component, and the version of the software that produced the event; for an event copied
 * from another journal (`tamga pull-events`), also which instance of the system it came from and the id it has there
 * (seed 004's `_id`).
 */
export interface EventSource {
  readonly system?: string;
  readonly component?: string;
  /** Version of the producing software as it reports it, e.g. `4.7.2311.1` (seed 003's product version). */
  readonly version?: string;
  readonly instance?: string;
  readonly eventId?: SourceId;
}

/** Fields Tamga adds to the seed record (DESIGN.md §2); all optional. */
export interface EventExtra {
  readonly outcome?: Outcome;
  readonly severity?: number;
  readonly source?: EventSource;
  readonly sessionId?: string;
  readonly userAgent?: string;
  readonly object?: EventObject;
  readonly request?: EventRequest;
  readonly correctsEventId?: string;
  /**
   * Whether the seed 004 Event API's poll returns the event. Default: the catalogue entry's `pollable` (false for a
   * code in no catalogue).
   */
  readonly pollable?: boolean;
  /** Display name of the event's owner, beside `userId` (seed 004's `_user…_generated_displayname`). */
  readonly userDisplayName?: string;
  /** When the session the event came from began (seed 004's `_session.created`): RFC 3339 UTC, microseconds. */
  readonly sessionCreatedAt?: string;
  /** When that session expired (seed 004's `_session.expired`): RFC 3339 UTC, microseconds. */
  readonly sessionExpiredAt?: string;
  /** Whether the source said the event was created within the session that read it (seed 004's `session_self`). */
  readonly sessionSelf?: boolean;
}

/** `entityData`: a string or a JSON object/array (seed 002 shows a string). */
export type EntityData = string | { readonly [key: string]: unknown } | readonly unknown[];

/** An event as sent by a producer, after validation and before catalogue resolution. */
export interface ValidEvent extends EventExtra {
  readonly id: string | undefined;
  readonly event: number | undefined;
  readonly eventName: string | undefined;
  readonly entityData: EntityData | null;
  readonly userId: string | null;
  /**
   * Producer time in UTC microseconds; `undefined` means "use apiCreatedAt". Not yet checked against the tenant's
   * window (the journal does that: it knows the clock and the tenant's settings).
   */
  readonly createdAt: number | undefined;
  readonly text: string | null;
  /** In its canonical text ({@link canonicalIp}), whatever spelling was sent. */
  readonly ip: string | null;
  readonly tenantId: string | null;
  readonly operationKey: string | null;
  readonly classifiedEvent: EventClass | undefined;
}

/** Size limits applied to every event. */
export interface EventLimits {
  /** Longest `text`, in characters. Default 65,536. */
  readonly maxTextLength: number;
  /** Largest `entityData`, in characters of its JSON form. Default 65,536. */
  readonly maxEntityDataLength: number;
  /** Longest short string field (userId, operationKey, ...). Default 512. */
  readonly maxFieldLength: number;
}

/** The default {@link EventLimits}. */
export const DEFAULT_EVENT_LIMITS: EventLimits = Object.freeze({
  maxTextLength: 65_536,
  maxEntityDataLength: 65_536,
  maxFieldLength: 512,
});

/** Fields the server sets; a producer sending them gets a clear error rather than a silent override. */
const SERVER_FIELDS = new Set(['signature', 'validSignature', 'seq', 'sigKid', 'apiCreatedAt', 'nodeId', 'index', 'integrity']);

const KNOWN_FIELDS = new Set([
  'id',
  'event',
  'eventName',
  'entityData',
  'userId',
  'createdAt',
  'text',
  'ip',
  'tenantId',
  'operationKey',
  'classifiedEvent',
  'outcome',
  'severity',
  'source',
  'sessionId',
  'userAgent',
  'object',
  'request',
  'correctsEventId',
  'pollable',
  'userDisplayName',
  'sessionCreatedAt',
  'sessionExpiredAt',
  'sessionSelf',
]);

/** Deepest nesting accepted in `entityData` (objects and arrays). */
export const MAX_ENTITY_DATA_DEPTH = 32;

// A UTF-16 surrogate without its partner cannot be encoded as UTF-8 (RFC 8785 refuses it); NUL cannot be
// stored in PostgreSQL text. Both are refused in every string so all stores accept the same events.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this pattern looks for
const BAD_STRING = /[\u0000]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Bounds the length of a value's JSON text while {@link checkJsonValue} walks it, so the common small `entityData`
 * needs no `JSON.stringify` to be held to its limit: a string is at most 2 + 6 characters per character (`\uXXXX`),
 * a number 24 (`-1.7976931348623157e+308`), `true`/`false`/`null` 5; objects and arrays add their brackets, colons,
 * commas and quoted keys. Anything `JSON.stringify` might render differently (a `toJSON`, a class instance, a
 * function) makes the bound infinite, and the exact length is measured instead.
 */
interface JsonBound {
  n: number;
}

/** The problem with a JSON value from a producer, or undefined: too deep, or a string that can't be stored. */
function checkJsonValue(value: unknown, depth: number, bound: JsonBound): string | undefined {
  if (typeof value === 'string') {
    bound.n += 2 + 6 * value.length;
    return BAD_STRING.test(value) ? 'contains a NUL character or an unpaired surrogate' : undefined;
  }
  if (typeof value !== 'object' || value === null) {
    bound.n += typeof value === 'number' ? 24 : typeof value === 'boolean' || value === null ? 5 : Infinity;
    return undefined;
  }
  if (depth >= MAX_ENTITY_DATA_DEPTH) return `is nested deeper than ${MAX_ENTITY_DATA_DEPTH} levels`;
  bound.n += 2;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) bound.n = Infinity;
    for (const item of value) {
      bound.n += 1;
      const problem = checkJsonValue(item, depth + 1, bound);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    bound.n = Infinity;
  }
  for (const key in value) {
    if (BAD_STRING.test(key)) return 'has a key with a NUL character or an unpaired surrogate';
    bound.n += 4 + 6 * key.length;
    const problem = checkJsonValue((value as Record<string, unknown>)[key], depth + 1, bound);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function fail(index: number | undefined, field: string, message: string, code: ErrorCode = 'VALIDATION_FAILED'): never {
  const path = index === undefined ? field : `[${index}].${field}`;
  throw new ValidationError(code, `${path}: ${message}`, index === undefined ? { field } : { field, index });
}

function optString(
  raw: Record<string, unknown>,
  field: string,
  max: number,
  index: number | undefined,
): string | null {
  const v = raw[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') fail(index, field, 'must be a string or null');
  if (v.length > max) fail(index, field, `must be at most ${max} characters`);
  if (BAD_STRING.test(v)) fail(index, field, 'must not contain NUL characters or unpaired surrogates');
  return v;
}

function subObject(
  raw: Record<string, unknown>,
  field: string,
  index: number | undefined,
  spec: Readonly<Record<string, 'string' | 'int' | 'id'>>,
  max: number,
): Record<string, string | number> | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) fail(index, field, 'must be an object');
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const kind = spec[key];
    if (kind === undefined) fail(index, `${field}.${key}`, 'is not a known field');
    if (value === null || value === undefined) continue;
    if (kind === 'string' || (kind === 'id' && typeof value !== 'number')) {
      if (typeof value !== 'string') fail(index, `${field}.${key}`, kind === 'id' ? 'must be a string or a non-negative integer' : 'must be a string');
      if (value.length > max) fail(index, `${field}.${key}`, `must be at most ${max} characters`);
      if (BAD_STRING.test(value)) fail(index, `${field}.${key}`, 'must not contain NUL characters or unpaired surrogates');
    } else if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      fail(index, `${field}.${key}`, kind === 'id' ? 'must be a string or a non-negative integer' : 'must be a non-negative integer');
    }
    out[key] = value;
  }
  return out;
}

function optBoolean(raw: Record<string, unknown>, field: string, index: number | undefined): boolean | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(index, field, 'must be true or false');
  return v;
}

/** An optional RFC 3339 time kept as text in the added fields, normalized to UTC with microseconds. */
function optTime(raw: Record<string, unknown>, field: string, index: number | undefined): string | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  const micros = typeof v === 'string' ? parseTimestamp(v) : undefined;
  if (micros === undefined) fail(index, field, 'must be an RFC 3339 timestamp, e.g. 2024-08-31T23:35:58.293Z');
  if (micros < 0 || micros >= 253_402_300_800_000_000) fail(index, field, 'is out of range');
  return formatTimestamp(micros);
}

/**
 * Validates one event sent by a producer. Throws a {@link ValidationError} naming the field (and the
 * batch `index` when given) on the first problem; never returns a partially valid event. `tenantId` must follow
 * the tenant-id rule ({@link TenantIds.checkNew}; `tenantIds` knows the ids stored before it, default none).
 *
 * Either `event` (numeric code) or `eventName` must be present; the catalogue resolves the other.
 */
export function validateEventInput(
  raw: unknown,
  index?: number,
  limits: EventLimits = DEFAULT_EVENT_LIMITS,
  tenantIds: TenantIds = TenantIds.NONE,
): ValidEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(index, '', 'an event must be a JSON object');
  const r = raw as Record<string, unknown>;
  for (const key in r) {
    if (!KNOWN_FIELDS.has(key)) {
      if (SERVER_FIELDS.has(key)) fail(index, key, 'is set by the server and must not be sent');
      fail(index, key, 'is not a known field');
    }
  }
  const max = limits.maxFieldLength;

  let id: string | undefined;
  if (r.id !== undefined && r.id !== null) {
    if (typeof r.id !== 'string' || !isUuid(r.id.toLowerCase())) fail(index, 'id', 'must be a UUID');
    id = r.id.toLowerCase();
  }

  let event: number | undefined;
  if (r.event !== undefined && r.event !== null) {
    if (typeof r.event !== 'number' || !Number.isSafeInteger(r.event) || r.event < 0 || r.event > 2_147_483_647) {
      fail(index, 'event', 'must be a non-negative integer event code');
    }
    event = r.event;
  }
  let eventName: string | undefined;
  if (r.eventName !== undefined && r.eventName !== null) {
    if (typeof r.eventName !== 'string' || r.eventName.length === 0 || r.eventName.length > max || BAD_STRING.test(r.eventName)) {
      fail(index, 'eventName', 'must be a non-empty string');
    }
    eventName = r.eventName;
  }
  if (event === undefined && eventName === undefined) fail(index, 'event', 'is required (or give eventName)');

  let entityData: EntityData | null = null;
  if (r.entityData !== undefined && r.entityData !== null) {
    const v = r.entityData;
    const bound: JsonBound = { n: 0 };
    const problem = checkJsonValue(v, 0, bound);
    if (problem !== undefined) fail(index, 'entityData', problem);
    if (typeof v === 'string') {
      if (v.length > limits.maxEntityDataLength) {
        fail(index, 'entityData', `must be at most ${limits.maxEntityDataLength} characters`);
      }
    } else if (typeof v === 'object') {
      if (bound.n > limits.maxEntityDataLength && JSON.stringify(v).length > limits.maxEntityDataLength) {
        fail(index, 'entityData', `must be at most ${limits.maxEntityDataLength} characters as JSON`);
      }
    } else {
      fail(index, 'entityData', 'must be a string, a JSON object or an array');
    }
    entityData = v as EntityData;
  }

  let createdAt: number | undefined;
  if (r.createdAt !== undefined && r.createdAt !== null) {
    const v = r.createdAt;
    const micros = typeof v === 'string' ? parseTimestamp(v) : undefined;
    if (micros === undefined) fail(index, 'createdAt', 'must be an RFC 3339 timestamp, e.g. 2024-08-31T23:35:58.293Z');
    // Any year 0000-9999 parses; the journal refuses what is outside the tenant's window (1970, or 1700 with
    // back-dated imports, up to a day ahead of its clock), which also keeps microseconds exact in a double.
    createdAt = micros;
  }

  const sentIp = optString(r, 'ip', 64, index);
  // Canonical before sealing, so one search finds every spelling of an address (RFC 5952, IPv4-mapped folded).
  const ip = sentIp === null ? null : canonicalIp(sentIp);
  if (ip === undefined) fail(index, 'ip', 'must be an IPv4 or IPv6 address');

  const tenantId = optString(r, 'tenantId', 128, index);
  if (tenantId !== null) tenantIds.checkNew(tenantId, 'tenantId', index);

  let classifiedEvent: EventClass | undefined;
  if (r.classifiedEvent !== undefined && r.classifiedEvent !== null) {
    const v = r.classifiedEvent;
    if (v !== 1 && v !== 2 && v !== 3 && v !== 4) fail(index, 'classifiedEvent', 'must be 1, 2, 3 or 4');
    classifiedEvent = v;
  }

  let outcome: Outcome | undefined;
  if (r.outcome !== undefined && r.outcome !== null) {
    if (r.outcome !== 'success' && r.outcome !== 'failure' && r.outcome !== 'unknown') {
      fail(index, 'outcome', 'must be "success", "failure" or "unknown"');
    }
    outcome = r.outcome;
  }
  let severity: number | undefined;
  if (r.severity !== undefined && r.severity !== null) {
    const v = r.severity;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 6) {
      fail(index, 'severity', 'must be an OCSF severity id 0-6');
    }
    severity = v;
  }

  let correctsEventId: string | undefined;
  if (r.correctsEventId !== undefined && r.correctsEventId !== null) {
    if (typeof r.correctsEventId !== 'string' || !isUuid(r.correctsEventId.toLowerCase())) {
      fail(index, 'correctsEventId', 'must be a UUID');
    }
    correctsEventId = r.correctsEventId.toLowerCase();
  }
  if (classifiedEvent === 4 && correctsEventId === undefined) {
    fail(index, 'correctsEventId', 'is required when classifiedEvent is 4 (correction)');
  }

  const source = subObject(r, 'source', index, { system: 'string', component: 'string', version: 'string', instance: 'string', eventId: 'id' }, max);
  const object = subObject(
    r,
    'object',
    index,
    { type: 'string', id: 'id', version: 'id', name: 'string', schema: 'string', baseType: 'string', globalId: 'id' },
    max,
  );
  const request = subObject(r, 'request', index, { method: 'string', url: 'string', status: 'int', durationMs: 'int' }, 2048);
  const sessionId = optString(r, 'sessionId', max, index);
  const userAgent = optString(r, 'userAgent', 1024, index);
  const pollable = optBoolean(r, 'pollable', index);
  const userDisplayName = optString(r, 'userDisplayName', max, index);
  const sessionCreatedAt = optTime(r, 'sessionCreatedAt', index);
  const sessionExpiredAt = optTime(r, 'sessionExpiredAt', index);
  const sessionSelf = optBoolean(r, 'sessionSelf', index);

  // Built by assignment, not by conditional spreads (one object instead of one per field present): the keys come in
  // the same order either way.
  const valid: { -readonly [K in keyof ValidEvent]: ValidEvent[K] } = {
    id,
    event,
    eventName,
    entityData,
    userId: optString(r, 'userId', max, index),
    createdAt,
    text: optString(r, 'text', limits.maxTextLength, index),
    ip,
    tenantId,
    operationKey: optString(r, 'operationKey', max, index),
    classifiedEvent,
  };
  if (outcome !== undefined) valid.outcome = outcome;
  if (severity !== undefined) valid.severity = severity;
  if (source !== undefined) valid.source = source;
  if (sessionId !== null) valid.sessionId = sessionId;
  if (userAgent !== null) valid.userAgent = userAgent;
  if (object !== undefined) valid.object = object;
  if (request !== undefined) valid.request = request;
  if (correctsEventId !== undefined) valid.correctsEventId = correctsEventId;
  if (pollable !== undefined) valid.pollable = pollable;
  if (userDisplayName !== null) valid.userDisplayName = userDisplayName;
  if (sessionCreatedAt !== undefined) valid.sessionCreatedAt = sessionCreatedAt;
  if (sessionExpiredAt !== undefined) valid.sessionExpiredAt = sessionExpiredAt;
  if (sessionSelf !== undefined) valid.sessionSelf = sessionSelf;
  return valid;
}
