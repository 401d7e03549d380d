/** Messages between `SqliteJournalStore` and its writer and checkpointer threads (`sqlite-writer-thread.ts`). */
import { StoreError, TamgaError, ValidationError, VerificationError } from '@tamga/core';
import type { ErrorCode, ErrorDetails, PreparedSealBytes } from '@tamga/core';
import type { MessagePort } from 'node:worker_threads';
import type { SideWrite } from './sqlite-appender.js';
import type { RecordColumns, ResultColumns } from './sqlite-record-columns.js';

/** What a writer or checkpointer thread starts with. */
export interface WriterData {
  readonly role: 'writer' | 'checkpointer';
  readonly path: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  /** The channel appends and their answers go through (drained in one go between commits). */
  readonly port: MessagePort;
  /** Whether the writer keeps the text index (`SqliteTextIndex`): in each group's transaction, and a follower. */
  readonly textIndex: boolean;
}

export type ToWriter =
  | {
      readonly type: 'append';
      readonly id: number;
      /** The batch's records by column. */
      readonly records: RecordColumns;
      readonly sigKid: string;
      readonly hmacKey: Uint8Array;
      /** Origin of each tenant log of the batch (by tenant key, '' = default), should the log be created. */
      readonly origins: Readonly<Record<string, string>>;
      /**
       * The records' seals, prepared on the request thread as far as they go without the log and `seq`: their bytes,
       * transferred, not copied (`PreparedSealBatch`).
       */
      readonly prepared?: PreparedSealBytes | undefined;
    }
  /** A write of the server's own, in a transaction of its own between groups. */
  | { readonly type: 'write'; readonly id: number; readonly op: SideWrite }
  /** From now on, keep the text index. */
  | { readonly type: 'text-index' }
  | { readonly type: 'close' };

/** A TamgaError as it crosses threads. */
export interface WireError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly details: ErrorDetails;
  /** The driver's error behind it (its code and message), for the server log. */
  readonly cause?: string;
}

export type FromWriter =
  | { readonly type: 'appended'; readonly id: number; readonly results: ResultColumns }
  | { readonly type: 'written'; readonly id: number }
  | { readonly type: 'refused'; readonly id: number; readonly error: WireError }
  /** Indexing text failed (the appends went on; the follower tries again). */
  | { readonly type: 'text-index-failed'; readonly error: WireError }
  | { readonly type: 'closed' };

/** Most batches one transaction commits. */
export const MAX_GROUP_BATCHES = 16;
/** Most records one transaction commits (a group is closed before a batch would pass it; one batch alone may). */
export const MAX_GROUP_RECORDS = 20_000;
/**
 * How often the checkpointer thread checkpoints the WAL, ms. Each checkpoint copies every page committed since the last
 * one, and an index page changed by several commits in between is copied once: at 1 s rather than 250 ms, ingest costs
 * ~8 µs less CPU per event (decision 0049) for a WAL of about a second of appends.
 */
export const CHECKPOINT_INTERVAL_MS = 1000;
/**
 * The writer's own WAL autocheckpoint, bytes (set in pages of the journal's size). The checkpointer thread copies the
 * WAL's pages into the file, but its PASSIVE checkpoints never find the WAL idle under continuous appends, so only this
 * one, run by the writer after a commit, lets the next transaction start the WAL over: at 10 M appended without pause
 * the WAL stayed at 426–462 MB. By then the checkpointer has copied most of its pages.
 */
export const WRITER_WAL_AUTOCHECKPOINT_BYTES = 400 * 1024 * 1024;

/** A TamgaError for the other side of the channel. */
export function toWireError(error: TamgaError): WireError {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  return {
    name: error.name,
    code: error.code,
    message: error.message,
    details: error.details,
    ...(cause !== undefined && { cause: `${String(cause.code ?? '')} ${String(cause.message ?? cause)}`.trim() }),
  };
}

/** The TamgaError (of the same class) a {@link WireError} stands for. */
export function fromWireError(wire: WireError): TamgaError {
  const options = wire.cause === undefined ? undefined : { cause: new Error(wire.cause) };
  const Class = wire.name === 'ValidationError' ? ValidationError : wire.name === 'StoreError' ? StoreError : wire.name === 'VerificationError' ? VerificationError : TamgaError;
  return new Class(wire.code as ErrorCode, wire.message, wire.details, options);
}

/**
 * Page cache of each connection, KiB (a cache fills up to its size as the file grows, so these bound what SQLite holds
 * in memory at any journal size). The connection that appends keeps the most: the hot pages of the table and its
 * indexes. A reader thread's queries walk an index range and its rows once; the pages they miss come from the OS's file
 * cache. The request thread's own connection, when a writer thread appends, reads only a log's head and a few rows.
 */
export const SQLITE_CACHE_KIB = { writer: 32 * 1024, reader: 8 * 1024, request: 8 * 1024 } as const;
