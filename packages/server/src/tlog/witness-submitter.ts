import { Buffer } from 'node:buffer';
import { addSignatureLines, parseWitnessKey, verifyCosignatures } from '@tamga/core';
import type { WitnessKey } from '@tamga/core';
import type { Journal } from '../journal/journal.js';
import type { LogHead, StoredCheckpoint } from '../journal/journal-store.js';
import type { Prover } from '../journal/prover.js';
import type { WitnessEndpoint } from './tlog-config.js';

/** WitnessRefusedCheckpoint, a class 3 security incident (catalogs/tamga.json). */
export const WITNESS_REFUSED_CHECKPOINT = 32040;

/** What a log knows of one witness, as `GET /api/v1/logs/{tenant}/status` shows it. */
export interface WitnessStatus {
  /** The witness's verifier key. */
  readonly key: string;
  readonly url: string;
  /**
   * `cosigned`: its last answer was a cosignature; `refused`: it found a checkpoint inconsistent with one it cosigned
   * (422: history was rewritten, or a split view); `failing`: it could not be reached or answered otherwise;
   * `pending`: nothing submitted yet.
   */
  readonly state: 'cosigned' | 'refused' | 'failing' | 'pending';
  /** The largest checkpoint size it cosigned (0: none). */
  readonly cosignedSize: number;
  /** Size of the checkpoint of the last answer, and when (ISO 8601). */
  readonly lastSize?: number;
  readonly lastAt?: string;
  /** What went wrong, for `refused` and `failing`. */
  readonly message?: string;
}

/** Options of {@link WitnessSubmitter}. */
export interface WitnessSubmitterConfig {
  readonly journal: Journal;
  readonly prover: Prover;
  readonly witnesses: readonly WitnessEndpoint[];
  /** Bound on one submission, ms. */
  readonly timeoutMs: number;
  /** Resubmission of uncosigned latest checkpoints, ms; 0 = none. Default 30,000. */
  readonly retryMs?: number;
  readonly onError?: (error: unknown, what: string) => void;
  /** Clock in UTC milliseconds. */
  readonly now?: () => number;
}

/** Most 409 round trips for one checkpoint and witness (each tells the log the witness's size). */
const MAX_CONFLICTS = 3;

/** Settings key of the last answer of a witness for a log. */
function statusKey(logId: number, witness: string): string {
  return `witness-status:${logId}:${witness}`;
}

/**
 * The log side of C2SP tlog-witness (https://c2sp.org/tlog-witness): submits each new checkpoint to every configured
 * witness with a consistency proof from the size the witness last cosigned (`POST <url>/add-checkpoint`), answers a
 * 409 by resubmitting from the size the witness says it has, checks each cosignature and stores it
 * (`checkpoint_cosignatures`), so the served checkpoint note carries it. A witness that refuses a checkpoint as
 * inconsistent (422) is journalled as WitnessRefusedCheckpoint (class 3), once per log, witness and size the witness
 * holds (later checkpoints of the same rewritten log are refused too and change only the status).
 * Submissions of one log run one at a time, in checkpoint order.
 */
export class WitnessSubmitter {
  readonly #config: WitnessSubmitterConfig;
  readonly #keys: Map<string, WitnessKey>;
  readonly #queues = new Map<number, Promise<void>>();
  readonly #reported = new Set<string>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(config: WitnessSubmitterConfig) {
    this.#config = config;
    this.#now = config.now ?? Date.now;
    this.#keys = new Map(config.witnesses.map((w) => [w.key, parseWitnessKey(w.key)]));
  }

  /** The configured witnesses. */
  get witnesses(): readonly WitnessEndpoint[] {
    return this.#config.witnesses;
  }

  /** Starts resubmitting, every `retryMs`, latest checkpoints some witness has not cosigned. */
  start(): void {
    const every = this.#config.retryMs ?? 30_000;
    if (every <= 0 || this.#config.witnesses.length === 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.resubmitPending().catch((e: unknown) => this.#config.onError?.(e, 'witness resubmission failed')), every);
    this.#timer.unref();
  }

  /** Queues the submission of a freshly signed checkpoint of `log` to every witness. */
  submit(checkpoint: StoredCheckpoint, log: LogHead): Promise<void> {
    if (this.#config.witnesses.length === 0 || this.#stopped) return Promise.resolve();
    const previous = this.#queues.get(log.logId) ?? Promise.resolve();
    const next = previous.then(() =>
      Promise.all(this.#config.witnesses.map((w) => this.#submitTo(w, checkpoint, log))).then(() => undefined),
    );
    const tail = next.catch((error: unknown) => this.#config.onError?.(error, 'witness submission failed'));
    this.#queues.set(log.logId, tail);
    void tail.finally(() => {
      if (this.#queues.get(log.logId) === tail) this.#queues.delete(log.logId);
    });
    return tail;
  }

  /** Submits each log's latest checkpoint to the witnesses that have not cosigned it (leader only). */
  async resubmitPending(): Promise<void> {
    const { store } = this.#config.journal;
    if (store.tryLeadCheckpoints !== undefined && !(await store.tryLeadCheckpoints())) return;
    for (const log of await store.listLogs()) {
      const latest = await store.latestCheckpoint(log.logId);
      if (latest === undefined) continue;
      const sizes = await Promise.all(this.#config.witnesses.map((w) => store.cosignedSize(log.logId, w.key)));
      if (sizes.some((s) => s < latest.size)) await this.submit(latest, log);
    }
  }

  /** What the log knows of each witness. */
  async status(logId: number): Promise<WitnessStatus[]> {
    const { store } = this.#config.journal;
    return Promise.all(
      this.#config.witnesses.map(async (w) => {
        const cosignedSize = await store.cosignedSize(logId, w.key);
        const saved = await store.getSetting(statusKey(logId, w.key));
        const last = saved === undefined ? undefined : (JSON.parse(saved) as { state: WitnessStatus['state']; size: number; at: string; message?: string });
        return {
          key: w.key,
          url: w.url,
          state: last?.state ?? 'pending',
          cosignedSize,
          ...(last !== undefined && { lastSize: last.size, lastAt: last.at }),
          ...(last?.message !== undefined && { message: last.message }),
        };
      }),
    );
  }

  /** Stops the resubmissions and waits for submissions in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#queues.values()]);
  }

  async #record(logId: number, witness: WitnessEndpoint, state: WitnessStatus['state'], size: number, message?: string, witnessedSize?: number): Promise<void> {
    const value = {
      state,
      size,
      at: new Date(this.#now()).toISOString(),
      ...(message !== undefined && { message }),
      ...(witnessedSize !== undefined && { witnessedSize }),
    };
    await this.#config.journal.store.putSetting(statusKey(logId, witness.key), JSON.stringify(value));
  }

  async #submitTo(witness: WitnessEndpoint, checkpoint: StoredCheckpoint, log: LogHead): Promise<void> {
    const { store } = this.#config.journal;
    let oldSize = await store.cosignedSize(log.logId, witness.key);
    if (oldSize >= checkpoint.size) return;
    for (let attempt = 0; attempt <= MAX_CONFLICTS; attempt++) {
      let answer: Response;
      let text: string;
      try {
        answer = await fetch(`${witness.url}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: await this.#body(log, oldSize, checkpoint),
          signal: AbortSignal.timeout(this.#config.timeoutMs),
        });
        text = await answer.text();
      } catch (error) {
        await this.#record(log.logId, witness, 'failing', checkpoint.size, `No answer: ${(error as Error).message}`);
        return;
      }
      if (answer.status === 200) {
        const cosigned = verifyCosignatures(addSignatureLines(checkpoint.note, text.split('\n').filter((l) => l !== '')), [this.#keys.get(witness.key)!]);
        if (cosigned.length === 0) {
          await this.#record(log.logId, witness, 'failing', checkpoint.size, 'The answer holds no valid cosignature by the configured key');
          return;
        }
        await store.addCosignature({ logId: log.logId, size: checkpoint.size, witness: witness.key, line: cosigned[0]!.line, createdAt: this.#now() * 1000 });
        await this.#record(log.logId, witness, 'cosigned', checkpoint.size);
        return;
      }
      if (answer.status === 409 && /^(0|[1-9][0-9]*)\n?$/.test(text)) {
        // The witness knows another size of this log (c2sp.org/tlog-witness): prove from that one.
        const known = Number(text.trim());
        if (known > checkpoint.size) {
          await this.#record(log.logId, witness, 'failing', checkpoint.size, `The witness has already seen size ${known}`);
          return;
        }
        if (known === oldSize) break;
        oldSize = known;
        continue;
      }
      if (answer.status === 422) {
        await this.#refused(witness, checkpoint, log, oldSize, text);
        return;
      }
      await this.#record(log.logId, witness, 'failing', checkpoint.size, `HTTP ${answer.status}: ${text.slice(0, 200)}`);
      return;
    }
    await this.#record(log.logId, witness, 'failing', checkpoint.size, 'The witness kept answering 409 (size conflict)');
  }

  async #refused(witness: WitnessEndpoint, checkpoint: StoredCheckpoint, log: LogHead, oldSize: number, text: string): Promise<void> {
    const message = `Witness ${witness.name} refused checkpoint ${log.origin} ${checkpoint.size}: not consistent with size ${oldSize} it cosigned`;
    // Once per witnessed size: every later checkpoint of the rewritten log is refused too, and is one incident.
    const once = `${log.logId}|${witness.key}|${oldSize}`;
    const saved = await this.#config.journal.store.getSetting(statusKey(log.logId, witness.key));
    const last = saved === undefined ? undefined : (JSON.parse(saved) as { state?: string; witnessedSize?: number });
    const known = this.#reported.has(once) || (last?.state === 'refused' && last.witnessedSize === oldSize);
    // Journalled before the status changes: a status that says refused has its incident in the journal.
    if (!known) await this.#journalRefusal(witness, checkpoint, log, oldSize, text, message);
    this.#reported.add(once);
    await this.#record(log.logId, witness, 'refused', checkpoint.size, message, oldSize);
  }

  async #journalRefusal(witness: WitnessEndpoint, checkpoint: StoredCheckpoint, log: LogHead, oldSize: number, text: string, message: string): Promise<void> {
    await this.#config.journal.appendSystem({
      event: WITNESS_REFUSED_CHECKPOINT,
      classifiedEvent: 3,
      text: message,
      entityData: {
        origin: log.origin,
        tenantId: log.tenantId,
        size: checkpoint.size,
        witnessedSize: oldSize,
        witness: witness.key,
        url: witness.url,
        answer: text.slice(0, 500),
      },
    });
  }

  /** `old <size>`, the consistency proof from it (base64 lines), a blank line, the checkpoint note. */
  async #body(log: LogHead, oldSize: number, checkpoint: StoredCheckpoint): Promise<string> {
    const proof = oldSize === 0 ? [] : (await this.#config.prover.consistency(log.logId, checkpoint.size, oldSize, checkpoint.size)).hashes;
    return `old ${oldSize}\n${proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('')}\n${checkpoint.note}`;
  }
}
