import { createSocket } from 'node:dgram';
import type { Socket as DgramSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect as connectTcp, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { DeliveryError } from './delivery-error.js';

/** Options of {@link SyslogConnection}. */
export interface SyslogConnectionConfig {
  readonly transport: 'tcp' | 'tls' | 'udp';
  readonly host: string;
  readonly port: number;
  /** Longest wait for a connection (and TLS handshake) or for a write to reach the operating system, ms. */
  readonly timeoutMs: number;
  /** TLS (RFC 5425): CAs to trust instead of the system's, the name to check, a client certificate and its key. */
  readonly tls?: { readonly ca?: string; readonly serverName?: string; readonly cert?: string; readonly key?: string };
  /** How long a connection must stay up after a write before what was written counts as delivered, ms. Default 5000. */
  readonly settleMs?: number;
}

/** What {@link SyslogConnection.send} hands back: which connection took the messages, and when. */
export interface SendReceipt {
  readonly generation: number;
  readonly at: number;
}

/** Default of {@link SyslogConnectionConfig.settleMs}. */
export const DEFAULT_SETTLE_MS = 5_000;

/** Generations whose loss time is remembered (older receipts are long settled or long rewound). */
const REMEMBERED_LOSSES = 64;

/**
 * A connection to a syslog receiver: TCP with octet counting (RFC 6587 §3.4.1, `MSG-LEN SP SYSLOG-MSG`), TLS
 * (RFC 5425, the same framing inside TLS 1.2+), or UDP (RFC 5426, one message per datagram, on a connected socket
 * so that an ICMP "port unreachable" surfaces as an error). It connects on the first send and again after a loss.
 *
 * Syslog has no acknowledgements, so a write that reached the operating system may still be lost if the receiver
 * goes away. Each connection has a generation number; {@link SyslogConnection.settled} tells whether messages sent
 * under a generation at a time stayed delivered: the connection was still up `settleMs` after them. Messages that
 * did not settle are sent again (at-least-once; a receiver that stops gracefully loses nothing).
 */
export class SyslogConnection {
  readonly #config: SyslogConnectionConfig;
  readonly #settleMs: number;
  #socket: Socket | undefined;
  #dgram: DgramSocket | undefined;
  #connecting: Promise<void> | undefined;
  #generation = 0;
  /** When each lost generation was lost (ms). */
  readonly #lostAt = new Map<number, number>();
  #closed = false;

  constructor(config: SyslogConnectionConfig) {
    this.#config = config;
    this.#settleMs = config.settleMs ?? DEFAULT_SETTLE_MS;
  }

  /** The current connection's generation (it grows with each loss). */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Whether messages sent under `receipt` are delivered for good (`settled`), may still be lost (`pending`), or went
   * with a connection that was lost before they settled (`lost`: send them again).
   */
  settled(receipt: SendReceipt, now: number = Date.now()): 'settled' | 'pending' | 'lost' {
    const lostAt = this.#lostAt.get(receipt.generation);
    if (lostAt !== undefined) return lostAt - receipt.at >= this.#settleMs ? 'settled' : 'lost';
    if (receipt.generation !== this.#generation) return 'lost';
    return now - receipt.at >= this.#settleMs ? 'settled' : 'pending';
  }

  #lose(): void {
    if (this.#lostAt.has(this.#generation)) return;
    this.#lostAt.set(this.#generation, Date.now());
    if (this.#lostAt.size > REMEMBERED_LOSSES) this.#lostAt.delete(this.#lostAt.keys().next().value!);
    this.#generation++;
    const socket = this.#socket;
    const dgram = this.#dgram;
    this.#socket = undefined;
    this.#dgram = undefined;
    socket?.destroy();
    if (dgram !== undefined) {
      try {
        dgram.close();
      } catch {
        // already closed
      }
    }
  }

  /**
   * Sends messages (each one syslog message) in order. Resolves when they reached the operating system, with the
   * receipt to ask {@link SyslogConnection.settled} about; rejects with a `failed` {@link DeliveryError} when there
   * is no connection, the handshake or a write times out, or the connection breaks.
   */
  async send(messages: readonly Buffer[]): Promise<SendReceipt> {
    if (this.#closed) throw new DeliveryError('the connection is closed', 'failed');
    await this.#connect();
    const generation = this.#generation;
    const at = Date.now();
    try {
      if (this.#config.transport === 'udp') await this.#sendDatagrams(messages);
      else await this.#write(messages);
    } catch (error) {
      if (generation === this.#generation) this.#lose();
      throw error instanceof DeliveryError ? error : new DeliveryError(`sending to ${this.#target()} failed: ${(error as Error).message}`, 'failed', undefined, { cause: error });
    }
    return { generation, at };
  }

  #target(): string {
    return `${this.#config.transport}://${isIP(this.#config.host) === 6 ? `[${this.#config.host}]` : this.#config.host}:${this.#config.port}`;
  }

  #connect(): Promise<void> {
    if (this.#socket !== undefined || this.#dgram !== undefined) return Promise.resolve();
    this.#connecting ??= (this.#config.transport === 'udp' ? this.#openUdp() : this.#openStream()).finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  #openStream(): Promise<void> {
    const { host, port, timeoutMs, tls } = this.#config;
    return new Promise<void>((resolve, reject) => {
      const isTls = this.#config.transport === 'tls';
      const socket: Socket = isTls
        ? connectTls({
            host,
            port,
            // RFC 5425 §5.2: the server is identified by its certificate; Node checks it against servername, else host.
            servername: tls?.serverName ?? (isIP(host) === 0 ? host : undefined),
            ...(tls?.ca !== undefined && { ca: tls.ca }),
            ...(tls?.cert !== undefined && { cert: tls.cert }),
            ...(tls?.key !== undefined && { key: tls.key }),
            minVersion: 'TLSv1.2',
            rejectUnauthorized: true,
          })
        : connectTcp({ host, port });
      const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(new DeliveryError(`connecting to ${this.#target()} failed: ${error.message}`, 'failed', undefined, { cause: error }));
      };
      socket.once('error', fail);
      socket.once(isTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        // A receiver never speaks; reading lets us see its FIN (or TLS close) at once, which marks the loss.
        socket.resume();
        const lost = (): void => {
          if (this.#socket === socket) this.#lose();
        };
        socket.on('end', lost);
        socket.on('close', lost);
        socket.on('error', lost);
        this.#socket = socket;
        resolve();
      });
    });
  }

  async #openUdp(): Promise<void> {
    const { host, port } = this.#config;
    let address: { address: string; family: number };
    try {
      address = isIP(host) === 0 ? await lookup(host) : { address: host, family: isIP(host) };
    } catch (error) {
      throw new DeliveryError(`resolving ${host} failed: ${(error as Error).message}`, 'failed', undefined, { cause: error });
    }
    const socket = createSocket(address.family === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (error) => reject(new DeliveryError(`connecting to ${this.#target()} failed: ${error.message}`, 'failed', undefined, { cause: error })));
      socket.connect(port, address.address, () => resolve());
    });
    socket.removeAllListeners('error');
    socket.on('error', () => {
      if (this.#dgram === socket) this.#lose();
    });
    this.#dgram = socket;
  }

  #sendDatagrams(messages: readonly Buffer[]): Promise<void> {
    const socket = this.#dgram!;
    return new Promise<void>((resolve, reject) => {
      let left = messages.length;
      let failed = false;
      if (left === 0) resolve();
      for (const message of messages) {
        socket.send(message, (error) => {
          if (failed) return;
          if (error) {
            failed = true;
            reject(error);
          } else if (--left === 0) resolve();
        });
      }
    });
  }

  #write(messages: readonly Buffer[]): Promise<void> {
    const socket = this.#socket!;
    const frames: Buffer[] = [];
    for (const message of messages) frames.push(Buffer.from(`${message.length} `, 'latin1'), message);
    return new Promise<void>((resolve, reject) => {
      // A receiver that stops reading fills the buffers and the write never completes: time it out.
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DeliveryError(`writing to ${this.#target()} timed out after ${this.#config.timeoutMs} ms (the receiver does not read)`, 'failed'));
      }, this.#config.timeoutMs);
      socket.write(Buffer.concat(frames), (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else if (this.#socket !== socket) reject(new Error('the connection closed'));
        else resolve();
      });
    });
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.end(resolve));
    socket?.destroy();
    try {
      this.#dgram?.close();
    } catch {
      // already closed
    }
    this.#dgram = undefined;
  }
}
