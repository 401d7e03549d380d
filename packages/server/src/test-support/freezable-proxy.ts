import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/** What to do when the client's bytes hold a pattern: see {@link FreezableProxy.when}. */
export type ProxyAction =
  /** Forward them, then hold every answer of that connection (the server did the work; the client never hears). */
  | 'lose-answers'
  /** Forward them, then freeze everything (as if the server stopped right after receiving them). */
  | 'freeze'
  /** Drop them and cut that connection (the server vanished mid-conversation). */
  | 'cut';

interface Pair {
  readonly client: Socket;
  readonly server: Socket;
  toServer: Buffer[];
  toClient: Buffer[];
  answersLost: boolean;
}

/**
 * A TCP proxy on loopback between a client and a real server (PostgreSQL) that a test can freeze: no byte moves in
 * either direction and new connections are accepted but not served — what a client sees of a SIGSTOPped database,
 * without stopping the shared server that other tests use. Held bytes are delivered on {@link thaw}.
 */
export class FreezableProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  #frozen = false;
  #trigger: { pattern: Buffer; action: ProxyAction } | undefined;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on a free loopback port and forwards to `host:port`. */
  static async start(host: string, port: number): Promise<FreezableProxy> {
    const server = createServer();
    const proxy = new FreezableProxy(server);
    server.on('connection', (client) => proxy.#accept(client, host, port));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's port on 127.0.0.1. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Rewrites a `postgres://` URL to go through the proxy. */
  url(target: string): string {
    const u = new URL(target);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Stops every byte, both ways, on every connection, new ones included. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Delivers what was held and forwards again. */
  thaw(): void {
    this.#frozen = false;
    for (const pair of this.#pairs) this.#flush(pair);
  }

  /** Arms a one-shot trigger: the next client chunk holding `pattern` (e.g. `COMMIT`) gets `action`. */
  when(pattern: string, action: ProxyAction): void {
    this.#trigger = { pattern: Buffer.from(pattern, 'utf8'), action };
  }

  /** Cuts every connection and stops listening. */
  async close(): Promise<void> {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.server.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, host: string, port: number): void {
    const server = createConnection({ host, port });
    const pair: Pair = { client, server, toServer: [], toClient: [], answersLost: false };
    this.#pairs.add(pair);
    const end = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    // The client left: what it sent before is still delivered (a server reads its socket to the end), on thaw.
    client.on('error', end).on('close', () => this.#flush(pair));
    server.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      const trigger = this.#trigger;
      if (trigger !== undefined && chunk.includes(trigger.pattern)) {
        this.#trigger = undefined;
        if (trigger.action === 'cut') return end();
        pair.toServer.push(chunk);
        this.#flush(pair);
        if (trigger.action === 'lose-answers') pair.answersLost = true;
        else this.#frozen = true;
        return;
      }
      pair.toServer.push(chunk);
      this.#flush(pair);
    });
    server.on('data', (chunk: Buffer) => {
      if (pair.answersLost) return;
      pair.toClient.push(chunk);
      this.#flush(pair);
    });
  }

  #flush(pair: Pair): void {
    if (this.#frozen) return;
    for (const chunk of pair.toServer.splice(0)) pair.server.write(chunk);
    if (!pair.client.destroyed) for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
    if (pair.client.destroyed) {
      // The client is gone: once its last bytes are out, end the server side too (as its FIN would).
      pair.server.end();
      this.#pairs.delete(pair);
    }
  }
}
