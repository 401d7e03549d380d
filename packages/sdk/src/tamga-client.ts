import { uuidv7 } from '@tamga/core';
import { isRetryableStatus, TamgaApiError } from './tamga-api-error.js';
import type { TamgaProblem } from './tamga-api-error.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfter } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';
import type { AppendAnswer, TamgaEvent } from './tamga-event.js';

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
    const batch = events.map((e) => (e.id === undefined ? { ...e, id: uuidv7() } : e));
    const res = await this.request('POST', '/api/v1/events', {
      body: batch,
      retry: this.#retry,
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    const answer = (await res.json()) as { items: AppendAnswer[] };
    return answer.items;
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
      const error = await this.#attempt(method, url, headers, body, options.signal);
      if (error instanceof Response) return error;
      if (!error.retryable || attempt >= maxAttempts || policy === false) throw error;
      const delayMs = backoffDelayMs(attempt, { ...this.#retry, ...policy }, error.retryAfterSeconds);
      this.#onRetry?.({ method, path, attempt, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }

  /** One attempt: the 2xx response, or the error it ended with. Aborts by the caller's signal are thrown. */
  async #attempt(method: string, url: string, headers: Record<string, string>, body: string | undefined, signal?: AbortSignal): Promise<Response | TamgaApiError> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    let res: Response;
    try {
      res = await this.#fetch(url, { method, headers, ...(body !== undefined && { body }), signal: controller.signal });
    } catch (cause) {
      if (signal?.aborted === true) throw signal.reason;
      const reason = timedOut ? `no answer within ${this.#timeoutMs} ms` : describeNetworkError(cause);
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
