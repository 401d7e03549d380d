import { ValidationError } from '../errors.js';
import type { EntityData, EventObject, EventSource } from '../record/event-input.js';
import type { IntegrityStatus, RecordExtra } from '../record/record.js';
import { formatTimestamp } from '../record/timestamp.js';

/**
 * Seed 004's Event API (the digital asset server's `/api/event`) mapped onto Tamga's record, both ways.
 *
 * An Event API event is `{ "event": {...}, "_session": {...}, "_user": {...} }`:
 *
 * | Event API | Tamga record |
 * | --- | --- |
 * | `event._id` | `seq + 1` in the tenant's log (an event copied from a source keeps the source's as `source.eventId`) |
 * | `event.type` | `eventName` (and its code `event`, from the asset-server catalogue) |
 * | `event.timestamp` | `createdAt` |
 * | `event.ipv4_address` | `ip` |
 * | `event.pollable` | `pollable` (default: the catalogue entry's) |
 * | `event.session_self` | `sessionSelf` |
 * | `event.schema`, `objecttype`, `basetype`, `object_id`, `global_object_id`, `object_version` | `object.schema`, `type`, `baseType`, `id`, `globalId`, `version` |
 * | `event.info` | `entityData` |
 * | `_session.token`, `created`, `expired` | `sessionId`, `sessionCreatedAt`, `sessionExpiredAt` |
 * | `_user.user._id`, `_user.user._generated_displayname` | `userId` (decimal text), `userDisplayName` |
 *
 * Unknown attributes are refused (naming them) rather than dropped, so nothing is lost silently.
 */

/** The Event API's attribute of an event that a Tamga input field comes from, for error messages. */
const ATTRIBUTE_OF: Readonly<Record<string, string>> = Object.freeze({
  eventName: 'event.type',
  event: 'event.type',
  createdAt: 'event.timestamp',
  ip: 'event.ipv4_address',
  pollable: 'event.pollable',
  sessionSelf: 'event.session_self',
  'object.schema': 'event.schema',
  'object.type': 'event.objecttype',
  'object.baseType': 'event.basetype',
  'object.id': 'event.object_id',
  'object.globalId': 'event.global_object_id',
  'object.version': 'event.object_version',
  entityData: 'event.info',
  sessionId: '_session.token',
  sessionCreatedAt: '_session.created',
  sessionExpiredAt: '_session.expired',
  userId: '_user.user._id',
  userDisplayName: '_user.user._generated_displayname',
  'source.eventId': 'event._id',
});

/** The Event API attribute a Tamga input field was mapped from (`ip` → `event.ipv4_address`); the field itself otherwise. */
export function assetAttributeOf(field: string): string {
  return ATTRIBUTE_OF[field] ?? field;
}

const EVENT_KEYS = new Set([
  '_id',
  'type',
  'timestamp',
  'ipv4_address',
  'pollable',
  'session_self',
  'schema',
  'objecttype',
  'basetype',
  'object_id',
  'global_object_id',
  'object_version',
  'info',
]);

/** Options of {@link parseAssetEvent}. */
export interface ParseAssetEventOptions {
  /**
   * The source the event was copied from (`tamga pull-events`): its `_id` is then required and kept as
   * `source.eventId`. Without it (`POST /api/v1/event`) an `_id` is refused: Tamga assigns it.
   */
  readonly source?: Omit<EventSource, 'eventId'>;
}

function refuse(field: string, message: string): never {
  throw new ValidationError('VALIDATION_FAILED', `${field}: ${message}`, { field });
}

function objectAt(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) refuse(field, 'must be a JSON object');
  return value as Record<string, unknown>;
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>, prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) refuse(`${prefix}${key}`, 'is not an attribute of the Event API');
  }
}

/** A value that must be absent, null or of one JSON type; types beyond that are checked by the record validation. */
function typed<T>(value: unknown, field: string, type: 'string' | 'boolean' | 'id'): T | undefined {
  if (value === undefined || value === null) return undefined;
  const ok = type === 'id' ? typeof value === 'string' || typeof value === 'number' : typeof value === type;
  if (!ok) refuse(field, type === 'id' ? 'must be an integer or a string' : `must be a ${type}`);
  return value as T;
}

/**
 * Maps one Event API event (`{ event, _session, _user }`, or the bare `event` object with `_session` and `_user`
 * beside its attributes) to a Tamga event for `POST /api/v1/events`. Shapes are checked here, naming the Event API
 * attribute; values (an IP, a timestamp, lengths) are checked by the record validation, whose field names
 * {@link assetAttributeOf} translates back. Throws a {@link ValidationError} naming the attribute.
 */
export function parseAssetEvent(raw: unknown, options: ParseAssetEventOptions = {}): Record<string, unknown> {
  const body = objectAt(raw, 'body');
  if (body === undefined) refuse('body', 'an event must be a JSON object');
  const wrapped = typeof body.event === 'object' && body.event !== null && !Array.isArray(body.event);
  let event: Record<string, unknown>;
  if (wrapped) {
    onlyKeys(body, new Set(['event', '_session', '_user']), '');
    event = body.event as Record<string, unknown>;
    onlyKeys(event, EVENT_KEYS, 'event.');
  } else {
    const { _session: _s, _user: _u, ...attributes } = body;
    onlyKeys(attributes, EVENT_KEYS, 'event.');
    event = attributes;
  }
  const type = typed<string>(event.type, 'event.type', 'string');
  if (type === undefined) refuse('event.type', 'is required (an event type of the asset-server catalogue, e.g. OBJECT_UPDATE)');
  const out: Record<string, unknown> = { eventName: type };
  if (options.source === undefined) {
    if (event._id !== undefined && event._id !== null) refuse('event._id', 'is assigned by Tamga (the position in the tenant log + 1)');
  } else {
    const id = event._id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) refuse('event._id', 'must be a positive integer');
    out.source = { ...options.source, eventId: id };
  }
  const timestamp = typed<string>(event.timestamp, 'event.timestamp', 'string');
  if (timestamp !== undefined) out.createdAt = timestamp;
  const ip = typed<string>(event.ipv4_address, 'event.ipv4_address', 'string');
  if (ip !== undefined) out.ip = ip;
  const pollable = typed<boolean>(event.pollable, 'event.pollable', 'boolean');
  if (pollable !== undefined) out.pollable = pollable;
  const sessionSelf = typed<boolean>(event.session_self, 'event.session_self', 'boolean');
  if (sessionSelf !== undefined) out.sessionSelf = sessionSelf;
  const object: Record<string, unknown> = {};
  for (const [attribute, field, type] of [
    ['schema', 'schema', 'string'],
    ['objecttype', 'type', 'string'],
    ['basetype', 'baseType', 'string'],
    ['object_id', 'id', 'id'],
    ['global_object_id', 'globalId', 'id'],
    ['object_version', 'version', 'id'],
  ] as const) {
    const value = typed<string | number>(event[attribute], `event.${attribute}`, type);
    if (value !== undefined) object[field] = value;
  }
  if (Object.keys(object).length > 0) out.object = object;
  const info = event.info;
  if (info !== undefined && info !== null) {
    if (typeof info !== 'object' && typeof info !== 'string') refuse('event.info', 'must be a JSON object (or an array or a string)');
    out.entityData = info;
  }
  const session = objectAt(body._session, '_session');
  if (session !== undefined) {
    onlyKeys(session, new Set(['token', 'created', 'expired']), '_session.');
    const token = typed<string>(session.token, '_session.token', 'string');
    if (token !== undefined) out.sessionId = token;
    const created = typed<string>(session.created, '_session.created', 'string');
    if (created !== undefined) out.sessionCreatedAt = created;
    const expired = typed<string>(session.expired, '_session.expired', 'string');
    if (expired !== undefined) out.sessionExpiredAt = expired;
  }
  const userShort = objectAt(body._user, '_user');
  if (userShort !== undefined) {
    onlyKeys(userShort, new Set(['_basetype', 'user']), '_user.');
    if (userShort._basetype !== undefined && userShort._basetype !== null && userShort._basetype !== 'user') refuse('_user._basetype', 'must be "user"');
    const user = objectAt(userShort.user, '_user.user');
    if (user !== undefined) {
      onlyKeys(user, new Set(['_id', '_generated_displayname']), '_user.user.');
      const id = typed<string | number>(user._id, '_user.user._id', 'id');
      if (id !== undefined) out.userId = String(id);
      const name = typed<string>(user._generated_displayname, '_user.user._generated_displayname', 'string');
      if (name !== undefined) out.userDisplayName = name;
    }
  }
  return out;
}

/** What {@link formatAssetEvent} needs of a stored record. */
export interface AssetEventRecord {
  readonly id: string;
  readonly seq: number;
  readonly event: number;
  readonly eventName: string;
  readonly entityData: EntityData | null;
  readonly userId: string | null;
  readonly createdAt: number;
  readonly ip: string | null;
  readonly tenantId: string | null;
  readonly extra: RecordExtra;
  readonly signature: string;
  readonly sigKid: string;
  readonly integrity: IntegrityStatus;
}

/** Options of {@link formatAssetEvent}. */
export interface FormatAssetEventOptions {
  /** `full` (one event, list) or `short` (poll: seed 004's "Included in Poll" attributes). */
  readonly format: 'full' | 'short';
  /** Pollable when the record has no `pollable` field (written before it existed): the catalogue entry's. */
  readonly pollableByCatalogue: boolean;
  /** Path of the API the receipt link starts with. Default `/api/v1`. */
  readonly apiPrefix?: string;
}

/** An integer-looking user id (`"17"`) goes back to the Event API as the integer it came from. */
function sourceUserId(userId: string): string | number {
  return /^(0|[1-9]\d{0,14})$/.test(userId) ? Number(userId) : userId;
}

/**
 * Writes a stored record as an Event API event: `{ event, _session, _user, _tamga }`. Attributes the record does not
 * have are left out, as the source system leaves them out. The `short` format keeps only what the seed's "Included in
 * Poll" column lists (plus `objecttype`, the user-schema twin of `basetype`). `_tamga` is Tamga's evidence: the
 * record's id, tenant, `seq`, code, signature, key, freshly checked `validSignature` and `integrity`, and the path of
 * its receipt (inclusion proof and checkpoint), plus where a copied event came from.
 */
export function formatAssetEvent(record: AssetEventRecord, options: FormatAssetEventOptions): Record<string, unknown> {
  const full = options.format === 'full';
  const extra = record.extra;
  const object: EventObject = extra.object ?? {};
  const event: Record<string, unknown> = { _id: record.seq + 1, type: record.eventName };
  if (full) {
    event.timestamp = formatTimestamp(record.createdAt);
    if (record.ip !== null) event.ipv4_address = record.ip;
    event.pollable = extra.pollable ?? options.pollableByCatalogue;
  }
  if (extra.sessionSelf !== undefined) event.session_self = extra.sessionSelf;
  for (const [attribute, value] of [
    ['schema', object.schema],
    ['objecttype', object.type],
    ['basetype', object.baseType],
    ['object_id', object.id],
    ['global_object_id', object.globalId],
    ['object_version', object.version],
  ] as const) {
    if (value !== undefined) event[attribute] = value;
  }
  if (full && record.entityData !== null) event.info = record.entityData;
  const out: Record<string, unknown> = { event };
  if (full) {
    const session: Record<string, unknown> = {};
    const sessionId = extra.sessionId;
    if (sessionId !== undefined) session.token = sessionId;
    if (extra.sessionCreatedAt !== undefined) session.created = extra.sessionCreatedAt;
    if (extra.sessionExpiredAt !== undefined) session.expired = extra.sessionExpiredAt;
    if (Object.keys(session).length > 0) out._session = session;
  }
  if (record.userId !== null || extra.userDisplayName !== undefined) {
    const user: Record<string, unknown> = {};
    if (record.userId !== null) user._id = sourceUserId(record.userId);
    if (extra.userDisplayName !== undefined) user._generated_displayname = extra.userDisplayName;
    out._user = { _basetype: 'user', user };
  }
  const prefix = options.apiPrefix ?? '/api/v1';
  out._tamga = {
    id: record.id,
    tenantId: record.tenantId,
    seq: record.seq,
    event: record.event,
    signature: record.signature,
    sigKid: record.sigKid,
    validSignature: record.integrity === 'valid' || record.integrity === 'redacted',
    integrity: record.integrity,
    receipt: `${prefix}/events/${record.id}/receipt`,
    ...(extra.source !== undefined && { source: extra.source }),
  };
  return out;
}
