import type { CatalogItem, JournalRecord, RecordPage, RecordStats } from './journal-record.js';

/**
 * An error from the API or the network. `code` is the server's problem code (`UNAUTHENTICATED`,
 * `VALIDATION_FAILED`, ...) or one of the page's own: `NETWORK` (server unreachable), `BAD_RESPONSE`.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** True when the server could not be reached at all. */
  get isNetwork(): boolean {
    return this.code === 'NETWORK';
  }
}

/** True for an aborted fetch (a newer request replaced it). */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

interface ProblemBody {
  readonly code?: unknown;
  readonly detail?: unknown;
  readonly title?: unknown;
  readonly field?: unknown;
}

async function toApiError(response: Response): Promise<ApiError> {
  let body: ProblemBody = {};
  try {
    body = (await response.json()) as ProblemBody;
  } catch {
    // A proxy's HTML error page, or an empty body: keep the status.
  }
  const code = typeof body.code === 'string' ? body.code : `HTTP_${response.status}`;
  const detail =
    typeof body.detail === 'string'
      ? body.detail
      : typeof body.title === 'string'
        ? body.title
        : response.statusText;
  return new ApiError(
    code,
    detail || `HTTP ${response.status}`,
    response.status,
    typeof body.field === 'string' ? body.field : undefined,
  );
}

/** A password session: the HttpOnly cookie travels by itself; state-changing calls add the CSRF token. */
export interface SessionCredentials {
  readonly csrfToken: string;
}

/**
 * The journal API as the page uses it. With an API key every call sends `Authorization: Bearer <key>`;
 * with a password session the browser sends the session cookie and non-GET calls send `x-csrf-token`.
 * Failures throw {@link ApiError}, aborts throw the fetch `AbortError`.
 */
export class TamgaApi {
  constructor(
    private readonly credentials: string | SessionCredentials,
    private readonly fetchFn: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  #authHeaders(method: string): Record<string, string> {
    if (typeof this.credentials === 'string') return { authorization: `Bearer ${this.credentials}` };
    return method === 'GET' || method === 'HEAD' ? {} : { 'x-csrf-token': this.credentials.csrfToken };
  }

  /** `GET path` returning the raw response (after turning errors into {@link ApiError}). */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchFn(path, {
        ...init,
        credentials: 'same-origin',
        headers: {
          accept: 'application/json',
          ...init.headers,
          ...this.#authHeaders((init.method ?? 'GET').toUpperCase()),
        },
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError('NETWORK', (error as Error).message, 0);
    }
    if (!response.ok) throw await toApiError(response);
    return response;
  }

  async getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    const response = await this.request(path, signal ? { signal } : {});
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(
        'BAD_RESPONSE',
        'The server answered with something other than JSON',
        response.status,
      );
    }
  }

  /** One page of records. */
  events(params: URLSearchParams, signal?: AbortSignal): Promise<RecordPage> {
    return this.getJson<RecordPage>(`/api/v1/events?${params.toString()}`, signal);
  }

  /** User names starting with `prefix` in the caller's tenants (the user filter's suggestions). */
  suggestUsers(prefix: string, signal?: AbortSignal): Promise<{ items: string[] }> {
    return this.getJson<{ items: string[] }>(`/api/v1/users/suggest?limit=10&prefix=${encodeURIComponent(prefix)}`, signal);
  }

  /** Count and histogram of the same filter. */
  stats(params: URLSearchParams, signal?: AbortSignal): Promise<RecordStats> {
    return this.getJson<RecordStats>(`/api/v1/events/stats?${params.toString()}`, signal);
  }

  /** One record by id. */
  event(id: string, signal?: AbortSignal): Promise<JournalRecord> {
    return this.getJson<JournalRecord>(`/api/v1/events/${encodeURIComponent(id)}`, signal);
  }

  /** The catalogue of event types, every page of it (the server answers at most 1,000 entries a page). */
  async catalog(signal?: AbortSignal): Promise<{ items: CatalogItem[] }> {
    const items: CatalogItem[] = [];
    let cursor: string | null = null;
    do {
      const path: string = cursor === null ? '/api/v1/catalog' : `/api/v1/catalog?cursor=${encodeURIComponent(cursor)}`;
      const page: { items: CatalogItem[]; nextCursor?: string | null } = await this.getJson(path, signal);
      items.push(...page.items);
      cursor = page.nextCursor ?? null;
    } while (cursor !== null);
    return { items };
  }

  /**
   * Every record of a filter, page after page (limit 1000), in the order of the filter. `onProgress`
   * gets the number fetched so far. Used by export and the operation view.
   */
  async allEvents(
    params: URLSearchParams,
    onProgress?: (fetched: number) => void,
    signal?: AbortSignal,
  ): Promise<JournalRecord[]> {
    const all: JournalRecord[] = [];
    let cursor: string | null = null;
    do {
      const page = new URLSearchParams(params);
      page.set('limit', '1000');
      if (cursor !== null) page.set('cursor', cursor);
      const result: RecordPage = await this.events(page, signal);
      all.push(...result.items);
      onProgress?.(all.length);
      cursor = result.nextCursor;
    } while (cursor !== null);
    return all;
  }
}
