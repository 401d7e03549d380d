import { formatCheckpoint, signNote } from '@tamga/core';
import type { KeyRing } from '../keys/key-ring.js';
import type { JournalStore, LogHead, StoredCheckpoint } from './journal-store.js';

/** Options of {@link Checkpointer}. */
export interface CheckpointerConfig {
  readonly store: JournalStore;
  readonly keys: KeyRing;
  /** Delay between an append and the checkpoint covering it, in ms. Default 200 (DESIGN.md §4: ≤ 1 s). */
  readonly delayMs?: number;
  /** Safety sweep over all logs, in ms. Default 1000. */
  readonly sweepMs?: number;
  /** Called when signing fails, so the failure is seen (it is retried at the next sweep). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Signs checkpoints (C2SP tlog-checkpoint, Ed25519 signed note) of every log that grew: at most
 * `delayMs` after an append is announced through {@link Checkpointer.nudge}, and at every sweep.
 */
export class Checkpointer {
  readonly #store: JournalStore;
  readonly #keys: KeyRing;
  readonly #delayMs: number;
  readonly #sweepMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  readonly #listeners = new Set<(checkpoint: StoredCheckpoint, log: LogHead) => void>();

  constructor(config: CheckpointerConfig) {
    this.#store = config.store;
    this.#keys = config.keys;
    this.#delayMs = config.delayMs ?? 200;
    this.#sweepMs = config.sweepMs ?? 1000;
    this.#onError = config.onError ?? (() => undefined);
  }

  /**
   * Registers a listener told about every checkpoint this process signed and stored (publishing sinks);
   * returns a function that removes it. Listeners must not throw.
   */
  onSigned(listener: (checkpoint: StoredCheckpoint, log: LogHead) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the periodic sweep. */
  start(): void {
    this.#sweep ??= setInterval(() => this.nudge(0), this.#sweepMs);
    this.#sweep.unref();
  }

  /** Asks for a checkpoint pass within `delayMs` (coalesces repeated calls). */
  nudge(delayMs: number = this.#delayMs): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running ??= this.signPending()
        .then(() => undefined)
        .catch(this.#onError)
        .finally(() => (this.#running = undefined));
    }, delayMs);
    this.#timer.unref();
  }

  /** Signs a checkpoint for every log whose size is beyond its latest checkpoint. Returns what it signed. */
  async signPending(): Promise<StoredCheckpoint[]> {
    const signed: StoredCheckpoint[] = [];
    // Exactly one node signs at a time (DESIGN.md §7); the others' sweeps do nothing until it dies.
    if (this.#store.tryLeadCheckpoints !== undefined && !(await this.#store.tryLeadCheckpoints())) return signed;
    for (const log of await this.#store.listLogs()) {
      const latest = await this.#store.latestCheckpoint(log.logId);
      if (log.size > 0 && (latest === undefined || latest.size < log.size)) signed.push(await this.sign(log));
    }
    return signed;
  }

  /** Signs and stores a checkpoint of `log` at its current head. */
  async sign(log: LogHead): Promise<StoredCheckpoint> {
    const body = formatCheckpoint({ origin: log.origin, size: log.size, rootHash: log.rootHash, extensions: [] });
    const checkpoint = {
      logId: log.logId,
      size: log.size,
      rootHash: log.rootHash,
      note: signNote(body, this.#keys.checkpointSigners()),
      createdAt: Date.now() * 1000,
    };
    await this.#store.addCheckpoint(checkpoint);
    for (const listener of this.#listeners) listener(checkpoint, log);
    return checkpoint;
  }

  /** Stops the timers and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#sweep);
    clearTimeout(this.#timer);
    this.#sweep = this.#timer = undefined;
    await this.#running;
  }
}
