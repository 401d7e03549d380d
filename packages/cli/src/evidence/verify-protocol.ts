/** Messages between `tamga verify` and its worker threads (`verify-worker.ts`). */
import type { CheckProblem, IntegrityStatus } from '@tamga/core';

/** Data given to each worker. */
export interface VerifyWorkerData {
  readonly origin: string;
  /** `[kid, hex secret]` pairs, or null when signatures are not checked. */
  readonly hmacKeys: readonly (readonly [string, string])[] | null;
}

/** A chunk to check. */
export interface VerifyWorkerTask {
  readonly id: number;
  readonly chunk: Uint8Array;
}

/** The results of one chunk. `seqs[i]` is -1 for an unreadable line. */
export interface VerifyWorkerResult {
  readonly id: number;
  readonly count: number;
  readonly seqs: Float64Array;
  readonly leaves: Uint8Array;
  readonly statuses: Uint8Array;
  readonly problems: readonly (readonly [number, CheckProblem])[];
  /** The text of each line whose record is unreadable (its seq -1): the main thread knows which seq it should hold. */
  readonly unreadable: readonly (readonly [number, string])[];
}

/** Status codes in {@link VerifyWorkerResult.statuses}. */
export const STATUS_CODES: readonly IntegrityStatus[] = ['valid', 'tampered', 'redacted', 'unknown-key'];
