import pg from 'pg';
import type { ClusterSignal, ClusterSignals, SignalTopic } from '../../journal/cluster-signals.js';

/** The LISTEN/NOTIFY channel; channels are database-wide, so each payload names its schema. */
export const SIGNAL_CHANNEL = 'tamga_signals';
/** Back-off of the listening session's reconnection: from this… */
const RECONNECT_MIN_MS = 100;
/** …doubling up to this. */
const RECONNECT_MAX_MS = 5_000;
/** Largest NOTIFY payload PostgreSQL takes is 8000 bytes; bigger bodies are cut to "look everywhere". */
const MAX_PAYLOAD = 7_900;

/**
 * {@link ClusterSignals} over PostgreSQL LISTEN/NOTIFY: one dedicated session per node LISTENs (outside the pool, so
 * a busy pool never delays a wake-up), reconnecting with back-off after a loss and then telling its listeners
 * `reconnected`; NOTIFY goes through the pool, one at a time, merging what is published meanwhile (an ingest burst
 * costs one NOTIFY per round trip, not one per batch). Payload: `{"s": schema, "t": topic, ...body}`.
 */
export class PostgresSignals implements ClusterSignals {
  readonly #pool: pg.Pool;
  readonly #clientConfig: pg.ClientConfig;
  readonly #schema: string;
  readonly #listeners = new Set<(signal: ClusterSignal) => void>();
  #client: pg.Client | undefined;
  #closed = false;
  #backoffMs = RECONNECT_MIN_MS;
  #retry: NodeJS.Timeout | undefined;
  #connecting: Promise<void> | undefined;
  #everConnected = false;
  /** Bodies waiting to be sent, merged by topic while a NOTIFY is in flight. */
  readonly #pending = new Map<SignalTopic, Record<string, unknown>>();
  #sending: Promise<void> | undefined;

  constructor(pool: pg.Pool, clientConfig: pg.ClientConfig, schema: string) {
    this.#pool = pool;
    this.#clientConfig = clientConfig;
    this.#schema = schema;
  }

  publish(topic: SignalTopic, body: Readonly<Record<string, unknown>> = {}): void {
    if (this.#closed) return;
    this.#pending.set(topic, mergeBodies(this.#pending.get(topic), body));
    this.#sending ??= this.#send().finally(() => (this.#sending = undefined));
  }

  async #send(): Promise<void> {
    while (this.#pending.size > 0 && !this.#closed) {
      const batch = [...this.#pending];
      this.#pending.clear();
      for (const [topic, body] of batch) {
        let payload = JSON.stringify({ ...body, s: this.#schema, t: topic });
        if (payload.length > MAX_PAYLOAD) payload = JSON.stringify({ s: this.#schema, t: topic });
        // A lost NOTIFY is caught up by every listener's own poll: nothing to retry here.
        await this.#pool.query('SELECT pg_notify($1, $2)', [SIGNAL_CHANNEL, payload]).catch(() => undefined);
      }
    }
  }

  subscribe(listener: (signal: ClusterSignal) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): Promise<void> {
    return this.#connect();
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#listen().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client(this.#clientConfig);
    this.#client = client;
    const lost = (): void => {
      if (this.#client !== client) return;
      this.#client = undefined;
      void client.end().catch(() => undefined);
      this.#scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.channel !== SIGNAL_CHANNEL || message.payload === undefined) return;
      const signal = parseSignal(message.payload, this.#schema);
      if (signal !== undefined) this.#emit(signal);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${SIGNAL_CHANNEL}`);
    } catch {
      lost();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#backoffMs = RECONNECT_MIN_MS;
    // Whatever was signalled while nobody listened is found by catching up.
    if (this.#everConnected) this.#emit({ topic: 'reconnected', body: {} });
    this.#everConnected = true;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retry !== undefined) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(RECONNECT_MAX_MS, this.#backoffMs * 2);
    // A first attempt that failed still counts as a loss: the listeners catch up when it comes back.
    this.#everConnected = true;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#connect();
    }, delay);
    this.#retry.unref();
  }

  #emit(signal: ClusterSignal): void {
    for (const listener of this.#listeners) listener(signal);
  }

  /** Whether the listening session is up (for tests and health reports). */
  get isListening(): boolean {
    return this.#client !== undefined && this.#connecting === undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    await this.#connecting;
    await this.#sending;
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await client.end().catch(() => undefined);
  }
}

/**
 * Merges two bodies of one topic: numbers keep the larger (a log's new size), nested objects merge key by key,
 * anything else keeps the newer value.
 */
function mergeBodies(a: Record<string, unknown> | undefined, b: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (a === undefined) return { ...b };
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const old = out[key];
    if (typeof value === 'number' && typeof old === 'number') out[key] = Math.max(old, value);
    else if (isObject(value) && isObject(old)) out[key] = mergeBodies(old, value);
    else out[key] = value;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a payload; anything not of this schema or not understood is dropped (signals are only hints). */
function parseSignal(payload: string, schema: string): ClusterSignal | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || parsed.s !== schema) return undefined;
  const { s: _s, t: topic, ...body } = parsed;
  if (topic !== 'append' && topic !== 'access' && topic !== 'catalog' && topic !== 'keys') return undefined;
  return { topic, body };
}
