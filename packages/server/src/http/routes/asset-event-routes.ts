import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import {
  assetAttributeOf,
  DEFAULT_TENANT_NAME,
  formatAssetEvent,
  parseAssetEvent,
  parseTimestamp,
  TamgaError,
  TENANT_ID_RE,
  ValidationError,
} from '@tamga/core';
import type { Principal } from '../../auth/api-key-auth.js';
import { AppendWaiters } from '../../journal/append-waiters.js';
import type { CheckedRecord, EventSort, EventSortField, LogHead } from '../../journal/journal-store.js';
import { findSeqRange } from '../../journal/minute-counts.js';
import { authenticateRequest } from '../authenticate-request.js';
import { NdjsonBatch, principalOf } from '../build-server.js';
import type { ServerContext } from '../build-server.js';
import { parseTenant } from '../query-params.js';

type Query = Readonly<Record<string, string | string[] | undefined>>;

/** The Event API answers at its published paths (`/api/v1/event…`) and at seed 004's own (`/api/event…`). */
export const ASSET_EVENT_PREFIXES = ['/api/v1', '/api'] as const;

/** Header naming the newest `_id` of the tenant when the answer was made: where a new consumer starts. */
export const MAX_EVENT_ID_HEADER = 'x-tamga-max-event-id';

/** A poll's answer: how many events, the log's newest `_id` when read, and the JSON text. */
interface PollAnswer {
  readonly count: number;
  readonly newestId: number;
  readonly body: string;
}

/** Longest long poll, in seconds. */
export const MAX_POLL_TIMEOUT_SECONDS = 60;

const LIST_SORT_FIELDS: Readonly<Record<string, EventSortField>> = Object.freeze({
  _id: 'seq',
  type: 'eventName',
  object_version: 'objectVersion',
  schema: 'schema',
  object_id: 'objectId',
  timestamp: 'createdAt',
  user_generated_displayname: 'userDisplayName',
});

/** CSV columns before `info`, as paths into the full format. */
const CSV_COLUMNS: readonly (readonly [header: string, path: readonly string[]])[] = [
  ['_id', ['event', '_id']],
  ['type', ['event', 'type']],
  ['timestamp', ['event', 'timestamp']],
  ['ipv4_address', ['event', 'ipv4_address']],
  ['pollable', ['event', 'pollable']],
  ['session_self', ['event', 'session_self']],
  ['schema', ['event', 'schema']],
  ['objecttype', ['event', 'objecttype']],
  ['basetype', ['event', 'basetype']],
  ['object_id', ['event', 'object_id']],
  ['global_object_id', ['event', 'global_object_id']],
  ['object_version', ['event', 'object_version']],
  ['_session.token', ['_session', 'token']],
  ['_session.created', ['_session', 'created']],
  ['_session.expired', ['_session', 'expired']],
  ['_user._id', ['_user', 'user', '_id']],
  ['_user._generated_displayname', ['_user', 'user', '_generated_displayname']],
  ['_tamga.id', ['_tamga', 'id']],
  ['_tamga.seq', ['_tamga', 'seq']],
  ['_tamga.signature', ['_tamga', 'signature']],
  ['_tamga.validSignature', ['_tamga', 'validSignature']],
];

// OWASP "CSV Injection": a cell a spreadsheet would read as a formula starts with one of these.
const FORMULA_START = /^[=+\-@\t\r]/;

function invalid(field: string, message: string): never {
  throw new ValidationError('VALIDATION_FAILED', `${field}: ${message}`, { field });
}

function single(query: Query, name: string): string | undefined {
  const raw = query[name];
  if (Array.isArray(raw)) invalid(name, 'must be given once');
  return raw === undefined ? undefined : raw;
}

function integer(value: string, field: string, min: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) invalid(field, `must be an integer of at least ${min}`);
  return n;
}

function flag(query: Query, name: string): boolean | undefined {
  const v = single(query, name);
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return invalid(name, 'must be true or false');
}

function oneCharacter(query: Query, name: string, fallback: string): string {
  const v = single(query, name);
  if (v === undefined || v === '') return fallback;
  if ([...v].length !== 1) invalid(name, 'must be one character');
  return v;
}

/** `limit` of poll: default 25; 0 means 1,000; above 1,000 is capped at 1,000 (the Event API's rules). */
function pollLimit(query: Query): number {
  const v = single(query, 'limit');
  if (v === undefined || v === '') return 25;
  const n = integer(v, 'limit', 0);
  return n === 0 ? 1000 : Math.min(n, 1000);
}

function pollTimeout(query: Query): number {
  const v = single(query, 'timeout');
  if (v === undefined || v === '') return 0;
  const n = integer(v, 'timeout', 0);
  if (n > MAX_POLL_TIMEOUT_SECONDS) invalid('timeout', `must be at most ${MAX_POLL_TIMEOUT_SECONDS} seconds`);
  return n;
}

function listSort(query: Query): EventSort[] {
  const v = single(query, 'sort');
  if (v === undefined || v === '') return [{ field: 'seq', descending: true }];
  return v.split(',').map((part) => {
    const m = /^([a-z_]+)(?:\.(ASC|DESC))?$/i.exec(part.trim());
    const field = m === null ? undefined : LIST_SORT_FIELDS[m[1]!];
    if (m === null || field === undefined) {
      invalid('sort', `"${part}" is not a sort key: use ${Object.keys(LIST_SORT_FIELDS).join(', ')}, each optionally .ASC or .DESC`);
    }
    return { field, descending: m[2]?.toUpperCase() === 'DESC' };
  });
}

function listTime(query: Query, name: string): number | undefined {
  const v = single(query, name);
  if (v === undefined || v === '') return undefined;
  const micros = parseTimestamp(v);
  if (micros === undefined) invalid(name, 'must be an RFC 3339 timestamp, e.g. 2026-11-22T10:00:00Z');
  return micros;
}

/** The value at `path` in a formatted event, as CSV cell text ('' when absent; JSON for objects). */
function cellOf(event: Record<string, unknown>, path: readonly string[]): string {
  let value: unknown = event;
  for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return cellText(value);
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `info` flattened to `info.<key>` columns: nested objects by dotted keys, arrays by index or concatenated. */
function explodeInfo(info: unknown, concatArrays: boolean): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (value: unknown, key: string): void => {
    if (Array.isArray(value) && concatArrays) out.set(key, value.map(cellText).join('\n'));
    else if (typeof value === 'object' && value !== null) {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      if (entries.length === 0) out.set(key, JSON.stringify(value));
      for (const [k, v] of entries) walk(v, `${key}.${k}`);
    } else out.set(key, cellText(value));
  };
  if (typeof info === 'object' && info !== null) walk(info, 'info');
  else if (info !== undefined && info !== null) out.set('info', cellText(info));
  return out;
}

/** The CSV of a list answer, with every `csv_*` option of the Event API. */
function toCsv(events: readonly Record<string, unknown>[], query: Query): string {
  const delimiter = oneCharacter(query, 'csv_delimiter', ',');
  const quote = oneCharacter(query, 'csv_quote', '"');
  const escape = oneCharacter(query, 'csv_escape', quote);
  if (delimiter === quote) invalid('csv_quote', 'must differ from csv_delimiter');
  const bom = flag(query, 'csv_use_bom') ?? false;
  const explode = flag(query, 'csv_explode') ?? false;
  const concatArrays = flag(query, 'csv_explode_array_concat') ?? false;
  const maxRaw = single(query, 'csv_max_length');
  const maxLength = maxRaw === undefined || maxRaw === '' ? 0 : integer(maxRaw, 'csv_max_length', 0);
  const infos = events.map((e) => (explode ? explodeInfo((e.event as Record<string, unknown>).info, concatArrays) : undefined));
  const infoColumns = explode ? [...new Set(infos.flatMap((m) => [...m!.keys()]))] : ['info'];
  const header = [...CSV_COLUMNS.map(([name]) => name), ...infoColumns];
  const rows = events.map((e, i) => {
    const info = infos[i];
    const cells = [
      ...CSV_COLUMNS.map(([, path]) => cellOf(e, path)),
      ...(info === undefined ? [cellOf(e, ['event', 'info'])] : infoColumns.map((c) => info.get(c) ?? '')),
    ];
    return cells.map((cell) => {
      const text = maxLength > 0 && cell.length > maxLength ? cell.slice(0, maxLength) : cell;
      return FORMULA_START.test(text) ? `'${text}` : text;
    });
  });
  // RFC 4180 records end in CRLF; a cell holding a line break of either kind is quoted.
  return stringify([header, ...rows], { delimiter, quote, escape, bom, record_delimiter: 'windows', quoted_match: /[\r\n]/ });
}

/**
 * Seed 004's Event API, served over Tamga's journal (docs/asset-server-event-api.md): `GET /event/{id}`,
 * `GET /event/poll[/{last_max_id}]` (with Tamga's long poll, `timeout`), `GET /event/list` (JSON or CSV),
 * `POST /event`, and `DELETE /event` refused; under `/api/v1` and `/api`. `_id` is `seq + 1` in the tenant's log.
 */
export async function assetEventRoutes(app: FastifyInstance, { context }: { context: ServerContext }): Promise<void> {
  const { journal } = context;
  const store = journal.store;
  const waiters = new AppendWaiters(journal);
  // Users or keys changed (on any node): a long poll that waited across it checks its credentials again before answering.
  let accessGeneration = 0;
  const stopListening = context.access?.onChanged(() => accessGeneration++);
  const pollableCodes = new WeakMap<object, number[]>();
  // Long polls end when the server closes, instead of holding it open for up to a minute.
  const pending = new Set<() => void>();
  app.addHook('preClose', async () => {
    stopListening?.();
    for (const end of [...pending]) end();
  });

  /** The tenant of a call: `tenantId=`, else the key's only tenant, else the default tenant. */
  const tenantOf = (query: Query, principal: Principal, write: boolean): string | null => {
    const requested = single(query, 'tenantId');
    if (requested !== undefined && requested !== '') {
      if (requested !== DEFAULT_TENANT_NAME && !TENANT_ID_RE.test(requested)) invalid('tenantId', 'is not a tenant id');
      return parseTenant(requested);
    }
    const scope = write ? (principal.writeTenants ?? principal.tenants) : principal.tenants;
    return scope?.length === 1 ? scope[0]! : null;
  };
  /** The tenant's log, if the caller may read it: a tenant outside the caller's scope looks like one without events. */
  const readableLog = async (principal: Principal, tenantId: string | null): Promise<LogHead | undefined> => {
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
    if (principal.tenants !== undefined && !principal.tenants.includes(tenantId)) return undefined;
    return store.getLog(tenantId);
  };
  /** Codes pollable in the tenant's catalogues: what decides for records written before `pollable` was stored. */
  const legacyPollable = (tenantId: string | null): number[] => {
    const catalog = journal.catalogs.forTenant(tenantId);
    let codes = pollableCodes.get(catalog);
    if (codes === undefined) {
      codes = catalog.set
        .entries()
        .filter((e) => e.pollable)
        .map((e) => e.code);
      pollableCodes.set(catalog, codes);
    }
    return codes;
  };
  const format = (record: CheckedRecord, short: boolean): Record<string, unknown> =>
    formatAssetEvent(record, {
      format: short ? 'short' : 'full',
      pollableByCatalogue: journal.catalogs.forTenant(record.tenantId).set.byCode(record.event)?.pollable ?? false,
    });
  const readOne = async (log: LogHead, seq: number): Promise<CheckedRecord | undefined> => {
    const [row] = await store.readRecordsBySeq(log.logId, seq, seq + 1);
    return row && journal.check(row);
  };

  /**
   * Where a poll without `last_max_id` starts: the tenant's newest event when the caller's session began (found by
   * bisecting the log on `apiCreatedAt`, which grows with `seq`), or, for an API key, the newest event now.
   */
  const pollStart = async (principal: Principal, log: LogHead | undefined): Promise<number> => {
    if (log === undefined) return 0;
    if (principal.sessionStartedAt === undefined) return log.size;
    const began = principal.sessionStartedAt * 1000;
    // Records before a retention purge are gone: the search starts at the earliest kept.
    let lo = (await store.purgeState(log.logId))?.purgedTo ?? 0;
    let hi = log.size;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const [row] = await store.readRecordsBySeq(log.logId, mid, mid + 1);
      if (row !== undefined && row.apiCreatedAt <= began) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const poll = async (request: FastifyRequest, reply: FastifyReply, lastMaxId: string | undefined): Promise<unknown> => {
    let principal = principalOf(request);
    if (!principal.canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
    const query = request.query as Query;
    const limit = pollLimit(query);
    const timeout = pollTimeout(query);
    const tenantId = tenantOf(query, principal, false);
    let from = lastMaxId === undefined ? undefined : integer(lastMaxId, 'last_max_id', 0);
    const deadline = Date.now() + timeout * 1000;
    const generation = accessGeneration;
    let closed = false;
    let answer: PollAnswer;
    for (let last = timeout === 0; ; ) {
      // Waiting starts before the read, so an append committing meanwhile wakes this poll at once.
      const wait = last ? undefined : waiters.next(tenantId);
      const log = await readableLog(principal, tenantId);
      from ??= await pollStart(principal, log);
      answer = await readPoll(tenantId, log, from, limit);
      if (answer.count > 0 || wait === undefined || closed) {
        wait?.cancel();
        break;
      }
      const remaining = deadline - Date.now();
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      const timer = setTimeout(end, Math.max(0, remaining));
      const onClose = (): void => {
        closed = true;
        end();
      };
      pending.add(onClose);
      reply.raw.once('close', onClose);
      const woken = await Promise.race([wait.appended.then(() => true), ended.then(() => false)]);
      clearTimeout(timer);
      pending.delete(onClose);
      reply.raw.off('close', onClose);
      wait.cancel();
      // Throws UNAUTHENTICATED for a key revoked or a user disabled meanwhile; takes changed rights otherwise.
      if (accessGeneration !== generation) {
        await authenticateRequest(context, request);
        if (!principalOf(request).canRead) throw new TamgaError('FORBIDDEN', 'This key may not read events');
        principal = principalOf(request);
      }
      // Timed out or closed: one last read, so the answer's newest id is current.
      if (!woken) last = true;
    }
    return reply.header(MAX_EVENT_ID_HEADER, String(answer.newestId)).type('application/json; charset=utf-8').send(answer.body);
  };

  /**
   * One poll read, shared by every poll asking the same of the same log at the same time: an append wakes every
   * long poll of its tenant at once, and a hundred consumers at the same id then cost one read, one check of each
   * record and one JSON text, not a hundred.
   */
  const inFlight = new Map<string, Promise<PollAnswer>>();
  const readPoll = (tenantId: string | null, log: LogHead | undefined, from: number, limit: number): Promise<PollAnswer> => {
    if (log === undefined) return Promise.resolve({ count: 0, newestId: 0, body: '[]' });
    const key = `${log.logId}:${log.size}:${from}:${limit}`;
    let read = inFlight.get(key);
    if (read === undefined) {
      read = store
        .pollRecords(log.logId, from, limit, legacyPollable(tenantId))
        .then((rows) => ({ count: rows.length, newestId: log.size, body: JSON.stringify(rows.map((r) => format(journal.check(r), true))) }))
        .finally(() => inFlight.delete(key));
      inFlight.set(key, read);
    }
    return read;
  };

  const list = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const principal = principalOf(request);
    const query = request.query as Query;
    const limitRaw = single(query, 'limit');
    const limit = limitRaw === undefined || limitRaw === '' ? 1000 : integer(limitRaw, 'limit', 1);
    if (limit > 1000) invalid('limit', 'must be at most 1000');
    const offsetRaw = single(query, 'offset');
    let offset = offsetRaw === undefined || offsetRaw === '' ? 0 : integer(offsetRaw, 'offset', 0);
    const pollable = flag(query, 'pollable');
    const tenantId = tenantOf(query, principal, false);
    const catalog = journal.catalogs.forTenant(tenantId);
    const typeRaw = single(query, 'type');
    const events =
      typeRaw === undefined || typeRaw === ''
        ? undefined
        : typeRaw.split(',').map((name) => {
            const entry = catalog.set.byName(name.trim());
            if (entry === undefined) {
              invalid('type', `"${name}" is not an event type of tenant ${tenantId ?? DEFAULT_TENANT_NAME}`);
            }
            return entry.code;
          });
    const baseType = single(query, 'base_type');
    const userId = single(query, 'user_id');
    const from = listTime(query, 'date_from');
    const to = listTime(query, 'date_to');
    if (from !== undefined && to !== undefined && from > to) invalid('date_to', 'must not be before date_from');
    const sort = listSort(query);
    const formatRaw = single(query, 'format');
    if (formatRaw !== undefined && formatRaw !== '' && formatRaw !== 'json' && formatRaw !== 'csv') invalid('format', 'must be json or csv');
    const log = await readableLog(principal, tenantId);
    reply.header(MAX_EVENT_ID_HEADER, String(log?.size ?? 0));
    let records: CheckedRecord[] = [];
    if (log !== undefined) {
      let seqFrom: number | undefined;
      let seqTo: number | undefined;
      const filtered = pollable !== undefined || events !== undefined || (baseType ?? '') !== '' || (userId ?? '') !== '';
      if (from !== undefined || to !== undefined) {
        // The per-minute counts give a seq range holding the time range: the scan reads only that part of the log.
        const range = await findSeqRange(store, log.logId, from, to === undefined ? undefined : to + 1);
        seqFrom = range?.from ?? 0;
        seqTo = range?.to ?? 0;
      } else if (!filtered && sort.length === 1 && sort[0]!.field === 'seq') {
        // Seq is dense, so an offset into the whole log is a position in it: no rows are read to skip it.
        if (sort[0]!.descending) seqTo = Math.max(0, log.size - offset);
        else seqFrom = offset;
        offset = 0;
      }
      const rows = await store.listEventRecords({
        logId: log.logId,
        legacyPollable: legacyPollable(tenantId),
        ...(pollable !== undefined && { pollable }),
        ...(events !== undefined && { events }),
        ...(userId !== undefined && userId !== '' && { userId }),
        ...(baseType !== undefined && baseType !== '' && { baseType }),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
        ...(seqFrom !== undefined && { seqFrom }),
        ...(seqTo !== undefined && { seqTo }),
        sort,
        offset,
        limit,
      });
      records = rows.map((r) => journal.check(r));
    }
    const out = records.map((r) => format(r, false));
    if (formatRaw === 'csv') {
      const csv = toCsv(out, query);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="events-${tenantId ?? DEFAULT_TENANT_NAME}.csv"`)
        .send(csv);
    }
    return out;
  };

  const getOne = async (request: FastifyRequest): Promise<unknown> => {
    const principal = principalOf(request);
    const { id } = request.params as { id: string };
    const n = integer(id, 'id', 1);
    const tenantId = tenantOf(request.query as Query, principal, false);
    const log = await readableLog(principal, tenantId);
    const record = log !== undefined && n <= log.size ? await readOne(log, n - 1) : undefined;
    if (record === undefined) throw new TamgaError('EVENT_NOT_FOUND', `No event ${n} in tenant ${tenantId ?? DEFAULT_TENANT_NAME}`, { field: 'id' });
    return format(record, false);
  };

  const post = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const principal = principalOf(request);
    if (!principal.canIngest) throw new TamgaError('FORBIDDEN', 'This key may not append events');
    const body = request.body;
    if (body instanceof NdjsonBatch || Array.isArray(body)) invalid('body', 'send one event as a JSON object');
    const tenantId = tenantOf(request.query as Query, principal, true);
    const input = parseAssetEvent(body);
    let result;
    const started = performance.now();
    try {
      [result] = await journal.append([{ ...input, tenantId }], principal.writeTenants ?? principal.tenants);
    } catch (error) {
      throw asEventApiError(error);
    }
    context.metrics?.appendCommitted([result!], (performance.now() - started) / 1000);
    const log = (await store.getLog(tenantId))!;
    const record = (await readOne(log, result!.seq))!;
    return reply.status(201).send(format(record, false));
  };

  const refuseDelete = (allow: string) => (_request: FastifyRequest, reply: FastifyReply) => {
    void reply.header('allow', allow);
    throw new TamgaError(
      'EVENTS_APPEND_ONLY',
      'Tamga is a tamper-evident journal: no event is deleted on request, and the log proves it. Old events leave only through retention, which is set per tenant and class, is journalled itself, and keeps what remains verifiable.',
      { retention: 'Ask an administrator to set the tenant’s retention; see docs/asset-server-event-api.md' },
    );
  };

  for (const prefix of ASSET_EVENT_PREFIXES) {
    app.get(`${prefix}/event/poll`, (request, reply) => poll(request, reply, undefined));
    app.get(`${prefix}/event/poll/:last_max_id`, (request, reply) => poll(request, reply, (request.params as { last_max_id: string }).last_max_id));
    app.get(`${prefix}/event/list`, list);
    app.get(`${prefix}/event/:id`, getOne);
    app.post(`${prefix}/event`, post);
    app.delete(`${prefix}/event`, refuseDelete('POST'));
    app.delete(`${prefix}/event/:id`, refuseDelete('GET'));
  }
}

/**
 * A refusal of the journal, with the record fields it names translated back to the Event API's attributes
 * (`ip` → `event.ipv4_address`, `eventName` → `event.type`), so the caller learns which attribute to fix.
 */
function asEventApiError(error: unknown): unknown {
  if (!(error instanceof ValidationError)) return error;
  const { index: _index, errors: _errors, field, ...details } = error.details;
  const recordField = typeof field === 'string' ? field : '';
  const attribute = assetAttributeOf(recordField);
  const message = error.message.replace(/^\[\d+\]\.[^:]*:\s*/, '');
  return new ValidationError(error.code, `${attribute}: ${message}`, { ...details, field: attribute });
}
