import { Buffer } from 'node:buffer';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CompactRange, isTamgaError, openNote, parseBundleKeys, parseCheckpoint, verifiersFromKeys, verifyConsistency } from '@tamga/core';
import type { Journal } from '../journal/journal.js';
import type { LogHead, StoredCheckpoint } from '../journal/journal-store.js';
import type { Prover } from '../journal/prover.js';
import type { DirectoryCheckpointSink } from './checkpoint-sinks.js';

/** CheckpointInconsistent, a class 3 security incident (catalogs/tamga.json). */
const CHECKPOINT_INCONSISTENT = 32002;

/** One disagreement found by the self-check. */
export interface SelfCheckFinding {
  readonly origin: string;
  /** `signature`, `body`, `root`, `consistency`, `head`, `rollback`, `published-root`. */
  readonly reason: string;
  readonly size: number;
  readonly message: string;
}

/** Options of {@link CheckpointSelfCheck}. */
export interface CheckpointSelfCheckConfig {
  readonly journal: Journal;
  readonly prover: Prover;
  /** Interval between passes, ms; 0 = only on demand. */
  readonly intervalMs: number;
  /** The published checkpoint directory, compared with the stored log when given. */
  readonly published?: DirectoryCheckpointSink;
  readonly onError?: (error: unknown) => void;
}

/**
 * Background self-check (DESIGN.md §4): each pass verifies, for every log, the checkpoints signed since the
 * previous pass — signature by one of the server's keys, body matching the stored row, root equal to the root
 * of the stored tree at that size, consistency with the previous checkpoint — then that the log head is not
 * behind its newest checkpoint nor behind the newest checkpoint published outside the database. Any
 * disagreement is journalled once as CheckpointInconsistent (class 3, security incident).
 */
export class CheckpointSelfCheck {
  readonly #config: CheckpointSelfCheckConfig;
  readonly #checked = new Map<number, StoredCheckpoint>();
  readonly #reported = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(config: CheckpointSelfCheckConfig) {
    this.#config = config;
  }

  /** Starts periodic passes (none when `intervalMs` is 0). */
  start(): void {
    if (this.#config.intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.runOnce()
        .catch(this.#config.onError ?? (() => undefined))
        .finally(() => (this.#running = undefined));
    }, this.#config.intervalMs);
    this.#timer.unref();
  }

  /** Stops the passes and waits for one in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass over every log; returns the new findings (each also journalled). */
  async runOnce(): Promise<SelfCheckFinding[]> {
    const { journal } = this.#config;
    const findings: SelfCheckFinding[] = [];
    for (const log of await journal.store.listLogs()) {
      // A turn of the event loop before each log, and between its checkpoints (#checkLog): with many tenants, each log's
      // reads are few but the logs are many.
      await nextTurn();
      findings.push(...(await this.#checkLog(log)));
    }
    const fresh = findings.filter((f) => {
      const key = `${f.origin}|${f.size}|${f.reason}`;
      if (this.#reported.has(key)) return false;
      this.#reported.add(key);
      return true;
    });
    for (const f of fresh) {
      await journal.appendSystem({
        event: CHECKPOINT_INCONSISTENT,
        classifiedEvent: 3,
        text: f.message,
        entityData: { origin: f.origin, size: f.size, reason: f.reason },
      });
    }
    return fresh;
  }

  async #rootAt(log: LogHead, size: number): Promise<Buffer> {
    const hashes = await this.#config.prover.subtreeHashes(log.logId, 0, size);
    return CompactRange.fromBytes(size, Buffer.concat(hashes)).root();
  }

  async #checkLog(log: LogHead): Promise<SelfCheckFinding[]> {
    const { journal, prover } = this.#config;
    const findings: SelfCheckFinding[] = [];
    const found = (reason: string, size: number, message: string): void => void findings.push({ origin: log.origin, reason, size, message });
    const verifiers = verifiersFromKeys(parseBundleKeys(journal.keys.publicKeys()));
    let previous = this.#checked.get(log.logId);
    const fresh = await journal.store.listCheckpoints(log.logId, (previous?.size ?? 0) + 1, Number.MAX_SAFE_INTEGER);
    for (const [i, cp] of fresh.entries()) {
      // A busy spell leaves thousands of checkpoints to check (one per ~200 ms of appends), each a root and a
      // consistency proof whose small Merkle ranges are read on this thread: ~1.2 ms each, resolved without a turn of
      // the event loop. Without a turn between them, the first pass over a 10 M-event journal's 1,834 checkpoints held
      // every request, /healthz included, for 1.8–3.1 s.
      if (i > 0) await nextTurn();
      try {
        const body = parseCheckpoint(openNote(cp.note, verifiers).text);
        if (body.origin !== log.origin || body.size !== cp.size || !body.rootHash.equals(cp.rootHash)) {
          found('body', cp.size, `Checkpoint ${log.origin} ${cp.size}: its note does not match the stored row`);
          continue;
        }
      } catch (error) {
        if (!isTamgaError(error)) throw error;
        found('signature', cp.size, `Checkpoint ${log.origin} ${cp.size}: ${error.message}`);
        continue;
      }
      if (cp.size > log.size) {
        found('head', cp.size, `Log ${log.origin} has ${log.size} records but a checkpoint of size ${cp.size}: records were removed`);
        continue;
      }
      if (!(await this.#rootAt(log, cp.size)).equals(cp.rootHash)) {
        found('root', cp.size, `Checkpoint ${log.origin} ${cp.size}: the stored tree has another root at this size`);
        continue;
      }
      if (previous !== undefined) {
        try {
          const proof = await prover.consistency(log.logId, log.size, previous.size, cp.size);
          verifyConsistency(previous.size, cp.size, proof.hashes, previous.rootHash, cp.rootHash);
        } catch (error) {
          if (!isTamgaError(error)) throw error;
          found('consistency', cp.size, `Checkpoints ${log.origin} ${previous.size} and ${cp.size} are not consistent: ${error.message}`);
          continue;
        }
      }
      previous = cp;
      this.#checked.set(log.logId, cp);
    }
    if (!(await this.#rootAt(log, log.size)).equals(log.rootHash)) {
      found('head', log.size, `Log ${log.origin}: the head's root does not match the stored tree`);
    }
    const published = await this.#config.published?.latest(log.origin);
    if (published !== undefined) {
      if (published.size > log.size) {
        found('rollback', published.size, `Log ${log.origin} has ${log.size} records but a published checkpoint has ${published.size}: the database was rolled back`);
      } else {
        try {
          const body = parseCheckpoint(openNote(published.note, verifiers).text);
          if (!(await this.#rootAt(log, body.size)).equals(body.rootHash)) {
            found('published-root', body.size, `The published checkpoint ${log.origin} ${body.size} does not match the stored tree`);
          }
        } catch (error) {
          if (!isTamgaError(error)) throw error;
          found('published-root', published.size, `The published checkpoint ${log.origin} ${published.size} is unreadable: ${error.message}`);
        }
      }
    }
    return findings;
  }
}
