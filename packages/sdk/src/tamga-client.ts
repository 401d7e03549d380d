import { openNote, parseBundleKeys, parseCheckpoint, uuidv7, verifiersFromKeys } from '@tamga/core';
import type { Checkpoint } from '@tamga/core';
import { isRetryableStatus, TamgaApiError } from './tamga-api-error.js';
import type { TamgaProblem } from './tamga-api-error.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfter } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';
import type { AppendAnswer, AppendCount, TamgaEvent } from './tamga-event.js';
import type {
  AssetPollEvent,
  AssetPollResult,
  CatalogItem,
  CatalogQuery,
  ConsistencyProof,
  EventPage,
  EventQuery,
  EventStats,
  InclusionProof,
  LogVerification,
  PublicKeys,
  TamgaReceipt,
  TamgaRecord,
  TamgaRecordWithProofData,
} from './api-types.js';
import { readTextLines } from './read-text-lines.js';

/** Options of {@link TamgaClient}. */
export interface TamgaClientConfig {
  /** Base URL of the Tamga server, e.g. `http://localhost:7300`. */
  readonly url: string;
  /** An API key (`tmg_…`), sent as `Authorization: Bearer`. */
  readonly apiKey?: string;
  /** The `fetch` to use. Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** How long one attempt may wait for the answer's headers, in ms. Default 30,000. */
  readonly timeoutMs?: number;
  /** How failed requests are retried ({@link DEFAULT_RETRY_POLICY} for what is not given). */
  readonly retry?: RetryPolicy;
  /** Told before each retry, e.g. to say on stderr that Tamga is unreachable. */
  readonly onRetry?: (info: RetryInfo) => void;
  /** Headers added to every request. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What {@link TamgaClientConfig.onRetry} is told. */
export interface RetryInfo {
  readonly method: string;
  readonly path: string;
  /** The attempt that failed (1 = the first). */
  readonly attempt: number;
  /** How long the client waits before the next attempt, in ms. */
  readonly delayMs: number;
  readonly error: TamgaApiError;
}

/** A query string value; arrays are sent comma-separated (`event=2001,2004`). */
export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;

/** Options of {@link TamgaClient.request}. */
export interface RequestOptions {
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** A JSON value (sent as `application/json`) or a string sent with `contentType`. */
  readonly body?: unknown;
  /** Content type of a string `body`. Default `application/json`. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** How long this call's attempts may wait for the answer's headers, in ms. Default: the client's `timeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * Retry policy of this call, or `false` for one attempt. Default: the client's policy for GET, HEAD, PUT and
   * DELETE, and one attempt for POST, which is not idempotent in general ({@link TamgaClient.append} is, and retries).
   */
  readonly retry?: RetryPolicy | false;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * A client of the Tamga HTTP API. Every call returns only once the server has answered; failures that may pass
 * (network errors, timeouts, 408, 429 and 5xx) are retried with exponential backoff and full jitter, honouring the
 * server's `Retry-After`; any other refusal throws {@link TamgaApiError} at once with the server's problem document.
 *
 * @example
 * const tamga = new TamgaClient({ url: 'http://localhost:7300', apiKey: process.env.TAMGA_API_KEY });
 * const [answer] = await tamga.append([{ event: 2001, entityData: 'logs, tenantId=', ip: '10.0.0.24' }]);
 */
export class TamgaClient {
  readonly #base: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #retry: Required<RetryPolicy>;
  readonly #onRetry: ((info: RetryInfo) => void) | undefined;

  constructor(config: TamgaClientConfig) {
    let base: URL;
    try {
      base = new URL(config.url);
    } catch {
      throw new TypeError(`TamgaClient: url "${config.url}" is not a URL (e.g. http://localhost:7300)`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`TamgaClient: url "${config.url}" must be http or https`);
    this.#base = base.href.replace(/\/+$/, '');
    this.#headers = { ...(config.apiKey !== undefined && { authorization: `Bearer ${config.apiKey}` }), ...config.headers };
    this.#fetch = config.fetch ?? globalThis.fetch;
    this.#timeoutMs = config.timeoutMs ?? 30_000;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...config.retry };
    this.#onRetry = config.onRetry;
  }

  /** The server's base URL, without a trailing slash. */
  get url(): string {
    return this.#base;
  }

  /**
   * Appends a batch (up to the server's batch limit, 10,000) and resolves with one answer per event, in input
   * order, after the server has durably committed the whole batch. Events without an `id` get a UUIDv7 first, so
   * every retry sends the same ids and a batch committed before its answer was lost is not stored twice
   * (`duplicate: true` then). Retried like any call (see the class); a refused batch stored nothing.
   */
  async append(events: readonly TamgaEvent[], options: { readonly signal?: AbortSignal } = {}): Promise<AppendAnswer[]> {
    const answer = (await (await this.#postBatch(events, options)).json()) as { items: AppendAnswer[] };
    return answer.items;
  }

  /**
   * {@link append} for a producer that keeps no receipt: the server answers with the batch's count and how many of its
   * events were stored before (`Prefer: return=minimal`), not with ~200 bytes per event, and spends less on the answer.
   * Resolves after the whole batch is committed, as `append` does.
   */
  async appendCounting(events: readonly TamgaEvent[], options: { readonly signal?: AbortSignal } = {}): Promise<AppendCount> {
    const answer = (await (await this.#postBatch(events, options, { prefer: 'return=minimal' })).json()) as AppendCount | { items: AppendAnswer[] };
    // A server that does not know the preference answers in full.
    if ('items' in answer) return { count: answer.items.length, duplicates: answer.items.filter((item) => item.duplicate).length };
    return answer;
  }

  /** Sends a batch to `POST /api/v1/events`, events without an `id` given a UUIDv7 first (so retries repeat them). */
  #postBatch(events: readonly TamgaEvent[], options: { readonly signal?: AbortSignal }, headers?: Readonly<Record<string, string>>): Promise<Response> {
    const batch = events.map((e) => (e.id === undefined ? { ...e, id: uuidv7() } : e));
    return this.request('POST', '/api/v1/events', {
      body: batch,
      retry: this.#retry,
      ...(headers !== undefined && { headers }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
  }

  /**
   * One page of events matching `filter`, newest first unless `filter.order` is `asc` (`GET /api/v1/events`).
   * `limit` 1–1,000, default 100; `cursor` is the previous page's `nextCursor`.
   */
  async queryPage(filter: EventQuery = {}, options: { readonly cursor?: string; readonly limit?: number; readonly signal?: AbortSignal } = {}): Promise<EventPage> {
    const params = eventQueryParams(filter);
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    if (options.cursor !== undefined) params.set('cursor', options.cursor);
    return this.#json<EventPage>(`/api/v1/events?${params}`, options.signal);
  }

  /**
   * Every event matching `filter`, page after page (following `nextCursor`, `pageSize` per request, default 1,000).
   *
   * @example
   * for await (const record of tamga.query({ from: '2026-11-22T00:00:00Z', to: '2026-11-23T00:00:00Z', event: [2001, 2004] })) …
   */
  async *query(filter: EventQuery = {}, options: { readonly pageSize?: number; readonly signal?: AbortSignal } = {}): AsyncGenerator<TamgaRecord> {
    let cursor: string | undefined;
    do {
      const page = await this.queryPage(filter, {
        limit: options.pageSize ?? 1000,
        ...(cursor !== undefined && { cursor }),
        ...(options.signal !== undefined && { signal: options.signal }),
      });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Count and histogram of the events matching `filter` (`GET /api/v1/events/stats`); `interval` in seconds. */
  stats(filter: EventQuery = {}, options: { readonly interval?: number; readonly signal?: AbortSignal } = {}): Promise<EventStats> {
    const params = eventQueryParams(filter);
    if (options.interval !== undefined) params.set('interval', String(options.interval));
    return this.#json<EventStats>(`/api/v1/events/stats?${params}`, options.signal);
  }

  /** One event with its canonical bytes and leaf hash (`GET /api/v1/events/{id}`); `EVENT_NOT_FOUND` when missing. */
  getEvent(id: string, options: { readonly signal?: AbortSignal } = {}): Promise<TamgaRecordWithProofData> {
    return this.#json<TamgaRecordWithProofData>(`/api/v1/events/${encodeURIComponent(id)}`, options.signal);
  }

  /**
   * An event's receipt: the record, its inclusion proof and the signed checkpoint (`GET /api/v1/events/{id}/receipt`).
   * A checkpoint follows an append within about a second; until then the server answers 503 and this call retries.
   * Check it with `verifyReceipt`.
   */
  receipt(id: string, options: { readonly signal?: AbortSignal } = {}): Promise<TamgaReceipt> {
    return this.#json<TamgaReceipt>(`/api/v1/events/${encodeURIComponent(id)}/receipt`, options.signal);
  }

  /** The RFC 9162 inclusion proof of the record at `seq` in the tree of size `treeSize` of a tenant's log. */
  inclusionProof(tenant: string | null, seq: number, treeSize: number): Promise<InclusionProof> {
    return this.#json<InclusionProof>(`${logPath(tenant)}/proofs/inclusion?seq=${seq}&treeSize=${treeSize}`);
  }

  /** The RFC 9162 consistency proof between two sizes of a tenant's log. */
  consistencyProof(tenant: string | null, from: number, to: number): Promise<ConsistencyProof> {
    return this.#json<ConsistencyProof>(`${logPath(tenant)}/proofs/consistency?from=${from}&to=${to}`);
  }

  /** The newest signed checkpoint of a tenant's log: a C2SP signed note (text); parse it with core's `parseCheckpoint`. */
  async checkpoint(tenant: string | null): Promise<string> {
    return (await this.request('GET', `${logPath(tenant)}/checkpoint`, { headers: { accept: 'text/plain' } })).text();
  }

  /**
   * The newest checkpoint of a tenant's log with its signature checked (C2SP signed note, Ed25519) against `keys`
   * (a `/.well-known/tamga-keys` document saved earlier or obtained out of band; default: fetched from this server
   * now, which trusts the server). Its `rootHash` is what inclusion and consistency proofs lead to.
   *
   * @throws VerificationError `KEY_UNKNOWN`, `SIGNATURE_INVALID`, `NOTE_MALFORMED` or `CHECKPOINT_INVALID`.
   */
  async verifiedCheckpoint(tenant: string | null, options: { readonly keys?: unknown } = {}): Promise<Checkpoint & { readonly note: string; readonly signedBy: readonly string[] }> {
    const keys = options.keys ?? (await this.publicKeys());
    const note = await this.checkpoint(tenant);
    const opened = openNote(note, verifiersFromKeys(parseBundleKeys(keys)));
    return { ...parseCheckpoint(opened.text), note, signedBy: opened.verified.map((v) => v.name) };
  }

  /** The public checkpoint keys and the HMAC key ids with their validity windows (`/.well-known/tamga-keys`). */
  publicKeys(): Promise<PublicKeys> {
    return this.#json<PublicKeys>('/.well-known/tamga-keys');
  }

  /**
   * The server's check of a range `[from, to)` of a tenant's log (`GET /api/v1/logs/{tenant}/verify`; default the
   * newest 10,000 records). `maxAge` (seconds) lets it reuse a check that recent. For evidence that does not trust the
   * server, export and verify offline.
   */
  verifyLog(tenant: string | null, range: { readonly from?: number | string; readonly to?: number | string; readonly maxAge?: number } = {}): Promise<LogVerification> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(range)) if (value !== undefined) params.set(name, String(value));
    return this.#json<LogVerification>(`${logPath(tenant)}/verify${params.size > 0 ? `?${params}` : ''}`);
  }

  /**
   * A tenant's log as an evidence bundle in its single-stream form (`GET /api/v1/logs/{tenant}/export`,
   * docs/bundle-format.md): NDJSON bytes to write to a file for `tamga verify FILE`. `from`/`to` are seqs `[from, to)`
   * or RFC 3339 times. The export is journalled (JournalExported).
   */
  async exportLog(tenant: string | null, range: { readonly from?: number | string; readonly to?: number | string; readonly signal?: AbortSignal } = {}): Promise<ReadableStream<Uint8Array>> {
    const params = new URLSearchParams();
    if (range.from !== undefined) params.set('from', String(range.from));
    if (range.to !== undefined) params.set('to', String(range.to));
    const res = await this.request('GET', `${logPath(tenant)}/export${params.size > 0 ? `?${params}` : ''}`, {
      headers: { accept: 'application/x-ndjson' },
      ...(range.signal !== undefined && { signal: range.signal }),
    });
    return res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  }

  /** {@link exportLog} as parsed lines: `{type: 'manifest'}`, `{type: 'keys'}`, checkpoints, records, `{type: 'end'}`. */
  async *exportLines(tenant: string | null, range: { readonly from?: number | string; readonly to?: number | string; readonly signal?: AbortSignal } = {}): AsyncGenerator<Record<string, unknown>> {
    for await (const line of readTextLines(await this.exportLog(tenant, range), range.signal)) if (line !== '') yield JSON.parse(line) as Record<string, unknown>;
  }

  /** Catalogue entries the caller sees (`GET /api/v1/catalog`), filtered and localized. */
  async catalog(query: CatalogQuery = {}): Promise<CatalogItem[]> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined) continue;
      params.set(name, value === null ? 'default' : Array.isArray(value) ? value.join(',') : String(value));
    }
    return (await this.#json<{ items: CatalogItem[] }>(`/api/v1/catalog${params.size > 0 ? `?${params}` : ''}`)).items;
  }

  /** One catalogue entry by code or name (`GET /api/v1/catalog/{code}`); `CATALOG_NOT_FOUND` when none has it. */
  catalogEntry(codeOrName: number | string, options: { readonly tenantId?: string | null; readonly lang?: 'en' | 'ru' } = {}): Promise<CatalogItem> {
    const params = new URLSearchParams();
    if (options.tenantId !== undefined) params.set('tenantId', options.tenantId ?? 'default');
    if (options.lang !== undefined) params.set('lang', options.lang);
    return this.#json<CatalogItem>(`/api/v1/catalog/${encodeURIComponent(String(codeOrName))}${params.size > 0 ? `?${params}` : ''}`);
  }

  /**
   * New events as they are committed (`GET /api/v1/events/stream`, Server-Sent Events), matching `filter` (its
   * `from`/`to` do not apply). Ends when `signal` aborts; throws `TamgaApiError` `STREAM_OVERFLOW` when the server
   * cut the stream off because this reader fell too far behind. `onCursor` receives the stream's resume cursor as it
   * moves; a later `stream` of the same filter with it as `lastEventId` first sends what was appended since (throws
   * `STREAM_RELOAD` when that is too much to catch up on: read the range with `events` instead).
   */
  async *stream(
    filter: EventQuery = {},
    options: { readonly signal?: AbortSignal; readonly lastEventId?: string; readonly onCursor?: (cursor: string) => void } = {},
  ): AsyncGenerator<TamgaRecord> {
    const { from: _from, to: _to, ...rest } = filter;
    const params = eventQueryParams(rest);
    const res = await this.request('GET', `/api/v1/events/stream${params.size > 0 ? `?${params}` : ''}`, {
      headers: { accept: 'text/event-stream', ...(options.lastEventId !== undefined && { 'last-event-id': options.lastEventId }) },
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    if (res.body === null) return;
    let data: string[] = [];
    let name = 'message';
    let id: string | undefined;
    try {
      for await (const line of readTextLines(res.body, options.signal)) {
        if (line !== '') {
          // HTML Living Standard §9.2.6: "field: value", one optional space after the colon; ":" starts a comment.
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
          if (field === 'data') data.push(value);
          else if (field === 'event') name = value;
          else if (field === 'id') id = value;
          continue;
        }
        if (name === 'overflow') {
          throw new TamgaApiError('The server cut the stream off: this reader fell too far behind', { status: 0, code: 'STREAM_OVERFLOW', retryable: true });
        }
        if (name === 'reload') {
          throw new TamgaApiError('Too much was appended since lastEventId to catch up on: read the range instead', { status: 0, code: 'STREAM_RELOAD', retryable: false });
        }
        // The cursor is told before its record is handed over: a consumer that stores it resumes after that record.
        if (id !== undefined) options.onCursor?.(id);
        id = undefined;
        if (data.length > 0 && name === 'message') yield JSON.parse(data.join('\n')) as TamgaRecord;
        data = [];
        name = 'message';
      }
    } catch (error) {
      if (options.signal?.aborted === true) return;
      throw error;
    }
  }

  /**
   * One poll of the asset server's Event API (`GET /api/v1/event/poll[/{lastMaxId}]`, issue #16): the pollable events
   * with `_id > lastMaxId`, in `_id` order, in the short format, with Tamga's evidence in `_tamga`. Without `lastMaxId`
   * the server starts at its newest event. `limit` defaults to 25 on the server (0 = 1,000, at most 1,000); `timeout`
   * (seconds, at most 60) waits for the next pollable event instead of answering empty at once.
   */
  async poll(
    lastMaxId?: number,
    options: { readonly limit?: number; readonly timeout?: number; readonly tenantId?: string | null; readonly signal?: AbortSignal } = {},
  ): Promise<AssetPollResult> {
    const params = new URLSearchParams();
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    if (options.timeout !== undefined) params.set('timeout', String(options.timeout));
    if (options.tenantId !== undefined) params.set('tenantId', options.tenantId ?? 'default');
    const path = `/api/v1/event/poll${lastMaxId === undefined ? '' : `/${lastMaxId}`}${params.size > 0 ? `?${params}` : ''}`;
    const res = await this.request('GET', path, {
      // A long poll answers only when an event comes or its timeout passes.
      timeoutMs: Math.max(this.#timeoutMs, ((options.timeout ?? 0) + 10) * 1000),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    const body = (await res.json()) as unknown;
    const events = Array.isArray(body) ? body : ((body as { events?: unknown; items?: unknown }).events ?? (body as { items?: unknown }).items ?? []);
    const header = res.headers.get('x-tamga-max-event-id');
    return { events: events as AssetPollEvent[], maxEventId: header === null || header === '' ? undefined : Number(header) };
  }

  /**
   * Follows the Event API's poll with long polls, yielding each pollable event once, in `_id` order, until `signal`
   * aborts. Starts after `after` (`0` = from the first event), or at the newest event when not given. Unreachable
   * servers are retried with backoff.
   */
  async *pollEvents(
    options: { readonly after?: number; readonly limit?: number; readonly timeout?: number; readonly tenantId?: string | null; readonly signal?: AbortSignal } = {},
  ): AsyncGenerator<AssetPollEvent> {
    let after = options.after;
    let attempt = 0;
    while (!isAborted(options.signal)) {
      let result: AssetPollResult;
      try {
        result = await this.poll(after, {
          limit: options.limit ?? 1000,
          timeout: options.timeout ?? 30,
          ...(options.tenantId !== undefined && { tenantId: options.tenantId }),
          ...(options.signal !== undefined && { signal: options.signal }),
        });
        attempt = 0;
      } catch (error) {
        if (isAborted(options.signal)) return;
        if (!(error instanceof TamgaApiError) || !error.retryable) throw error;
        await sleep(backoffDelayMs(++attempt, this.#retry, error.retryAfterSeconds), options.signal).catch(() => undefined);
        continue;
      }
      for (const event of result.events) {
        if (after !== undefined && event.event._id <= after) continue;
        after = event.event._id;
        yield event;
      }
      // Nothing came and no id was known yet: start from the newest the server named, so nothing after it is missed.
      if (after === undefined && result.maxEventId !== undefined) after = result.maxEventId;
    }
  }

  async #json<T>(path: string, signal?: AbortSignal): Promise<T> {
    return (await (await this.request('GET', path, signal === undefined ? {} : { signal })).json()) as T;
  }

  /**
   * Sends one request to `path` (e.g. `/api/v1/events`) and resolves with the 2xx response, its body unread (it may
   * be a long stream: the timeout covers only the wait for the headers). Throws {@link TamgaApiError} for any other
   * answer once retries are exhausted, or the abort reason when `signal` aborts.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.#url(path, options.query);
    const headers: Record<string, string> = { accept: 'application/json', ...this.#headers, ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = typeof options.body === 'string' ? (options.contentType ?? 'application/json') : 'application/json';
    }
    const policy = options.retry ?? (method === 'POST' ? false : this.#retry);
    const maxAttempts = policy === false ? 1 : (policy.maxAttempts ?? this.#retry.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      const error = await this.#attempt(method, url, headers, body, options.signal, options.timeoutMs ?? this.#timeoutMs);
      if (error instanceof Response) return error;
      if (!error.retryable || attempt >= maxAttempts || policy === false) throw error;
      const delayMs = backoffDelayMs(attempt, { ...this.#retry, ...policy }, error.retryAfterSeconds);
      this.#onRetry?.({ method, path, attempt, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }

  /** One attempt: the 2xx response, or the error it ended with. Aborts by the caller's signal are thrown. */
  async #attempt(method: string, url: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined, timeoutMs: number): Promise<Response | TamgaApiError> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    let res: Response;
    try {
      res = await this.#fetch(url, { method, headers, ...(body !== undefined && { body }), signal: controller.signal });
    } catch (cause) {
      if (signal?.aborted === true) throw signal.reason;
      const reason = timedOut ? `no answer within ${timeoutMs} ms` : describeNetworkError(cause);
      return new TamgaApiError(`${method} ${url}: ${reason}`, { status: 0, code: timedOut ? 'TIMEOUT' : 'NETWORK', retryable: true, cause });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if (res.ok) return res;
    const problem = await readProblem(res);
    const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'));
    return new TamgaApiError(`${method} ${url}: ${res.status} ${problem?.detail ?? res.statusText}${problem?.code !== undefined ? ` [${problem.code}]` : ''}`, {
      status: res.status,
      code: problem?.code ?? `HTTP_${res.status}`,
      ...(problem !== undefined && { problem }),
      retryable: isRetryableStatus(res.status),
      ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    });
  }

  #url(path: string, query: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      params.set(name, Array.isArray(value) ? value.join(',') : String(value));
    }
    const qs = params.toString();
    return `${this.#base}${path.startsWith('/') ? path : `/${path}`}${qs === '' ? '' : `?${qs}`}`;
  }
}

/** The problem document of an error answer, if it has one. */
async function readProblem(res: Response): Promise<TamgaProblem | undefined> {
  try {
    const text = await res.text();
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as TamgaProblem) : undefined;
  } catch {
    return undefined;
  }
}

/** "connection refused (ECONNREFUSED)" rather than fetch's bare "fetch failed". */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code !== undefined) return `${cause.message ?? 'network error'} (${cause.code})`;
  return (error as Error).message ?? String(error);
}

/** Whether `signal` has aborted (a function, so TypeScript does not narrow it away across awaits). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** `/api/v1/logs/{tenant}` (`default` for the default tenant). */
function logPath(tenant: string | null): string {
  return `/api/v1/logs/${encodeURIComponent(tenant ?? 'default')}`;
}

const toTime = (t: string | Date): string => (t instanceof Date ? t.toISOString() : t);

/** The query string of an {@link EventQuery}: lists comma-separated, exclusions of free text repeated. */
function eventQueryParams(filter: EventQuery): URLSearchParams {
  const params = new URLSearchParams();
  const list = (name: string, value: string | number | null | readonly (string | number | null)[] | undefined): void => {
    if (value === undefined) return;
    const values = (Array.isArray(value) ? value : [value]) as (string | number | null)[];
    if (values.length > 0) params.set(name, values.map((v) => (v === null ? 'default' : String(v))).join(','));
  };
  if (filter.from !== undefined) params.set('from', toTime(filter.from));
  if (filter.to !== undefined) params.set('to', toTime(filter.to));
  list('event', filter.event);
  list('classifiedEvent', filter.classifiedEvent);
  list('tenantId', filter.tenantId);
  for (const name of ['outcome', 'operationKey', 'userId', 'nodeId', 'ip', 'q', 'order'] as const) {
    const value = filter[name];
    if (value !== undefined) params.set(name, value);
  }
  const not = filter.not ?? {};
  list('not.event', not.event);
  list('not.classifiedEvent', not.classifiedEvent);
  list('not.tenantId', not.tenantId);
  // Free-text values may hold commas: the server takes these repeated, one value each.
  for (const name of ['userId', 'ip', 'operationKey', 'nodeId'] as const) for (const value of not[name] ?? []) params.append(`not.${name}`, value);
  return params;
}
