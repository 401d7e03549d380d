import {
  checkRecord,
  TamgaError,
  uuidv7,
  validateEventInput,
  ValidationError,
  RecordSealer,
  SYSTEM_TENANT_ID,
  DEFAULT_EVENT_LIMITS,
  extractSubject,
  EARLIEST_STORED_MICROS,
  EPOCH_MICROS,
  formatTimestamp,
  TenantIds,
} from '@tamga/core';
import type { CatalogEntry, CatalogSet, ErrorDetails, EventExtra, EventLimits, RecordFields } from '@tamga/core';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TenantCatalog } from '../catalog/tenant-catalog.js';
import type { CatalogResolver } from '../catalog/tenant-catalog.js';
import type { KeyRing } from '../keys/key-ring.js';
import { CommitFeed } from './commit-feed.js';
import { recordStatsOf } from './minute-counts.js';
import { DEFAULTED_CLASS, DEFAULTED_CREATED_AT, DEFAULTED_SEVERITY } from './same-event.js';
import type { RecordStats } from './minute-counts.js';
import { APPEND_SLICE } from './journal-store.js';
import type {
  AppendResult,
  CheckedRecord,
  JournalStore,
  PendingRecord,
  RecordCursor,
  RecordFilter,
  Sealer,
  StoredRecord,
  TenantScope,
} from './journal-store.js';

/** Options of {@link Journal}. */
export interface JournalConfig {
  readonly store: JournalStore;
  readonly catalog: CatalogSet;
  /**
   * Per-tenant catalogues (tenant catalogue first, then the built-ins it enabled; open codes). Default: every
   * tenant resolves against `catalog` alone, closed, and records carry no `catalogVersion`.
   */
  readonly catalogs?: CatalogResolver;
  readonly keys: KeyRing;
  /** This node's id, stamped on every record it accepts (`nodeId`). */
  readonly nodeId: string;
  /** Prefix of log origins: the log of tenant `t` is `<prefix>/t`, the default tenant's `<prefix>/default`. */
  readonly originPrefix: string;
  /** Field size limits. Default {@link DEFAULT_EVENT_LIMITS}. */
  readonly limits?: EventLimits;
  /** Clock in UTC milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** The tenant-id rule with the ids stored before it (`loadTenantIds`). Default: none stored before. */
  readonly tenantIds?: TenantIds;
}

/** A problem with one event of a batch. */
export interface BatchProblem {
  readonly [detail: string]: unknown;
  readonly index: number;
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

/** Listener told about every committed batch (checkpointer, live stream). */
export type AppendListener = (results: readonly AppendResult[]) => void;

/** Most problems listed in one error response. */
const MAX_PROBLEMS = 100;

/** OCSF severity by class when neither the event nor its catalogue entry gives one. */
const SEVERITY_BY_CLASS = { 1: 1, 2: 3, 3: 4, 4: 2 } as const;

/** How far ahead of the server clock a producer's `createdAt` may be (clock skew, time zones gone wrong). */
export const MAX_CREATED_AT_AHEAD_MICROS = 86_400_000_000;

/**
 * Refuses a `createdAt` outside the tenant's window: from 1970-01-01 (1700-01-01 when the tenant takes back-dated
 * imports) to one day ahead of the server clock. A time outside it is a producer's bug (a year read as 75 instead
 * of 1975, a clock in the future), not an event.
 */
function checkCreatedAt(createdAt: number, nowMicros: number, catalog: TenantCatalog, tenantId: string | null, index: number): void {
  const earliest = catalog.backdatedImports ? EARLIEST_STORED_MICROS : EPOCH_MICROS;
  const latest = nowMicros + MAX_CREATED_AT_AHEAD_MICROS;
  if (createdAt >= earliest && createdAt <= latest) return;
  const window = { earliest: formatTimestamp(earliest), latest: formatTimestamp(latest) };
  const why =
    createdAt > latest
      ? `is more than a day ahead of the server clock (latest ${window.latest})`
      : catalog.backdatedImports
        ? `is before ${window.earliest}, the earliest time Tamga stores`
        : `is before ${window.earliest}; tenant ${tenantId ?? 'default'} does not take back-dated imports (its setting backdatedImports)`;
  throw new ValidationError('VALIDATION_FAILED', `[${index}].createdAt: ${formatTimestamp(createdAt)} ${why}`, {
    field: 'createdAt',
    index,
    ...window,
  });
}

/** The added fields `Journal.#prepare` copies into a record's `extra` one by one, or stores in a column of their own. */
type PreparedExtraField =
  | 'source'
  | 'sessionId'
  | 'userAgent'
  | 'object'
  | 'request'
  | 'correctsEventId'
  | 'userDisplayName'
  | 'sessionCreatedAt'
  | 'sessionExpiredAt'
  | 'sessionSelf'
  | 'pollable'
  | 'outcome'
  | 'severity';
// A field added to EventExtra without its line in #prepare would be dropped silently: this fails to compile instead.
const _everyExtraFieldPrepared: [Exclude<keyof EventExtra, PreparedExtraField>] extends [never] ? true : never = true;

/** Names the catalogues a tenant's codes resolve against, for error messages (never on the hot path). */
function catalogsOf(catalog: TenantCatalog, tenantId: string | null): string {
  const tenant = tenantId ?? 'default';
  return catalog.catalogs.length === 0
    ? `any catalogue (tenant ${tenant} enabled none)`
    : `the catalogues of tenant ${tenant} (${catalog.catalogs.join(', ')})`;
}

/**
 * The journal's use cases over a {@link JournalStore}: validate and append events, read them back with
 * their integrity checked.
 */
export class Journal {
  readonly store: JournalStore;
  readonly catalog: CatalogSet;
  /** The catalogues each tenant's codes resolve against. */
  readonly catalogs: CatalogResolver;
  readonly keys: KeyRing;
  readonly nodeId: string;
  readonly originPrefix: string;
  /** The tenant-id rule, knowing the ids stored before it. */
  readonly tenantIds: TenantIds;
  readonly #limits: EventLimits;
  readonly #now: () => number;
  readonly #listeners = new Set<AppendListener>();
  /** Every record committed, by this node or (once started) by any node sharing the database: live stream, long polls, forwarding. */
  readonly commits: CommitFeed;

  constructor(config: JournalConfig) {
    this.store = config.store;
    this.commits = new CommitFeed(config.store);
    this.catalog = config.catalog;
    if (config.catalogs !== undefined) {
      this.catalogs = config.catalogs;
    } else {
      const only = TenantCatalog.ofSet(config.catalog);
      this.catalogs = { forTenant: () => only };
    }
    this.keys = config.keys;
    this.nodeId = config.nodeId;
    this.originPrefix = config.originPrefix;
    this.#limits = config.limits ?? DEFAULT_EVENT_LIMITS;
    this.#now = config.now ?? Date.now;
    this.tenantIds = config.tenantIds ?? TenantIds.NONE;
  }

  /** The log origin of a tenant (`null` = default tenant). */
  originFor(tenantId: string | null): string {
    return `${this.originPrefix}/${tenantId ?? 'default'}`;
  }

  /** Registers a listener for batches this node committed; returns a function that removes it. */
  onAppend(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Validates and appends a batch. Every event is checked before anything is stored; on any problem
   * the whole batch is refused with a {@link ValidationError} listing each problem with its batch index.
   * Resolves only after the store has durably committed the batch.
   *
   * @param writable - tenants the caller may append to (`undefined` = any).
   */
  async append(rawEvents: readonly unknown[], writable?: TenantScope, isSystem = false): Promise<AppendResult[]> {
    const nowMicros = this.#now() * 1000;
    const problems: BatchProblem[] = [];
    const pending: PendingRecord[] = [];
    for (let i = 0; i < rawEvents.length && problems.length < MAX_PROBLEMS; i++) {
      // A large batch lets other requests in between slices (`/healthz`, a page): its checks take milliseconds.
      if (i > 0 && i % APPEND_SLICE === 0) await nextTurn();
      try {
        pending.push(this.#prepare(rawEvents[i], i, nowMicros, writable, isSystem));
      } catch (error) {
        if (!(error instanceof TamgaError)) throw error;
        problems.push({ ...error.details, index: i, field: String(error.details.field ?? ''), code: error.code, message: error.message });
      }
    }
    if (problems.length > 0) {
      const first = problems[0]!;
      const { code: _code, message: _message, ...firstDetails } = first;
      const details: ErrorDetails = { ...firstDetails, errors: problems };
      const message =
        problems.length === 1 ? first.message : `${first.message} (and ${problems.length - 1} more problems)`;
      throw new ValidationError(first.code as ValidationError['code'], message, details);
    }
    const results = await this.store.append(pending, this.#sealer());
    for (const listener of this.#listeners) listener(results);
    this.commits.committed(results);
    return results;
  }

  /**
   * Journals one of Tamga's own events in the system tenant's log (`SYSTEM_TENANT_ID`), e.g. a sign-in
   * (2001) or a key rotation. Same validation, catalogue and integrity as any event; resolves after commit.
   */
  async appendSystem(event: Readonly<Record<string, unknown>>): Promise<AppendResult> {
    const [result] = await this.append([{ ...event, tenantId: SYSTEM_TENANT_ID }], undefined, true);
    return result!;
  }

  /** The active key's sealer, prepared once per key (not per record or batch); replaced when the key rotates. */
  #sealerOfKey: { readonly kid: string; readonly sealer: Sealer } | undefined;

  #sealer(): Sealer {
    const key = this.keys.activeHmacKey;
    if (this.#sealerOfKey?.kid !== key.kid) {
      const recordSealer = new RecordSealer(key.secret);
      this.#sealerOfKey = {
        kid: key.kid,
        sealer: {
          sigKid: key.kid,
          hmacKey: key.secret,
          originFor: (tenantId) => this.originFor(tenantId),
          seal: (fields: RecordFields) => recordSealer.seal(fields),
          prepare: (fields: RecordFields, payloadSalt?: Buffer) => recordSealer.prepare(fields, payloadSalt),
        },
      };
    }
    return this.#sealerOfKey.sealer;
  }

  #prepare(raw: unknown, index: number, nowMicros: number, writable: TenantScope | undefined, isSystem: boolean): PendingRecord {
    const e = validateEventInput(raw, index, this.#limits, this.tenantIds);
    const catalog = this.catalogs.forTenant(e.tenantId);
    const entry = this.#resolve(e.event, e.eventName, index, catalog, e.tenantId);
    if (e.createdAt !== undefined) checkCreatedAt(e.createdAt, nowMicros, catalog, e.tenantId, index);
    if (e.tenantId === SYSTEM_TENANT_ID && !isSystem) {
      throw new TamgaError('FORBIDDEN', `[${index}].tenantId: "${SYSTEM_TENANT_ID}" holds Tamga's own events`, { field: 'tenantId', index });
    }
    if (writable !== undefined && !writable.includes(e.tenantId)) {
      throw new TamgaError('FORBIDDEN', `[${index}].tenantId: this key may not write to tenant ${e.tenantId ?? 'default'}`, {
        field: 'tenantId',
        index,
      });
    }
    const classifiedEvent = e.classifiedEvent ?? entry?.classifiedEvent ?? 1;
    // What the server fills in is not compared when the event is sent again (same-event.ts).
    const defaulted =
      (e.createdAt === undefined ? DEFAULTED_CREATED_AT : 0) |
      (e.classifiedEvent === undefined ? DEFAULTED_CLASS : 0) |
      (e.severity === undefined ? DEFAULTED_SEVERITY : 0);
    const { id, createdAt, severity, outcome, pollable, entityData, userId, text, ip, tenantId, operationKey } = e;
    // The added fields, in the order validateEventInput gives them (by assignment, not rest destructuring and spreads:
    // this runs for every event of a batch); then `pollable` and the marks.
    const extra: Record<string, unknown> = {};
    if (e.source !== undefined) extra.source = e.source;
    if (e.sessionId !== undefined) extra.sessionId = e.sessionId;
    if (e.userAgent !== undefined) extra.userAgent = e.userAgent;
    if (e.object !== undefined) extra.object = e.object;
    if (e.request !== undefined) extra.request = e.request;
    if (e.correctsEventId !== undefined) extra.correctsEventId = e.correctsEventId;
    if (e.userDisplayName !== undefined) extra.userDisplayName = e.userDisplayName;
    if (e.sessionCreatedAt !== undefined) extra.sessionCreatedAt = e.sessionCreatedAt;
    if (e.sessionExpiredAt !== undefined) extra.sessionExpiredAt = e.sessionExpiredAt;
    if (e.sessionSelf !== undefined) extra.sessionSelf = e.sessionSelf;
    // Seed 004: whether the Event API's poll shows the event is fixed when it is written, as the source system does.
    extra.pollable = pollable ?? entry?.pollable ?? false;
    // Inside `extra`, so inside the signed canonical bytes: which catalogue version named the code, or that none did.
    if (entry === undefined) {
      extra.unregistered = true;
    } else {
      const catalogVersion = catalog.catalogVersionOf(entry);
      if (catalogVersion !== undefined) extra.catalogVersion = catalogVersion;
    }
    return {
      id: id ?? uuidv7(Math.floor(nowMicros / 1000)),
      // An unregistered code (open codes, entry undefined) is stored as sent, named by the producer or `Unregistered(<code>)`.
      event: entry?.code ?? e.event!,
      eventName: entry?.name ?? e.eventName ?? `Unregistered(${e.event})`,
      entityData,
      userId,
      apiCreatedAt: nowMicros,
      createdAt: createdAt ?? nowMicros,
      text,
      ip,
      tenantId,
      nodeId: this.nodeId,
      operationKey,
      classifiedEvent,
      severity: severity ?? entry?.severity ?? SEVERITY_BY_CLASS[classifiedEvent],
      outcome: outcome ?? null,
      extra,
      defaulted,
      // Not signed: an index of what entityData (signed) says, for the user filter (catalogue rule `subject`).
      ...(userId === null && entry?.subject !== undefined && { subject: extractSubject(entry.subject, entityData) }),
    };
  }

  /**
   * Finds the catalogue entry of an event by code, name, or both (which must agree), in the tenant's catalogues.
   * Returns undefined for a code in no catalogue when the tenant opted into open codes.
   */
  #resolve(
    code: number | undefined,
    name: string | undefined,
    index: number,
    catalog: TenantCatalog,
    tenantId: string | null,
  ): CatalogEntry | undefined {
    if (code === undefined) {
      const byName = name === undefined ? undefined : catalog.set.byName(name);
      if (byName === undefined) {
        throw new ValidationError('UNKNOWN_EVENT_NAME', `[${index}].eventName: "${name}" is not in ${catalogsOf(catalog, tenantId)}`, {
          field: 'eventName',
          index,
          eventName: name,
        });
      }
      return byName;
    }
    const entry = catalog.set.byCode(code);
    if (entry === undefined) {
      if (catalog.openCodes) {
        const named = name === undefined ? undefined : catalog.set.byName(name);
        if (named === undefined) return undefined;
        // An unregistered code may not borrow the name of a registered one.
        throw new ValidationError('EVENT_NAME_MISMATCH', `[${index}].eventName: "${name}" is code ${named.code}, not ${code}`, {
          field: 'eventName',
          index,
        });
      }
      throw new ValidationError('UNKNOWN_EVENT_CODE', `[${index}].event: code ${code} is not in ${catalogsOf(catalog, tenantId)}`, {
        field: 'event',
        index,
        eventCode: code,
      });
    }
    if (name === undefined || entry.name === name) return entry;
    // A seed code listed twice (15800, docs/decisions/0002) resolves by name to its renumbered entry.
    const renumbered = catalog.set.byName(name);
    if (renumbered?.seedCode === code) return renumbered;
    throw new ValidationError('EVENT_NAME_MISMATCH', `[${index}].eventName: code ${code} is "${entry.name}", not "${name}"`, {
      field: 'eventName',
      index,
    });
  }

  /** Checks a stored record's integrity against the keys this server holds. */
  check(record: StoredRecord): CheckedRecord {
    return { ...record, integrity: checkRecord(record, record, (kid) => this.keys.hmacSecret(kid)) };
  }

  /**
   * Runs a store read that checks records with the HMAC keys it is given, where the store reads (`exportPage`,
   * `readMatching`), and once more when it names a key id this node did not give but finds now: a key rotated on
   * another node since this one read its keys (looking it up reads them again).
   */
  async readChecked<T extends { readonly unknownKids: readonly string[] }>(read: (hmacKeys: [string, Uint8Array][]) => Promise<T>): Promise<T> {
    const keys = (): [string, Uint8Array][] => this.keys.hmacKeys.map((k) => [k.kid, k.secret]);
    const result = await read(keys());
    return result.unknownKids.some((kid) => this.keys.hmacSecret(kid) !== undefined) ? read(keys()) : result;
  }

  /** Registers a listener woken by every commit of any node ({@link CommitFeed}); returns a function that removes it. */
  onCommit(listener: () => void): () => void {
    return this.commits.onCommit(() => listener());
  }

  /** One page of records, newest first unless `filter.order` says otherwise, each freshly checked. */
  async query(filter: RecordFilter, limit: number, after?: RecordCursor): Promise<{ items: CheckedRecord[]; hasMore: boolean }> {
    const rows = await this.store.queryRecords(filter, limit + 1, after);
    const hasMore = rows.length > limit;
    return { items: rows.slice(0, limit).map((r) => this.check(r)), hasMore };
  }

  /** One record by id, checked; undefined when missing or outside `tenants`. */
  async get(id: string, tenants?: TenantScope): Promise<CheckedRecord | undefined> {
    const row = await this.store.getRecord(id, tenants);
    return row && this.check(row);
  }

  /** Count and histogram of the records matching `filter` (`countRecordStats`). */
  stats(filter: RecordFilter & { readonly from: number }, bucketMicros: number): Promise<RecordStats> {
    return recordStatsOf(this.store, filter, bucketMicros);
  }
}
