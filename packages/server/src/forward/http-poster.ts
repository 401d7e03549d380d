import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DeliveryError } from './delivery-error.js';

/** Options of {@link HttpPoster}. */
export interface HttpPosterConfig {
  readonly url: string;
  /** Longest wait for the whole exchange (connect, send, answer), ms. */
  readonly timeoutMs: number;
  /** `https://`: CAs to trust instead of the system's, the name to check, a client certificate and its key. */
  readonly tls?: { readonly ca?: string; readonly serverName?: string; readonly cert?: string; readonly key?: string };
}

/** HTTP answers that refuse the records themselves: sending the same records again cannot succeed. */
const REFUSING_STATUSES = new Set([400, 413, 415, 422]);
/** Most of an error answer kept for the message. */
const MAX_ANSWER = 500;

/**
 * POSTs bodies to one URL over a kept-alive connection (`node:http`/`node:https`, so a destination can trust its own
 * CA). A 2xx answer is a delivery. 400, 413, 415 and 422 refuse the body (`refused`); every other answer (3xx,
 * 401, 403, 404, 408, 429, 5xx), a network error and a time-out are `failed`, to be retried — they say something
 * about the receiver or the settings, not about the records. `Retry-After` is passed on.
 */
export class HttpPoster {
  readonly #config: HttpPosterConfig;
  readonly #url: URL;
  readonly #agent: HttpAgent;

  constructor(config: HttpPosterConfig) {
    this.#config = config;
    this.#url = new URL(config.url);
    const tls = config.tls;
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            maxSockets: 1,
            minVersion: 'TLSv1.2',
            ...(tls?.ca !== undefined && { ca: tls.ca }),
            ...(tls?.serverName !== undefined && { servername: tls.serverName }),
            ...(tls?.cert !== undefined && { cert: tls.cert }),
            ...(tls?.key !== undefined && { key: tls.key }),
          })
        : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** POSTs `body`; resolves with the status of a 2xx answer, rejects with a {@link DeliveryError} otherwise. */
  post(body: Buffer, headers: OutgoingHttpHeaders): Promise<number> {
    const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
    const target = this.#url.origin + this.#url.pathname;
    return new Promise<number>((resolve, reject) => {
      const request = send(this.#url, { method: 'POST', agent: this.#agent, headers: { ...headers, 'content-length': body.length } });
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${this.#config.timeoutMs} ms`)), this.#config.timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(new DeliveryError(`POST ${target} failed: ${error.message}`, 'failed', undefined, { cause: error }));
      });
      request.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < MAX_ANSWER) chunks.push(chunk);
          kept += chunk.length;
        });
        response.on('error', () => undefined);
        response.on('end', () => {
          clearTimeout(timer);
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(status);
            return;
          }
          const answer = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER).replace(/\s+/g, ' ').trim();
          const retryAfter = Number(response.headers['retry-after']);
          reject(
            new DeliveryError(
              `POST ${target} answered ${status}${answer === '' ? '' : `: ${answer}`}`,
              REFUSING_STATUSES.has(status) ? 'refused' : 'failed',
              Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
            ),
          );
        });
      });
      request.end(body);
    });
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.#agent.destroy();
  }
}
