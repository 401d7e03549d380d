import type { EntityData, EventClass, EventExtra } from '@tamga/core';

/**
 * An event as a producer sends it to `POST /api/v1/events` (DESIGN.md §2). Give `event` (the numeric code) or
 * `eventName` (the catalogue name), or both; every other field is optional. `createdAt` is an RFC 3339 time with an
 * offset and defaults to when Tamga accepted the event.
 */
export interface TamgaEvent extends EventExtra {
  /** UUID; the idempotency key. The client assigns a UUIDv7 when it is missing, so retries reuse it. */
  readonly id?: string;
  readonly event?: number;
  readonly eventName?: string;
  readonly entityData?: EntityData | null;
  readonly userId?: string | null;
  readonly createdAt?: string;
  readonly text?: string | null;
  readonly ip?: string | null;
  /** Tenant; null or absent for the default tenant. */
  readonly tenantId?: string | null;
  readonly operationKey?: string | null;
  readonly classifiedEvent?: EventClass;
}

/** What the server answers per appended event, in input order, once the batch is committed. */
export interface AppendAnswer {
  readonly id: string;
  readonly tenantId: string | null;
  /** Position in the tenant's Merkle log. */
  readonly seq: number;
  /** HMAC-SHA256 of the record's canonical bytes, hex. */
  readonly signature: string;
  /** Id of the HMAC key that signed it. */
  readonly sigKid: string;
  /** True when this id was already stored (a retry): nothing new was written. */
  readonly duplicate: boolean;
}

/** What `Prefer: return=minimal` answers for a batch (`TamgaClient.appendCounting`): every event of it is stored. */
export interface AppendCount {
  /** Events in the batch. */
  readonly count: number;
  /** Of them, how many were stored before (sent again). */
  readonly duplicates: number;
}
