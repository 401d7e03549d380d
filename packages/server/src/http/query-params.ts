import { canonicalIp, DEFAULT_TENANT_NAME, EARLIEST_STORED_MICROS, parseTimestamp, TenantIds, ValidationError } from '@tamga/core';
import type { EventClass, Outcome } from '@tamga/core';
import type { RecordCursor, RecordExclusion, RecordFilter, TenantScope } from '../journal/journal-store.js';

type Query = Readonly<Record<string, string | string[] | undefined>>;

const HOUR_MICROS = 3_600_000_000;

function invalid(field: string, message: string): never {
  throw new ValidationError('VALIDATION_FAILED', `${field}: ${message}`, { field });
}

/** Shortest text search `q`, in characters (both stores' text indexes are of trigrams). */
export const MIN_TEXT_QUERY = 3;

/** Most values of one list parameter (`tenantId`, `not.userId`, `classifiedEvent`, …). */
export const MAX_LIST_VALUES = 100;
/** Most codes in `event` or `not.event` (the journal page's event-type picker can tick many). */
export const MAX_EVENT_CODES = 1000;
/** Longest value of a text parameter (`userId`, `q`, `operationKey`, …), in characters: longer than any stored field. */
export const MAX_TEXT_PARAM = 1024;

/** Refuses a list parameter with more values than `max`, naming it. */
function bounded(values: string[], name: string, max: number): string[] {
  if (values.length > max) invalid(name, `at most ${max} values (got ${values.length})`);
  for (const v of values) if (v.length > MAX_TEXT_PARAM) invalid(name, `a value is at most ${MAX_TEXT_PARAM} characters`);
  return values;
}

/**
 * Values of a repeatable parameter: `?event=1&event=2` and `?event=1,2` both give `['1','2']`; at most `max`
 * (default {@link MAX_LIST_VALUES}), else `VALIDATION_FAILED` naming the parameter.
 */
export function listParam(query: Query, name: string, max = MAX_LIST_VALUES): string[] {
  const raw = query[name];
  if (raw === undefined) return [];
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return bounded(values, name, max);
}

/** Values of a repeatable text parameter: repeated only, since the values themselves may hold commas. */
function repeated(query: Query, name: string): string[] {
  const raw = query[name];
  if (raw === undefined) return [];
  return bounded((Array.isArray(raw) ? raw : [raw]).filter((v) => v !== ''), name, MAX_LIST_VALUES);
}

function eventCodes(query: Query, name: string): number[] {
  return listParam(query, name, MAX_EVENT_CODES).map((v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) invalid(name, `"${v.slice(0, 64)}" is not an event code`);
    return n;
  });
}

function eventClasses(query: Query, name: string): EventClass[] {
  return listParam(query, name).map((v) => {
    const n = Number(v);
    if (n !== 1 && n !== 2 && n !== 3 && n !== 4) invalid(name, 'must be 1, 2, 3 or 4');
    return n as EventClass;
  });
}

/** A parameter given at most once, of at most {@link MAX_TEXT_PARAM} characters; undefined when absent or empty. */
export function singleParam(query: Query, name: string): string | undefined {
  const raw = query[name];
  if (Array.isArray(raw)) invalid(name, 'must be given once');
  if (raw !== undefined && raw.length > MAX_TEXT_PARAM) invalid(name, `must be at most ${MAX_TEXT_PARAM} characters`);
  return raw === undefined || raw === '' ? undefined : raw;
}

/**
 * An IP filter's value in the canonical text the journal stores (any spelling finds the address). A value that is no
 * address is kept: it matches no record, as before.
 */
function searchIp(value: string | undefined): string | undefined {
  return value === undefined ? undefined : (canonicalIp(value.trim()) ?? value);
}

function time(query: Query, name: string): number | undefined {
  const v = singleParam(query, name);
  if (v === undefined) return undefined;
  const micros = parseTimestamp(v);
  if (micros === undefined) invalid(name, 'must be an RFC 3339 timestamp, e.g. 2026-11-22T10:00:00Z');
  return micros;
}

/**
 * Parses a tenant name from a URL or filter: `default` names the default tenant (null); any other must follow the
 * tenant-id rule or be an id `tenantIds` knows was stored before it (default: none) — else `VALIDATION_FAILED`
 * naming `field` (default `tenant`).
 */
export function parseTenant(value: string, tenantIds: TenantIds = TenantIds.NONE, field = 'tenant'): string | null {
  if (value === DEFAULT_TENANT_NAME) return null;
  tenantIds.checkName(value, field);
  return value;
}

/**
 * Parses the record filters of `GET /api/v1/events` and `/stats`. The range `[from, to)` defaults to the
 * current clock hour (seed 002), except that an `operationKey` alone shows the whole operation. Tenant ids are
 * checked with `tenantIds` (default: the rule alone, no id stored before it).
 */
export function parseRecordFilter(
  query: Query,
  nowMs: number,
  scope: TenantScope | undefined,
  tenantIds: TenantIds = TenantIds.NONE,
): RecordFilter {
  let from = time(query, 'from');
  let to = time(query, 'to');
  const operationKey = singleParam(query, 'operationKey');
  if (from === undefined && to === undefined && operationKey === undefined) {
    from = Math.floor((nowMs * 1000) / HOUR_MICROS) * HOUR_MICROS;
    to = from + HOUR_MICROS;
  }
  if (from !== undefined && to !== undefined && from > to) invalid('to', 'must not be before from');
  const events = eventCodes(query, 'event');
  const classes = eventClasses(query, 'classifiedEvent');
  const outcome = singleParam(query, 'outcome');
  if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure' && outcome !== 'unknown') {
    invalid('outcome', 'must be success, failure or unknown');
  }
  const requested = listParam(query, 'tenantId').map((t) => parseTenant(t, tenantIds, 'tenantId'));
  let tenants: TenantScope | undefined = requested.length > 0 ? requested : undefined;
  if (scope !== undefined) tenants = tenants === undefined ? scope : tenants.filter((t) => scope.includes(t));
  const order = singleParam(query, 'order');
  if (order !== undefined && order !== 'asc' && order !== 'desc') invalid('order', 'must be asc or desc');
  const optional = {
    userId: singleParam(query, 'userId'),
    nodeId: singleParam(query, 'nodeId'),
    ip: searchIp(singleParam(query, 'ip')),
    q: singleParam(query, 'q'),
  };
  if (optional.q !== undefined && [...optional.q].length < MIN_TEXT_QUERY) {
    invalid('q', `search text must be at least ${MIN_TEXT_QUERY} characters (the text index is of trigrams); narrow by user, event or operation instead`);
  }
  const exclude = parseExclusion(query, tenantIds);
  return {
    ...(exclude !== undefined && { exclude }),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
    ...(events.length > 0 && { events }),
    ...(classes.length > 0 && { classes }),
    ...(outcome !== undefined && { outcome: outcome as Outcome }),
    ...(operationKey !== undefined && { operationKey }),
    ...(tenants !== undefined && { tenants }),
    ...(order !== undefined && { order }),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

/**
 * The negative filters `not.<name>`: `not.event`, `not.classifiedEvent` and `not.tenantId` (repeated or
 * comma-separated, like their positive twins), `not.userId`, `not.ip`, `not.operationKey` and `not.nodeId`
 * (repeated). Undefined when none is given.
 */
function parseExclusion(query: Query, tenantIds: TenantIds): RecordExclusion | undefined {
  const lists = {
    events: eventCodes(query, 'not.event'),
    classes: eventClasses(query, 'not.classifiedEvent'),
    tenants: listParam(query, 'not.tenantId').map((t) => parseTenant(t, tenantIds, 'not.tenantId')),
    userIds: repeated(query, 'not.userId'),
    ips: repeated(query, 'not.ip').map((ip) => searchIp(ip)!),
    operationKeys: repeated(query, 'not.operationKey'),
    nodeIds: repeated(query, 'not.nodeId'),
  };
  const given = Object.entries(lists).filter(([, values]) => values.length > 0);
  return given.length > 0 ? (Object.fromEntries(given) as RecordExclusion) : undefined;
}

/** Parses `limit`: a whole number from 1 to `max` (default 1,000); `fallback` when absent (default 100). */
export function parseLimit(query: Query, fallback = 100, max = 1000): number {
  const v = singleParam(query, 'limit');
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) invalid('limit', `must be an integer from 1 to ${max}`);
  return n;
}

/** A page position: the last row shown and how many rows came before the next page. */
export interface PageCursor extends RecordCursor {
  readonly shown: number;
}

/** Encodes a cursor as opaque base64url text. */
export function encodeCursor(c: PageCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.rid, c.shown])).toString('base64url');
}

/** Decodes a cursor from {@link encodeCursor}; anything else is `INVALID_CURSOR`. */
export function decodeCursor(query: Query): PageCursor | undefined {
  const v = singleParam(query, 'cursor');
  if (v === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
    // createdAt may be before 1970 (a tenant with back-dated imports); rid and shown never are negative.
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((n) => Number.isSafeInteger(n))) {
      const [createdAt, rid, shown] = parsed as [number, number, number];
      if (createdAt >= EARLIEST_STORED_MICROS && rid >= 0 && shown >= 0) return { createdAt, rid, shown };
    }
  } catch {
    // fall through
  }
  throw new ValidationError('INVALID_CURSOR', 'cursor: not a cursor this server issued', { field: 'cursor' });
}

/** Parses a non-negative integer path or query parameter. */
export function parseIndex(value: string | undefined, field: string): number {
  if (value === undefined || value === '') invalid(field, 'is required');
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) invalid(field, 'must be a non-negative integer');
  return n;
}
