import type { Destination } from './destination.js';

/**
 * The forwarding store port: destinations, their durable cursors (a position in each tenant's log), delivery
 * counts and dead letters. A small port next to the journal store; implementations share the journal store's
 * connection (`../store/<backend>/<backend>-forward-store.ts`) and pass one contract suite
 * (`../store/forward-store.contract.ts`).
 *
 * Guarantees every implementation MUST give:
 * - A cursor only moves forward: {@link ForwardStore.saveProgress} keeps the larger of the stored and the given
 *   position, so a node that lost its lead a moment ago cannot move a destination back (at-least-once holds).
 * - Dead letters are stored in the same transaction that moves the cursor past them, and are append-only: the
 *   database refuses UPDATE and DELETE on them.
 * - Destination names are unique (`DESTINATION_EXISTS`).
 * - Every change of a destination (create, update, delete) increases {@link ForwardStore.revision} in the same
 *   transaction, so other nodes notice it by polling one number.
 * - Driver errors leave the store only as `StoreError` (`STORE_UNAVAILABLE`, `STORE_FAILED`).
 */
export interface ForwardStore {
  /** `sqlite` or `postgres`. */
  readonly kind: string;
  /** Every destination, by name. */
  listDestinations(): Promise<Destination[]>;
  getDestination(id: string): Promise<Destination | undefined>;
  /**
   * Stores a new destination with its starting cursors (logs without one start at seq 0).
   * @throws TamgaError `DESTINATION_EXISTS` when the name is taken.
   */
  createDestination(destination: Destination, cursors: readonly LogCursor[]): Promise<void>;
  /**
   * Replaces a stored destination's settings (same id). Returns false when it does not exist.
   * @throws TamgaError `DESTINATION_EXISTS` when another destination has the new name.
   */
  updateDestination(destination: Destination): Promise<boolean>;
  /** Deletes a destination with its cursors and counts (its dead letters stay); false when it does not exist. */
  deleteDestination(id: string): Promise<boolean>;
  /** The destination's position in every log it has one for. */
  getCursors(id: string): Promise<LogCursor[]>;
  /**
   * Saves delivery progress in one transaction: cursors move forward only, counts add up, the dead letters are
   * stored, and the status fields that are given replace the stored ones (`null` clears one). Saves nothing for a
   * destination that no longer exists.
   */
  saveProgress(id: string, progress: DeliveryProgress): Promise<void>;
  /** Counts and status of a destination (zeros when nothing was delivered yet). */
  getStatus(id: string): Promise<DeliveryStatus>;
  /** Dead letters of a destination, oldest first, after `afterId`. */
  listDeadLetters(id: string, limit: number, afterId?: number): Promise<DeadLetter[]>;
  /** A number that grows with every change of a destination (0 before the first). */
  revision(): Promise<number>;
  /**
   * Whether this process delivers the destination. Stores shared by several nodes (PostgreSQL) implement it with a
   * lock that moves to another node when the holder dies; a store without it has a single process, which always
   * delivers.
   */
  tryLeadDestination?(id: string): Promise<boolean>;
  /** Gives up delivering the destination (it was deleted or disabled here), so another node may take it. */
  releaseDestination?(id: string): Promise<void>;
  /** Releases what the store holds besides the journal store's connection (the lead session). */
  close?(): Promise<void>;
}

/** A position in a tenant's log: the next `seq` to deliver. */
export interface LogCursor {
  readonly logId: number;
  readonly nextSeq: number;
}

/** What {@link ForwardStore.saveProgress} records. */
export interface DeliveryProgress {
  readonly cursors: readonly LogCursor[];
  /** Records delivered since the last save. */
  readonly delivered: number;
  /** Records passed over since the last save because the filter left them out. */
  readonly skipped: number;
  /** Failed delivery attempts since the last save. */
  readonly failures: number;
  /** Records refused for good, stored with the progress. */
  readonly deadLetters: readonly NewDeadLetter[];
  /** UTC ms of the last delivery that succeeded. */
  readonly lastDeliveredAt?: number;
  /** The last failure, or `null` once deliveries succeed again. */
  readonly lastError?: { readonly at: number; readonly message: string } | null;
  /** Since when deliveries have failed without a success (UTC ms), or `null` once one succeeds. */
  readonly downSince?: number | null;
  /** The node that delivered. */
  readonly nodeId: string;
  /** UTC ms. */
  readonly at: number;
}

/** Counts and status of a destination. */
export interface DeliveryStatus {
  readonly delivered: number;
  readonly skipped: number;
  readonly deadLettered: number;
  readonly failures: number;
  readonly lastDeliveredAt: number | null;
  readonly lastError: { readonly at: number; readonly message: string } | null;
  readonly downSince: number | null;
  /** The node that saved progress last (the one delivering), or null. */
  readonly nodeId: string | null;
  /** UTC ms of the last save, or null. */
  readonly updatedAt: number | null;
}

/** A record a destination refused for good, as stored. */
export interface NewDeadLetter {
  readonly logId: number;
  readonly seq: number;
  readonly recordId: string;
  readonly event: number;
  readonly tenantId: string | null;
  /** Why, e.g. `HTTP 422: {"error":"bad field"}`. */
  readonly reason: string;
  /** UTC ms. */
  readonly at: number;
}

/** A stored dead letter. */
export interface DeadLetter extends NewDeadLetter {
  /** Store-wide, increasing. */
  readonly id: number;
  readonly destinationId: string;
}

/** The status of a destination that never delivered. */
export const EMPTY_DELIVERY_STATUS: DeliveryStatus = Object.freeze({
  delivered: 0,
  skipped: 0,
  deadLettered: 0,
  failures: 0,
  lastDeliveredAt: null,
  lastError: null,
  downSince: null,
  nodeId: null,
  updatedAt: null,
});

/** Longest stored reason of a dead letter or error message, in characters. */
export const MAX_REASON_LENGTH = 1000;
