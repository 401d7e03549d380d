/** What nodes sharing a database tell each other. */
export type SignalTopic = 'append' | 'access' | 'catalog' | 'keys';

/**
 * A signal from some node (this one included: a node hears its own). `reconnected` is not sent by anyone: the
 * listening session came back after a loss, so signals may have been missed and every consumer catches up.
 */
export interface ClusterSignal {
  readonly topic: SignalTopic | 'reconnected';
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * The port through which the nodes of a cluster wake each other (PostgreSQL LISTEN/NOTIFY). Signals are hints, not
 * data: they may be lost (a listening session down, a node killed between its commit and its signal) or merged,
 * so every consumer MUST catch up from the database on a signal, on `reconnected` and on a timer of its own, and
 * MUST NOT take a signal's body as the truth beyond "look from here".
 */
export interface ClusterSignals {
  /** Tells every node (this one included). Never throws and never waits: a failure only means a later catch-up. */
  publish(topic: SignalTopic, body?: Readonly<Record<string, unknown>>): void;
  /** Registers a listener (must not throw); returns the function that removes it. */
  subscribe(listener: (signal: ClusterSignal) => void): () => void;
  /** Starts listening; resolves once the first attempt is over (on failure it goes on retrying in the background). */
  start(): Promise<void>;
  /** Stops listening and waits for signals in flight. */
  close(): Promise<void>;
}
