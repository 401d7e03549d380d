import { createHash } from 'node:crypto';
import pg from 'pg';
import { canonicalIp, CompactRange, StoreError, TamgaError } from '@tamga/core';
import type { EntityData, EventClass, Outcome, RecordExtra } from '@tamga/core';
import { sealedFields, STORED_LEVEL_STRIDE } from '../../journal/journal-store.js';
import type { ClusterSignals } from '../../journal/cluster-signals.js';
import { findRepeats } from '../../journal/same-event.js';
import { entitySearchText } from '../../journal/searched-text.js';
import type { StoredEvent } from '../../journal/same-event.js';
import type {
  AppendResult,
  ErasedRecord,
  ErasureSelector,
  EventListQuery,
  HistogramBucket,
  JournalStore,
  SearchIndexStatus,
  SubjectOf,
  LegalHold,
  LogHead,
  MinuteBuckets,
  MinuteCount,
  PendingRecord,
  PurgeSlice,
  PurgeState,
  RecordCursor,
  RecordFilter,
  RetentionFact,
  Sealer,
  SeqRange,
  StoredCheckpoint,
  StoredCosignature,
  StoredRecord,
  TenantScope,
} from '../../journal/journal-store.js';
import { splitUserFilter } from '../../journal/journal-store.js';
import { eventOrderBy, withPollable } from '../event-api-columns.js';
import type { EventOrderDialect } from '../event-api-columns.js';
import { HOUR_MICROS, ipIndexHours } from '../hour-index.js';
import { MinuteTally } from '../minute-tally.js';
import { MAX_SUGGEST_PROBES, mergeBuckets, mergePages } from '../user-filter.js';
import { arrayLiteral } from './postgres-array-literal.js';
import { inPostgresTransaction, wrapPostgresError } from './postgres-errors.js';
import {
  JOURNAL_TRIGGER_TABLES,
  KEY_COLUMNS,
  LEADER_LOCK_CLASS,
  POSTGRES_SCHEMA,
  PURGE_LOCK_CLASS,
  SCHEMA_LOCK_CLASS,
  TEXT_INDEX_LOCK_CLASS,
  TEXT_INDEXES,
  entitySearchExpression,
  textIndexStatements,
} from './postgres-schema.js';
import { PostgresSignals } from './postgres-signals.js';

/** SHA-256 of the schema's text: which schema a database was last built with (`schema_built`). */
const SCHEMA_DIGEST = createHash('sha256').update(POSTGRES_SCHEMA).digest('hex');

/**
 * Fills `records.ip_search` of a journal made before it, in the schema's transaction: the canonical text of each
 * record's `ip` that is another spelling of the address, so an IP search finds it; the signed columns stay as they are.
 * IPv4 was stored only as `isIP` accepts it (canonical already): only addresses with a colon are read. The records'
 * guard refuses every UPDATE but an erasure, so it is off for this transaction's updates (ALTER TABLE holds the table
 * exclusively until the commit: no other session writes meanwhile).
 */
async function fillIpSearch(
  client: pg.PoolClient,
  long: (text: string, values?: unknown[]) => pg.QueryConfig,
): Promise<void> {
  let disabled = false;
  for (let after = 0; ;) {
    const rows = (
      await client.query<{ rid: string; ip: string }>(
        long(
          "SELECT rid, ip FROM records WHERE rid > $1 AND ip IS NOT NULL AND strpos(ip, ':') > 0 ORDER BY rid LIMIT 10000",
          [after],
        ),
      )
    ).rows;
    if (rows.length === 0) break;
    const rids: string[] = [];
    const ips: string[] = [];
    for (const { rid, ip } of rows) {
      const canonical = canonicalIp(ip);
      if (canonical === undefined || canonical === ip) continue;
      rids.push(rid);
      ips.push(canonical);
    }
    if (rids.length > 0) {
      if (!disabled)
        await client.query(long('ALTER TABLE records DISABLE TRIGGER records_append_only_except_erasure'));
      disabled = true;
      await client.query(
        long(
          'UPDATE records r SET ip_search = v.ip FROM unnest($1::bigint[], $2::text[]) AS v(rid, ip) WHERE r.rid = v.rid',
          [rids, ips],
        ),
      );
    }
    after = Number(rows[rows.length - 1]!.rid);
  }
  if (disabled)
    await client.query(long('ALTER TABLE records ENABLE TRIGGER records_append_only_except_erasure'));
}

/**
 * Turns the key columns of a journal made before decision 0065 to `COLLATE "C"`, in the schema's transaction: one
 * ALTER TABLE, which keeps the rows and rebuilds the B-tree indexes on those columns once (ACCESS EXCLUSIVE until the
 * commit: appends wait meanwhile; 3.9 s for a journal of 1 M records here).
 */
async function keyColumnsToC(client: pg.PoolClient, long: (text: string, values?: unknown[]) => pg.QueryConfig): Promise<void> {
  const columns = (
    await client.query<{ name: string }>(
      long(
        `SELECT a.attname AS name FROM pg_attribute a
          WHERE a.attrelid = 'records'::regclass AND a.attname = ANY($1) AND NOT a.attisdropped
            AND a.attcollation <> (SELECT oid FROM pg_collation WHERE collname = 'C' AND collnamespace = 'pg_catalog'::regnamespace)
          ORDER BY a.attnum`,
        [KEY_COLUMNS],
      ),
    )
  ).rows.map((row) => row.name);
  if (columns.length > 0) {
    await client.query(
      long(`ALTER TABLE records ${columns.map((column) => `ALTER COLUMN ${pg.escapeIdentifier(column)} TYPE text COLLATE "C"`).join(', ')}`),
    );
  }
}

/** Options of {@link PostgresJournalStore.connect}. */
export interface PostgresJournalStoreConfig {
  /** Connection URL, e.g. `postgres://tamga@db.internal:5432/tamga`. */
  readonly url: string;
  /** Schema holding Tamga's tables, created when missing. Lower-case identifier; default `tamga`. */
  readonly schema?: string;
  /** Maximum connections of the pool. Default 10. */
  readonly poolSize?: number;
  /**
   * How long to wait for a connection (new or from the pool), ms; also how long an unanswered COMMIT's outcome is
   * asked for. Default 5 000.
   */
  readonly connectionTimeoutMillis?: number;
  /**
   * Longest a statement may run, ms: the server's `statement_timeout`, and 2 s later the client gives up on a server
   * that does not answer at all (frozen, unreachable) and discards the connection. Default 10 000.
   */
  readonly statementTimeoutMillis?: number;
  /**
   * `application_name` of every session, so `pg_stat_activity` and `pg_locks` tell the nodes apart (`tamga <node id>`
   * as `tamga serve` sets it). Default `tamga`.
   */
  readonly applicationName?: string;
}

/** How long `/readyz` waits for PostgreSQL to answer. */
const READY_TIMEOUT_MS = 2_000;
/** Grace past `statement_timeout` before the client stops waiting: the server's own cancel answers first. */
const CLIENT_TIMEOUT_GRACE_MS = 2_000;
/** `idle_in_transaction_session_timeout`: a session whose client vanished mid-transaction frees its locks. */
const IDLE_IN_TRANSACTION_MS = 60_000;
/** TCP keepalive probes start after this much silence on a connection (then the kernel's interval and count). */
const KEEPALIVE_DELAY_MS = 10_000;
/** Statements of the schema migration may run long (an index on a large table): this long. */
const MIGRATION_TIMEOUT_MS = 3_600_000;

interface LogRow {
  log_id: number;
  tenant_key: string;
  origin: string;
  size: number;
  root_hash: Buffer;
  frontier: Buffer;
}

interface RecordRow {
  rid: number;
  log_id: number;
  seq: number;
  id: string;
  event: number;
  event_name: string;
  entity_data: string | null;
  user_id: string | null;
  api_created_at: number;
  created_at: number;
  text: string | null;
  ip: string | null;
  tenant_id: string | null;
  node_id: string | null;
  operation_key: string | null;
  classified_event: number;
  severity: number;
  outcome: string | null;
  extra: string | null;
  sig_kid: string;
  signature: string;
  /** `canonical`, `leaf_hash` and `payload_salt` (none when NULL) end to end: {@link RECORD_COLUMNS}. */
  seal_bytes: Buffer;
  canonical_length: number;
  salt_length: number | null;
  redacted: boolean;
  pollable: boolean | null;
  subject: string | null;
}

const LOG_COLUMNS = 'log_id, tenant_key, origin, size, root_hash, frontier';

/**
 * Multi-row insert of a whole batch, one round trip: one array parameter per column. The BYTEA columns
 * travel as one binary parameter each (node-postgres sends Buffers in binary) sliced by start/length
 * arrays: a `bytea[]` parameter goes as hex text and costs the server several times more to parse.
 */
const INSERT_RECORDS = `INSERT INTO records (log_id, seq, id, event, event_name, entity_data, user_id, api_created_at,
  created_at, text, ip, tenant_id, node_id, operation_key, classified_event, severity, outcome, extra, sig_kid,
  signature, canonical, leaf_hash, payload_salt, pollable, subject, entity_values)
SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20,
  substring($27::bytea FROM s21 + 1 FOR l21),
  substring($28::bytea FROM s22 + 1 FOR l22),
  CASE WHEN l23 < 0 THEN NULL ELSE substring($29::bytea FROM s23 + 1 FOR l23) END,
  c30, c31, c32
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::bigint[],
  $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::smallint[], $16::smallint[],
  $17::text[], $18::text[], $19::text[], $20::text[], $21::int[], $22::int[], $23::int[], $24::int[], $25::int[],
  $26::int[], $30::boolean[], $31::text[], $32::text[])
  WITH ORDINALITY AS u(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20,
  s21, l21, s22, l22, s23, l23, c30, c31, c32, ord)
ORDER BY ord`;

/** Byte strings of one column packed into a single Buffer, with each one's start and length (-1 = NULL). */
class PackedBytes {
  readonly parts: Buffer[] = [];
  readonly starts: number[] = [];
  readonly lengths: number[] = [];
  #size = 0;

  push(bytes: Uint8Array | null): void {
    this.starts.push(this.#size);
    if (bytes === null) {
      this.lengths.push(-1);
      return;
    }
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.parts.push(buffer);
    this.lengths.push(buffer.length);
    this.#size += buffer.length;
  }

  concat(): Buffer {
    return Buffer.concat(this.parts, this.#size);
  }
}

const ADD_MINUTE_COUNTS = `INSERT INTO record_minutes (minute, log_id, event, classified_event, n, min_seq, max_seq)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::smallint[], $5::bigint[], $6::bigint[], $7::bigint[])
ON CONFLICT (minute, log_id, event, classified_event) DO UPDATE SET n = record_minutes.n + excluded.n,
  min_seq = least(record_minutes.min_seq, excluded.min_seq), max_seq = greatest(record_minutes.max_seq, excluded.max_seq)`;

const INSERT_NODES = `INSERT INTO merkle_nodes (log_id, level, idx, hash)
SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::bigint[], $4::bytea[])`;

const UPDATE_LOGS = `UPDATE logs AS l SET size = u.size, root_hash = u.root_hash, frontier = u.frontier
FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS u(log_id, size, root_hash, frontier)
WHERE l.log_id = u.log_id`;

/**
 * Advances a log head if it is still the one a batch sealed against. The row is locked first, unconditionally: a
 * condition on `size` alone would be tested on the version this statement's snapshot sees, and skip the row rather
 * than wait for the previous batch's commit. Locked, the newest version is the one compared and updated.
 */
const ADVANCE_LOG = `WITH head AS (SELECT log_id, size, root_hash FROM logs WHERE log_id = $1::bigint FOR UPDATE)
UPDATE logs AS l SET size = $2::bigint, root_hash = $3::bytea, frontier = $4::bytea FROM head
WHERE l.log_id = head.log_id AND head.size = $5::bigint AND head.root_hash = $6::bytea RETURNING l.log_id`;

/**
 * The columns a stored record is read from (of `records r`), as the SQLite store reads them (decision 0077): not the
 * search columns (`ip_search`, `entity_values`), and the three BYTEA columns as one, with the lengths to cut it apart
 * (node-postgres parses each BYTEA from hex into a Buffer of its own).
 */
const RECORD_COLUMNS = `r.rid, r.log_id, r.seq, r.id, r.event, r.event_name, r.entity_data, r.user_id, r.api_created_at,
  r.created_at, r.text, r.ip, r.tenant_id, r.node_id, r.operation_key, r.classified_event, r.severity, r.outcome, r.extra,
  r.sig_kid, r.signature, r.canonical || r.leaf_hash || coalesce(r.payload_salt, ''::bytea) AS seal_bytes,
  octet_length(r.canonical) AS canonical_length, octet_length(r.payload_salt) AS salt_length, r.redacted, r.pollable,
  r.subject`;
const RECORD_SELECT = `SELECT ${RECORD_COLUMNS}, l.origin FROM records r JOIN logs l USING (log_id)`;

const tenantKey = (tenantId: string | null): string => tenantId ?? '';

/**
 * A record the Event API's poll returns: its `pollable` column says so, or it has none (written before the column
 * existed) and its code is in the `int[]` parameter. `pollable IS NOT FALSE` is the partial index's own condition.
 */
function pgPollable(codes: string): string {
  return `(r.pollable IS NOT FALSE AND (r.pollable OR r.event = ANY(${codes}::int[])))`;
}

/**
 * The Event API list's ORDER BY terms in PostgreSQL, the same order as the SQLite store's: absent added fields last in
 * both directions, integers before strings ascending, strings by code point (`COLLATE "C"`, not the database locale).
 */
const POSTGRES_EVENT_ORDER: EventOrderDialect = {
  column: (field, direction) => (field === 'seq' ? `r.seq ${direction}` : field === 'createdAt' ? `r.created_at ${direction}` : `r.event_name COLLATE "C" ${direction}`),
  extra(path, direction) {
    const value = `(r.extra::jsonb #> '{${path.join(',')}}')`;
    return [
      `coalesce(jsonb_typeof(${value}), 'null') = 'null'`,
      `jsonb_typeof(${value}) = 'string' ${direction}`,
      `CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value} #>> '{}')::numeric END ${direction}`,
      `CASE WHEN jsonb_typeof(${value}) = 'string' THEN ${value} #>> '{}' END COLLATE "C" ${direction}`,
    ];
  },
};

/**
 * Errors after which an append is tried again (once, locked): a concurrent insert of the same id, or of the same
 * position by an append on a tail that was not the log's, or a deadlock.
 */
function isRetryable(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown };
  const raced = e.constraint === 'records_id' || e.constraint === 'records_log_seq' || e.constraint === 'merkle_nodes_pkey';
  return (e.code === '23505' && raced) || e.code === '40P01' || e.code === '40001';
}

/** How long a log another node appended to is appended to the locked way only. */
const CONTENDED_MS = 1_000;

/** The batch's record indexes per tenant key, each in input order. */
function groupByTenant(records: readonly PendingRecord[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  records.forEach((r, i) => {
    const key = tenantKey(r.tenantId);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  return groups;
}

/** A log's head as a batch seals against it: its compact range advances record by record. */
interface Head {
  readonly logId: number;
  readonly origin: string;
  readonly range: CompactRange;
}

/** What this node expects a log's head to be once its appends in flight have committed. */
interface Tail extends Head {
  readonly root: Buffer;
  /** Which reading of the head this tail continues: changes when the tail is forgotten or read again. */
  readonly generation: number;
}

/** A batch sealed: its results and its statements' parameters. */
interface Sealed {
  readonly results: AppendResult[];
  readonly insert: unknown[] | undefined;
  readonly nodes: [number[], number[], number[], Buffer[]];
  readonly updated: [number[], number[], Buffer[], Buffer[]];
  readonly minuteCounts: number[][];
  /** The new root of each log the batch added records to. */
  readonly roots: Map<string, Buffer>;
}

/**
 * An append on the tails that must be done the locked way: a log head was not what it sealed against (`moved` when
 * the database's head differed), or the batch needs the ids' lookup.
 */
class TailMissed extends Error {
  constructor(
    readonly key: string,
    readonly moved: boolean,
  ) {
    super(`The head of log "${key}" moved`);
  }
}

/**
 * This node's appends to one log. Appends on the tail run side by side, each sealed on the tail the previous one
 * left and advancing the head in that order (`takeTurn`); a locked append (the tail unknown, or another node
 * appending) waits for them to end and they wait for it, so the two kinds never race on one log.
 */
class LogState {
  tail: Tail | undefined;
  generation = 0;
  /** Until when another node is taken to be appending to the log (ms since the epoch). */
  contendedUntil = 0;
  /** Locked appends waiting or running, and a promise settled when the last of them has ended. */
  lockedPending = 0;
  lockedDone: Promise<void> = Promise.resolve();
  #onTail = 0;
  #drained: (() => void) | undefined;
  #turn: Promise<void> = Promise.resolve();

  enter(): void {
    this.#onTail++;
  }

  leave(): void {
    if (--this.#onTail === 0) {
      this.#drained?.();
      this.#drained = undefined;
    }
  }

  /** The previous append's turn to advance the head, and the end of this one's (idempotent). */
  takeTurn(): { previous: Promise<void>; done: () => void } {
    const previous = this.#turn;
    let done!: () => void;
    this.#turn = new Promise<void>((resolve) => (done = resolve));
    return { previous, done };
  }

  /** Drops the tail, unless it was read again since `generation`. */
  forget(generation: number | undefined): void {
    if (this.tail !== undefined && this.tail.generation === generation) {
      this.tail = undefined;
      this.generation++;
    }
  }

  /** The head a locked append committed. */
  know(head: Head & { readonly root: Buffer }): void {
    this.generation++;
    this.tail = { ...head, generation: this.generation };
  }

  /** Takes the log for a locked append, after the locked appends before it and the appends on the tail; returns the release. */
  async lock(): Promise<() => void> {
    this.lockedPending++;
    const previous = this.lockedDone;
    let release!: () => void;
    this.lockedDone = new Promise<void>((resolve) => (release = resolve));
    await previous;
    if (this.#onTail > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    return () => {
      this.lockedPending--;
      release();
    };
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Parses int8 (and int8[]) to JS numbers for this pool only: the global pg parser is left alone. */
function typeOverrides(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, 'text', (v: string) => Number(v));
  return types;
}

/**
 * The PostgreSQL store, for one or many Tamga nodes sharing a database.
 *
 * Appends run in one transaction per batch: the heads of the batch's tenant logs are row-locked
 * (`SELECT … FOR UPDATE`) in sorted tenant order, so appends to one log are serialized across all nodes
 * and `seq` stays contiguous; the records, Merkle nodes and heads are then written with one multi-row
 * statement each.
 */
export class PostgresJournalStore implements JournalStore {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #clientConfig: pg.ClientConfig;
  readonly #outcomeTimeoutMs: number;
  /** Tenant → log id; a log, once created, never changes id. */
  readonly #logIds = new Map<string, number>();
  /** Tenant key → this node's appends to its log. */
  readonly #logStates = new Map<string, LogState>();
  /** Dedicated session holding (or trying to take) the checkpoint leadership lock. */
  #leader: pg.Client | undefined;
  #leading = false;
  #leaderQueue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(pool: pg.Pool, schema: string, clientConfig: pg.ClientConfig) {
    this.#pool = pool;
    this.#schema = schema;
    this.#clientConfig = clientConfig;
    this.#outcomeTimeoutMs = clientConfig.connectionTimeoutMillis ?? 5_000;
  }

  /** Connects, then creates the schema, tables, indexes and triggers when missing. */
  static async connect(config: PostgresJournalStoreConfig): Promise<PostgresJournalStore> {
    const schema = config.schema ?? 'tamga';
    if (!SCHEMA_NAME.test(schema)) {
      throw new TamgaError('CONFIG_INVALID', 'The PostgreSQL schema must be a lower-case SQL identifier', { field: 'schema' });
    }
    const statementTimeout = config.statementTimeoutMillis ?? 10_000;
    // Every wait on the database is bounded (issue #10): connecting, each statement on the server, each answer on
    // the client (a frozen server cannot cancel its own statement), a dead peer (TCP keepalive), a session whose
    // client vanished mid-transaction (it holds log-head locks).
    const clientConfig: pg.ClientConfig = {
      connectionString: config.url,
      options: `-c search_path=${schema}`,
      types: typeOverrides(),
      connectionTimeoutMillis: config.connectionTimeoutMillis ?? 5_000,
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + CLIENT_TIMEOUT_GRACE_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
      application_name: (config.applicationName ?? 'tamga').slice(0, 63),
    };
    const pool = new pg.Pool({ ...clientConfig, max: config.poolSize ?? 10, idleTimeoutMillis: 30_000 });
    // An idle client losing its connection emits here; without a listener the process would exit.
    // The next query on the pool fails and is reported as STORE_UNAVAILABLE.
    pool.on('error', () => undefined);
    const store = new PostgresJournalStore(pool, schema, clientConfig);
    try {
      await store.#migrate();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw wrapPostgresError(error, 'create the schema');
    }
    return store;
  }

  /** The schema holding the tables. */
  get schema(): string {
    return this.#schema;
  }

  /**
   * The signals of the nodes sharing this schema (LISTEN on a session of its own, NOTIFY through the pool); the
   * caller starts and closes them, before closing the store.
   */
  openSignals(): ClusterSignals {
    return new PostgresSignals(this.#pool, this.#clientConfig, this.#schema);
  }

  /** The connection pool, for tests that tamper with rows the way an insider would. */
  get pool(): pg.Pool {
    return this.#pool;
  }

  async #migrate(): Promise<void> {
    await this.#transaction(async (client) => {
      const long = (text: string, values?: unknown[]): pg.QueryConfig & { query_timeout: number } => ({
        text,
        ...(values !== undefined && { values }),
        query_timeout: MIGRATION_TIMEOUT_MS,
      });
      await client.query(long(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`));
      // Serializes concurrent starts: CREATE … IF NOT EXISTS is not safe against a concurrent create.
      await client.query(long('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SCHEMA_LOCK_CLASS, this.#schema]));
      await client.query(long(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(this.#schema)}`));
      // A schema this very text already built, with all its triggers in place, is left alone: its ALTER TABLEs and
      // trigger changes take an exclusive lock on records even when there is nothing to do, which deadlocks against
      // another node's CREATE INDEX CONCURRENTLY (the text index, built in the background after a start). A trigger
      // someone dropped or disabled makes the start build the schema again, as before. Only the triggers of this
      // schema text's own tables count: the catalogue and forwarding stores add theirs to the same schema after it.
      const triggers = async (): Promise<number> =>
        Number(
          (
            await client.query<{ n: string }>(
              long(
                `SELECT count(*) AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                  WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal AND t.tgenabled <> 'D'
                    AND c.relname = ANY($1)`,
                [JOURNAL_TRIGGER_TABLES],
              ),
            )
          ).rows[0]?.n ?? 0,
        );
      const present = await client.query<{ present: boolean }>(long(`SELECT to_regclass('schema_built') IS NOT NULL AS present`));
      if (present.rows[0]?.present === true) {
        const applied = await client.query<{ digest: string; triggers: number }>(long('SELECT digest, triggers FROM schema_built WHERE id = 1'));
        const row = applied.rows[0];
        if (row !== undefined && row.digest === SCHEMA_DIGEST && row.triggers === (await triggers())) return;
      }
      // A journal made before records.ip_search: its column is added by the schema and filled here (fillIpSearch).
      const lacksIpSearch =
        (
          await client.query(
            long(`SELECT 1 FROM information_schema.tables t WHERE t.table_schema = current_schema() AND t.table_name = 'records'
                    AND NOT EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = t.table_schema
                                      AND c.table_name = 'records' AND c.column_name = 'ip_search')`),
          )
        ).rows.length > 0;
      await client.query(long(POSTGRES_SCHEMA));
      if (lacksIpSearch) await fillIpSearch(client, long);
      await keyColumnsToC(client, long);
      await client.query(long('CREATE TABLE IF NOT EXISTS schema_built (id INT PRIMARY KEY, digest TEXT NOT NULL, triggers INT NOT NULL)'));
      await client.query(
        long('INSERT INTO schema_built (id, digest, triggers) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET digest = $1, triggers = $2', [
          SCHEMA_DIGEST,
          await triggers(),
        ]),
      );
    });
  }

  /** Drops the schema with everything in it (tests only), then closes the store. */
  async dropSchema(): Promise<void> {
    // A text index still being built CONCURRENTLY (here or by another store on the schema) waits for the DROP's
    // transaction while the DROP waits for its lock: PostgreSQL breaks that deadlock by failing one; try again.
    await this.#textIndexBuild?.catch(() => undefined);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#pool.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(this.#schema)} CASCADE`);
        break;
      } catch (error) {
        if ((error as { code?: string }).code === '40P01' && attempt < 5) continue;
        throw wrapPostgresError(error, 'drop the schema');
      }
    }
    this.#logIds.clear();
    this.#logStates.clear();
  }

  /** Runs `fn` in a transaction on one pooled connection; rolls back on error. */
  #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inPostgresTransaction(this.#pool, fn, this.#outcomeTimeoutMs);
  }

  async append(records: readonly PendingRecord[], sealer: Sealer): Promise<AppendResult[]> {
    if (records.length === 0) return [];
    const groups = groupByTenant(records);
    const keys = [...groups.keys()].sort();
    try {
      const states = await this.#awaitLockedAppends(keys);
      if (states !== undefined) {
        try {
          return await this.#transaction((client) => this.#appendOnTails(client, records, groups, keys, states, sealer));
        } catch (error) {
          // A miss or a failure (COMMIT's too): the tails are no longer known. A miss or a lost race is tried again the
          // locked way, which reads the heads.
          for (const state of states) state.forget(state.tail?.generation);
          if (!(error instanceof TailMissed) && !isRetryable(error)) throw error;
        } finally {
          for (const state of states) state.leave();
        }
      }
      return await this.#appendLocked(records, groups, keys, sealer);
    } catch (error) {
      throw wrapPostgresError(error, 'append');
    }
  }

  /**
   * Waits until no locked append of these logs is pending on this node; then, when this node knows every one's tail
   * and none is contended by another node, enters them for an append on the tails (the caller leaves them).
   * Undefined: the batch takes the locked way.
   */
  async #awaitLockedAppends(keys: readonly string[]): Promise<LogState[] | undefined> {
    const states = keys.map((key) => this.#logState(key));
    for (;;) {
      const locked = states.find((state) => state.lockedPending > 0);
      if (locked === undefined) break;
      await locked.lockedDone;
    }
    const now = Date.now();
    if (!states.every((state) => state.tail !== undefined && now >= state.contendedUntil)) return undefined;
    for (const state of states) state.enter();
    return states;
  }

  #logState(key: string): LogState {
    let state = this.#logStates.get(key);
    if (state === undefined) {
      state = new LogState();
      this.#logStates.set(key, state);
    }
    return state;
  }

  /**
   * The append on the tails: sealed against the heads this node expects once its appends in flight have committed,
   * the records and Merkle nodes inserted without any lock on the log heads, which are then advanced only if they
   * are still what the seal assumed (the UPDATE waits for the previous append's commit). So the next batch's insert
   * runs while this one commits, and the head row is held only for the UPDATE, the per-minute counts and COMMIT.
   */
  async #appendOnTails(
    client: pg.PoolClient,
    records: readonly PendingRecord[],
    groups: ReadonlyMap<string, number[]>,
    keys: readonly string[],
    states: readonly LogState[],
    sealer: Sealer,
  ): Promise<AppendResult[]> {
    // No lookup of the ids: the insert's unique index refuses a stored one, and the locked way then looks them up (a
    // retry is rare; a new batch saves a round trip and an index probe per record). Repeats within the batch are
    // found here; a conflict among them is reported by the locked way too, with any conflicts with stored events.
    let repeats: ReturnType<typeof findRepeats>;
    try {
      repeats = findRepeats(records, new Map());
    } catch {
      throw new TailMissed('', false);
    }
    // From here to the tails' advance, nothing awaits: batches seal one after another on the tail the previous left.
    const heads = new Map<string, Head>();
    const taken: { state: LogState; tail: Tail }[] = [];
    keys.forEach((key, k) => {
      const tail = states[k]!.tail;
      if (tail === undefined) throw new TailMissed(key, false); // another batch failed meanwhile
      taken.push({ state: states[k]!, tail });
      heads.set(key, { logId: tail.logId, origin: tail.origin, range: tail.range.clone() });
    });
    const built = this.#seal(records, groups, keys, heads, repeats, sealer);
    const turns = taken.map(({ state, tail }, k) => {
      const head = heads.get(keys[k]!)!;
      state.tail = { ...tail, range: head.range, root: built.roots.get(keys[k]!) ?? tail.root };
      return state.takeTurn();
    });
    try {
      await this.#insert(client, built);
      for (const [k, { tail }] of taken.entries()) {
        const key = keys[k]!;
        const head = heads.get(key)!;
        // The previous batch's UPDATE first: this one then waits on its row lock for its commit, instead of finding
        // the head not yet advanced.
        await turns[k]!.previous;
        if (head.range.size === tail.range.size) continue;
        const advanced = await client.query({
          name: 'tamga_advance_log',
          text: ADVANCE_LOG,
          values: [tail.logId, head.range.size, built.roots.get(key), head.range.toBytes(), tail.range.size, tail.root],
        });
        if (advanced.rows.length === 0) throw new TailMissed(key, true);
        turns[k]!.done();
      }
      await this.#addMinuteCounts(client, built);
    } catch (error) {
      for (const { state, tail } of taken) {
        // Contended: the head moved under a tail no earlier failure here had dropped, so another node appended.
        if (error instanceof TailMissed && error.moved && state.generation === tail.generation) state.contendedUntil = Date.now() + CONTENDED_MS;
        state.forget(tail.generation);
      }
      throw error;
    } finally {
      for (const turn of turns) turn.done();
    }
    return built.results;
  }

  /**
   * The locked append: the heads of the batch's tenant logs are row-locked in sorted order (no deadlock between two
   * batches), then sealed and written. Taken when this node does not know a log's tail (its first append, after a
   * failure) or while another node appends to the same log; retried once after a lost race on an id or a deadlock.
   */
  async #appendLocked(
    records: readonly PendingRecord[],
    groups: ReadonlyMap<string, number[]>,
    keys: readonly string[],
    sealer: Sealer,
  ): Promise<AppendResult[]> {
    const states = keys.map((key) => this.#logState(key));
    const releases: (() => void)[] = [];
    // Sorted, like the row locks: two locked batches of this node never wait on each other crosswise.
    for (const state of states) releases.push(await state.lock());
    try {
      const heads = new Map<string, Head>();
      const attempt = (): Promise<AppendResult[]> =>
        this.#transaction(async (client) => {
          const now = Date.now() * 1000;
          for (const key of keys) {
            const tenantId = records[groups.get(key)![0]!]!.tenantId;
            const log = await this.#lockLog(client, key, tenantId, sealer, now);
            heads.set(key, { logId: log.log_id, origin: log.origin, range: CompactRange.fromBytes(log.size, log.frontier) });
          }
          // Looked up after the locks: a concurrent batch of the same tenant has committed by now.
          const repeats = await this.#findRepeats(client, records);
          const built = this.#seal(records, groups, keys, heads, repeats, sealer);
          await this.#insert(client, built);
          if (built.updated[0].length > 0) await client.query({ name: 'tamga_update_logs', text: UPDATE_LOGS, values: built.updated });
          await this.#addMinuteCounts(client, built);
          return built.results;
        });
      let results: AppendResult[];
      try {
        try {
          results = await attempt();
        } catch (error) {
          // Another node stored one of our new ids (in another tenant's log, or between our lookup and
          // insert): once retried, the lookup sees it as a duplicate.
          if (!isRetryable(error)) throw error;
          results = await attempt();
        }
      } catch (error) {
        // The outcome may be unknown: the heads are read again next time.
        for (const state of states) state.forget(state.tail?.generation);
        throw error;
      }
      keys.forEach((key, k) => {
        const head = heads.get(key)!;
        states[k]!.know({ ...head, root: head.range.root() });
      });
      return results;
    } finally {
      for (const release of releases) release();
    }
  }

  /** The batch's ids already stored, and which of its records repeat one (decision 0013). */
  async #findRepeats(client: pg.PoolClient, records: readonly PendingRecord[]): Promise<ReturnType<typeof findRepeats>> {
    const stored = new Map<string, StoredEvent>();
    const ids = [...new Set(records.map((r) => r.id))];
    const found = await client.query<RecordRow>({
      name: 'tamga_find_ids',
      text: `SELECT ${RECORD_COLUMNS} FROM records r WHERE r.id = ANY($1::text[])`,
      values: [ids],
    });
    for (const row of found.rows) {
      const result = { id: row.id, tenantId: row.tenant_id, seq: row.seq, signature: row.signature, sigKid: row.sig_kid, duplicate: true };
      stored.set(row.id, { result, content: toStoredRecord({ ...row, origin: '' }) });
    }
    return findRepeats(records, stored);
  }

  /** Seals the batch's new records on `heads` (advanced in place) and lays out the statements' parameters. */
  #seal(
    records: readonly PendingRecord[],
    groups: ReadonlyMap<string, number[]>,
    keys: readonly string[],
    heads: ReadonlyMap<string, Head>,
    repeats: ReturnType<typeof findRepeats>,
    sealer: Sealer,
  ): Sealed {
    const results = new Array<AppendResult | undefined>(records.length);
    const cols: (string | number | null | undefined)[][] = Array.from({ length: 20 }, () => []);
    const bytes = [new PackedBytes(), new PackedBytes(), new PackedBytes()] as const;
    const pollable: (boolean | null)[] = [];
    const subjects: (string | null)[] = [];
    const entityValues: (string | null)[] = [];
    const nodes: [number[], number[], number[], Buffer[]] = [[], [], [], []];
    const updated: [number[], number[], Buffer[], Buffer[]] = [[], [], [], []];
    const minuteCounts: number[][] = [[], [], [], [], [], [], []];
    const roots = new Map<string, Buffer>();
    for (const key of keys) {
      const log = heads.get(key)!;
      const tenantId = key === '' ? null : key;
      const range = log.range;
      const before = range.size;
      const logId = log.logId;
      const onNode = (level: number, index: number, hash: Buffer): void => {
        if (level > 0 && level % STORED_LEVEL_STRIDE === 0) {
          nodes[0].push(logId);
          nodes[1].push(level);
          nodes[2].push(index);
          nodes[3].push(hash);
        }
      };
      const tally = new MinuteTally();
      for (const i of groups.get(key)!) {
        const pending = records[i]!;
        const repeat = repeats[i];
        if (repeat !== undefined) {
          results[i] = typeof repeat === 'number' ? { ...results[repeat]!, duplicate: true } : repeat;
          continue;
        }
        const fields = sealedFields(pending, log.origin, range.size, sealer.sigKid);
        const seal = sealer.seal(fields);
        const row = [
          logId,
          fields.seq,
          fields.id,
          fields.event,
          fields.eventName,
          fields.entityData === null ? null : JSON.stringify(fields.entityData),
          fields.userId,
          fields.apiCreatedAt,
          fields.createdAt,
          fields.text,
          fields.ip,
          fields.tenantId,
          fields.nodeId,
          fields.operationKey,
          fields.classifiedEvent,
          fields.severity,
          fields.outcome,
          Object.keys(fields.extra).length === 0 ? null : JSON.stringify(fields.extra),
          fields.sigKid,
          seal.signature,
        ];
        for (let c = 0; c < row.length; c++) cols[c]!.push(row[c]);
        bytes[0].push(seal.canonical);
        bytes[1].push(seal.leafHash);
        bytes[2].push(seal.payloadSalt);
        pollable.push(fields.extra.pollable ?? null);
        subjects.push(pending.subject ?? null);
        entityValues.push(entitySearchText(fields.entityData));
        range.append(seal.leafHash, onNode);
        tally.add(fields.createdAt, fields.event, fields.classifiedEvent, fields.seq);
        results[i] = { id: fields.id, tenantId, seq: fields.seq, signature: seal.signature, sigKid: fields.sigKid, duplicate: false };
      }
      if (range.size !== before) {
        const root = range.root();
        roots.set(key, root);
        updated[0].push(logId);
        updated[1].push(range.size);
        updated[2].push(root);
        updated[3].push(range.toBytes());
      }
      for (const c of tally.counts()) {
        [c.minute, logId, c.event, c.classifiedEvent, c.n, c.minSeq, c.maxSeq].forEach((v, i) => minuteCounts[i]!.push(v));
      }
    }
    const insert =
      cols[0]!.length === 0
        ? undefined
        : [
            ...cols.map(arrayLiteral),
            ...bytes.flatMap((b) => [arrayLiteral(b.starts), arrayLiteral(b.lengths)]),
            ...bytes.map((b) => b.concat()),
            arrayLiteral(pollable),
            arrayLiteral(subjects),
            arrayLiteral(entityValues),
          ];
    return { results: results as AppendResult[], insert, nodes, updated, minuteCounts, roots };
  }

  /** Inserts the sealed records and the Merkle nodes they complete. */
  async #insert(client: pg.PoolClient, sealed: Sealed): Promise<void> {
    if (sealed.insert !== undefined) await client.query({ name: 'tamga_insert_records', text: INSERT_RECORDS, values: sealed.insert });
    if (sealed.nodes[0].length > 0) await client.query({ name: 'tamga_insert_nodes', text: INSERT_NODES, values: sealed.nodes });
  }

  async #addMinuteCounts(client: pg.PoolClient, sealed: Sealed): Promise<void> {
    if (sealed.minuteCounts[0]!.length > 0) {
      await client.query({ name: 'tamga_add_minute_counts', text: ADD_MINUTE_COUNTS, values: sealed.minuteCounts });
    }
  }

  /** Locks a tenant's log head for this transaction, creating the log when it does not exist yet. */
  async #lockLog(client: pg.PoolClient, key: string, tenantId: string | null, sealer: Sealer, now: number): Promise<LogRow> {
    const lock = { name: 'tamga_lock_log', text: `SELECT ${LOG_COLUMNS} FROM logs WHERE tenant_key = $1 FOR UPDATE`, values: [key] };
    const head = await client.query<LogRow>(lock);
    if (head.rows[0]) return head.rows[0];
    // A row this transaction inserts is ours until commit; a concurrent creator makes ON CONFLICT wait
    // for its commit, after which the head is locked like any other.
    const empty = CompactRange.empty();
    const created = await client.query<LogRow>(
      `INSERT INTO logs (tenant_key, origin, size, root_hash, frontier, created_at) VALUES ($1, $2, 0, $3, $4, $5)
       ON CONFLICT (tenant_key) DO NOTHING RETURNING ${LOG_COLUMNS}`,
      [key, sealer.originFor(tenantId), empty.root(), empty.toBytes(), now],
    );
    if (created.rows[0]) return created.rows[0];
    const again = await client.query<LogRow>(lock);
    if (!again.rows[0]) throw new StoreError('STORE_FAILED', 'PostgreSQL failed to create a log head');
    return again.rows[0];
  }

  async #where(filter: RecordFilter, params: unknown[]): Promise<string> {
    const clauses: string[] = [];
    const param = (value: unknown, cast: string): string => {
      params.push(value);
      return `$${params.length}::${cast}`;
    };
    if (filter.from !== undefined) clauses.push(`r.created_at >= ${param(filter.from, 'bigint')}`);
    if (filter.to !== undefined) clauses.push(`r.created_at < ${param(filter.to, 'bigint')}`);
    if (filter.events && filter.events.length > 0) clauses.push(`r.event = ANY(${param(filter.events, 'int[]')})`);
    if (filter.classes && filter.classes.length > 0) {
      clauses.push(`r.classified_event = ANY(${param(filter.classes, 'smallint[]')})`);
    }
    if (filter.tenants !== undefined) {
      const ids = await this.#logIdsFor(filter.tenants);
      clauses.push(ids.length > 0 ? `r.log_id = ANY(${param(ids, 'bigint[]')})` : 'false');
    }
    for (const [column, value] of [
      ['outcome', filter.outcome],
      ['operation_key', filter.operationKey],
      ['user_id', filter.userId],
      ['subject', filter.subject],
      ['node_id', filter.nodeId],
    ] as const) {
      if (value !== undefined) clauses.push(`r.${column} = ${param(value, 'text')}`);
    }
    // SEARCHED_IP, the expression of the index records_hour_ip_search.
    if (filter.ip !== undefined)
      clauses.push(`r.ip IS NOT NULL AND coalesce(r.ip_search, r.ip) = ${param(filter.ip, 'text')}`);
    const hours = filter.ip === undefined ? undefined : ipIndexHours(filter);
    if (hours !== undefined) clauses.push(`(r.created_at / ${HOUR_MICROS}) = ANY(${param(hours, 'bigint[]')})`);
    if (filter.q !== undefined && filter.q !== '') {
      // The expressions of the pg_trgm indexes (postgres-schema.ts), with LIKE's wildcards in q escaped.
      const pattern = param(`%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, 'text');
      clauses.push(`(lower(r.text) LIKE lower(${pattern}) OR lower(${entitySearchExpression('r.')}) LIKE lower(${pattern}))`);
    }
    const not = filter.exclude;
    if (not !== undefined) {
      if (not.events !== undefined && not.events.length > 0) clauses.push(`r.event <> ALL(${param(not.events, 'int[]')})`);
      if (not.classes !== undefined && not.classes.length > 0) {
        clauses.push(`r.classified_event <> ALL(${param(not.classes, 'smallint[]')})`);
      }
      if (not.tenants !== undefined) {
        const ids = await this.#logIdsFor(not.tenants);
        if (ids.length > 0) clauses.push(`r.log_id <> ALL(${param(ids, 'bigint[]')})`);
      }
      for (const [column, values] of [
        ['r.user_id', not.userIds],
        ['r.subject', not.userIds],
        ['coalesce(r.ip_search, r.ip)', not.ips],
        ['r.operation_key', not.operationKeys],
        ['r.node_id', not.nodeIds],
      ] as const) {
        if (values !== undefined && values.length > 0) {
          // `<> ALL` is NULL for a NULL column: such records have none of the values and stay.
          clauses.push(`(${column} IS NULL OR ${column} <> ALL(${param(values, 'text[]')}))`);
        }
      }
    }
    return clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  }

  async #logIdsFor(tenants: TenantScope): Promise<number[]> {
    const ids: number[] = [];
    const missing: string[] = [];
    for (const t of tenants) {
      const id = this.#logIds.get(tenantKey(t));
      if (id === undefined) missing.push(tenantKey(t));
      else ids.push(id);
    }
    if (missing.length > 0) {
      const rows = await this.#pool.query<{ log_id: number; tenant_key: string }>(
        'SELECT log_id, tenant_key FROM logs WHERE tenant_key = ANY($1::text[])',
        [missing],
      );
      for (const row of rows.rows) {
        this.#logIds.set(row.tenant_key, row.log_id);
        ids.push(row.log_id);
      }
    }
    return ids;
  }

  async queryRecords(filter: RecordFilter, limit: number, after?: RecordCursor): Promise<StoredRecord[]> {
    const parts = splitUserFilter(filter);
    if (parts.length === 1) return this.#queryRecords(filter, limit, after);
    const pages = await Promise.all(parts.map((part) => this.#queryRecords(part, limit, after)));
    return mergePages(pages, filter.order, limit);
  }

  async #queryRecords(filter: RecordFilter, limit: number, after?: RecordCursor): Promise<StoredRecord[]> {
    try {
      const params: unknown[] = [];
      let where = await this.#where(filter, params);
      const asc = filter.order === 'asc';
      if (after) {
        const cmp = asc ? '>' : '<';
        params.push(after.createdAt, after.rid);
        const [c, r] = [`$${params.length - 1}::bigint`, `$${params.length}::bigint`];
        where += `${where ? ' AND' : 'WHERE'} (r.created_at ${cmp} ${c} OR (r.created_at = ${c} AND r.rid ${cmp} ${r}))`;
      }
      const dir = asc ? 'ASC' : 'DESC';
      params.push(limit);
      const result = await this.#pool.query<RecordRow & { origin: string }>(
        `${RECORD_SELECT} ${where} ORDER BY r.created_at ${dir}, r.rid ${dir} LIMIT $${params.length}::bigint`,
        params,
      );
      return result.rows.map(toStoredRecord);
    } catch (error) {
      throw wrapPostgresError(error, 'query records');
    }
  }

  async getRecord(id: string, tenants?: TenantScope): Promise<StoredRecord | undefined> {
    try {
      const result = await this.#pool.query<RecordRow & { origin: string }>(`${RECORD_SELECT} WHERE r.id = $1::text`, [id]);
      const row = result.rows[0];
      if (!row) return undefined;
      if (tenants !== undefined && !tenants.includes(row.tenant_id)) return undefined;
      return toStoredRecord(row);
    } catch (error) {
      throw wrapPostgresError(error, 'read a record');
    }
  }

  async countRecords(filter: RecordFilter): Promise<number> {
    const parts = splitUserFilter(filter);
    if (parts.length === 1) return this.#countRecords(filter);
    const counts = await Promise.all(parts.map((part) => this.#countRecords(part)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async #countRecords(filter: RecordFilter): Promise<number> {
    try {
      const params: unknown[] = [];
      const where = await this.#where(filter, params);
      const result = await this.#pool.query<{ n: number }>(`SELECT count(*) AS n FROM records r ${where}`, params);
      return result.rows[0]!.n;
    } catch (error) {
      throw wrapPostgresError(error, 'count records');
    }
  }

  async histogram(filter: RecordFilter, bucketMicros: number, origin = filter.from ?? 0): Promise<HistogramBucket[]> {
    const parts = splitUserFilter(filter);
    if (parts.length === 1) return this.#histogram(filter, bucketMicros, origin);
    return mergeBuckets(await Promise.all(parts.map((part) => this.#histogram(part, bucketMicros, origin))));
  }

  async #histogram(filter: RecordFilter, bucketMicros: number, origin: number): Promise<HistogramBucket[]> {
    try {
      const params: unknown[] = [origin, bucketMicros];
      const where = await this.#where(filter, params);
      // Integer division truncates toward zero, as in SQLite.
      const result = await this.#pool.query<{ b: number; n: number }>(
        `SELECT (r.created_at - $1::bigint) / $2::bigint AS b, count(*) AS n FROM records r ${where} GROUP BY b ORDER BY b`,
        params,
      );
      return result.rows.map((r) => ({ start: origin + r.b * bucketMicros, count: r.n }));
    } catch (error) {
      throw wrapPostgresError(error, 'compute a histogram');
    }
  }

  async minuteCounts(filter: RecordFilter, fromMinute: number, toMinute: number, buckets?: MinuteBuckets): Promise<MinuteCount[]> {
    try {
      // A countable filter narrows only by log_id, event and classified_event, which record_minutes has too.
      const { from: _from, to: _to, ...rest } = filter;
      const { originMinute, minutes } = buckets ?? { originMinute: fromMinute, minutes: 1 };
      const params: unknown[] = [fromMinute, toMinute, originMinute, minutes];
      const where = await this.#where(rest, params);
      // r.minute >= fromMinute >= originMinute: the integer division rounds down.
      const result = await this.#pool.query<{ minute: number; n: number }>(
        `SELECT $3::bigint + (r.minute - $3::bigint) / $4::bigint * $4::bigint AS minute, sum(r.n)::bigint AS n FROM record_minutes r
         ${where} ${where ? 'AND' : 'WHERE'} r.minute >= $1::bigint AND r.minute < $2::bigint GROUP BY 1 ORDER BY 1`,
        params,
      );
      return result.rows.map((r) => ({ minute: r.minute, count: r.n }));
    } catch (error) {
      throw wrapPostgresError(error, 'read minute counts');
    }
  }

  async minuteSeqRange(logId: number, fromMinute: number, toMinute: number): Promise<SeqRange | undefined> {
    try {
      const result = await this.#pool.query<{ lo: number | null; hi: number | null }>(
        'SELECT min(min_seq) AS lo, max(max_seq) AS hi FROM record_minutes WHERE minute >= $1::bigint AND minute < $2::bigint AND log_id = $3::bigint',
        [fromMinute, toMinute, logId],
      );
      const row = result.rows[0];
      return row === undefined || row.lo === null || row.hi === null ? undefined : { from: row.lo, to: row.hi + 1 };
    } catch (error) {
      throw wrapPostgresError(error, 'find a seq range');
    }
  }

  async getLog(tenantId: string | null): Promise<LogHead | undefined> {
    try {
      const result = await this.#pool.query<LogRow>(`SELECT ${LOG_COLUMNS} FROM logs WHERE tenant_key = $1`, [tenantKey(tenantId)]);
      return result.rows[0] && toLogHead(result.rows[0]);
    } catch (error) {
      throw wrapPostgresError(error, 'read a log head');
    }
  }

  async listLogs(): Promise<LogHead[]> {
    try {
      const result = await this.#pool.query<LogRow>(`SELECT ${LOG_COLUMNS} FROM logs ORDER BY log_id`);
      return result.rows.map(toLogHead);
    } catch (error) {
      throw wrapPostgresError(error, 'list logs');
    }
  }

  async readNodes(logId: number, level: number, from: number, to: number): Promise<Buffer[]> {
    try {
      const result =
        level === 0
          ? await this.#pool.query<{ hash: Buffer }>(
              'SELECT leaf_hash AS hash FROM records WHERE log_id = $1::bigint AND seq >= $2::bigint AND seq < $3::bigint ORDER BY seq',
              [logId, from, to],
            )
          : await this.#pool.query<{ hash: Buffer }>(
              `SELECT hash FROM merkle_nodes WHERE log_id = $1::bigint AND level = $2::smallint
               AND idx >= $3::bigint AND idx < $4::bigint ORDER BY idx`,
              [logId, level, from, to],
            );
      if (result.rows.length !== to - from) {
        throw new StoreError('STORE_FAILED', `Merkle nodes missing at level ${level} [${from}, ${to}) of log ${logId}`);
      }
      return result.rows.map((r) => r.hash);
    } catch (error) {
      throw wrapPostgresError(error, 'read Merkle nodes');
    }
  }

  async addCheckpoint(cp: StoredCheckpoint): Promise<void> {
    try {
      await this.#pool.query(
        `INSERT INTO checkpoints (log_id, size, root_hash, note, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (log_id, size) DO NOTHING`,
        [cp.logId, cp.size, cp.rootHash, cp.note, cp.createdAt],
      );
    } catch (error) {
      throw wrapPostgresError(error, 'store a checkpoint');
    }
  }

  async latestCheckpoint(logId: number): Promise<StoredCheckpoint | undefined> {
    try {
      const result = await this.#pool.query<{ log_id: number; size: number; root_hash: Buffer; note: string; created_at: number }>(
        'SELECT * FROM checkpoints WHERE log_id = $1::bigint ORDER BY size DESC LIMIT 1',
        [logId],
      );
      const row = result.rows[0];
      return row && { logId: row.log_id, size: row.size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at };
    } catch (error) {
      throw wrapPostgresError(error, 'read a checkpoint');
    }
  }

  async listCheckpoints(logId: number, minSize: number, maxSize: number): Promise<StoredCheckpoint[]> {
    try {
      const result = await this.#pool.query<{ log_id: number; size: number; root_hash: Buffer; note: string; created_at: number }>(
        'SELECT * FROM checkpoints WHERE log_id = $1::bigint AND size >= $2::bigint AND size <= $3::bigint ORDER BY size',
        [logId, minSize, maxSize],
      );
      return result.rows.map((row) => ({ logId: row.log_id, size: row.size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at }));
    } catch (error) {
      throw wrapPostgresError(error, 'list checkpoints');
    }
  }

  async addCosignature(c: StoredCosignature): Promise<void> {
    try {
      await this.#pool.query(
        `INSERT INTO checkpoint_cosignatures (log_id, size, witness, line, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (log_id, size, witness) DO NOTHING`,
        [c.logId, c.size, c.witness, c.line, c.createdAt],
      );
    } catch (error) {
      throw wrapPostgresError(error, 'store a cosignature');
    }
  }

  async listCosignatures(logId: number, minSize: number, maxSize: number): Promise<StoredCosignature[]> {
    try {
      const result = await this.#pool.query<{ log_id: number; size: number; witness: string; line: string; created_at: number }>(
        `SELECT * FROM checkpoint_cosignatures WHERE log_id = $1::bigint AND size >= $2::bigint AND size <= $3::bigint
         ORDER BY size, witness`,
        [logId, minSize, maxSize],
      );
      return result.rows.map((r) => ({ logId: r.log_id, size: r.size, witness: r.witness, line: r.line, createdAt: r.created_at }));
    } catch (error) {
      throw wrapPostgresError(error, 'list cosignatures');
    }
  }

  async cosignedSize(logId: number, witness: string): Promise<number> {
    try {
      const result = await this.#pool.query<{ size: number | null }>(
        'SELECT max(size) AS size FROM checkpoint_cosignatures WHERE log_id = $1::bigint AND witness = $2',
        [logId, witness],
      );
      return Number(result.rows[0]?.size ?? 0);
    } catch (error) {
      throw wrapPostgresError(error, 'read a cosignature');
    }
  }

  async readRecordsBySeq(logId: number, from: number, to: number): Promise<StoredRecord[]> {
    try {
      const result = await this.#pool.query<RecordRow & { origin: string }>(
        `${RECORD_SELECT} WHERE r.log_id = $1::bigint AND r.seq >= $2::bigint AND r.seq < $3::bigint ORDER BY r.seq`,
        [logId, from, to],
      );
      return result.rows.map(toStoredRecord);
    } catch (error) {
      throw wrapPostgresError(error, 'read records by seq');
    }
  }

  async pollRecords(logId: number, fromSeq: number, limit: number, legacyPollable: readonly number[]): Promise<StoredRecord[]> {
    try {
      const result = await this.#pool.query<RecordRow & { origin: string }>({
        name: 'tamga_poll_records',
        text: `${RECORD_SELECT} WHERE r.log_id = $1::bigint AND r.seq >= $2::bigint AND ${pgPollable('$3')} ORDER BY r.seq LIMIT $4::bigint`,
        values: [logId, fromSeq, legacyPollable, limit],
      });
      return result.rows.map(toStoredRecord);
    } catch (error) {
      throw wrapPostgresError(error, 'poll records');
    }
  }

  async listEventRecords(query: EventListQuery): Promise<StoredRecord[]> {
    try {
      const params: unknown[] = [];
      const param = (value: unknown, cast: string): string => {
        params.push(value);
        return `$${params.length}::${cast}`;
      };
      const clauses = [`r.log_id = ${param(query.logId, 'bigint')}`];
      if (query.pollable === true) clauses.push(pgPollable(`$${params.push(query.legacyPollable)}`));
      else if (query.pollable === false) {
        clauses.push(`(r.pollable = false OR (r.pollable IS NULL AND r.event <> ALL(${param(query.legacyPollable, 'int[]')})))`);
      }
      if (query.events !== undefined) clauses.push(`r.event = ANY(${param(query.events, 'int[]')})`);
      if (query.userId !== undefined) clauses.push(`r.user_id = ${param(query.userId, 'text')}`);
      if (query.baseType !== undefined) {
        const baseType = param(query.baseType, 'text');
        clauses.push(
          `((r.extra::jsonb #>> '{object,baseType}') = ${baseType} OR (upper(r.extra::jsonb #>> '{object,schema}') = 'BASE' AND (r.extra::jsonb #>> '{object,type}') = ${baseType}))`,
        );
      }
      if (query.from !== undefined) clauses.push(`r.created_at >= ${param(query.from, 'bigint')}`);
      if (query.to !== undefined) clauses.push(`r.created_at <= ${param(query.to, 'bigint')}`);
      if (query.seqFrom !== undefined) clauses.push(`r.seq >= ${param(query.seqFrom, 'bigint')}`);
      if (query.seqTo !== undefined) clauses.push(`r.seq < ${param(query.seqTo, 'bigint')}`);
      const limit = param(query.limit, 'bigint');
      const offset = param(query.offset, 'bigint');
      const result = await this.#pool.query<RecordRow & { origin: string }>(
        `${RECORD_SELECT} WHERE ${clauses.join(' AND ')} ORDER BY ${eventOrderBy(query.sort, POSTGRES_EVENT_ORDER)} LIMIT ${limit} OFFSET ${offset}`,
        params,
      );
      return result.rows.map(toStoredRecord);
    } catch (error) {
      throw wrapPostgresError(error, 'list records');
    }
  }

  async seqRangeForTime(logId: number, fromMicros: number | undefined, toMicros: number | undefined): Promise<SeqRange | undefined> {
    try {
      const result = await this.#pool.query<{ lo: number | null; hi: number | null }>(
        'SELECT min(seq) AS lo, max(seq) AS hi FROM records WHERE log_id = $1::bigint AND created_at >= $2::bigint AND created_at < $3::bigint',
        [logId, fromMicros ?? Number.MIN_SAFE_INTEGER, toMicros ?? Number.MAX_SAFE_INTEGER],
      );
      const row = result.rows[0];
      return row === undefined || row.lo === null || row.hi === null ? undefined : { from: row.lo, to: row.hi + 1 };
    } catch (error) {
      throw wrapPostgresError(error, 'find a seq range');
    }
  }

  async erasePayloads(selector: ErasureSelector): Promise<ErasedRecord[]> {
    try {
      const set = 'UPDATE records SET entity_data = NULL, text = NULL, payload_salt = NULL, entity_values = NULL, redacted = true';
      const result =
        'ids' in selector
          ? await this.#pool.query<{ id: string; tenant_id: string | null; seq: number }>(
              `${set} WHERE id = ANY($1::text[]) AND NOT redacted RETURNING id, tenant_id, seq`,
              [selector.ids],
            )
          : await this.#pool.query<{ id: string; tenant_id: string | null; seq: number }>(
              `${set} WHERE (user_id = $1::text OR subject = $1::text) AND NOT redacted RETURNING id, tenant_id, seq`,
              [selector.userId],
            );
      return result.rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, seq: r.seq }));
    } catch (error) {
      throw wrapPostgresError(error, 'erase payloads');
    }
  }

  async searchIndexStatus(): Promise<SearchIndexStatus> {
    try {
      const result = await this.#pool.query<{ valid: boolean }>(
        // to_regclass: NULL for an index not created yet (a ::regclass cast would fail).
        `SELECT coalesce(bool_and(i.indisvalid), false) AND count(*) = $1 AS valid FROM pg_index i
         WHERE i.indexrelid IN (SELECT to_regclass(name) FROM unnest($2::text[]) AS name)`,
        [TEXT_INDEXES.length, TEXT_INDEXES.map((name) => `${this.#schema}.${name}`)],
      );
      // Kept by each append's transaction: nothing is ever pending; before it is built, searches scan.
      return { pending: 0, behindMicros: 0, ...(result.rows[0]?.valid !== true && { building: true }) };
    } catch (error) {
      throw wrapPostgresError(error, 'read the search index status');
    }
  }

  startSearchIndex(onError?: (error: unknown) => void): void {
    this.#textIndexBuild ??= this.#buildTextIndexes().catch((error: unknown) => {
      this.#textIndexBuild = undefined;
      onError?.(error);
    });
  }

  async indexText(): Promise<void> {
    this.#textIndexBuild ??= this.#buildTextIndexes();
    await this.#textIndexBuild;
  }

  #textIndexBuild: Promise<void> | undefined;

  /**
   * Creates pg_trgm (when this role may and it is missing) and the text indexes, CONCURRENTLY: appends go on while an
   * existing journal is indexed. One node builds at a time (an advisory lock); an index a failed build left invalid
   * is dropped and built again. Statements run without a timeout: a large journal takes minutes.
   */
  async #buildTextIndexes(): Promise<void> {
    const client = new pg.Client({ ...this.#clientConfig, statement_timeout: 0, query_timeout: undefined });
    client.on('error', () => undefined);
    this.#textIndexClient = client;
    await client.connect();
    try {
      const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [TEXT_INDEX_LOCK_CLASS, this.#schema]);
      if (locked.rows[0]?.ok !== true) return;
      const installed = async (): Promise<string | undefined> =>
        (await client.query<{ schema: string }>("SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pg_trgm'")).rows[0]?.schema;
      let schema = await installed();
      if (schema === undefined) {
        // In public when there is one: an extension in Tamga's schema would go with it, and with it every other
        // schema's text indexes.
        const hasPublic = (await client.query("SELECT to_regnamespace('public') IS NOT NULL AS ok")).rows[0]?.ok === true;
        await client.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA ${hasPublic ? 'public' : pg.escapeIdentifier(this.#schema)}`);
        schema = await installed();
      }
      if (schema === undefined) throw new StoreError('STORE_FAILED', 'PostgreSQL has no pg_trgm extension: text search scans');
      for (const name of TEXT_INDEXES) {
        const invalid = await client.query('SELECT 1 FROM pg_index WHERE indexrelid = to_regclass($1) AND NOT indisvalid', [`${this.#schema}.${name}`]);
        if (invalid.rows.length > 0) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${pg.escapeIdentifier(name)}`);
      }
      for (const statement of textIndexStatements(`${pg.escapeIdentifier(schema)}.gin_trgm_ops`)) await client.query(statement);
    } finally {
      this.#textIndexClient = undefined;
      await client.end().catch(() => undefined);
    }
  }

  #textIndexClient: pg.Client | undefined;

  async backfillSubjects(subjectOf: SubjectOf, span: number): Promise<{ filled: number; remaining: number }> {
    try {
      return await this.#transaction(async (client) => {
        // FOR UPDATE: the nodes sharing the database take the slices one after the other.
        const state = (await client.query<{ through: string; until: string }>('SELECT through, until FROM subject_backfill WHERE id = 1 FOR UPDATE')).rows[0];
        if (state === undefined) return { filled: 0, remaining: 0 };
        const through = Number(state.through);
        const until = Number(state.until);
        const to = Math.min(until, through + span);
        if (to <= through) return { filled: 0, remaining: 0 };
        const rows = await client.query<{ rid: string; tenant_id: string | null; event: number; entity_data: string }>(
          `SELECT rid, tenant_id, event, entity_data FROM records
           WHERE rid > $1::bigint AND rid <= $2::bigint AND user_id IS NULL AND subject IS NULL AND entity_data IS NOT NULL`,
          [through, to],
        );
        const rids: string[] = [];
        const subjects: string[] = [];
        for (const row of rows.rows) {
          const subject = subjectOf({ tenantId: row.tenant_id, event: row.event, entityData: row.entity_data });
          if (subject !== null) {
            rids.push(row.rid);
            subjects.push(subject);
          }
        }
        const filled =
          rids.length === 0
            ? 0
            : ((
                await client.query(
                  `UPDATE records r SET subject = v.subject FROM unnest($1::bigint[], $2::text[]) AS v(rid, subject)
                   WHERE r.rid = v.rid AND r.user_id IS NULL AND r.subject IS NULL`,
                  [rids, subjects],
                )
              ).rowCount ?? 0);
        await client.query('UPDATE subject_backfill SET through = $1::bigint WHERE id = 1', [to]);
        return { filled, remaining: until - to };
      });
    } catch (error) {
      throw wrapPostgresError(error, 'fill the subjects of older records');
    }
  }

  async suggestUsers(prefix: string, tenants: TenantScope | undefined, limit: number): Promise<string[]> {
    try {
      const logIds = tenants === undefined ? undefined : await this.#logIdsFor(tenants);
      if (logIds !== undefined && logIds.length === 0) return [];
      const names = new Set<string>();
      for (const column of ['user_id', 'subject'] as const) {
        // One seek per distinct name on the (column, created_at) index: never a walk over a name's records.
        const seek = async (cmp: '>' | '>=', value: string): Promise<string | undefined> =>
          (
            await this.#pool.query<{ name: string }>(
              `SELECT ${column} AS name FROM records WHERE ${column} IS NOT NULL AND ${column} ${cmp} $1::text ORDER BY ${column} LIMIT 1`,
              [value],
            )
          ).rows[0]?.name;
        const visible = async (name: string): Promise<boolean> =>
          logIds === undefined ||
          (await this.#pool.query(`SELECT 1 FROM records WHERE ${column} = $1::text AND log_id = ANY($2::bigint[]) LIMIT 1`, [name, logIds])).rows.length > 0;
        let name = await seek('>=', prefix);
        let found = 0;
        for (let probes = 0; name !== undefined && name.startsWith(prefix) && found < limit && probes < MAX_SUGGEST_PROBES; probes++) {
          if (await visible(name)) {
            names.add(name);
            found++;
          }
          name = await seek('>', name);
        }
      }
      return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).slice(0, limit);
    } catch (error) {
      throw wrapPostgresError(error, 'suggest users');
    }
  }

  async purgeState(logId: number): Promise<PurgeState | undefined> {
    try {
      const result = await this.#pool.query<{ log_id: number; purged_to: number; root_at_cut: Buffer; newest_purged: number; updated_at: number }>(
        'SELECT * FROM log_purges WHERE log_id = $1::bigint',
        [logId],
      );
      const row = result.rows[0];
      return row && { logId: row.log_id, purgedTo: row.purged_to, rootAtCut: row.root_at_cut, newestPurged: row.newest_purged, updatedAt: row.updated_at };
    } catch (error) {
      throw wrapPostgresError(error, 'read the purge state');
    }
  }

  async readRetentionFacts(logId: number, from: number, to: number): Promise<RetentionFact[]> {
    try {
      const result = await this.#pool.query<{ seq: number; created_at: number; classified_event: number; user_id: string | null; operation_key: string | null }>(
        `SELECT seq, created_at, classified_event, user_id, operation_key FROM records
         WHERE log_id = $1::bigint AND seq >= $2::bigint AND seq < $3::bigint ORDER BY seq`,
        [logId, from, to],
      );
      return result.rows.map((r) => ({
        seq: r.seq,
        createdAt: r.created_at,
        classifiedEvent: r.classified_event as EventClass,
        userId: r.user_id,
        operationKey: r.operation_key,
      }));
    } catch (error) {
      throw wrapPostgresError(error, 'read records for retention');
    }
  }

  async purgeSlice(slice: PurgeSlice): Promise<boolean> {
    try {
      return await this.#transaction(async (client) => {
        // One purge of a log at a time across nodes; appends take other locks and go on.
        await client.query('SELECT pg_advisory_xact_lock($1, $2::int)', [PURGE_LOCK_CLASS, slice.logId]);
        const current = await client.query<{ purged_to: number }>('SELECT purged_to FROM log_purges WHERE log_id = $1::bigint', [slice.logId]);
        if ((current.rows[0]?.purged_to ?? 0) !== slice.from || slice.to <= slice.from) return false;
        if (slice.nodes.length > 0) {
          await client.query(
            `INSERT INTO retained_nodes (log_id, level, idx, hash)
             SELECT $1::bigint, * FROM unnest($2::smallint[], $3::bigint[], $4::bytea[]) ON CONFLICT DO NOTHING`,
            [slice.logId, slice.nodes.map((n) => n.level), slice.nodes.map((n) => n.index), slice.nodes.map((n) => n.hash)],
          );
        }
        // The per-minute counts lose the purged records; a remaining row's lowest seq moves up to the cut at least.
        await client.query(
          `WITH gone AS (
             SELECT floor(created_at::numeric / 60000000)::bigint AS m, event, classified_event, count(*) AS n FROM records
             WHERE log_id = $1::bigint AND seq >= $2::bigint AND seq < $3::bigint GROUP BY m, event, classified_event)
           UPDATE record_minutes SET n = record_minutes.n - gone.n, min_seq = greatest(record_minutes.min_seq, $3::bigint)
           FROM gone WHERE record_minutes.minute = gone.m AND record_minutes.log_id = $1::bigint AND record_minutes.event = gone.event
             AND record_minutes.classified_event = gone.classified_event`,
          [slice.logId, slice.from, slice.to],
        );
        await client.query('DELETE FROM record_minutes WHERE log_id = $1::bigint AND n <= 0', [slice.logId]);
        await client.query("SELECT set_config('tamga.purge_log', $1, true), set_config('tamga.purge_cut', $2, true)", [
          String(slice.logId),
          String(slice.to),
        ]);
        const deleted = await client.query<{ newest: number }>(
          'WITH gone AS (DELETE FROM records WHERE log_id = $1::bigint AND seq >= $2::bigint AND seq < $3::bigint RETURNING created_at) SELECT max(created_at) AS newest, count(*) AS n FROM gone',
          [
          slice.logId,
          slice.from,
          slice.to,
        ]);
        await client.query("SELECT set_config('tamga.purge_log', '', true), set_config('tamga.purge_cut', '', true)");
        const gone = deleted.rows[0] as { newest: number; n: number } | undefined;
        if (gone?.n !== slice.to - slice.from) {
          throw new StoreError('STORE_FAILED', `Purge of [${slice.from}, ${slice.to}) of log ${slice.logId} found ${gone?.n ?? 0} records`);
        }
        await client.query(
          `INSERT INTO log_purges (log_id, purged_to, root_at_cut, newest_purged, updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (log_id) DO UPDATE SET purged_to = excluded.purged_to, root_at_cut = excluded.root_at_cut,
             newest_purged = greatest(log_purges.newest_purged, excluded.newest_purged), updated_at = excluded.updated_at`,
          [slice.logId, slice.to, slice.rootAtCut, gone.newest, slice.at],
        );
        return true;
      });
    } catch (error) {
      throw wrapPostgresError(error, 'purge records');
    }
  }

  async readRetainedNode(logId: number, level: number, index: number): Promise<Buffer | undefined> {
    try {
      const result = await this.#pool.query<{ hash: Buffer }>(
        'SELECT hash FROM retained_nodes WHERE log_id = $1::bigint AND level = $2::smallint AND idx = $3::bigint',
        [logId, level, index],
      );
      return result.rows[0]?.hash;
    } catch (error) {
      throw wrapPostgresError(error, 'read a retained Merkle node');
    }
  }

  async listHolds(tenantId: string | null): Promise<LegalHold[]> {
    try {
      const result = await this.#pool.query<HoldRow>(
        'SELECT * FROM legal_holds WHERE tenant_key = $1 AND released_at IS NULL ORDER BY set_at, id',
        [tenantKey(tenantId)],
      );
      return result.rows.map(toLegalHold);
    } catch (error) {
      throw wrapPostgresError(error, 'list legal holds');
    }
  }

  async addHold(hold: LegalHold): Promise<void> {
    try {
      await this.#pool.query(
        'INSERT INTO legal_holds (id, tenant_key, user_id, operation_key, reason, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [hold.id, tenantKey(hold.tenantId), hold.userId, hold.operationKey, hold.reason, hold.setBy, hold.setAt],
      );
    } catch (error) {
      throw wrapPostgresError(error, 'store a legal hold');
    }
  }

  async releaseHold(tenantId: string | null, id: string, by: string, at: number): Promise<LegalHold | undefined> {
    try {
      const result = await this.#pool.query<HoldRow>(
        `UPDATE legal_holds SET released_by = $1, released_at = $2 WHERE id = $3 AND tenant_key = $4 AND released_at IS NULL RETURNING *`,
        [by, at, id, tenantKey(tenantId)],
      );
      const row = result.rows[0];
      return row && toLegalHold(row);
    } catch (error) {
      throw wrapPostgresError(error, 'release a legal hold');
    }
  }

  async getSetting(key: string): Promise<string | undefined> {
    try {
      const result = await this.#pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
      return result.rows[0]?.value;
    } catch (error) {
      throw wrapPostgresError(error, 'read a setting');
    }
  }

  async putSetting(key: string, value: string): Promise<void> {
    try {
      await this.#pool.query(
        'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [key, value],
      );
    } catch (error) {
      throw wrapPostgresError(error, 'write a setting');
    }
  }

  /** Ready when PostgreSQL answers a query within 2 s (a frozen or unreachable server is not ready). */
  async checkReady(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const question: pg.QueryConfig & { query_timeout: number } = { text: 'SELECT 1', query_timeout: READY_TIMEOUT_MS };
    // The pool may first wait for a connection (connectionTimeoutMillis): the race bounds the whole check.
    const answered = this.#pool.query(question).then(() => undefined);
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Query read timeout: no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    answered.catch(() => undefined); // a late failure after the race is lost is of no interest
    try {
      await Promise.race([answered, late]);
    } catch (error) {
      throw wrapPostgresError(error, 'answer within 2 s');
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Whether this process leads checkpoint signing. The leader holds a session-level advisory lock on a
   * dedicated connection (outside the pool); when its process dies, the session ends, the lock is
   * released, and the next node to call this takes over. Call it before each checkpoint round.
   *
   * @throws StoreError `STORE_UNAVAILABLE` when the database cannot be reached.
   */
  tryLeadCheckpoints(): Promise<boolean> {
    const next = this.#leaderQueue.then(() => this.#tryLead());
    this.#leaderQueue = next.catch(() => undefined);
    return next;
  }

  async #tryLead(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      if (this.#leader && this.#leading) {
        // Still our session? A lost connection lost the lock with it.
        await this.#leader.query('SELECT 1');
        return true;
      }
      if (!this.#leader) {
        const client = new pg.Client(this.#clientConfig);
        client.on('error', () => {
          if (this.#leader === client) this.#dropLeader();
        });
        this.#leader = client;
        await client.connect();
      }
      const result = await this.#leader.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
        LEADER_LOCK_CLASS,
        this.#schema,
      ]);
      this.#leading = result.rows[0]!.locked;
      return this.#leading;
    } catch (error) {
      this.#dropLeader();
      throw wrapPostgresError(error, 'take the checkpoint lead');
    }
  }

  #dropLeader(): void {
    const client = this.#leader;
    this.#leader = undefined;
    this.#leading = false;
    if (client) void client.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#leaderQueue;
    const leader = this.#leader;
    this.#leader = undefined;
    if (leader) {
      // Ending the session releases the advisory lock; unlock first so it is gone even if the end is slow.
      if (this.#leading) {
        await leader.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LEADER_LOCK_CLASS, this.#schema]).catch(() => undefined);
      }
      this.#leading = false;
      await leader.end().catch(() => undefined);
    }
    // A build still running is cancelled with its session; the next start builds again.
    await this.#textIndexClient?.end().catch(() => undefined);
    await this.#textIndexBuild?.catch(() => undefined);
    await this.#pool.end();
  }
}

function toLogHead(row: LogRow): LogHead {
  return { logId: row.log_id, tenantId: row.tenant_key === '' ? null : row.tenant_key, origin: row.origin, size: row.size, rootHash: row.root_hash };
}

function toStoredRecord(row: RecordRow & { origin: string }): StoredRecord {
  return {
    rid: row.rid,
    log: row.origin,
    seq: row.seq,
    id: row.id,
    event: row.event,
    eventName: row.event_name,
    entityData: parseEntityData(row.entity_data),
    userId: row.user_id,
    apiCreatedAt: row.api_created_at,
    createdAt: row.created_at,
    text: row.text,
    ip: row.ip,
    tenantId: row.tenant_id,
    nodeId: row.node_id,
    operationKey: row.operation_key,
    classifiedEvent: row.classified_event as EventClass,
    severity: row.severity,
    outcome: row.outcome as Outcome | null,
    extra: withPollable(parseExtra(row.extra), row.pollable ?? undefined),
    sigKid: row.sig_kid,
    signature: row.signature,
    canonical: row.seal_bytes.subarray(0, row.canonical_length),
    leafHash: row.seal_bytes.subarray(row.canonical_length, row.seal_bytes.length - (row.salt_length ?? 0)),
    payloadSalt: row.salt_length === null ? null : row.seal_bytes.subarray(row.seal_bytes.length - row.salt_length),
    redacted: row.redacted,
    subject: row.subject ?? null,
  };
}

/** Parses stored `entityData`; text that is no JSON (a tampered row) is returned as is and fails its digest. */
function parseEntityData(text: string | null): EntityData | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as EntityData;
  } catch {
    return text;
  }
}

/** Parses stored added fields; text that is no JSON (a tampered row) is kept so the record fails its check. */
function parseExtra(text: string | null): RecordExtra {
  if (text === null) return {};
  try {
    return JSON.parse(text) as RecordExtra;
  } catch {
    return { unparsable: text } as RecordExtra;
  }
}

interface HoldRow {
  id: string;
  tenant_key: string;
  user_id: string | null;
  operation_key: string | null;
  reason: string;
  set_by: string;
  set_at: number;
}

function toLegalHold(row: HoldRow): LegalHold {
  return {
    id: row.id,
    tenantId: row.tenant_key === '' ? null : row.tenant_key,
    userId: row.user_id,
    operationKey: row.operation_key,
    reason: row.reason,
    setBy: row.set_by,
    setAt: row.set_at,
  };
}
