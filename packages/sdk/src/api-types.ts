/**
 * What Tamga's read APIs answer, as the SDK types them (the OpenAPI document at `/api/v1/openapi.json` is the
 * reference). Fields Tamga may add later arrive as extra properties.
 */
import type { EntityData, EventClass, EventExtra, IntegrityStatus, Outcome, VerificationReport } from '@tamga/core';

export type { CatalogItem } from '@tamga/core';

/** A stored event as `GET /api/v1/events` returns it: seed 002's fields in seed order, then Tamga's. */
export interface TamgaRecord extends Omit<EventExtra, 'outcome' | 'severity'> {
  readonly id: string;
  readonly event: number;
  readonly entityData: EntityData | null;
  readonly userId: string | null;
  /** When Tamga accepted it (server clock), RFC 3339. */
  readonly apiCreatedAt: string;
  /** When it happened at its source, RFC 3339. */
  readonly createdAt: string;
  /** HMAC-SHA256 of the canonical bytes, hex. */
  readonly signature: string;
  readonly text: string | null;
  readonly ip: string | null;
  readonly tenantId: string | null;
  readonly nodeId: string;
  readonly operationKey: string | null;
  readonly classifiedEvent: EventClass;
  /** Checked afresh on this read. */
  readonly validSignature: boolean;
  readonly eventName: string;
  /** Position in this result view, 1-based (seed 002). */
  readonly index: number;
  /** Position in the tenant's Merkle log. */
  readonly seq: number;
  readonly sigKid: string;
  readonly integrity: IntegrityStatus;
  readonly severity: number;
  readonly outcome: Outcome | null;
  /** `<catalog>@<version>` of the entry that named the code. */
  readonly catalogVersion?: string;
  /** True when the code is in no catalogue (a tenant with open codes). */
  readonly unregistered?: boolean;
  readonly [field: string]: unknown;
}

/** One record with what a client needs to check it alone (`GET /api/v1/events/{id}`). */
export interface TamgaRecordWithProofData extends TamgaRecord {
  /** The canonical bytes `L` (RFC 8785), base64. */
  readonly canonical: string;
  /** `SHA-256(0x00 ‖ L)`, base64. */
  readonly leafHash: string;
}

/**
 * Filters of `GET /api/v1/events`, `/stats` and `/stream`. Times are RFC 3339 strings or `Date`s; the range is
 * `[from, to)` and defaults to the current clock hour (except with `operationKey` alone). Lists match any value.
 */
export interface EventQuery {
  readonly from?: string | Date;
  readonly to?: string | Date;
  readonly event?: number | readonly number[];
  readonly classifiedEvent?: EventClass | readonly EventClass[];
  readonly outcome?: Outcome;
  readonly operationKey?: string;
  /** The user's records: `userId`, or the subject a sign-in without one names in `entityData`. */
  readonly userId?: string;
  /** `default` (or null) for the default tenant. */
  readonly tenantId?: string | null | readonly (string | null)[];
  readonly nodeId?: string;
  readonly ip?: string;
  /** Literal substring of `text` or `entityData`, ignoring case; at least 3 characters. */
  readonly q?: string;
  /** Newest first (`desc`, the default) or oldest first. */
  readonly order?: 'asc' | 'desc';
  /** Records whose field equals one of these values are left out (`not.<field>`). */
  readonly not?: {
    readonly event?: readonly number[];
    readonly classifiedEvent?: readonly EventClass[];
    readonly tenantId?: readonly (string | null)[];
    readonly userId?: readonly string[];
    readonly ip?: readonly string[];
    readonly operationKey?: readonly string[];
    readonly nodeId?: readonly string[];
  };
}

/** One page of `GET /api/v1/events`. */
export interface EventPage {
  readonly items: readonly TamgaRecord[];
  /** Opaque; null on the last page. */
  readonly nextCursor: string | null;
  /** With `q` only: how far the server's text index had caught up (records it lacked were scanned). */
  readonly searchIndex?: { readonly pending: number; readonly behindSeconds: number; readonly building: boolean };
}

/** `GET /api/v1/events/stats`: the count and a histogram of the matching records. */
export interface EventStats {
  readonly count: number;
  readonly from: string | null;
  readonly to: string | null;
  readonly bucketSeconds: number;
  readonly histogram: readonly { readonly start: string; readonly count: number }[];
}

/** An RFC 9162 inclusion proof (`GET /api/v1/logs/{tenant}/proofs/inclusion`). */
export interface InclusionProof {
  readonly origin: string;
  readonly seq: number;
  readonly treeSize: number;
  /** Audit path, bottom-up, base64. */
  readonly hashes: readonly string[];
}

/** An RFC 9162 consistency proof (`GET /api/v1/logs/{tenant}/proofs/consistency`). */
export interface ConsistencyProof {
  readonly origin: string;
  readonly from: number;
  readonly to: number;
  readonly hashes: readonly string[];
}

/** `/.well-known/tamga-keys`: every checkpoint and HMAC key ever used, with its validity window. */
export interface PublicKeys {
  readonly checkpointKeys: readonly {
    readonly name: string;
    /** C2SP verifier key (`name+hash+base64`). */
    readonly verifierKey: string;
    readonly algorithm: string;
    readonly publicKey: string;
    readonly validFrom: string;
    readonly validUntil: string | null;
  }[];
  readonly hmacKeys: readonly { readonly kid: string; readonly validFrom: string; readonly validUntil: string | null }[];
}

/** A receipt (`GET /api/v1/events/{id}/receipt`, format `tamga-receipt/1`); check it with `verifyReceipt`. */
export interface TamgaReceipt {
  readonly format: 'tamga-receipt/1';
  readonly origin: string;
  readonly id: string;
  readonly record: Readonly<Record<string, unknown>>;
  readonly treeSize: number;
  readonly proof: readonly string[];
  readonly checkpoint: string;
  readonly keys: Readonly<Record<string, unknown>>;
}

/** `GET /api/v1/logs/{tenant}/verify`: the server's check of a range of a log (core's report, and when it was made). */
export interface LogVerification extends VerificationReport {
  readonly verifiedAt: string;
}

/** Filters of `GET /api/v1/catalog`. */
export interface CatalogQuery {
  /** `ai-server`, `asset-server`, `platform-security`, `tamga`, or a tenant's catalogue. */
  readonly catalog?: string | readonly string[];
  readonly domain?: string | readonly string[];
  readonly status?: string | readonly string[];
  readonly classifiedEvent?: EventClass | readonly EventClass[];
  /** The entries a tenant's codes resolve against (`default` or null for the default tenant). */
  readonly tenantId?: string | null;
  /** Language of descriptions. Default: English. */
  readonly lang?: 'en' | 'ru';
}

/**
 * An event of the asset server's Event API as Tamga's poll answers it (seed 004, short format): `event._id` is the
 * event's position in its tenant's log plus one; `_tamga` carries Tamga's evidence (`seq`, `validSignature`, the
 * receipt's path).
 */
export interface AssetPollEvent {
  readonly event: {
    readonly _id: number;
    readonly type: string;
    readonly session_self?: boolean;
    readonly schema?: string;
    readonly objecttype?: string;
    readonly basetype?: string;
    readonly object_id?: number;
    readonly global_object_id?: string;
    readonly object_version?: number;
    readonly [attribute: string]: unknown;
  };
  readonly _user?: { readonly _basetype?: string; readonly user?: { readonly _id?: number; readonly _generated_displayname?: string } };
  readonly _tamga?: { readonly seq?: number; readonly validSignature?: boolean; readonly receipt?: string; readonly [field: string]: unknown };
  readonly [field: string]: unknown;
}

/** One answer of the Event API's poll. */
export interface AssetPollResult {
  readonly events: readonly AssetPollEvent[];
  /** The newest `_id` of the tenant (`X-Tamga-Max-Event-Id`), when the server says it. */
  readonly maxEventId: number | undefined;
}
