import type { SinkContext } from './delivery-sink.js';
import type { Destination } from './destination.js';
import { DEFAULT_WORKER_OPTIONS, DestinationWorker } from './destination-worker.js';
import type { ForwardJournal, WorkerOptions, WorkerState } from './destination-worker.js';
import type { ForwardStore } from './forward-store.js';
import type { SecretBox } from './secret-box.js';

/** What the node delivering a destination knows of it beyond the store: the API adds it to the saved status. */
export interface WorkerView {
  readonly state: WorkerState;
  readonly leading: boolean;
  readonly lastError: { readonly at: number; readonly message: string } | null;
  readonly downSince: number | null;
  /** Counts settled but not saved yet. */
  readonly unsaved: { readonly delivered: number; readonly skipped: number; readonly failures: number; readonly deadLettered: number };
  /** Positions delivered for good, per log id, when it leads. */
  readonly committed: readonly (readonly [number, number])[] | undefined;
}

/** What the API needs of whatever runs the workers: this process ({@link Forwarder}) or the forwarding thread. */
export interface ForwardRunner {
  /** Starts delivering. */
  start(): Promise<void>;
  /** Brings the workers in line with the stored destinations. */
  reload(): Promise<void>;
  /** The running worker's view of a destination, if one runs. */
  describe(id: string): Promise<WorkerView | undefined>;
  /** What a sink needs to deliver a destination from this process (`POST …/test`). */
  sinkContext(d: Destination): SinkContext;
  /** Stops every worker (each saves its progress). */
  stop(): Promise<void>;
}

/** Options of {@link Forwarder}. */
export interface ForwarderConfig {
  readonly journal: ForwardJournal;
  readonly store: ForwardStore;
  readonly secrets: SecretBox;
  /** This node's id (saved with progress: which node delivers). */
  readonly nodeId: string;
  /** Tamga's version (CEF Device Version, OCSF product, User-Agent). */
  readonly version: string;
  /** Delivery tuning; defaults {@link DEFAULT_WORKER_OPTIONS}. */
  readonly options?: Partial<WorkerOptions>;
  /** Every destination is woken this often (appends on other nodes, leads to take), ms. Default 1000. */
  readonly sweepMs?: number;
  /** Clock in UTC ms. Default `Date.now`. */
  readonly now?: () => number;
  readonly onError: (error: unknown, what: string) => void;
}

/** What a sink needs to deliver `d` from a process: its secrets opened under its id, OCSF mappings from the catalogues. */
export function sinkContextOf(
  config: Pick<ForwarderConfig, 'journal' | 'secrets' | 'nodeId' | 'version' | 'now'> & { readonly settleMs?: number },
  d: Destination,
): SinkContext {
  return {
    version: config.version,
    nodeId: config.nodeId,
    ocsfMappingOf: (record) => config.journal.catalogs.forTenant(record.tenantId).set.byCode(record.event)?.ocsf,
    openSecret: (sealed, field) => config.secrets.open(sealed, secretContext(d.id, field)),
    now: config.now ?? Date.now,
    ...(config.settleMs !== undefined && { settleMs: config.settleMs }),
  };
}

/** Where a destination's secrets are sealed: bound to its id and the field. */
export function secretContext(destinationId: string, field: string): string {
  return `${destinationId}/${field}`;
}

/**
 * Runs one {@link DestinationWorker} per destination. Workers wake on every committed batch of any node (`Journal.onCommit`: a
 * call that only sets a flag, so ingest pays nothing) and on a sweep every second, which also notices destinations
 * changed by other nodes (one read of the forwarding revision). A hanging destination holds up its own worker
 * only.
 */
export class Forwarder implements ForwardRunner {
  readonly #config: ForwarderConfig;
  readonly #options: WorkerOptions;
  readonly #workers = new Map<string, DestinationWorker>();
  #revision = -1;
  #sweep: NodeJS.Timeout | undefined;
  #removeListener: (() => void) | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(config: ForwarderConfig) {
    this.#config = config;
    this.#options = { ...DEFAULT_WORKER_OPTIONS, ...config.options };
  }

  /** Starts a worker for every stored destination, then wakes them on appends and on the sweep. */
  async start(): Promise<void> {
    await this.reload();
    this.#removeListener = this.#config.journal.onCommit(() => this.wakeAll());
    this.#sweep = setInterval(() => {
      this.wakeAll();
      void this.#reloadIfChanged();
    }, this.#config.sweepMs ?? 1000);
    this.#sweep.unref();
  }

  /** Wakes every worker (they read the logs again). */
  wakeAll(): void {
    for (const worker of this.#workers.values()) worker.wake();
  }

  /** The worker of a destination on this node, if it runs. */
  worker(id: string): DestinationWorker | undefined {
    return this.#workers.get(id);
  }

  describe(id: string): Promise<WorkerView | undefined> {
    const worker = this.#workers.get(id);
    if (worker === undefined) return Promise.resolve(undefined);
    const committed = worker.committedCursors();
    return Promise.resolve({ ...worker.describe(), unsaved: worker.unsavedCounts(), committed: committed === undefined ? undefined : [...committed] });
  }

  /** What a sink needs to deliver a destination (its secrets open under its id). */
  sinkContext(d: Destination): SinkContext {
    return sinkContextOf({ ...this.#config, settleMs: this.#options.settleMs }, d);
  }

  async #reloadIfChanged(): Promise<void> {
    try {
      if ((await this.#config.store.revision()) !== this.#revision) await this.reload();
    } catch (error) {
      this.#config.onError(error, 'reading forwarding destinations failed');
    }
  }

  /** Brings the workers in line with the stored destinations: starts new ones, applies changes, stops deleted ones. */
  reload(): Promise<void> {
    const next = this.#reloading.then(() => this.#reload());
    this.#reloading = next.catch(() => undefined);
    return next;
  }

  async #reload(): Promise<void> {
    if (this.#stopped) return;
    const revision = await this.#config.store.revision();
    const destinations = await this.#config.store.listDestinations();
    const ids = new Set(destinations.map((d) => d.id));
    for (const [id, worker] of this.#workers) {
      if (ids.has(id)) continue;
      this.#workers.delete(id);
      // Deleted: its cursors and counts are gone, and must not come back with a last save.
      await worker.stop(false);
      await this.#config.store.releaseDestination?.(id).catch(() => undefined);
    }
    for (const d of destinations) {
      const worker = this.#workers.get(d.id);
      if (worker === undefined) {
        const created = new DestinationWorker(d, {
          journal: this.#config.journal,
          store: this.#config.store,
          nodeId: this.#config.nodeId,
          sinkContext: (dest) => this.sinkContext(dest),
          now: this.#config.now ?? Date.now,
          onError: this.#config.onError,
          options: this.#options,
        });
        this.#workers.set(d.id, created);
        created.start();
      } else if (worker.destination.version !== d.version || worker.destination.updatedAt !== d.updatedAt) {
        worker.reconfigure(d);
      }
    }
    this.#revision = revision;
  }

  /** Stops every worker (each saves its progress) and the sweep. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#sweep);
    this.#removeListener?.();
    await this.#reloading;
    await Promise.all([...this.#workers.values()].map((w) => w.stop()));
    this.#workers.clear();
  }
}
