/**
 * Network errors of every command, told in one line with the URL and the cause (`main` in `index.ts`): `fetch`
 * throws a bare `TypeError: fetch failed` whose cause holds what happened, and which names no URL.
 */

/** Error messages of undici's `fetch` that mean the network failed (not the program). */
const FETCH_FAILURES = new Set(['fetch failed', 'terminated']);

/** Watches the URLs the commands fetch, so that a failure can name the one it happened on. */
export class FetchWatch {
  #lastUrl: string | undefined;
  #original: typeof fetch | undefined;

  /** The URL most recently fetched, if any. */
  get lastUrl(): string | undefined {
    return this.#lastUrl;
  }

  /** Wraps the global `fetch` (which every command uses by default) until {@link FetchWatch.restore}. */
  install(): void {
    const original = globalThis.fetch;
    this.#original = original;
    globalThis.fetch = (input, init) => {
      this.#lastUrl = input instanceof Request ? input.url : String(input);
      return original(input, init);
    };
  }

  restore(): void {
    if (this.#original !== undefined) globalThis.fetch = this.#original;
    this.#original = undefined;
  }

  /**
   * One line for a network error (`cannot reach http://…: connect ECONNREFUSED 127.0.0.1:9`), or undefined when
   * `error` is not one, or no URL was fetched.
   */
  describe(error: unknown): string | undefined {
    const url = this.#lastUrl;
    if (url === undefined || !(error instanceof Error)) return undefined;
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer from ${url} in time (${error.message})`;
    if (!(error instanceof TypeError)) return undefined;
    const cause = error.cause instanceof Error ? error.cause : undefined;
    if (error.message.startsWith('Failed to parse URL')) return `cannot reach ${url}: it is not a valid URL`;
    if (!FETCH_FAILURES.has(error.message)) return undefined;
    const why = cause === undefined ? error.message : describeCause(cause);
    return error.message === 'terminated' ? `the connection to ${url} broke off: ${why}` : `cannot reach ${url}: ${why}`;
  }
}

/** The cause's own words, with its code when they leave it out (`UND_ERR_CONNECT_TIMEOUT`). */
function describeCause(cause: Error): string {
  // The fetch standard refuses some ports outright (§2.9, "bad port": 1, 9, 25, 6000, …).
  if (cause.message === 'bad port') return 'fetch refuses this port (a "bad port" of the fetch standard); use another';
  const code = (cause as { code?: unknown }).code;
  const message = cause.message.split('\n')[0] ?? '';
  if (typeof code === 'string' && !message.includes(code)) return message === '' ? code : `${message} (${code})`;
  return message === '' ? cause.name : message;
}
