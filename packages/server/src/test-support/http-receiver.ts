import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Decides the answer to a request: a status (and optional body and headers), or `hang` to never answer. */
export type ReceiverAnswer = number | { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/**
 * An HTTP receiver on loopback for forwarding tests: keeps every request it answered with a 2xx (`accepted`) and
 * every request at all (`requests`), and answers as `answer` says (default 200). It can be stopped and started
 * again on the same port, as a SIEM restarts.
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly accepted: ReceivedRequest[] = [];
  answer: (request: ReceivedRequest) => ReceiverAnswer = () => 200;
  #server: Server | undefined;
  #port = 0;
  readonly #hanging = new Set<ServerResponse>();

  /** Listens (on a free port the first time, on the same port afterwards). */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
        this.requests.push(request);
        const answer = this.answer(request);
        if (answer === 'hang') {
          this.#hanging.add(res);
          return;
        }
        const { status, body, headers } = typeof answer === 'number' ? { status: answer, body: undefined, headers: undefined } : answer;
        if (status >= 200 && status < 300) this.accepted.push(request);
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        res.end(body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** The receiver's base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Stops listening and drops every connection (answers nothing more). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Waits until `condition` holds, polling every 20 ms; fails after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
