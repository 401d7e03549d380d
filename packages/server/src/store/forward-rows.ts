import { TamgaError } from '@tamga/core';
import type { Destination, DestinationOrigin, DestinationSettings } from '../forward/destination.js';
import { EMPTY_DELIVERY_STATUS, MAX_REASON_LENGTH } from '../forward/forward-store.js';
import type { DeadLetter, DeliveryProgress, DeliveryStatus } from '../forward/forward-store.js';

/*
 * Rows of the forwarding tables and their conversions, the same in both stores (the columns are the same; only the
 * SQL differs).
 */

/** A row of `forward_destinations`. */
export interface DestinationRow {
  id: string;
  name: string;
  settings: string;
  origin: string;
  version: number;
  created_at: number;
  updated_at: number;
}

/** A row of `forward_status`. */
export interface StatusRow {
  delivered: number;
  skipped: number;
  dead_lettered: number;
  failures: number;
  last_delivered_at: number | null;
  last_error_at: number | null;
  last_error: string | null;
  down_since: number | null;
  node_id: string | null;
  updated_at: number | null;
}

/** A row of `forward_dead_letters`. */
export interface DeadLetterRow {
  id: number;
  destination_id: string;
  log_id: number;
  seq: number;
  record_id: string;
  event: number;
  tenant_id: string | null;
  reason: string;
  created_at: number;
}

/** A destination from its row (both stores store the same columns). */
export function toDestination(row: DestinationRow): Destination {
  const settings = JSON.parse(row.settings) as DestinationSettings;
  return {
    ...settings,
    id: row.id,
    origin: row.origin as DestinationOrigin,
    version: Number(row.version),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The settings column of a destination: every setting, and nothing the columns hold. */
export function settingsText(d: Destination): string {
  const { id: _id, origin: _origin, version: _version, createdAt: _c, updatedAt: _u, ...settings } = d;
  return JSON.stringify(settings);
}

/** Counts and status from a row (undefined: never delivered). */
export function toStatus(row: StatusRow | undefined): DeliveryStatus {
  if (row === undefined) return EMPTY_DELIVERY_STATUS;
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    delivered: Number(row.delivered),
    skipped: Number(row.skipped),
    deadLettered: Number(row.dead_lettered),
    failures: Number(row.failures),
    lastDeliveredAt: n(row.last_delivered_at),
    lastError: row.last_error === null ? null : { at: Number(row.last_error_at), message: row.last_error },
    downSince: n(row.down_since),
    nodeId: row.node_id,
    updatedAt: n(row.updated_at),
  };
}

/** A dead letter from its row. */
export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: Number(row.id),
    destinationId: row.destination_id,
    logId: Number(row.log_id),
    seq: Number(row.seq),
    recordId: row.record_id,
    event: Number(row.event),
    tenantId: row.tenant_id,
    reason: row.reason,
    at: Number(row.created_at),
  };
}

/** The name-taken error of both stores. */
export function destinationExists(name: string): TamgaError {
  return new TamgaError('DESTINATION_EXISTS', `A forwarding destination named "${name}" already exists`, { field: 'name' });
}

/**
 * The named parameters of the status upsert of both stores: counts to add, and for each status field whether the
 * progress sets it (`set…` 1) or leaves the stored value (0).
 */
export function statusParams(id: string, p: DeliveryProgress): Record<string, string | number | null> {
  return {
    id,
    delivered: p.delivered,
    skipped: p.skipped,
    deadLettered: p.deadLetters.length,
    failures: p.failures,
    lastDeliveredAt: p.lastDeliveredAt ?? null,
    lastErrorAt: p.lastError?.at ?? null,
    lastError: p.lastError === undefined || p.lastError === null ? null : p.lastError.message.slice(0, MAX_REASON_LENGTH),
    downSince: p.downSince ?? null,
    nodeId: p.nodeId,
    at: p.at,
    setDelivered: p.lastDeliveredAt === undefined ? 0 : 1,
    setError: p.lastError === undefined ? 0 : 1,
    setDown: p.downSince === undefined ? 0 : 1,
  };
}
