import { DEFAULT_TENANT_NAME, EARLIEST_STORED_MICROS, parseTimestamp, TenantIds, ValidationError } from '@tamga/core';
import type { EventClass, Outcome } from '@tamga/core';
import type { RecordCursor, RecordExclusion, RecordFilter, TenantScope } from '../journal/journal-store.js';

type Query = Readonly<Record<string, string | string[] | undefined>>;

const HOUR_MICROS = 3_600_000_000;

function invalid(field: string, message: string): never {
  throw new ValidationError('VALIDATION_FAILED', `${field}: ${message}`, { field });
}

/** Values of a repeatable parameter: `?event=1&event=2` and `?event=1,2` both give `['1','2']`. */
function list(query: Query, name: string): string[] {
  const raw = query[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** Values of a repeatable text parameter: repeated only, since the values themselves may hold commas. */
function repeated(query: Query, name: string): string[] {
  const raw = query[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).filter((v) => v !== '');
}

function eventCodes(query: Query, name: string): number[] {
  return list(query, name).map((v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) invalid(name, `"${v}" is not an event code`);
    return n;
  });
}

function eventClasses(query: Query, name: string): EventClass[] {
  return list(query, name).map((v) => {
    const n = Number(v);
    if (n !== 1 && n !== 2 && n !== 3 && n !== 4) invalid(name, 'must be 1, 2, 3 or 4');
    return n as EventClass;
  });
}

function single(query: Query, name: string): string | undefined {
  const raw = query[name];
  if (Array.isArray(raw)) invalid(name, 'must be given once');
  return raw === undefined || raw === '' ? undefined : raw;
}

function time(query: Query, name: string): number | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  const micros = parseTimestamp(v);
  if (micros === undefined) invalid(name, 'must be an RFC 3339 timestamp, e.g. 2026-11-22T10:00:00Z');
  return micros;
}

/**
 * Parses a tenant name from a URL or filter: `default` names the default tenant (null); any other must follow the
 * tenant-id rule or be an id stored before it (`VALIDATION_FAILED` naming `field` otherwise).
 */
export function parseTenant(value: string, tenantIds: TenantIds, field: string): string | null {
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
  const operationKey = single(query, 'operationKey');
  if (from === undefined && to === undefined && operationKey === undefined) {
    from = Math.floor((nowMs * 1000) / HOUR_MICROS) * HOUR_MICROS;
    to = from + HOUR_MICROS;
  }
  if (from !== undefined && to !== undefined && from > to) invalid('to', 'must not be before from');
  const events = eventCodes(query, 'event');
  const classes = eventClasses(query, 'classifiedEvent');
  const outcome = single(query, 'outcome');
  if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure' && outcome !== 'unknown') {
    invalid('outcome', 'must be success, failure or unknown');
  }
  const requested = list(query, 'tenantId').map((t) => parseTenant(t, tenantIds, 'tenantId'));
  let tenants: TenantScope | undefined = requested.length > 0 ? requested : undefined;
  if (scope !== undefined) tenants = tenants === undefined ? scope : tenants.filter((t) => scope.includes(t));
  const order = single(query, 'order');
  if (order !== undefined && order !== 'asc' && order !== 'desc') invalid('order', 'must be asc or desc');
  const optional = {
    userId: single(query, 'userId'),
    nodeId: single(query, 'nodeId'),
    ip: single(query, 'ip'),
    q: single(query, 'q'),
  };
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
    tenants: list(query, 'not.tenantId').map((t) => parseTenant(t, tenantIds, 'not.tenantId')),
    userIds: repeated(query, 'not.userId'),
    ips: repeated(query, 'not.ip'),
    operationKeys: repeated(query, 'not.operationKey'),
    nodeIds: repeated(query, 'not.nodeId'),
  };
  const given = Object.entries(lists).filter(([, values]) => values.length > 0);
  return given.length > 0 ? (Object.fromEntries(given) as RecordExclusion) : undefined;
}

/** Parses `limit` (1..1000, default 100). */
export function parseLimit(query: Query): number {
  const v = single(query, 'limit');
  if (v === undefined) return 100;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) invalid('limit', 'must be an integer from 1 to 1000');
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
  const v = single(query, 'cursor');
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
